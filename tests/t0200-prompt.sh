#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-prompt: prompt records for each dataset against golden files, the
# shipped exemplars' answer forms, --shots bounds, a record that is one of
# the exemplars left out with a warning, unknown datasets, missing fields
# named with their line, bad exemplar files and bad options.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
G="$TOP/tests/golden"
EX="$TOP/datasets/exemplars"

# Our own example records, in the record contract's shape.
cat >"$TMP/cqa.jsonl" <<'EOF'
{"dataset":"cqa","split":"train","id":"cqa-train-000000","index":0,"input":"Where do people usually keep their toothbrush?\nAnswer Choices:\n(a) garage\n(b) bathroom\n(c) car trunk\n(d) office desk\n(e) attic","label":"bathroom","fields":{"question":"Where do people usually keep their toothbrush?","choices":["garage","bathroom","car trunk","office desk","attic"],"answer_key":"B","source_id":"ours-cqa-1","concept":"toothbrush"}}
{"dataset":"cqa","split":"train","id":"cqa-train-000001","index":1,"input":"What might happen to ice cream left in the sun?\nAnswer Choices:\n(a) melt\n(b) grow\n(c) freeze\n(d) sing\n(e) harden","label":"melt","fields":{"question":"What might happen to ice cream left in the sun?","choices":["melt","grow","freeze","sing","harden"],"answer_key":"A","source_id":"ours-cqa-2","concept":"ice cream"}}
EOF
cat >"$TMP/svamp.jsonl" <<'EOF'
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"Rosa picked 35 strawberries and ate 8 of them.\nHow many strawberries does Rosa have left?","label":"( 35.0 - 8.0 )","fields":{"body":"Rosa picked 35 strawberries and ate 8 of them.","question":"How many strawberries does Rosa have left?","equation":"( 35.0 - 8.0 )","answer":27.0,"type":"Subtraction","source_id":"ours-svamp-1"}}
EOF
cat >"$TMP/esnli.jsonl" <<'EOF'
{"dataset":"esnli","split":"test","id":"esnli-test-000000","index":0,"input":"A man rides a bicycle down a hill.</s>A person is on a bike.","label":"entailment","fields":{"premise":"A man rides a bicycle down a hill.","hypothesis":"A person is on a bike.","source_id":"ours-esnli-1","explanations":["A man riding a bicycle is a person on a bike."]}}
EOF
cat >"$TMP/anli1.jsonl" <<'EOF'
{"dataset":"anli1","split":"valid","id":"anli1-valid-000000","index":0,"input":"Pinehurst Library opened in 1952 and was rebuilt after a fire in 1980.</s>The library has never burned.","label":"contradiction","fields":{"premise":"Pinehurst Library opened in 1952 and was rebuilt after a fire in 1980.","hypothesis":"The library has never burned.","source_id":"ours-anli-1","reason":"It was rebuilt after a fire."}}
EOF

for ds in cqa svamp esnli anli1; do
	expect_ok "$ds prompts" dss-prompt <"$TMP/$ds.jsonl"
	cmp_file "$TMP/out" "$G/prompt-$ds.jsonl" "$ds prompt records match the golden file"
	is "$(wc -c <"$TMP/err" | tr -d ' ')" 0 "$ds: nothing on stderr"
done
expect_ok "svamp, 2 shots, completion style" dss-prompt --shots 2 --style completion <"$TMP/svamp.jsonl"
cmp_file "$TMP/out" "$G/prompt-svamp-2-completion.jsonl" "2-shot completion prompt matches the golden file"
python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["prompt"])' <"$TMP/out" >"$TMP/flat"
cat >"$TMP/flat.want" <<'EOF'
Q: Lena baked 48 cookies and packed them equally into 6 boxes. How many cookies are in each box?
A: Lena split 48 cookies into 6 equal boxes. So each box holds 48 / 6 = 8 cookies. The answer is (48 / 6).

Q: A bus had 23 passengers. At the next stop 9 more people got on and 5 people got off. How many passengers are on the bus now?
A: The bus started with 23 passengers. After 9 got on there were 23 + 9 = 32. Then 5 got off, leaving 32 - 5 = 27. The answer is ((23 + 9) - 5).

Q: Rosa picked 35 strawberries and ate 8 of them. How many strawberries does Rosa have left?
A:
EOF
cmp_file "$TMP/flat" "$TMP/flat.want" "flat prompt: exemplars, blank lines, query and cue"

