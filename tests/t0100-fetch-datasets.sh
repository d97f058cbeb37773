#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-fetch: every dataset from a loopback HTTP mirror serving the bundled
# fixtures, read with the demo manifests written for them (exact records,
# order, ids, inputs and labels against golden files), the real manifests
# refusing the toy counts and SVAMP's toy file (with advice), split
# selection, the file:// mirror, DSS_MIRROR, the cache and --offline, and
# every error a user can hit: unknown dataset or split, usage, broken
# manifests and broken upstream data.
. "$(dirname "$0")/lib.sh"

MIRROR_DIR="$TOP/datasets/mirror"
DEMO="$TOP/datasets/demo"
GOLD="$TOP/tests/golden"
start_server PORT python3 "$TOP/tests/servers/mirror.py" "$MIRROR_DIR"
HTTP="http://127.0.0.1:$PORT"

# --- every dataset over HTTP, against golden records ---
for d in esnli anli1 cqa; do
	expect_ok "fetch $d from the HTTP mirror" dss-fetch --mirror "$HTTP" "$DEMO/$d.json"
	cmp_file "$TMP/out" "$GOLD/fetch-$d.jsonl" "$d records match the golden file"
	cp "$TMP/err" "$TMP/err-$d"
done
grep -q "^dss-fetch: esnli train: 53 examples, 1 skipped without a usable label$" "$TMP/err-esnli"
ok $? "esnli train: both files in order, the '-' row skipped and counted"
grep -q "^dss-fetch: esnli valid: 20 examples, 1 skipped" "$TMP/err-esnli"
ok $? "esnli valid count and skip on stderr"
grep -q "^dss-fetch: esnli test: 18 examples, 0 skipped" "$TMP/err-esnli"
ok $? "esnli test count on stderr"
grep -q "warning" "$TMP/err-esnli"
is $? 1 "no count warning: the demo manifests give the toy counts"

# The real manifests keep the real counts: the toy files are refused, and
# nothing is written or cached; --allow-count-mismatch takes them, warning.
expect_fail 1 "^dss-fetch: esnli train has 53 examples where the manifest expects 549367 \(--allow-count-mismatch accepts that, for a deliberately partial mirror\)$" \
    "a split whose count is not the manifest's is an error" \
    env DSS_CACHE="$TMP/cache-count" dss-fetch --mirror "$HTTP" esnli
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written on a count mismatch"
is "$(find "$TMP/cache-count" -type f ! -name '*.part' 2>/dev/null)" "" \
    "nothing cached on a count mismatch, not even the lock file"
is "$(find "$TMP/cache-count" -name 'esnli_train_*' 2>/dev/null)" "" \
    "the files counted wrong are deleted (those not read yet stay .part files, to resume)"
sed 's/"count": 18 }/"count": 19 }/' "$DEMO/esnli.json" >"$TMP/esnli-19.json"
expect_fail 1 "^dss-fetch: esnli test has 18 examples where the manifest expects 19 " \
    "the count of a later split is checked before the first record" \
    env DSS_CACHE="$TMP/cache-count" dss-fetch --mirror "$HTTP" "$TMP/esnli-19.json" valid test
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written when a later split's count is wrong"
expect_ok "--allow-count-mismatch takes a partial mirror" \
    env DSS_CACHE="$TMP/cache-count" dss-fetch --allow-count-mismatch --mirror "$HTTP" esnli
cmp_file "$TMP/out" "$GOLD/fetch-esnli.jsonl" "records with --allow-count-mismatch"
grep -q "^dss-fetch: warning: esnli train has 53 examples where the manifest expects 549367$" "$TMP/err"
ok $? "--allow-count-mismatch: the count is warned about"
grep -q "^dss-fetch: anli1 train: 30 examples, 1 skipped" "$TMP/err-anli1"
ok $? "anli1 train: the row with an unknown label is skipped and counted"
grep -q "^dss-fetch: cqa train: 24 examples, 1 skipped" "$TMP/err-cqa"
ok $? "cqa train: an answerKey naming no choice is skipped and counted"
grep -q "^dss-fetch: cqa test: 12 examples" "$TMP/err-cqa"
ok $? "cqa test comes from the dev file"
is "$(grep -c '"split":"valid"' "$GOLD/fetch-cqa.jsonl")" 0 "cqa has no valid split"

