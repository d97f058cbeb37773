#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-filter: golden triples and rejects in gold, majority and none mode
# on completions of all four datasets, the summary line, the options, and
# every data and usage error with its message and exit status.
. "$(dirname "$0")/lib.sh"

G="$TOP/tests/golden"
IN="$G/filter-completions.jsonl"
DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS

for mode in gold majority none; do
	expect_ok "--agree $mode runs" \
	    dss-filter --agree "$mode" --rejects "$TMP/$mode.rej" "$IN"
	cp "$TMP/out" "$TMP/$mode.out"
	cp "$TMP/err" "$TMP/$mode.err"
	cmp_file "$TMP/$mode.out" "$G/filter-$mode.jsonl" "--agree $mode triples"
	cmp_file "$TMP/$mode.rej" "$G/filter-$mode.rejects.jsonl" \
	    "--agree $mode rejects"
done
is "$(head -n 1 "$TMP/gold.err")" "dss-filter: read 18, kept 8, rejected 10 (no_answer 1, truncated 2, disagree 3, ambiguous 3, tie 0, empty_rationale 1)" \
    "gold summary on stderr"
is "$(head -n 1 "$TMP/majority.err")" "dss-filter: read 18, kept 8, rejected 10 (no_answer 1, truncated 2, disagree 1, ambiguous 3, tie 2, empty_rationale 1)" \
    "majority summary on stderr"
is "$(head -n 1 "$TMP/none.err")" "dss-filter: read 18, kept 11, rejected 7 (no_answer 1, truncated 2, disagree 0, ambiguous 3, tie 0, empty_rationale 1)" \
    "none summary on stderr"
# Four datasets, one teacher: a line per dataset, none per teacher.
is "$(sed -n 2,5p "$TMP/gold.err")" "dss-filter:   dataset esnli: read 5, kept 2, rejected 3 (no_answer 0, truncated 0, disagree 2, ambiguous 0, tie 0, empty_rationale 1)
dss-filter:   dataset anli1: read 3, kept 1, rejected 2 (no_answer 0, truncated 1, disagree 0, ambiguous 1, tie 0, empty_rationale 0)
dss-filter:   dataset cqa: read 4, kept 1, rejected 3 (no_answer 1, truncated 0, disagree 0, ambiguous 2, tie 0, empty_rationale 0)
dss-filter:   dataset svamp: read 6, kept 4, rejected 2 (no_answer 0, truncated 1, disagree 1, ambiguous 0, tie 0, empty_rationale 0)" \
    "gold summary: one line per dataset"
is "$(wc -l <"$TMP/gold.err" | tr -d ' ')" 5 "  and none per teacher (there is one)"

# Every reason code appears in the rejects, with a detail.
for code in no_answer truncated disagree ambiguous tie empty_rationale; do
	grep -q "\"reason\":\"$code\"" "$TMP/majority.rej" "$TMP/gold.rej"
	ok $? "reason code $code written"
done
is "$(grep -c '"detail":"' "$TMP/gold.rej")" 10 "every reject has a detail"
is "$(grep -c '"rationale"' "$TMP/gold.rej")" 0 "rejects carry no rationale"
is "$(grep -c '"completion"' "$TMP/gold.out")" 0 "triples carry no completion"

# dss-store takes the triples as triples and the rejects as rejects.
dss-store "$TMP/store.db" <"$TMP/gold.out" 2>"$TMP/store.err"
ok $? "dss-store takes the triples"
grep -q "(triples 8)" "$TMP/store.err"
ok $? "  as 8 triples"
dss-store "$TMP/store.db" <"$TMP/gold.rej" 2>"$TMP/store.err"
ok $? "dss-store takes the rejects"
grep -q "(rejects 10)" "$TMP/store.err"
ok $? "  as 10 rejects"

# Gold is the default; stdin works like a file; no rejects file by default.
dss-filter <"$IN" >"$TMP/default.out" 2>/dev/null
ok $? "reads stdin"
cmp_file "$TMP/default.out" "$G/filter-gold.jsonl" "--agree gold is the default"
expect_ok "- reads stdin" sh -c "dss-filter - < '$IN'"