# The structure of every record, checked independently of the goldens.
cat "$TMP/cqa.jsonl" "$TMP/svamp.jsonl" "$TMP/esnli.jsonl" "$TMP/anli1.jsonl" >"$TMP/all.jsonl"
dss-prompt <"$TMP/all.jsonl" >"$TMP/all.out" 2>"$TMP/err"
python3 - "$TMP/all.jsonl" "$TMP/all.out" "$EX" <<'EOF' >"$TMP/check" 2>&1
import json, sys
ins = [json.loads(l) for l in open(sys.argv[1])]
outs = [json.loads(l) for l in open(sys.argv[2])]
assert len(ins) == len(outs), "one prompt per example"
for i, o in zip(ins, outs):
    for k, v in i.items():
        assert o[k] == v, "field %s carried through" % k
    assert set(o) - set(i) == {"prompt", "messages", "template", "style"}, sorted(o)
    ex = json.load(open("%s/%s.json" % (sys.argv[3], i["dataset"])))
    m = o["messages"]
    n = len(ex["exemplars"])
    assert len(m) == 2 + 2 * n, "system, user/assistant per exemplar, user"
    assert m[0] == {"role": "system", "content": ex["system"]}
    assert [x["role"] for x in m[1:-1]] == ["user", "assistant"] * n
    assert m[-1]["role"] == "user"
    assert o["prompt"].endswith(m[-1]["content"] + "\n" + ex["cue"])
    for k in range(n):
        block = m[1 + 2 * k]["content"] + "\n" + ex["cue"] + " " + m[2 + 2 * k]["content"]
        assert block in o["prompt"], "exemplar %d in the flat prompt" % k
        assert m[2 + 2 * k]["content"].startswith(ex["exemplars"][k]["rationale"] + " ")
    assert o["style"] == "chat" and len(o["template"]) == 64
print("ok")
EOF
is "$(cat "$TMP/check")" ok "records carry the example, and prompt and messages agree"
is "$(sed -n 3p "$TMP/all.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"][-1]["content"])')" \
	"Q: Rosa picked 35 strawberries and ate 8 of them. How many strawberries does Rosa have left?" \
	"svamp query rendered from the example's fields"
is "$(sed -n 1p "$TMP/all.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"][-1]["content"])')" \
	"Q: Where do people usually keep their toothbrush?
Answer Choices:
(a) garage
(b) bathroom
(c) car trunk
(d) office desk
(e) attic" "cqa query with lettered choices"

# The shipped exemplars: counts, balance, answers in the forms the filter parses.
python3 - "$EX" <<'EOF' >"$TMP/check" 2>&1
import json, re, sys, collections
d = sys.argv[1]
def load(ds): return json.load(open("%s/%s.json" % (d, ds)))
cqa, svamp = load("cqa"), load("svamp")
assert len(cqa["exemplars"]) == 7 and len(svamp["exemplars"]) == 7
for e in cqa["exemplars"]:
    assert len(e["choices"]) == 5
    assert e["choices"]["ABCDE".index(e["answer_key"])] == e["answer"], e
letters = collections.Counter(e["answer_key"] for e in cqa["exemplars"])
assert len(letters) == 5 and max(letters.values()) <= 2, letters
for e in svamp["exemplars"]:
    assert re.fullmatch(r"[0-9 ()+*/-]+", e["answer"]), e["answer"]
    assert eval(e["answer"]) == e["value"], e
    for n in re.findall(r"[0-9]+", e["answer"]):
        assert n in e["body"] + e["question"], (n, e)
for ds in ("esnli", "anli1"):
    x = load(ds)
    assert len(x["exemplars"]) == 5
    c = collections.Counter(e["answer"] for e in x["exemplars"])
    assert set(c) == {"entailment", "neutral", "contradiction"}, c
    assert max(c.values()) == 2, c
print("ok")
EOF
is "$(cat "$TMP/check")" ok "exemplars: 7/7/5/5, balanced labels, consistent answers"
python3 -c '
import json, sys
for l in sys.stdin:
    for m in json.loads(l)["messages"]:
        if m["role"] == "assistant":
            print(m["content"].rsplit(". ", 1)[-1] if m["content"].count(". ") else m["content"])