# Spot checks of the golden files themselves, against the upstream formats.
is "$(sed -n 1p "$GOLD/fetch-esnli.jsonl" | grep -o '"id":"[^"]*","index":[0-9]*')" \
    '"id":"esnli-train-000000","index":0' "first id and index"
is "$(sed -n 54p "$GOLD/fetch-esnli.jsonl" | grep -o '"id":"[^"]*"')" \
    '"id":"esnli-valid-000000"' "esnli valid starts after 53 train records"
grep -q '"id":"esnli-train-000029","index":29,"input":"Three musicians play violins' "$GOLD/fetch-esnli.jsonl"
ok $? "esnli train continues from file 1 into file 2 without a gap"
grep -q '"input":"A woman in a red coat is walking a small dog along the beach.</s>A woman is outside with a dog.","label":"entailment"' "$GOLD/fetch-esnli.jsonl"
ok $? "NLI input is premise</s>hypothesis"
grep -q 'Saying \\"someone is selling food\\" is a shorter way' "$GOLD/fetch-esnli.jsonl"
ok $? "doubled quotes in CSV become one quote"
grep -q '"explanations":\["[^"]*","[^"]*","[^"]*"\]' "$GOLD/fetch-esnli.jsonl"
ok $? "dev/test rows carry three explanations"
grep -q 'something else,\\nnot what the first shows' "$GOLD/fetch-esnli.jsonl"
ok $? "embedded newline inside a quoted CSV field is kept"
grep -q '"input":"Where would you leave a wet umbrella before entering a house?\\nAnswer Choices:\\n(a) porch\\n(b) kitchen sink\\n(c) oven\\n(d) bookshelf\\n(e) bed","label":"porch"' "$GOLD/fetch-cqa.jsonl"
ok $? "cqa input lists choices (a)-(e) and the label is the answer text"
grep -q '"label":"contradiction","fields":{"premise":"Marrowby' "$GOLD/fetch-anli1.jsonl"
ok $? "anli1 labels map c to contradiction"

# --- SVAMP: the official 800/200 permutation split on a 1,000-problem file ---
expect_ok "fetch svamp with the demo manifest" dss-fetch --mirror "$HTTP" "$TOP/datasets/demo/svamp.json"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["id"], r["fields"]["source_id"])' "$TMP/out" >"$TMP/order"
cmp_file "$TMP/order" "$GOLD/fetch-svamp.order" "svamp ids and order follow RandomState(0).permutation(1000)"
sed -n '1,2p;800,801p;1000p' "$TMP/out" >"$TMP/some"
cmp_file "$TMP/some" "$GOLD/fetch-svamp.some.jsonl" "svamp records at the ends of both splits"
is "$(head -n 20 "$TMP/order" | sed 's/.* chal-//' | awk '{printf "%s%d", (NR > 1 ? " " : ""), $1 - 1}')" \
    "993 859 298 553 672 971 27 231 306 706 496 558 784 239 578 55 906 175 14 77" \
    "svamp train begins with the permutation in FACTS.md"
is "$(grep -c '"split":"train"' "$TMP/out") $(grep -c '"split":"test"' "$TMP/out")" "800 200" "svamp splits 800/200"
grep -q "^dss-fetch: svamp train: 800 examples, 0 skipped" "$TMP/err"
ok $? "svamp summary on stderr"
grep -q "warning" "$TMP/err"
is $? 1 "no count warning when the counts match the manifest"

expect_ok "svamp test split alone" dss-fetch --mirror "$HTTP" "$TOP/datasets/demo/svamp.json" test
is "$(wc -l <"$TMP/out" | tr -d ' ')" 200 "test split alone has 200 records"
is "$(head -c 60 "$TMP/out")" '{"dataset":"svamp","split":"test","id":"svamp-test-000000","' "test split alone starts at index 0"

expect_ok "DSS_DATASETS selects the demo manifests by name" \
    env DSS_DATASETS="$TOP/datasets/demo" dss-fetch --mirror "$HTTP" svamp train
is "$(wc -l <"$TMP/out" | tr -d ' ')" 800 "svamp train by name from DSS_DATASETS"

python3 -c '
import json, sys
keys = ("name", "format", "sources", "splits", "fields", "label", "input")
a, b = ({k: json.load(open(p)).get(k) for k in keys} for p in sys.argv[1:3])
for m in (a, b):
    m["sources"]["all"].pop("sha256")
sys.exit(a != b)' "$TOP/datasets/svamp.json" "$TOP/datasets/demo/svamp.json"
ok $? "the demo svamp manifest reads SVAMP as the real one does, but for the hash"

export DSS_CACHE="$TMP/cache-pinned"
SVAMP_MISMATCH="^dss-fetch: checksum mismatch for 'https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json': expected 5be77703a6d891ae476d7c082787ad361392aa02453b132516cdd5f4e7934e3e, got 0603408aaa4a3fea69c631c60f84e5b4ef26e9583c4d25e7b55363fb21057c68"
expect_fail 1 "$SVAMP_MISMATCH; the mirror '$HTTP' holds other data than '$TOP/datasets/svamp.json' pins: use a manifest written for that mirror$" \
    "the real svamp manifest rejects a mirror's file by its pinned hash, saying what to do" \
    dss-fetch --mirror "$HTTP" svamp
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written on a checksum mismatch"
is "$(find "$DSS_CACHE" -name SVAMP.json 2>/dev/null)" "" "the mismatching file does not enter the cache"
expect_fail 1 "$SVAMP_MISMATCH; the bundled mirror holds our own toy data, which the hash pinned in '$TOP/datasets/svamp.json' rejects: use '$TOP/datasets/demo/svamp.json', the manifest written for that mirror$" \
    "the bundled mirror's toy svamp names the demo manifest" \
    dss-fetch --mirror "file://$MIRROR_DIR/" svamp
expect_fail 1 "the bundled mirror holds our own toy data" "...as a plain path too" \
    sh -c 'cd "$1/datasets" && dss-fetch --mirror "$PWD/mirror" svamp test' sh "$TOP"
export DSS_CACHE="$TMP/cache"

# --- split selection, order of splits, mirrors and the cache ---
expect_ok "one split" dss-fetch --mirror "$HTTP" "$DEMO/esnli.json" valid
grep '"split":"valid"' "$GOLD/fetch-esnli.jsonl" >"$TMP/want"
cmp_file "$TMP/out" "$TMP/want" "esnli valid alone matches the golden valid records"
expect_ok "splits in the order asked" dss-fetch --mirror "$HTTP" "$DEMO/cqa.json" test train
{ grep '"split":"test"' "$GOLD/fetch-cqa.jsonl"; grep '"split":"train"' "$GOLD/fetch-cqa.jsonl"; } >"$TMP/want"
cmp_file "$TMP/out" "$TMP/want" "cqa test then train"

expect_ok "offline from the cache" dss-fetch --offline "$DEMO/anli1.json"
cmp_file "$TMP/out" "$GOLD/fetch-anli1.jsonl" "offline records equal the online ones"
expect_fail 1 "^dss-fetch: 'https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip' is cached from an unrecorded origin, not from upstream, and --offline is set$" \
    "the toy zip, cached for the demo manifest's pin, is no hit for the real manifest" \
    dss-fetch --offline anli1
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing on stdout then"
expect_fail 1 "^dss-fetch: .*'https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip' is not in the cache.*--offline" \
    "offline without a cached file fails naming it" \
    env DSS_CACHE="$TMP/empty-cache" dss-fetch --offline anli1
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing on stdout when offline fails"

expect_ok "file:// mirror" env DSS_CACHE="$TMP/cache-file" dss-fetch --mirror "file://$MIRROR_DIR" "$DEMO/cqa.json"
cmp_file "$TMP/out" "$GOLD/fetch-cqa.jsonl" "file:// mirror gives the same records"
expect_ok "DSS_MIRROR" env DSS_CACHE="$TMP/cache-env" DSS_MIRROR="$HTTP" dss-fetch "$DEMO/esnli.json" test
grep '"split":"test"' "$GOLD/fetch-esnli.jsonl" >"$TMP/want"
cmp_file "$TMP/out" "$TMP/want" "DSS_MIRROR acts as --mirror"
expect_ok "--cache DIR" dss-fetch --cache "$TMP/cache-opt" --mirror "$HTTP" --allow-count-mismatch cqa test
[ -f "$TMP/cache-opt/s3.amazonaws.com/commensenseqa/dev_rand_split.jsonl" ]
ok $? "--cache puts the download in DIR/HOST/PATH"
grep -q "^  \"https://s3.amazonaws.com/commensenseqa/dev_rand_split.jsonl\": {\"sha256\":\"[0-9a-f]\{64\}\",\"origin\":\"$HTTP/s3.amazonaws.com/commensenseqa/dev_rand_split.jsonl\"}$" "$TMP/cache-opt/dss.lock.json"
ok $? "an unpinned file's hash and origin (the mirrored URL) are recorded in the lock file"

# The last example of dss-fetch(1), as written there.
expect_ok "the manual's offline example runs" \
    sh -c 'cd "$1" && dss-fetch --mirror file://$PWD/datasets/mirror datasets/demo/svamp.json' sh "$TOP"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 1000 "the manual's example writes all 1,000 SVAMP examples"

mkdir -p "$TMP/inst/bin" "$TMP/inst/share/dss"
cp "$BIN/dss-fetch" "$TMP/inst/bin/"
cp -R "$TOP/datasets" "$TMP/inst/share/dss/"
expect_ok "an installed tree finds its manifests in share/dss/datasets" \
    "$TMP/inst/bin/dss-fetch" --mirror "$HTTP" --allow-count-mismatch cqa test
grep '"split":"test"' "$GOLD/fetch-cqa.jsonl" >"$TMP/want"
cmp_file "$TMP/out" "$TMP/want" "records from the installed tree"

# --- usage errors ---
expect_fail 2 "^usage: dss-fetch" "no dataset is a usage error" dss-fetch
expect_fail 2 "^dss-fetch: unknown dataset 'nope' \(known: anli1, cqa, esnli, svamp\)$" \
    "unknown dataset lists the known ones" dss-fetch nope
grep -q "^usage: dss-fetch" "$TMP/err"
ok $? "unknown dataset prints usage"
mkdir -p "$TMP/nomanifests"
expect_fail 2 "^dss-fetch: unknown dataset 'esnli' \(no manifests in '$TMP/nomanifests'\)$" \
    "an empty manifest directory is named" env DSS_DATASETS="$TMP/nomanifests" dss-fetch esnli
expect_fail 2 "^dss-fetch: invalid dataset name '\.\.'" "a name that is not a name" dss-fetch ..
expect_fail 2 "^dss-fetch: unknown split 'dev' for 'esnli' \(have train, valid, test\)$" \
    "unknown split lists the dataset's splits" dss-fetch --mirror "$HTTP" esnli train dev
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing on stdout for an unknown split"
expect_fail 2 "^dss-fetch: split 'test' is given twice$" "a split given twice is a usage error" \
    dss-fetch cqa test train test
expect_fail 2 "^dss-fetch: unknown split 'valid' for 'svamp' \(have train, test\)$" \
    "svamp has no valid split" dss-fetch svamp valid
expect_fail 2 "^usage: dss-fetch" "--mirror needs a value" dss-fetch --mirror
expect_fail 1 "^dss-fetch: cannot open '$TMP/none.json': No such file or directory$" \
    "a manifest path that does not exist" dss-fetch "$TMP/none.json"

# --- broken manifests ---
printf '{"name": "x",' >"$TMP/bad.json"
expect_fail 1 "^dss-fetch: '$TMP/bad.json': invalid JSON near byte" "manifest with invalid JSON" \
    dss-fetch "$TMP/bad.json"
head -c 16777217 /dev/zero | tr '\0' ' ' >"$TMP/huge.json"
expect_fail 1 "^dss-fetch: '$TMP/huge.json': larger than 16777216 bytes$" \
    "a manifest over 16 MiB is refused" dss-fetch "$TMP/huge.json"
rm -f "$TMP/huge.json"
cat >"$TMP/m1.json" <<JSON
{"name": "t", "format": "xml", "sources": {}, "splits": {}}
JSON
expect_fail 1 "^dss-fetch: '$TMP/m1.json': unknown format 'xml'" "manifest with an unknown format" \
    dss-fetch "$TMP/m1.json"
cat >"$TMP/m2.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "https://example.org/a.csv"}},
 "splits": {"train": {"sources": ["b"]}}, "fields": {}, "label": {"from": "y"}, "input": "x"}