# Kept rationales never hold the answer statement or a run-on block.
bad=$(grep -cE '"rationale":"[^"]*(answer is|Q:|Premise:)' "$TMP/none.out")
is "$bad" 0 "no answer statement or run-on in a rationale"

# CRLF line ends and blank lines change nothing.
{ echo; sed 's/$/\r/' "$IN"; printf '  \t \n'; } >"$TMP/crlf.jsonl"
dss-filter "$TMP/crlf.jsonl" >"$TMP/crlf.out" 2>/dev/null
cmp_file "$TMP/crlf.out" "$G/filter-gold.jsonl" "CRLF and blank lines"
printf '%s' "$(head -n 1 "$IN")" | dss-filter >"$TMP/nonl.out" 2>/dev/null
is "$(wc -l <"$TMP/nonl.out" | tr -d ' ')" 1 "a last line without a newline is read"

# Keys written with escapes are the same keys.
head -n 1 "$IN" | sed 's/"completion":/"\\u0063ompletion":/' >"$TMP/esc.jsonl"
grep -q 'u0063ompletion' "$TMP/esc.jsonl"
ok $? "fixture with an escaped key"
dss-filter "$TMP/esc.jsonl" >"$TMP/esc.out" 2>/dev/null
head -n 1 "$G/filter-gold.jsonl" >"$TMP/esc.want"
cmp_file "$TMP/esc.out" "$TMP/esc.want" "an escaped key is read like a plain one"

# Majority mode: prompts are told apart by dataset, id and teacher.
grep '"svamp-test-000002"' "$IN" | head -n 2 >"$TMP/t2.jsonl"
grep '"svamp-test-000002"' "$IN" | tail -n 1 |
    sed 's/"teacher":"openai:gpt-4o-mini"/"teacher":"other"/' >>"$TMP/t2.jsonl"
dss-filter --agree majority "$TMP/t2.jsonl" >"$TMP/t2.out" 2>"$TMP/t2.err"
grep -q "kept 3, rejected 0" "$TMP/t2.err"
ok $? "majority: another teacher's sample is a prompt of its own"
grep -q '"teacher":"other".*"label":"(4 - 3)".*"votes":{"(4 - 3)":1}' "$TMP/t2.out"
ok $? "majority: it wins its own vote"
line=$(grep '"svamp-test-000002"' "$IN" | head -n 1)
L="$line" awk 'BEGIN { for (i = 0; i < 4097; i++) print ENVIRON["L"] }' >"$TMP/many.jsonl"
expect_fail 1 "^dss-filter: line 4097: more than 4096 samples of prompt 'svamp-test-000002'$" \
    "majority: too many samples of one prompt" \
    dss-filter --agree majority "$TMP/many.jsonl"
expect_ok "gold mode takes them" dss-filter "$TMP/many.jsonl"

# --min-rationale-chars
dss-filter --min-rationale-chars 40 --rejects "$TMP/min.rej" "$IN" \
    >"$TMP/min.out" 2>"$TMP/min.err"
ok $? "--min-rationale-chars 40 runs"
grep -q "kept 4, rejected 14 (.*empty_rationale 5)" "$TMP/min.err"
ok $? "--min-rationale-chars 40 rejects short rationales"
grep -q '"detail":"rationale has 19 characters, fewer than 40"' "$TMP/min.rej"
ok $? "empty_rationale detail names the length"
dss-filter --min-rationale-chars 0 "$IN" >"$TMP/zero.out" 2>"$TMP/zero.err"
grep -q "kept 9," "$TMP/zero.err"
ok $? "--min-rationale-chars 0 keeps an empty rationale"
grep -q '"rationale":""' "$TMP/zero.out"
ok $? "the empty rationale is written"

# Manifests decide the rules: a synonym added in $DSS_DATASETS counts.
mkdir "$TMP/ds"
for d in esnli anli1 cqa svamp; do cp "$TOP/datasets/$d.json" "$TMP/ds/"; done
sed 's/"false": "contradiction"/"false": "contradiction", "follows": "entailment"/' \
    "$TOP/datasets/esnli.json" >"$TMP/ds/esnli.json"
