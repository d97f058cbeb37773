#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory that does not grow with the input: each streaming tool is run on
# 20,000 and on 80,000 records and its peak RSS (GNU time's %M) measured.
# dss-fetch, dss-prompt, dss-teach (its window; the replay file is the same
# for both), dss-filter and dss-import must not grow by more than 4 MiB
# from one to the other;
# dss-store, dss-export and dss-stats, whose SQLite page cache fills up to
# its limit first, must stay under a fixed ceiling (dss-store under
# 32 MiB, issue #11), and so must dss-eval
# and dss-sample, which hold the gold labels and the split's ids.  The
# figures are printed as TAP comments, for README.md's "Guarantees".
# Under ASan the memory is the sanitizer's: skipped.
. "$(dirname "$0")/lib.sh"

if [ -n "$ASAN" ]; then
	skip "peak RSS under ASan is the sanitizer's"
	done_testing
fi
if ! /usr/bin/time -f %M true >/dev/null 2>&1; then
	skip "no GNU time to measure memory"
	done_testing
fi
cd "$TMP" || exit 1

# mkex N: N svamp examples.
mkex() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
	printf "{\"dataset\":\"svamp\",\"split\":\"train\",\"id\":\"svamp-train-%06d\",\"index\":%d,", i, i
	printf "\"input\":\"Ann has %d apples and gets %d more.\\nHow many apples does Ann have?\",", i, i + 1
	printf "\"label\":\"( %d.0 + %d.0 )\",\"fields\":{\"body\":\"Ann has %d apples and gets %d more.\",", i, i + 1, i, i + 1
	printf "\"question\":\"How many apples does Ann have?\",\"equation\":\"( %d.0 + %d.0 )\",", i, i + 1
	printf "\"answer\":%d,\"type\":\"Addition\",\"source_id\":\"s%d\"}}\n", 2 * i + 1, i }}'
}
mkex 80000 >ex80000.jsonl
head -n 20000 ex80000.jsonl >ex20000.jsonl
awk -F'"id":"' '{ split($2, a, "\""); printf "{\"id\":\"%s\",\"completion\":\"Ann adds them. The answer is ( 1.0 + 2.0 ).\"}\n", a[1] }' \
    ex80000.jsonl >replay.jsonl

# peak N TOOL COMMAND: runs COMMAND (a shell command), which must succeed,
# and sets rss_TOOL_N to its peak RSS in KiB.
peak() {
	/usr/bin/time -o rss -f %M sh -c "$3" >/dev/null 2>err
	_st=$?
	ok $_st "$2 on $1 records"
	[ $_st -eq 0 ] || diag err
	eval "rss_$2_$1=\$(tail -n 1 rss)"
}
for n in 20000 80000; do
	peak $n prompt "dss-prompt <ex$n.jsonl >pr$n.jsonl"
	peak $n teach "dss-teach --db t$n.db --teacher replay:replay.jsonl --quiet <pr$n.jsonl >co$n.jsonl"
	peak $n filter "dss-filter --agree none <co$n.jsonl >tr$n.jsonl"
	peak $n store "dss-store s$n.db <ex$n.jsonl && dss-store s$n.db <tr$n.jsonl"
	peak $n export "dss-export s$n.db --dataset svamp --split train --filter none --rationales all >exp$n.jsonl"
	peak $n stats "dss-stats s$n.db"
	awk -F'"label":"' '{ split($2, a, "\""); split($0, b, "\"id\":\""); split(b[2], c, "\"");
	    printf "{\"id\":\"%s\",\"prediction\":\"%s\",\"method\":\"m\"}\n", c[1], a[1] }' \
	    ex$n.jsonl >pred$n.jsonl
	peak $n eval "dss-eval --gold ex$n.jsonl --pred pred$n.jsonl --resamples 10"
	peak $n sample "dss-sample --dataset svamp s$n.db"
	python3 "$TOP/bench/gen-import.py" $n rel$n.zip
	peak $n import "dss-import rel$n.zip"
	mkdir -p "mirror/example.org"
	awk -v n=$n 'BEGIN { print "P,L"; for (i = 0; i < n; i++) printf "\"row %d, quoted\",yes\n", i }' \
	    >mirror/example.org/$n.csv
	printf '{"name": "t", "format": "csv", "sources": {"a": {"url": "https://example.org/%s.csv"}}, "splits": {"train": {"sources": ["a"]}}, "fields": {"p": "P"}, "label": {"from": "L"}, "input": "{p}"}\n' \
	    $n >t$n.json
	peak $n fetch "DSS_CACHE=$TMP/cache dss-fetch --mirror file://$TMP/mirror ./t$n.json"
done
is "$(wc -l <exp80000.jsonl | tr -d ' ')" 160000 "the export of 80,000 examples is whole"

# grows TOOL: at most 4 MiB more for four times the records.
grows() {
	eval "_a=\$rss_$1_20000 _b=\$rss_$1_80000"
	echo "# $1: peak RSS $_a KiB on 20,000 records, $_b KiB on 80,000"
	[ "$_b" -le $((_a + 4096)) ]
	ok $? "$1: memory does not grow with the input"
}
# under TOOL KIB: a ceiling on 80,000 records.
under() {
	eval "_a=\$rss_$1_20000 _b=\$rss_$1_80000"
	echo "# $1: peak RSS $_a KiB on 20,000 records, $_b KiB on 80,000"
	[ "$_b" -le "$2" ]
	ok $? "$1: under $(($2 / 1024)) MiB"
}
grows prompt
grows teach
grows filter
grows import
grows fetch
under prompt 16384
under filter 16384
under import 32768
under fetch 32768
under teach 65536
under store 32768
under export 65536
under stats 65536
# These two hold what they must: the gold labels, and the split's ids to
# sort; they grow with those, not with anything else.
under eval 65536
under sample 65536
done_testing