JSON
expect_fail 1 "^dss-fetch: '$TMP/m2.json': split 'train' names unknown source 'b'$" \
    "manifest split naming an unknown source" dss-fetch "$TMP/m2.json"
cat >"$TMP/m3.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "https://example.org/a.csv"}},
 "splits": {"train": {"sources": ["a"]}}, "fields": {"p": "P"}, "label": {"from": "y"},
 "input": "{p}{q}"}
JSON
expect_fail 1 "^dss-fetch: '$TMP/m3.json': input: unknown field 'q'$" \
    "template naming an unknown field" dss-fetch "$TMP/m3.json"

printf 'P,L\na,yes\n' >"$TMP/local.csv"
cat >"$TMP/m4.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "file://$TMP/local.csv"}},
 "splits": {"train": {"sources": ["a"]}}, "fields": {"p": "P"}, "label": {"from": "L"},
 "input": "{p}"}
JSON
expect_fail 1 "^dss-fetch: '$TMP/m4.json': source 'a': url 'file://$TMP/local.csv' has no host \(for a local file write file://localhost/PATH\)$" \
    "a file URL without a host is refused with a hint" dss-fetch "$TMP/m4.json"
sed "s|file://$TMP|file://localhost$TMP|" "$TMP/m4.json" >"$TMP/m5.json"
expect_ok "a file://localhost source" dss-fetch "$TMP/m5.json"
is "$(cat "$TMP/out")" '{"dataset":"t","split":"train","id":"t-train-000000","index":0,"input":"a","label":"yes","fields":{"p":"a"}}' \
    "a local file read through file://localhost"