head -n 1 "$IN" | sed 's/Answer: entailment\\n/Answer: follows\\n/' >"$TMP/follows.jsonl"
grep -q 'Answer: follows' "$TMP/follows.jsonl"
ok $? "fixture with a custom synonym"
DSS_DATASETS="$TMP/ds" dss-filter "$TMP/follows.jsonl" >"$TMP/out" 2>"$TMP/err"
grep -q '"teacher_label":"entailment"' "$TMP/out"
ok $? "a manifest synonym maps to its label"
dss-filter "$TMP/follows.jsonl" >"$TMP/out" 2>"$TMP/err"
grep -q "kept 0, rejected 1 (no_answer 1" "$TMP/err"
ok $? "without it the answer is not read"

# Data errors: message names the line and field; exit 1; no rejects file.
# Bad records, each a copy of a good one with one field broken.
python3 - "$IN" "$TMP" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
first = recs[0]
cqa = next(r for r in recs if r["id"] == "cqa-test-000000")
svamp = next(r for r in recs if r["id"] == "svamp-test-000001")
def put(name, base, edit, before=()):
    r = json.loads(json.dumps(base))
    edit(r)
    with open(sys.argv[2] + "/" + name, "w") as f:
        for b in before:
            f.write(json.dumps(b) + "\n")
        f.write(json.dumps(r) + "\n")
def setf(path, value):
    def edit(r):
        d = r
        for k in path[:-1]:
            d = d[k]
        if value is KeyError:
            del d[path[-1]]
        else:
            d[path[-1]] = value
    return edit
put("e1", first, setf(["completion"], KeyError), before=[first])
put("e2", first, setf(["completion"], 5))
put("e3", first, setf(["label"], KeyError))
put("e4", first, setf(["label"], ["entailment"]))
put("e5", first, setf(["dataset"], "imdb"))
put("e6", first, setf(["dataset"], "../esnli"))
put("e7", first, setf(["finish_reason"], 3))
put("e8", first, setf(["teacher"], {}))
put("e9", first, setf(["id"], KeyError))
put("e10", first, setf(["dataset"], KeyError))
put("e11", cqa, setf(["fields", "choices"], KeyError))
put("e12", cqa, setf(["fields", "choices", 1], 2))
put("e13", cqa, setf(["fields", "choices"], "kitchen"))
put("e14", cqa, setf(["fields"], KeyError))
put("e15", svamp, setf(["label"], "( 3.0 + )"))
put("utf8", first, setf(["completion"], "\u00c9\u00e9.\nAnswer: entailment"))
PY
dss-filter --min-rationale-chars 3 "$TMP/utf8" >"$TMP/out" 2>"$TMP/err"
grep -q "kept 1," "$TMP/err"
ok $? "--min-rationale-chars counts characters, not bytes"
dss-filter --min-rationale-chars 4 "$TMP/utf8" >"$TMP/out" 2>"$TMP/err"
grep -q "kept 0, rejected 1 (.*empty_rationale 1)" "$TMP/err"
ok $? "--min-rationale-chars 4 rejects a 3-character rationale"
expect_fail 1 "^dss-filter: line 2: field 'completion' is missing$" \
    "missing completion" dss-filter --rejects "$TMP/e1.rej" "$TMP/e1"
[ ! -e "$TMP/e1.rej" ] && [ -z "$(ls "$TMP" | grep 'e1.rej.tmp')" ]
ok $? "no rejects file, no temporary left after an error"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 1 "records before the bad one were written"
expect_fail 1 "^dss-filter: line 1: field 'completion' is not a string$" \
    "completion not a string" dss-filter "$TMP/e2"
expect_fail 1 "^dss-filter: line 1: field 'label' is missing$" \
    "gold mode needs a label" dss-filter "$TMP/e3"
expect_ok "majority mode needs no label" dss-filter --agree majority "$TMP/e3"
grep -q '"gold":null,"agree":null' "$TMP/out"
ok $? "without a label gold and agree are null"
expect_fail 1 "^dss-filter: line 1: field 'label' is not a string$" \
    "label not a string" dss-filter --agree none "$TMP/e4"
expect_fail 1 "^dss-filter: line 1: unknown dataset 'imdb'" \
    "unknown dataset" dss-filter "$TMP/e5"
expect_fail 1 "^dss-filter: line 1: unknown dataset '../esnli'$" \
    "a dataset name is never a path" dss-filter "$TMP/e6"
