#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-import on small releases built by tests/make-release.py in the
# layout of the official datasets.zip: the records it writes (against
# ones built independently in Python), zip, tar.gz and directory input,
# the selection options, and every way a release can be refused.
. "$(dirname "$0")/lib.sh"

MK="python3 $TOP/tests/make-release.py"
REL="$TMP/rel"
ZIP="$TMP/rel.zip"
$MK "$REL" --zip "$ZIP" --expect "$TMP/expect.jsonl" &&
	$MK "$TMP/broken" --each-break ||
	{ echo "Bail out! cannot build the test releases"; exit 1; }
B="$TMP/broken"

is "$($MK "$TMP/unused" --perm 20)" \
    "993 859 298 553 672 971 27 231 306 706 496 558 784 239 578 55 906 175 14 77" \
    "the generator's svamp split starts as RandomState(0).permutation(1000) does"

# Compares two files of records as parsed JSON, key order included
# (numbers compare by value: 15 and 15.0 are equal).
same_records() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
def load(p):
    with open(p) as f:
        return [json.loads(l, object_pairs_hook=list) for l in f]
a, b = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(b):
    print("# %d records, want %d" % (len(a), len(b)))
    sys.exit(1)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("# record %d differs:\n#   got:  %s\n#   want: %s" % (i + 1, x, y))
        sys.exit(1)
EOF
}

# Keeps the records of expect.jsonl that pass a Python condition on r.
expect_where() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if eval(sys.argv[2]):
        sys.stdout.write(l)' "$TMP/expect.jsonl" "$1"
}

# --- the whole release ---
expect_ok "imports the whole zip" dss-import "$ZIP"
cp "$TMP/out" "$TMP/all.jsonl"
same_records "$TMP/all.jsonl" "$TMP/expect.jsonl"
ok $? "records equal those the release's layout defines"
is "$(wc -l < "$TMP/all.jsonl" | tr -d ' ')" 2070 "2070 records: 1035 examples, 1035 completions"
is "$(grep -c '"teacher":"palm-540b","sample":0,' "$TMP/all.jsonl")" 1035 \
    "every completion is palm-540b sample 0"
is "$(grep -c '"asdiv\|gpt-neox\|__MACOSX' "$TMP/all.jsonl")" 0 \
    "asdiv, gpt-neox and __MACOSX are ignored"
is "$(sed -n 's/.*"request":"\([0-9a-f]*\)".*/\1/p' "$TMP/all.jsonl" | sort | uniq -d | wc -l | tr -d ' ')" 0 \
    "request keys are unique"
is "$(head -n 1 "$TMP/all.jsonl" | cut -c1-80)" \
    '{"dataset":"esnli","split":"train","id":"esnli-train-000000","index":0,"input":"' \
    "first record: esnli train 0, keys in contract order"
is "$(sed -n 2p "$TMP/all.jsonl" | grep -o '"teacher".*')" \
    "\"teacher\":\"palm-540b\",\"sample\":0,\"completion\":\"Because train 0.\\nAnswer: entailment\\n\\nPremise: next\",\"finish_reason\":null,\"usage\":null,\"latency_ms\":null,\"request\":\"$(printf '["palm-540b","esnli","train",0,0]' | sha256sum | cut -c1-64)\"}" \
    "an example is followed by its completion; request is sha256 of the key array"
grep '"id":"svamp-train-000000"' "$TMP/all.jsonl" | head -n 1 >"$TMP/sv0"
grep -q '"source_id":"chal-994"' "$TMP/sv0"
ok $? "svamp train 0 is SVAMP.json problem 993 (RandomState(0).permutation)"
grep -q '"fields":{"body":"Basket 993 has 10 apples. Another has 5 apples","question":"What is 10 + 5 for basket 993?","equation":"( 10.0 + 5.0 )","answer":15,"type":"Addition","source_id":"chal-994"}' "$TMP/sv0"
ok $? "svamp fields come from SVAMP.json"
grep '"id":"svamp-train-000500"' "$TMP/all.jsonl" | grep -q '"completion":"Step one for train 500\. '
ok $? "svamp train 500 takes the first completion of batch 1"
grep '"id":"svamp-test-000199"' "$TMP/all.jsonl" | grep -q '"completion":"Step one for test 199\.'
ok $? "svamp test 199 takes the last completion of batch 0"
! grep -q 'Smile \\ud83d\\ude00' "$TMP/all.jsonl"
ok $? "\\u escapes are decoded, not copied (no surrogate escapes out)"
grep -q "Smile $(printf '\360\237\230\200')" "$TMP/all.jsonl"
ok $? "a surrogate pair becomes one UTF-8 character"
grep -q '"id":"cqa-train-000003".*"answer_key":"D"' "$TMP/all.jsonl"
ok $? "cqa answer_key is the letter of the answer's choice"