# --- broken upstream data, served by a file:// mirror of example.org ---
LOCAL="$TMP/local/example.org"
mkdir -p "$LOCAL"
fetch_local() {
	dss-fetch --mirror "file://$TMP/local" "$@"
}
csv_manifest() {
	cat >"$TMP/$1.json" <<JSON
{"name": "t", "format": "csv", "sources": {"a": {"url": "https://example.org/$1.csv"}},
 "splits": {"train": {"sources": ["a"]}},
 "fields": {"premise": "P", "hypothesis": "H"}, "label": {"from": "L"},
 "input": "{premise}</s>{hypothesis}"}
JSON
}
printf 'P,H,L\na,b,x\n"c,d\n' >"$LOCAL/c1.csv"
csv_manifest c1
expect_fail 1 "^dss-fetch: 'c1.csv': line 3: unterminated quoted field$" \
    "unterminated quote in upstream CSV names file and line" fetch_local "$TMP/c1.json"
printf 'P,L\na,x\n' >"$LOCAL/c2.csv"
csv_manifest c2
expect_fail 1 "^dss-fetch: 'c2.csv': no column 'H'$" "CSV without a needed column" fetch_local "$TMP/c2.json"
: >"$LOCAL/c3.csv"
csv_manifest c3
expect_fail 1 "^dss-fetch: 'c3.csv' has no header$" "empty CSV" fetch_local "$TMP/c3.json"
printf 'P,H,L\r\n"say ""hi""",b,yes\r\n,,\r\n' >"$LOCAL/c4.csv"
csv_manifest c4
expect_ok "CRLF CSV with a row lacking a label" fetch_local "$TMP/c4.json"
is "$(cat "$TMP/out")" '{"dataset":"t","split":"train","id":"t-train-000000","index":0,"input":"say \"hi\"</s>b","label":"yes","fields":{"premise":"say \"hi\"","hypothesis":"b"}}' \
    "CRLF CSV record, the empty label skipped"
