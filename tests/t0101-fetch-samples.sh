#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-fetch on excerpts of the real upstream files ($SHARED/samples), put at
# their upstream paths in a file:// mirror and read through the bundled
# manifests (excerpts: --allow-count-mismatch): the parsing rules hold on
# real data, not only on our fixtures.
. "$(dirname "$0")/lib.sh"

S="$SHARED/samples"
if [ ! -d "$S" ]; then
	echo "1..0 # SKIP no $S"
	exit 0
fi
M="$TMP/mirror"
E="$M/raw.githubusercontent.com/OanaMariaCamburu/e-SNLI/master/dataset"
mkdir -p "$E" "$M/s3.amazonaws.com/commensenseqa" "$M/dl.fbaipublicfiles.com/anli" \
    "$M/raw.githubusercontent.com/arkilpatel/SVAMP/main"
cp "$S/esnli_dev.head.csv" "$E/esnli_dev.csv"
cp "$S/cqa_v1.0_train_rand_split.head.jsonl" "$M/s3.amazonaws.com/commensenseqa/train_rand_split.jsonl"
cp "$S/SVAMP.head.json" "$M/raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json"
python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2], "anli_v1.0/R1/test.jsonl")' \
    "$M/dl.fbaipublicfiles.com/anli/anli_v1.0.zip" "$S/anli_v1.0_R1_test.head.jsonl"
field() {
	python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
v = recs[int(sys.argv[2])]
for k in sys.argv[3].split("."):
    v = v[k]
print(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)' "$TMP/out" "$@"
}

expect_ok "e-SNLI dev excerpt" dss-fetch --allow-count-mismatch --mirror "file://$M" esnli valid
is "$(wc -l <"$TMP/out" | tr -d ' ')" "$(($(wc -l <"$E/esnli_dev.csv") - 1))" "one record per e-SNLI row"
is "$(field 0 input)" "Two women are embracing while holding to go packages.</s>The sisters are hugging goodbye while holding to go packages after just eating lunch." \
    "e-SNLI input from real columns"
is "$(field 0 label) $(field 0 fields.source_id)" "neutral 4705552913.jpg#2r1n" "e-SNLI label and pairID"
is "$(field 0 fields.explanations)" '["The to go packages may not be from lunch.", "Just because two women are embracing, does not mean they are sisters.  Two women that are embracing are not necessarily hugging goodbye.", "Two women do not have to be sisters.  Embracing does not mean hugging goodbye.  The women do not have to have just finished lunch to be embracing."]' \
    "e-SNLI three explanations, quoted commas intact"

expect_ok "ANLI R1 test excerpt from a zip" dss-fetch --allow-count-mismatch --mirror "file://$M" anli1 test
is "$(wc -l <"$TMP/out" | tr -d ' ')" "$(wc -l <"$S/anli_v1.0_R1_test.head.jsonl" | tr -d ' ')" "one record per ANLI line"
is "$(field 0 fields.source_id) $(field 0 label)" "4aae63a8-fcf7-406c-a2f3-50c31c5934a9 entailment" "ANLI uid and label e"
is "$(field 0 fields.hypothesis)" "The first Ernest Jones store was opened on the continent of Europe." "ANLI hypothesis"

expect_ok "CommonsenseQA train excerpt" dss-fetch --allow-count-mismatch --mirror "file://$M" cqa train
is "$(wc -l <"$TMP/out" | tr -d ' ')" "$(wc -l <"$S/cqa_v1.0_train_rand_split.head.jsonl" | tr -d ' ')" "one record per CommonsenseQA line"
is "$(field 0 input)" "If a lantern is not for sale, where is it likely to be?
Answer Choices:
(a) antique shop
(b) house
(c) dark place" "CommonsenseQA input lists the real choices"
is "$(field 0 label) / $(field 0 fields.answer_key)" "house / B" "CommonsenseQA label is the text of answerKey"

sed '/"sha256"/d; s/"url": \("[^"]*"\),$/"url": \1/' "$TOP/datasets/svamp.json" >"$TMP/svamp.json"
expect_ok "SVAMP excerpt through an unpinned copy of the manifest" \
    dss-fetch --allow-count-mismatch --mirror "file://$M" "$TMP/svamp.json" train
is "$(wc -l <"$TMP/out" | tr -d ' ')" 30 "all 30 problems of the excerpt in train"
grep -q '"source_id":"chal-1"' "$TMP/out"
ok $? "SVAMP ID carried as source_id"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
src = {o["ID"]: o for o in json.load(open(sys.argv[2]))}
bad = [r["id"] for r in recs
       if r["input"] != src[r["fields"]["source_id"]]["Body"] + "\n" + src[r["fields"]["source_id"]]["Question"]
       or r["label"] != src[r["fields"]["source_id"]]["Equation"]
       or r["fields"]["answer"] != src[r["fields"]["source_id"]]["Answer"]]
sys.exit(1 if bad else 0)' "$TMP/out" "$S/SVAMP.head.json"
ok $? "SVAMP input is Body newline Question, label the Equation, answer the number"
done_testing