expect_fail 1 "^dss-filter: line 1: field 'finish_reason' is not a string$" \
    "finish_reason not a string" dss-filter "$TMP/e7"
expect_fail 1 "^dss-filter: line 1: field 'teacher' is not a string$" \
    "teacher not a string" dss-filter "$TMP/e8"
expect_fail 1 "^dss-filter: line 1: field 'id' is missing$" \
    "missing id" dss-filter "$TMP/e9"
expect_fail 1 "^dss-filter: line 1: field 'dataset' is missing$" \
    "missing dataset" dss-filter "$TMP/e10"
expect_fail 1 "^dss-filter: line 1: field 'fields.choices' is missing$" \
    "cqa needs its choices" dss-filter "$TMP/e11"
expect_fail 1 "^dss-filter: line 1: field 'fields.choices' holds a value that is not a string$" \
    "choices must be strings" dss-filter "$TMP/e12"
expect_fail 1 "^dss-filter: line 1: field 'fields.choices' is not an array" \
    "choices must be an array" dss-filter "$TMP/e13"
expect_fail 1 "^dss-filter: line 1: field 'fields' is missing$" \
    "cqa needs fields" dss-filter "$TMP/e14"
expect_fail 1 "^dss-filter: line 1: field 'label' is not an equation: byte 8: unexpected '\)'$" \
    "svamp gold label must evaluate" dss-filter "$TMP/e15"
{ head -n 1 "$IN"; echo '{"dataset": '; } >"$TMP/e16"
expect_fail 1 "^dss-filter: line 2: invalid JSON" "invalid JSON" \
    dss-filter "$TMP/e16"
{ head -n 1 "$IN"; echo '[1, 2]'; } >"$TMP/e17"
expect_fail 1 "^dss-filter: line 2: record is not a JSON object$" \
    "record not an object" dss-filter "$TMP/e17"
{ head -n 1 "$IN"; sed -n 2p "$IN"; head -n 1 "$IN"; } >"$TMP/e18"
expect_fail 1 "^dss-filter: line 3: prompt 'esnli-test-000000' of teacher 'openai:gpt-4o-mini' reappears after other prompts" \
    "majority: a prompt that reappears" dss-filter --agree majority "$TMP/e18"
expect_ok "gold mode does not group" dss-filter "$TMP/e18"
expect_fail 1 "^dss-filter: cannot open '$TMP/nope.jsonl': No such file" \
    "missing input file" dss-filter "$TMP/nope.jsonl"
expect_fail 1 "^dss-filter: cannot create '$TMP/no/dir/r.jsonl'" \
    "rejects file in a missing directory" \
    dss-filter --rejects "$TMP/no/dir/r.jsonl" "$IN"
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-filter: cannot write 'stdout'" "a full stdout fails" \
	    sh -c "dss-filter '$IN' > /dev/full"
fi

# Usage errors: exit 2 with usage on stderr.
expect_fail 2 "^dss-filter: bad --agree 'vote': want gold, majority or none$" \
    "bad --agree" dss-filter --agree vote "$IN"
grep -q "^usage: dss-filter" "$TMP/err"
ok $? "bad --agree prints usage"
expect_fail 2 "^dss-filter: bad --min-rationale-chars 'ten': want a whole number from 0 to 1000000$" \
    "bad --min-rationale-chars" dss-filter --min-rationale-chars ten "$IN"
expect_fail 2 "^dss-filter: bad --min-rationale-chars '-1': want a whole number from 0 to 1000000$" \
    "negative --min-rationale-chars" dss-filter --min-rationale-chars -1 "$IN"
expect_fail 2 "^usage: dss-filter" "two input files" dss-filter "$IN" "$IN"
expect_fail 2 "^usage: dss-filter" "--rejects needs a file" dss-filter --rejects

# The usage line matches the manual's SYNOPSIS.
syn=$(mandoc -Tutf8 "$TOP/man/dss-filter.1" 2>/dev/null | sed 's/.\x08//g' |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' '  ' |
    sed 's/^ //; s/ $//')
use=$(dss-filter --help | head -n 1 | sed 's/^usage: //')
is "$syn" "$use" "usage line matches the SYNOPSIS"
done_testing