grep -q "^dss-fetch: t train: 1 examples, 1 skipped" "$TMP/err"
ok $? "skipped row counted"

python3 -c '
import sys
sys.stdout.write("P,H,L\na,b,yes\n" + "x" * (1 << 20) + "y,b,yes\n")' >"$LOCAL/c5.csv"
csv_manifest c5
expect_fail 1 "^dss-fetch: 'c5.csv': line 3: field 1 is longer than 1048576 bytes$" \
    "a CSV field over the size limit names file, line and field" fetch_local "$TMP/c5.json"
printf 'P,H,L\na,b,yes\n' >"$LOCAL/c6.csv"
sed 's|"label": {"from": "L"}|"label": {"from": "L", "choose": {"keys": "k[]", "values": "v[]"}}|; s|c6.csv|c6.csv|' \
    "$TMP/c5.json" | sed 's|c5.csv|c6.csv|' >"$TMP/c6.json"
expect_fail 1 "^dss-fetch: 'c6.csv': label 'choose' needs a JSON format$" \
    "a CSV source with a chosen label is refused" fetch_local "$TMP/c6.json"

jsonl_manifest() {
	cat >"$TMP/$1.json" <<JSON
{"name": "t", "format": "$2", "sources": {"a": {"url": "https://example.org/$1.jsonl"$3}},
 "splits": {"train": {"sources": ["a"]}},
 "fields": {"premise": "context", "n": "meta.n"}, "label": {"from": "label"},
 "input": "{premise}"}
JSON
}
printf '{"context": "a", "label": "e"}\n{"context": "b", "label": "e"\n' >"$LOCAL/j1.jsonl"
jsonl_manifest j1 jsonl ""
expect_fail 1 "^dss-fetch: 'j1.jsonl': line 2: invalid JSON near byte [0-9]+$" \
    "invalid JSON line names file and line" fetch_local "$TMP/j1.json"
