#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo, the README's first command, runs the whole job offline: every
# step succeeds and leaves the outputs it announces, with the figures the
# bundled data and the stand-ins determine.
. "$(dirname "$0")/lib.sh"

OUT="$TMP/demo"
expect_ok "the demo runs" env DSS_DEMO_OUT="$OUT" DSS_DEMO_BIN="$BIN" sh "$TOP/scripts/demo.sh"
cp "$TMP/err" "$TMP/log"
for f in dss.db completions.jsonl triples-gold.jsonl triples-majority.jsonl \
    export/t5-0.125.jsonl export/t5-1.jsonl export/standard-gold.jsonl \
    export/standard-teacher.jsonl export/card.md stats.txt stats.svg \
    ablation.txt ablation.svg; do
	[ -s "$OUT/$f" ]
	ok $? "it writes $f"
	grep -q "$OUT/${f%%/*}" "$TMP/log"
	ok $? "and says where ${f%%/*} went"
done
grep -q "^second run identical: 3000 completions$" "$TMP/log"
ok $? "the second dss-teach run comes from the cache, identical"
is "$(sqlite3 "$OUT/dss.db" "SELECT count(*) FROM examples WHERE split = 'train'") $(sqlite3 "$OUT/dss.db" "SELECT count(*) FROM examples WHERE split = 'test'")" \
	"800 200" "the official 800/200 split"
is "$(sqlite3 "$OUT/dss.db" "SELECT group_concat(filter || '=' || n, ' ') FROM (SELECT filter, count(*) n FROM triples GROUP BY filter ORDER BY filter)")" \
	"gold=2546 majority=2569" "gold and majority triples side by side"
is "$(sqlite3 "$OUT/dss.db" "SELECT group_concat(size, ' ') FROM (SELECT size FROM subsets WHERE name LIKE 'nested-s0-%' ORDER BY size)")" \
	"100 200 400 600 800" "five nested fractions"
is "$(sqlite3 "$OUT/dss.db" "SELECT count(*) FROM subsets WHERE kind = 'official'")" 10 \
	"the official subsets and their validation cuts"
is "$(wc -l <"$OUT/export/t5-0.125.jsonl" | tr -d ' ')" 200 "t5 at 12.5%: predict and explain records"
python3 -c 'import sys, xml.etree.ElementTree as E
for f in sys.argv[1:]:
    E.parse(f)' "$OUT/stats.svg" "$OUT/ablation.svg"
ok $? "the charts are well-formed SVG"
grep -Eq "^  distilling step-by-step( +[0-9.]+){5}$" "$OUT/ablation.txt"
ok $? "the ablation table has a row of five fractions"
grep -q "reference: few-shot CoT (teacher)" "$OUT/ablation.txt"
ok $? "and the teacher's few-shot accuracy as a reference"
grep -q "dss-export" "$OUT/export/card.md"
ok $? "the data card gives the command line"
done_testing