' <"$TMP/all.out" | sort -u >"$TMP/answers"
grep -Evx 'So the answer is \([a-e]\) [a-z ]+\.|The answer is \([0-9 ()+*/-]+\)\.|So the answer is (entailment|neutral|contradiction)\.' "$TMP/answers" >"$TMP/odd"
is "$(cat "$TMP/odd")" "" "every exemplar ends in an answer sentence of the expected form"
is "$(grep -c '^So the answer is ([a-e]) ' "$TMP/answers")" 7 "cqa answer sentences carry letter and text"

# CRLF and blank lines; a record that already has prompt fields gets new ones.
{ printf '\n'; sed 's/$/\r/' "$TMP/svamp.jsonl"; } >"$TMP/crlf.jsonl"
expect_ok "CRLF input and blank lines" dss-prompt <"$TMP/crlf.jsonl"
cmp_file "$TMP/out" "$G/prompt-svamp.jsonl" "CRLF input gives the same prompts"
dss-prompt --style completion <"$TMP/svamp.jsonl" >"$TMP/p1" 2>/dev/null
dss-prompt <"$TMP/p1" >"$TMP/p2" 2>/dev/null
cmp_file "$TMP/p2" "$G/prompt-svamp.jsonl" "prompting a prompt record replaces its prompt fields"

# Templates: stable, and different for other shots, style or file.
t() { dss-prompt "$@" <"$TMP/svamp.jsonl" | sed -n 's/.*"template":"\([0-9a-f]\{64\}\)".*/\1/p'; }
t1=$(t); t2=$(t); t3=$(t --shots 6); t4=$(t --style completion); t5=$(t --shots 7)
echo "$t1" | grep -Eqx '[0-9a-f]{64}'
ok $? "template is a hex SHA-256"
is "$t1" "$t2" "template is stable"
is "$t5" "$t1" "--shots 7 is the default for svamp"
[ "$t1" != "$t3" ] && [ "$t1" != "$t4" ] && [ "$t3" != "$t4" ]
ok $? "template changes with shots and style"
sed 's/"cue": "A:"/"cue": "Answer:"/' "$EX/svamp.json" >"$TMP/svamp-cue.json"
[ "$(t --exemplars "$TMP/svamp-cue.json")" != "$t1" ]
ok $? "template changes with the exemplar file"
is "$(t --exemplars "$EX/svamp.json")" "$t1" "--exemplars with the default file gives the same template"

# --shots bounds.
expect_ok "--shots 0" dss-prompt --shots 0 <"$TMP/svamp.jsonl"
is "$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["messages"]), repr(r["prompt"]))' <"$TMP/out")" \
	"2 'Q: Rosa picked 35 strawberries and ate 8 of them. How many strawberries does Rosa have left?\\nA:'" \
	"zero shots: the query alone"
expect_ok "--shots 7 for cqa" dss-prompt --shots 7 <"$TMP/cqa.jsonl"
expect_fail 1 "^dss-prompt: line 1: '$EX/cqa.json' holds 7 exemplars, fewer than --shots 8$" \
	"--shots above the file's exemplars" dss-prompt --shots 8 <"$TMP/cqa.jsonl"
expect_fail 1 "^dss-prompt: line 1: '$EX/esnli.json' holds 5 exemplars, fewer than --shots 6$" \
	"--shots above the NLI file's exemplars" dss-prompt --shots 6 <"$TMP/esnli.jsonl"
expect_fail 1 "^dss-prompt: '$EX/cqa.json' holds 7 exemplars, fewer than --shots 9$" \
	"--shots checked up front with --exemplars" dss-prompt --exemplars "$EX/cqa.json" --shots 9 </dev/null
expect_fail 2 "^dss-prompt: bad --shots '65': want a whole number from 0 to 64$" "--shots 65" dss-prompt --shots 65
expect_fail 2 "^dss-prompt: bad --shots '-1': " "--shots -1" dss-prompt --shots -1
expect_fail 2 "^dss-prompt: bad --shots 'two': " "--shots two" dss-prompt --shots two
expect_fail 2 "^dss-prompt: bad --shots '': " "--shots empty" dss-prompt --shots ''

# A record that is one of the exemplars is not queried.
python3 - "$EX/cqa.json" <<'EOF' >"$TMP/dup.jsonl"
import json, sys
e = json.load(open(sys.argv[1]))["exemplars"][1]
rec = {"dataset": "cqa", "split": "train", "id": "cqa-train-000042", "index": 42,
       "input": "x", "label": e["answer"],
       "fields": {"question": e["question"], "choices": e["choices"], "answer_key": e["answer_key"]}}