printf '{"context": "a", "label": "e", "meta": {"n": 3}}\n\n{"label": "e"}\n' >"$LOCAL/j2.jsonl"
jsonl_manifest j2 jsonl ""
expect_fail 1 "^dss-fetch: 'j2.jsonl': line 3: field 'context' is missing$" \
    "a row without an input field names file, line and field" fetch_local "$TMP/j2.json"
head -n 1 "$TMP/out" | grep -q '"fields":{"premise":"a","n":3}'
ok $? "nested path and number carried into fields"
printf '{"context": "a", "label": "e"}' >"$LOCAL/j3.jsonl"
jsonl_manifest j3 json-array ""
expect_fail 1 "^dss-fetch: 'j3.jsonl': not a JSON array$" "json-array source that is not an array" \
    fetch_local "$TMP/j3.json"
printf '[{"context": "a", "label": "e"}, 7]' >"$LOCAL/j4.jsonl"
jsonl_manifest j4 json-array ""
expect_fail 1 "^dss-fetch: 'j4.jsonl': element 2 is not a JSON object$" "json-array element that is not an object" \
    fetch_local "$TMP/j4.json"
printf '{"context": "a", "label": "e"}\n' >"$LOCAL/j5.jsonl"
jsonl_manifest j5 jsonl ', "sha256": "0000000000000000000000000000000000000000000000000000000000000000"'
expect_fail 1 "^dss-fetch: checksum mismatch for 'https://example.org/j5.jsonl': expected 0{64}, got [0-9a-f]{64}; the mirror 'file://$TMP/local' holds other data than '$TMP/j5.json' pins: use a manifest written for that mirror$" \
    "a pinned hash that does not match names file, expected and actual hash" fetch_local "$TMP/j5.json"

cat >"$TMP/tpl.json" <<JSON
{"name": "t", "format": "jsonl", "sources": {"a": {"url": "https://example.org/tpl.jsonl"}},
 "splits": {"dev": {"sources": ["a"]}},
 "fields": {"q": "q", "c": "opts[].t", "k": "k", "none": "absent"},
 "label": {"from": "k", "choose": {"keys": "opts[].id", "values": "opts[].t"}},
 "input": "{{{q}}}{c: [%A|%a|%n|%s|%%]}"}