# --- other containers ---
expect_ok "imports the unpacked directory" dss-import "$REL"
cmp_file "$TMP/out" "$TMP/all.jsonl" "a directory gives the same bytes as the zip"
expect_ok "imports the datasets directory itself" dss-import "$REL/datasets"
cmp_file "$TMP/out" "$TMP/all.jsonl" "datasets/ itself gives the same bytes"
(cd "$REL" && tar czf "$TMP/rel.tar.gz" datasets)
expect_ok "imports a tar.gz" dss-import "$TMP/rel.tar.gz"
cmp_file "$TMP/out" "$TMP/all.jsonl" "a tar.gz gives the same bytes"
(cd "$REL" && tar cf "$TMP/dot.tar" .)
expect_ok "imports a tar whose names begin with ./" dss-import "$TMP/dot.tar"
cmp_file "$TMP/out" "$TMP/all.jsonl" "./ names give the same bytes"

# --- selection ---
expect_ok "--examples-only" dss-import --examples-only "$ZIP"
expect_where '"completion" not in r' >"$TMP/want"
same_records "$TMP/out" "$TMP/want"
ok $? "--examples-only writes exactly the example records"
expect_ok "--completions-only" dss-import --completions-only "$ZIP"
expect_where '"completion" in r' >"$TMP/want"
same_records "$TMP/out" "$TMP/want"
ok $? "--completions-only writes exactly the completion records"
expect_ok "--dataset svamp --split train" dss-import --dataset svamp --split train "$ZIP"
expect_where 'r["dataset"] == "svamp" and r["split"] == "train"' >"$TMP/want"
same_records "$TMP/out" "$TMP/want"
ok $? "--dataset and --split select one split"
is "$(wc -l < "$TMP/out" | tr -d ' ')" 1600 "svamp train: 800 examples and 800 completions (two batches)"
expect_ok "--split valid" dss-import --split valid "$ZIP"
expect_where 'r["split"] == "valid"' >"$TMP/want"
same_records "$TMP/out" "$TMP/want"
ok $? "--split valid reads the datasets that have it"
expect_ok "--dataset anli1" dss-import --dataset anli1 "$ZIP"
expect_where 'r["dataset"] == "anli1"' >"$TMP/want"
same_records "$TMP/out" "$TMP/want"
ok $? "--dataset anli1 reads its three splits"
(cd "$REL" && dss-import --completions-only --dataset esnli --split test . | wc -l) >"$TMP/n"
is "$(tr -d ' ' < "$TMP/n")" 4 "the manual's example counts the esnli test completions"
if [ -x "$BIN/dss-filter" ]; then
	dss-import --completions-only --dataset svamp "$ZIP" |
	    dss-filter --agree none 2>/dev/null | wc -l >"$TMP/n"
	is "$(tr -d ' ' < "$TMP/n")" 1000 "the manual's dss-filter --agree none example keeps all 1000"
else
	echo "ok $((_n + 1)) # SKIP dss-filter is not built"
	_n=$((_n + 1))
fi

# --- releases that are not whole ---
expect_ok "a release without SVAMP.json" dss-import --dataset svamp --examples-only "$B/no-svamp-json.zip"
head -n 1 "$TMP/out" | grep -q '"fields":{"body":"Basket 993 has 10 apples. Another has 5 apples","question":"What is 10 + 5 for basket 993?","equation":"( 10.0 + 5.0 )"}}$'
ok $? "without SVAMP.json svamp fields are derived from input and label only"
expect_ok "--examples-only needs no completions" dss-import --examples-only "$B/no-llm.zip"
is "$(wc -l < "$TMP/out" | tr -d ' ')" 1035 "all 1035 examples without llm/"