print(json.dumps(rec))
EOF
cat "$TMP/cqa.jsonl" "$TMP/dup.jsonl" "$TMP/cqa.jsonl" >"$TMP/withdup.jsonl"
expect_ok "an exemplar in the data is not an error" dss-prompt <"$TMP/withdup.jsonl"
is "$(cat "$TMP/err")" "dss-prompt: line 3: 'cqa-train-000042' not queried: its query is exemplar 2 of '$EX/cqa.json'
dss-prompt: 1 record not queried because it is an exemplar" "warning names line, id and exemplar"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 4 "the other records are emitted"
grep -q cqa-train-000042 "$TMP/out"
ok $((!$?)) "the exemplar record is not emitted"
expect_ok "with one shot the record is no longer an exemplar" dss-prompt --shots 1 <"$TMP/withdup.jsonl"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 5 "all records emitted with --shots 1"

# Unknown datasets and bad records.
expect_fail 1 "^dss-prompt: line 1: no exemplars for dataset 'foo' \(no file '$EX/foo.json'\)$" \
	"unknown dataset" sh -c "echo '{\"dataset\":\"foo\",\"id\":\"foo-1\",\"fields\":{}}' | dss-prompt"
badrec() {
	_want=$1 _rec=$2
	printf '%s\n%s\n' "$(sed -n 1p "$TMP/esnli.jsonl")" "$_rec" >"$TMP/bad.jsonl"
	expect_fail 1 "^dss-prompt: line 2: $_want\$" "rejects: $_want" dss-prompt <"$TMP/bad.jsonl"
	is "$(wc -l <"$TMP/out" | tr -d ' ')" 1 "records before the bad one are written ($_want)"
}
badrec "field 'fields.hypothesis' is missing" '{"dataset":"esnli","id":"e1","fields":{"premise":"p"}}'
badrec "field 'fields.premise' is not a string" '{"dataset":"esnli","id":"e1","fields":{"premise":3,"hypothesis":"h"}}'
badrec "field 'fields' is missing" '{"dataset":"esnli","id":"e1","input":"x","label":"neutral"}'
badrec "field 'fields' is not an object" '{"dataset":"esnli","id":"e1","fields":"x"}'
badrec "field 'dataset' is missing" '{"id":"e1","fields":{}}'
badrec "field 'dataset' is not a string" '{"dataset":1,"id":"e1","fields":{}}'
badrec "field 'id' is missing" '{"dataset":"esnli","fields":{}}'
badrec "field 'dataset' is not a dataset name" '{"dataset":"../etc","id":"e1","fields":{}}'
badrec "field 'fields.question' is missing" '{"dataset":"cqa","id":"c1","fields":{"choices":["a","b"]}}'
badrec "field 'fields.choices' holds a value that is not a string" '{"dataset":"cqa","id":"c1","fields":{"question":"q","choices":["a",2]}}'
badrec "field 'fields.choices' is empty" '{"dataset":"cqa","id":"c1","fields":{"question":"q","choices":[]}}'
badrec "invalid JSON near byte [0-9]+" '{"dataset":"esnli",'
badrec "record is not a JSON object" '"esnli"'

# --exemplars FILE and bad exemplar files.
expect_fail 1 "^dss-prompt: line 1: no exemplars for dataset 'svamp' in '$EX/cqa.json' \(it is for 'cqa'\)$" \
	"--exemplars of another dataset" dss-prompt --exemplars "$EX/cqa.json" <"$TMP/svamp.jsonl"
mkdir -p "$TMP/ds/exemplars"
cat >"$TMP/ds/exemplars/esnli.json" <<'EOF'
{"dataset":"esnli","format":1,"query":"P: {premise} H: {hypothesis}","cue":"=>","answer":"{answer:lower}!",
 "exemplars":[{"premise":"a {b}","hypothesis":"c","rationale":"r.","answer":"NEUTRAL"}]}
EOF
DSS_DATASETS="$TMP/ds" dss-prompt <"$TMP/esnli.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "DSS_DATASETS names the datasets directory"
is "$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["prompt"]); print(len(r["messages"]))' <"$TMP/out")" \
	"P: a {b} H: c