JSON
printf '%s\n' '{"q": "Q\t1", "k": "y", "opts": [{"id": "x", "t": "one"}, {"id": "y", "t": "two"}]}' \
    '{"q": "Q2", "k": "z", "opts": [{"id": "x", "t": "one"}]}' >"$LOCAL/tpl.jsonl"
expect_ok "a template with braces, letters, numbers and a chosen label" fetch_local "$TMP/tpl.json"
is "$(cat "$TMP/out")" '{"dataset":"t","split":"dev","id":"t-dev-000000","index":0,"input":"{Q\t1} [A|a|1|one|%] [B|b|2|two|%]","label":"two","fields":{"q":"Q\t1","c":["one","two"],"k":"y","none":null}}' \
    "template expansion, choose label, absent field as null"
grep -q "^dss-fetch: t dev: 1 examples, 1 skipped" "$TMP/err"
ok $? "a key naming no choice is skipped"

python3 -c '
import json, sys
rows = [{"Body": "b%d" % i, "Question": "q", "Equation": "( 1.0 + %d.0 )" % i, "ID": "x-%d" % i}
        for i in range(1000)]
del rows[993]["Body"]
json.dump(rows, open(sys.argv[1], "w"), indent=4)' "$LOCAL/perm.json"
sed '/"sha256"/d; s|"url": "[^"]*",$|"url": "https://example.org/perm.json"|' "$TOP/datasets/svamp.json" >"$TMP/perm.json"
expect_fail 1 "^dss-fetch: 'perm.json': element 994: field 'Body' is missing$" \
    "a permuted row without an input field names its element" fetch_local "$TMP/perm.json" train
is "$(wc -l <"$TMP/out" | tr -d ' ')" 0 "the bad row comes first in permutation order, so nothing is written"

cat >"$TMP/num.json" <<JSON
{"name": "t", "format": "jsonl", "sources": {"a": {"url": "https://example.org/num.jsonl"}},
 "splits": {"test": {"sources": ["a"]}}, "fields": {"p": "premise"},
 "label": {"from": "label", "map": {"0": "entailment", "1": "neutral", "2": "contradiction"}},
 "input": "{p}"}
JSON
printf '%s\n' '{"premise": "a", "label": 2}' '{"premise": "b", "label": -1}' \
    '{"premise": "c", "label": 1.5}' '{"premise": "d", "label": "1"}' >"$LOCAL/num.jsonl"
expect_ok "integer labels through a map" fetch_local "$TMP/num.json"
is "$(grep -o '"input":"[a-z]","label":"[a-z]*"' "$TMP/out" | tr '\n' ' ')" \
    '"input":"a","label":"contradiction" "input":"d","label":"neutral" ' \
    "integer and string keys map; -1 and 1.5 have no usable label"
grep -q "^dss-fetch: t test: 2 examples, 2 skipped" "$TMP/err"
ok $? "unmapped numeric labels are skipped and counted"

for f in p1 p2; do
	for i in 0 1 2 3 4 5; do
		printf '{"q": "%s-%s", "label": "x"}\n' "$f" "$i"
	done >"$LOCAL/$f.jsonl"
done
cat >"$TMP/p12.json" <<JSON
{"name": "t", "format": "jsonl",
 "sources": {"a": {"url": "https://example.org/p1.jsonl"}, "b": {"url": "https://example.org/p2.jsonl"}},
 "splits": {"all": {"sources": ["a", "b"], "permutation": {"seed": 7, "start": 2, "end": 12}}},
 "fields": {"q": "q"}, "label": {"from": "label"}, "input": "{q}"}