# Each broken release: status 1, the message, and not one record written.
refuse() {
	_case=$1 _re=$2; shift 2
	expect_fail 1 "$_re" "refuses $_case" dss-import "$@" "$B/$_case.zip"
	[ ! -s "$TMP/out" ]
	ok $? "$_case: nothing written"
	expect_fail 1 "$_re" "refuses $_case (directory)" dss-import "$@" "$B/$_case"
}
refuse missing-batch "^dss-import: no member 'datasets/svamp/llm/train_CoT_1\.json' in '.*': expected 300 completions$"
refuse short-middle "^dss-import: 'datasets/svamp/llm/train_CoT_0\.json': 499 completions, expected 500$"
refuse count-mismatch "^dss-import: 'datasets/cqa/llm/test_CoT_0\.json': 4 completions, expected 5$"
refuse extra-batch "^dss-import: 'datasets/svamp/llm/test_CoT_1\.json': 3 completions, expected 0$"
refuse corrupt-batch "^dss-import: 'datasets/anli1/llm/valid_CoT_0\.json': byte 41: unterminated string$"
refuse not-array "^dss-import: 'datasets/esnli/llm/test_CoT_0\.json': byte 1: not a JSON array$"
refuse number-in-batch "^dss-import: 'datasets/esnli/llm/train_CoT_0\.json': byte 7: array element is not a string$"
refuse no-llm "^dss-import: no member 'datasets/esnli/llm/train_CoT_0\.json' in '.*': expected 7 completions$"
refuse bad-label "^dss-import: 'datasets/esnli/esnli_valid\.json': line 2: field 'label' is not 0, 1 or 2$"
refuse bad-choices "^dss-import: 'datasets/cqa/cqa_train\.json': line 3: field 'choices' is not an array of 5 strings$"
refuse bad-json-line "^dss-import: 'datasets/anli1/anli1_test\.json': line 4: invalid JSON"
refuse missing-examples "^dss-import: no member 'datasets/esnli/esnli_valid\.json' in '.*'$"
refuse svamp-order "^dss-import: 'datasets/svamp/svamp_train\.json': line 1: differs from problem 993 of 'datasets/svamp/SVAMP\.json', which the official split puts at train index 0$"
refuse bad-svamp-json "^dss-import: 'datasets/svamp/SVAMP\\.json': invalid JSON near byte [0-9]+$"
# A broken split outside the selection does not matter.
expect_ok "a broken split that is not selected is not read" \
    dss-import --dataset cqa --split train "$B/count-mismatch.zip"
expect_fail 1 "^dss-import: no dataset 'cqa' in '.*no-cqa\.zip'$" "refuses a dataset the release lacks" \
    dss-import --dataset cqa "$B/no-cqa.zip"
expect_ok "without --dataset the others are read" dss-import "$B/no-cqa.zip"
is "$(grep -c '"dataset":"cqa"' "$TMP/out")" 0 "no cqa records"