=> r. neutral!

P: A man rides a bicycle down a hill. H: A person is on a bike.
=>
3" "custom file: templates, lower case, braces in values, no system turn"
bad_file() {
	_want=$1 _name=$2
	printf '%s\n' "$3" >"$TMP/x.json"
	expect_fail 1 "^dss-prompt: '$TMP/x.json': $_want\$" "bad exemplar file: $_name" \
		dss-prompt --exemplars "$TMP/x.json" </dev/null
}
bad_file "key 'query' is missing" "no query" \
	'{"dataset":"cqa","format":1,"cue":"A:","answer":"{answer}","exemplars":[{"rationale":"r","answer":"a"}]}'
bad_file "key 'format' is not 1" "format 2" \
	'{"dataset":"cqa","format":2,"query":"q","cue":"A:","answer":"{answer}","exemplars":[]}'
bad_file "key 'exemplars' is not a non-empty array" "no exemplars" \
	'{"dataset":"cqa","format":1,"query":"q","cue":"A:","answer":"{answer}","exemplars":[]}'
bad_file "exemplar 2: field 'question' is missing" "exemplar without a query field" \
	'{"dataset":"cqa","format":1,"query":"Q: {question}","cue":"A:","answer":"{answer}","exemplars":[{"question":"q","rationale":"r","answer":"a"},{"rationale":"r","answer":"a"}]}'
bad_file "exemplar 1: field 'rationale' is missing" "exemplar without a rationale" \
	'{"dataset":"cqa","format":1,"query":"Q: {question}","cue":"A:","answer":"{answer}","exemplars":[{"question":"q","answer":"a"}]}'
bad_file "exemplar 1: template has an unmatched '\{'" "unmatched brace" \
	'{"dataset":"cqa","format":1,"query":"Q: {question","cue":"A:","answer":"{answer}","exemplars":[{"question":"q","rationale":"r","answer":"a"}]}'
bad_file "exemplar 1: template has a bad field name 'que stion'" "bad field name" \
	'{"dataset":"cqa","format":1,"query":"Q: {que stion}","cue":"A:","answer":"{answer}","exemplars":[{"question":"q","rationale":"r","answer":"a"}]}'
bad_file "key 'system' is not a string" "system not a string" \
	'{"dataset":"cqa","format":1,"query":"q","cue":"A:","answer":"{answer}","system":7,"exemplars":[{"rationale":"r","answer":"a"}]}'
bad_file "invalid JSON near byte [0-9]+" "invalid JSON" '{"dataset":"cqa",'
bad_file "not a JSON object" "not an object" '[]'
expect_fail 1 "^dss-prompt: cannot open '$TMP/none.json': No such file or directory$" "missing exemplar file" \
	dss-prompt --exemplars "$TMP/none.json"
expect_fail 1 "^dss-prompt: cannot read '$TMP/ds': Is a directory$" "exemplar file that is a directory" \
	dss-prompt --exemplars "$TMP/ds"
head -c 4194305 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
expect_fail 1 "^dss-prompt: '$TMP/big.json': larger than 4194304 bytes$" "exemplar file over 4 MiB" \
	dss-prompt --exemplars "$TMP/big.json"
cp "$EX/cqa.json" "$TMP/ds/exemplars/svamp.json"
expect_fail 1 "^dss-prompt: line 1: '$TMP/ds/exemplars/svamp.json' is for dataset 'cqa', not 'svamp'$" \
	"default file for the wrong dataset" env DSS_DATASETS="$TMP/ds" dss-prompt <"$TMP/svamp.jsonl"

# Options.
expect_fail 2 "^dss-prompt: bad --style 'json': want chat or completion$" "bad style" dss-prompt --style json
expect_fail 2 "^usage: dss-prompt \[--exemplars FILE\] \[--shots N\] \[--style chat\|completion\]$" \
	"operand" dss-prompt file.jsonl
expect_fail 2 "^usage: dss-prompt" "missing option argument" dss-prompt --shots
expect_ok "help" dss-prompt --help
grep -q '^usage: dss-prompt \[--exemplars FILE\] \[--shots N\] \[--style chat|completion\]$' "$TMP/out"
ok $? "help on stdout"
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-prompt: cannot write 'stdout'" "full stdout" \
		sh -c "dss-prompt <'$TMP/cqa.jsonl' >/dev/full"
fi

done_testing