JSON
expect_ok "a permutation over two JSON Lines sources" fetch_local "$TMP/p12.json"
want=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import numpy_perm
rows = ["p%d-%d" % (1 + i // 6, i % 6) for i in range(12)]
print(" ".join(rows[k] for k in numpy_perm.permutation(7, 12)[2:12]))' "$TOP/tests/unit")
is "$(grep -o '"input":"[^"]*"' "$TMP/out" | sed 's/"input":"//; s/"$//' | tr '\n' ' ' | sed 's/ $//')" "$want" \
    "rows of both files in RandomState(7).permutation(12)[2:12] order"

cp "$MIRROR_DIR/dl.fbaipublicfiles.com/anli/anli_v1.0.zip" "$LOCAL/z1.jsonl"
jsonl_manifest z1 jsonl ', "member": "anli_v1.0/R9/train.jsonl"'
expect_fail 1 "no member 'anli_v1.0/R9/train.jsonl' in" "a missing archive member is named" \
    fetch_local "$TMP/z1.json"
head -c 3000 "$MIRROR_DIR/dl.fbaipublicfiles.com/anli/anli_v1.0.zip" >"$LOCAL/z2.jsonl"
jsonl_manifest z2 jsonl ', "member": "anli_v1.0/R1/train.jsonl"'
expect_fail 1 "^dss-fetch: cannot read 'anli_v1.0/R1/train.jsonl' in '.*/example.org/z2.jsonl.part': " \
    "a truncated archive fails naming member and archive" fetch_local "$TMP/z2.json"
is "$(find "$DSS_CACHE/example.org" -name 'z2*')" "" \
    "the unreadable archive is not kept, not even as a .part"
grep -q z2 "$DSS_CACHE/dss.lock.json"
is $? 1 "and it is not in the lock file"

expect_fail 1 "^dss-fetch: cannot download 'https://s3.amazonaws.com/commensenseqa/train_rand_split.jsonl'.*404" \
    "a file missing from the mirror is an HTTP error naming the URL" \
    env DSS_CACHE="$TMP/cache-404" dss-fetch --mirror "$HTTP/nothing-here" cqa train

# --- the count memo: counts checked once are not counted again ---
MEMO="$TMP/cache-memo/dss.counts.json"
expect_ok "a first fetch counts every split before writing" \
    env DSS_CACHE="$TMP/cache-memo" dss-fetch --mirror "$HTTP" "$DEMO/esnli.json"
cp "$TMP/out" "$TMP/memo-first"
memo_counts() {
	python3 -c 'import json, sys; print(" ".join(str(v) for v in sorted(json.load(open(sys.argv[1])).values())))' "$MEMO"
}
is "$(memo_counts)" "18 20 53" "the cache keeps the counts checked, one per split"
expect_ok "a second fetch over the same files takes the counts from the memo" \
    env DSS_CACHE="$TMP/cache-memo" dss-fetch --mirror "$HTTP" "$DEMO/esnli.json"
cmp_file "$TMP/out" "$TMP/memo-first" "the same records with the memo"
is "$(memo_counts)" "18 20 53" "the memo is not added to by a run that used it"
expect_fail 1 "^dss-fetch: esnli test has 18 examples where the manifest expects 19 " \
    "a manifest that expects another count is counted again, whatever the memo" \
    env DSS_CACHE="$TMP/cache-memo" dss-fetch --mirror "$HTTP" "$TMP/esnli-19.json"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing written on that count mismatch"
is "$(memo_counts)" "18 20 20 53 53" \
    "the splits counted right are remembered for that manifest, the one counted wrong is not"
printf '{ not json' >"$MEMO"
expect_ok "a memo that does not parse is only a memo" \
    env DSS_CACHE="$TMP/cache-memo" dss-fetch --mirror "$HTTP" "$DEMO/esnli.json"
cmp_file "$TMP/out" "$TMP/memo-first" "the same records with a broken memo"
is "$(memo_counts)" "18 20 53" "and it is written anew"
expect_ok "--allow-count-mismatch counts nothing first" \
    env DSS_CACHE="$TMP/cache-memo2" dss-fetch --allow-count-mismatch --mirror "$HTTP" "$DEMO/esnli.json"
test ! -e "$TMP/cache-memo2/dss.counts.json"
ok $? "...and remembers nothing"

if [ -w /dev/full ]; then
	expect_fail 1 "^dss-fetch: cannot write 'stdout'" "a full stdout is an error" \
	    sh -c "dss-fetch --offline '$DEMO/cqa.json' > /dev/full"
fi
done_testing