# --- not a release ---
python3 - "$ZIP" "$TMP/crc.zip" <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = [i for i in z.infolist() if i.filename == "datasets/svamp/svamp_train.json"][0]
data = bytearray(open(sys.argv[1], "rb").read())
data[i.header_offset + 30 + len(i.filename) + len(i.extra) + i.compress_size // 2] ^= 0xFF
open(sys.argv[2], "wb").write(data)
EOF
expect_fail 1 "^dss-import: cannot read 'datasets/svamp/svamp_train\.json' in '.*crc\.zip': " \
    "refuses a zip whose member data is damaged" dss-import "$TMP/crc.zip"
[ ! -s "$TMP/out" ]
ok $? "damaged member: nothing written"
expect_ok "the undamaged datasets of that zip still import" dss-import --dataset cqa "$TMP/crc.zip"

head -c 3000 "$ZIP" >"$TMP/cut.zip"
expect_fail 1 "^dss-import: cannot read .*'.*cut\.zip'.*[Tt]runcated" "refuses a truncated zip" \
    dss-import "$TMP/cut.zip"
[ ! -s "$TMP/out" ]
ok $? "truncated zip: nothing written"
i=0
while [ $i -lt 64 ]; do printf '\001\002\003\004 not an archive \377\376\375\n'; i=$((i + 1)); done >"$TMP/noise.bin"
expect_fail 1 "^dss-import: cannot open '.*noise\.bin': " "refuses a file that is no archive" \
    dss-import "$TMP/noise.bin"
mkdir "$TMP/empty"
expect_fail 1 "^dss-import: no datasets in '.*empty'$" "refuses a directory without datasets" \
    dss-import "$TMP/empty"
(cd "$REL" && zip -q -r "$TMP/other.zip" datasets/asdiv 2>/dev/null ||
    python3 -c 'import zipfile,sys; zipfile.ZipFile(sys.argv[1],"w").writestr("datasets/asdiv/asdiv_train.json","{}\n")' "$TMP/other.zip")
expect_fail 1 "^dss-import: no datasets in '.*other\.zip'$" "refuses an archive without the four datasets" \
    dss-import "$TMP/other.zip"
expect_fail 1 "^dss-import: cannot open '.*nonexistent\.zip': No such file or directory$" \
    "refuses a missing file" dss-import "$TMP/nonexistent.zip"
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-import: cannot write 'stdout'" "reports a full stdout" \
	    sh -c "dss-import '$ZIP' > /dev/full"
fi

# --- importing twice stores everything once ---
if [ -x "$BIN/dss-store" ]; then
	dss-import "$ZIP" | dss-store "$TMP/run.db" 2>"$TMP/store1"
	ok $? "dss-import | dss-store"
	dss-import "$ZIP" | dss-store "$TMP/run.db" 2>"$TMP/store2"
	ok $? "dss-import | dss-store again"
	grep -q "2070 inserted.*examples 1035, completions 1035" "$TMP/store1"
	ok $? "the first import stores 1035 examples and 1035 completions"
	grep -q "0 inserted, 0 updated, 2070 unchanged" "$TMP/store2"
	ok $? "the second import changes nothing (stable request keys)"
else
	for i in 1 2 3 4; do
		echo "ok $((_n + 1)) # SKIP dss-store is not built"
		_n=$((_n + 1))
	done
fi

# --- the same examples as dss-fetch ---
# A release built from the bundled mirror's upstream files, as the official
# code built its own; dss-import and dss-fetch must give every example the
# same id, index, input and label, and the same value for every field
# dss-import gives (it can lack only esnli's source_id and cqa's concept,
# which the release does not hold).
if [ -x "$BIN/dss-fetch" ]; then
	MIRROR="file://$TOP/datasets/mirror"
	$MK "$TMP/mrel" --from-mirror "$TOP/datasets/mirror"
	for d in esnli anli1 cqa svamp; do
		m="$TOP/datasets/demo/$d.json"	# the manifests written for the toy mirror
		dss-fetch --mirror "$MIRROR" "$m" >"$TMP/fetch-$d.jsonl" 2>"$TMP/fetch.err"
		ok $? "dss-fetch $d from the bundled mirror"
		expect_ok "dss-import $d of a release built from the same files" \
		    dss-import --examples-only --dataset $d "$TMP/mrel"
		python3 - "$TMP/out" "$TMP/fetch-$d.jsonl" <<'EOF2'
import json, sys
imp = [json.loads(l) for l in open(sys.argv[1])]
fet = [json.loads(l) for l in open(sys.argv[2])]
lacking = {"esnli": {"source_id"}, "cqa": {"concept"}}
if len(imp) != len(fet):
    print(f"# {len(imp)} imported, {len(fet)} fetched"); sys.exit(1)
for a, b in zip(imp, fet):
    for k in ("dataset", "split", "id", "index", "input", "label"):
        if a[k] != b[k]:
            print(f"# {b['id']}: {k} {a[k]!r} != {b[k]!r}"); sys.exit(1)
    fa, fb = a["fields"], b["fields"]
    for k in fa:
        if fa[k] != fb.get(k):
            print(f"# {b['id']}: fields.{k} {fa[k]!r} != {fb.get(k)!r}"); sys.exit(1)
    if set(fb) - set(fa) - lacking.get(a["dataset"], set()):
        print(f"# {b['id']}: import lacks {set(fb) - set(fa)}"); sys.exit(1)
EOF2
		ok $? "$d: dss-import's examples are dss-fetch's (ids, inputs, labels, fields)"
	done
else
	for d in esnli anli1 cqa svamp; do
		echo "ok $((_n + 1)) # SKIP dss-fetch is not built"
		_n=$((_n + 1))
	done
fi

# --- usage ---
expect_fail 2 "^usage: dss-import" "no argument is a usage error" dss-import
expect_fail 2 "^usage: dss-import" "two arguments are a usage error" dss-import "$ZIP" "$ZIP"
expect_fail 2 "^dss-import: unknown dataset 'asdiv' \(known: esnli, anli1, cqa, svamp\)$" \
    "an unknown dataset is a usage error" dss-import --dataset asdiv "$ZIP"
expect_fail 2 "^dss-import: unknown split 'dev' \(known: train, valid, test\)$" \
    "an unknown split is a usage error" dss-import --split dev "$ZIP"
expect_fail 2 "^dss-import: dataset 'svamp' has no split 'valid'$" \
    "svamp has no valid split" dss-import --dataset svamp --split valid "$ZIP"
expect_fail 2 "^dss-import: --completions-only and --examples-only exclude each other$" \
    "--completions-only with --examples-only is a usage error" \
    dss-import --completions-only --examples-only "$ZIP"
done_testing
