#!/bin/sh
# SPDX-License-Identifier: MIT
# The JSON Schemas of the record types in schemas/: they use only what
# tests/check_schema.py implements, real records pass them (dss-import's
# output on a built release, dss-fetch's golden records), hand-written
# records of every type pass them, and records broken one way at a time
# are rejected with a message naming the field.  Where the Python
# jsonschema package happens to be installed it must agree.
. "$(dirname "$0")/lib.sh"

S="$TOP/schemas"
CHECK="python3 $TOP/tests/check_schema.py"

for t in example prompt completion triple reject export export-pairs \
    export-standard export-chat; do
	expect_ok "$t schema uses only supported keywords" $CHECK --lint "$S/$t.schema.json"
done
printf '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "minLength": 1}\n' >"$TMP/bad.schema.json"
expect_fail 1 "keyword 'minLength' is not supported" "the lint refuses a keyword the checker would ignore" \
    $CHECK --lint "$TMP/bad.schema.json"
expect_fail 2 "^usage: check_schema.py" "the checker wants a schema" $CHECK

# --- real records ---
python3 "$TOP/tests/make-release.py" "$TMP/rel" --zip "$TMP/rel.zip" ||
	{ echo "Bail out! cannot build the test release"; exit 1; }
dss-import "$TMP/rel.zip" >"$TMP/all.jsonl"
ok $? "dss-import runs on the built release"
grep -v '"completion":' "$TMP/all.jsonl" >"$TMP/examples.jsonl"
grep '"completion":' "$TMP/all.jsonl" >"$TMP/completions.jsonl"
is "$(wc -l < "$TMP/examples.jsonl" | tr -d ' ') $(wc -l < "$TMP/completions.jsonl" | tr -d ' ')" \
    "1035 1035" "1035 examples and 1035 completions to check"
expect_ok "dss-import's example records match example.schema.json" \
    $CHECK "$S/example.schema.json" "$TMP/examples.jsonl"
expect_ok "dss-import's completion records match completion.schema.json" \
    $CHECK "$S/completion.schema.json" "$TMP/completions.jsonl"
expect_fail 1 "line 1: \\$: field 'teacher' is missing" "an example record is not a completion" \
    $CHECK "$S/completion.schema.json" "$TMP/examples.jsonl"
for g in "$TOP"/tests/golden/fetch-*.jsonl; do
	[ -f "$g" ] || continue
	expect_ok "dss-fetch golden $(basename "$g") matches example.schema.json" \
	    $CHECK "$S/example.schema.json" "$g"
done

# --- the other tools' records, from dss-import's: prompt, teach, filter ---
# The release's examples are prompted, its completions replayed as the
# teacher's, and the completions filtered; every record must match.
pipeline() {
	_tool=$1 _schema=$2 _name=$3; shift 3
	if [ -x "$BIN/$_tool" ]; then
		"$@" >"$TMP/piped.jsonl" 2>"$TMP/piped.err"
		ok $? "$_name runs"
		[ -s "$TMP/piped.jsonl" ]
		ok $? "$_name writes records"
		expect_ok "$_name records match $_schema.schema.json" \
		    $CHECK "$S/$_schema.schema.json" "$TMP/piped.jsonl"
	else
		for i in 1 2 3; do
			echo "ok $((_n + 1)) # SKIP $_tool is not built"
			_n=$((_n + 1))
		done
	fi
}
pipeline dss-prompt prompt "dss-prompt --style chat" \
    sh -c 'dss-prompt --style chat < "$1"' sh "$TMP/examples.jsonl"
pipeline dss-prompt prompt "dss-prompt --style completion" \
    sh -c 'dss-prompt --style completion < "$1"' sh "$TMP/examples.jsonl"
[ -x "$BIN/dss-prompt" ] && dss-prompt <"$TMP/examples.jsonl" >"$TMP/prompts.jsonl" 2>/dev/null
pipeline dss-teach completion "dss-teach replaying the release" \
    sh -c 'dss-teach --db "$1/teach.db" --teacher "replay:$1/completions.jsonl" --quiet < "$1/prompts.jsonl"' sh "$TMP"
pipeline dss-filter triple "dss-filter --agree gold" \
    dss-filter --agree gold "$TMP/completions.jsonl"
pipeline dss-filter triple "dss-filter --agree majority" \
    dss-filter --agree majority "$TMP/completions.jsonl"
pipeline dss-filter reject "dss-filter --rejects (gold)" \
    sh -c 'dss-filter --rejects "$1/rejects-gold.jsonl" "$1/completions.jsonl" >/dev/null &&
    cat "$1/rejects-gold.jsonl"' sh "$TMP"

# --- one hand-written record of each type ---
cat >"$TMP/example.jsonl" <<'EOF'
{"dataset":"cqa","split":"train","id":"cqa-train-000042","index":42,"input":"Where is a lamp kept?\nAnswer Choices:\n(a) desk\n(b) river\n(c) cloud\n(d) shoe\n(e) soup","label":"desk","fields":{"question":"Where is a lamp kept?","choices":["desk","river","cloud","shoe","soup"],"answer_key":"A","source_id":"0a1b","concept":"lamp"}}
EOF
cat >"$TMP/prompt.jsonl" <<'EOF'
{"dataset":"svamp","split":"test","id":"svamp-test-000007","index":7,"input":"Ann has 3 pens. She buys 4 more\nHow many pens does Ann have?","label":"( 3.0 + 4.0 )","fields":{"body":"Ann has 3 pens. She buys 4 more","question":"How many pens does Ann have?","equation":"( 3.0 + 4.0 )","answer":7,"type":"Addition","source_id":"chal-8"},"prompt":"Q: Ann has 3 pens. She buys 4 more\nHow many pens does Ann have?\nA:","messages":[{"role":"system","content":"Answer step by step."},{"role":"user","content":"Q: Ann has 3 pens. She buys 4 more\nHow many pens does Ann have?"}],"template":"9f86d081884c7d65","style":"chat"}
EOF
cat >"$TMP/completion.jsonl" <<'EOF'
{"dataset":"anli1","split":"valid","id":"anli1-valid-000003","index":3,"input":"A bridge crosses the river.</s>There is no bridge.","label":"contradiction","fields":{"premise":"A bridge crosses the river.","hypothesis":"There is no bridge.","source_id":"u-3","reason":""},"teacher":"openai:gpt-4o-mini","sample":1,"completion":"The premise says a bridge exists. So the answer is contradiction.","finish_reason":"stop","usage":{"prompt_tokens":812,"completion_tokens":17},"latency_ms":431,"request":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}
EOF
cat >"$TMP/triple.jsonl" <<'EOF'
{"dataset":"anli1","split":"valid","id":"anli1-valid-000003","index":3,"input":"A bridge crosses the river.</s>There is no bridge.","label":"contradiction","fields":{"premise":"A bridge crosses the river.","hypothesis":"There is no bridge.","source_id":"u-3","reason":""},"teacher":"openai:gpt-4o-mini","sample":1,"request":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","filter":"majority","rationale":"The premise says a bridge exists.","teacher_label":"contradiction","gold":"contradiction","agree":true,"votes":{"contradiction":3,"neutral":1}}
EOF
cat >"$TMP/reject.jsonl" <<'EOF'
{"dataset":"anli1","split":"valid","id":"anli1-valid-000003","index":3,"input":"A bridge crosses the river.</s>There is no bridge.","label":"contradiction","fields":{"premise":"A bridge crosses the river.","hypothesis":"There is no bridge.","source_id":"u-3","reason":""},"teacher":"openai:gpt-4o-mini","sample":2,"completion":"Bridges are common. So the answer is neutral.","finish_reason":"stop","usage":{"prompt_tokens":812,"completion_tokens":9},"latency_ms":402,"request":"fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9","teacher_label":"neutral","filter":"gold,min-rationale=20","reason":"disagree","detail":"teacher says 'neutral', gold is 'contradiction'"}
EOF
cat >"$TMP/export.jsonl" <<'EOF'
{"task":"explain","input":"explain: A bridge crosses the river.</s>There is no bridge.","target":"The premise says a bridge exists.","dataset":"anli1","id":"anli1-valid-000003","split":"valid"}
EOF
for t in example prompt completion triple reject export; do
	expect_ok "a hand-written $t record matches $t.schema.json" \
	    $CHECK "$S/$t.schema.json" "$TMP/$t.jsonl"
done

# --- broken records: TYPE, a change to record r (Python), the message ---
# Each case becomes one line of TMP/broken-TYPE.jsonl; the checker runs
# once per type and must name the case's line and field.
broken() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$TMP/broken.list"
}
: >"$TMP/broken.list"
broken example 'del r["id"]' "\\$: field 'id' is missing"
broken example 'r["id"] = "cqa-train-42"' "\\$\\.id: \"cqa-train-42\" does not match"
broken example 'r["split"] = "dev"' "\\$\\.split: \"dev\" is not one of \"train\", \"valid\", \"test\""
broken example 'r["index"] = -1' "\\$\\.index: -1 is less than 0"
broken example 'r["index"] = "42"' "\\$\\.index: \"42\" is not of type integer"
broken example 'r["index"] = 4.5' "\\$\\.index: 4\\.5 is not of type integer"
broken example 'r["label"] = None' "\\$\\.label: null is not of type string"
broken example 'r["fields"] = []' "\\$\\.fields: \\[\\] is not of type object"
broken example 'r["fields"]["choices"][2] = 3' "\\$\\.fields\\.choices\\[2\\]: 3 is not of type string"
broken example 'r["fields"]["answer_key"] = "a"' "\\$\\.fields\\.answer_key: \"a\" is not one of"
broken prompt 'del r["messages"]' "\\$: field 'messages' is missing"
broken prompt 'r["messages"][1]["role"] = "robot"' "\\$\\.messages\\[1\\]\\.role: \"robot\" is not one of"
broken prompt 'r["messages"][0]["name"] = "x"' "\\$\\.messages\\[0\\]: field 'name' is not allowed"
broken prompt 'r["template"] = "XYZ"' "\\$\\.template: \"XYZ\" does not match"
broken prompt 'r["style"] = "fewshot"' "\\$\\.style: \"fewshot\" is not one of"
broken completion 'del r["request"]' "\\$: field 'request' is missing"
broken completion 'r["request"] = "abc"' "\\$\\.request: \"abc\" does not match"
broken completion 'r["sample"] = True' "\\$\\.sample: true is not of type integer"
broken completion 'r["completion"] = None' "\\$\\.completion: null is not of type string"
broken completion 'r["usage"] = {"prompt_tokens": "812", "completion_tokens": 17}' "\\$\\.usage\\.prompt_tokens: \"812\" is not of type integer"
broken completion 'r["usage"] = {"prompt_tokens": 1}' "\\$\\.usage: field 'completion_tokens' is missing"
broken completion 'r["latency_ms"] = "fast"' "\\$\\.latency_ms: \"fast\" is not of type integer or null"
broken completion 'r["teacher"] = "palm 540b"' "\\$\\.teacher: \"palm 540b\" does not match"
broken triple 'del r["rationale"]' "\\$: field 'rationale' is missing"
broken triple 'r["agree"] = "yes"' "\\$\\.agree: \"yes\" is not of type boolean"
broken triple 'r["votes"]["neutral"] = 0' "\\$\\.votes\\.neutral: 0 is less than 1"
broken triple 'r["teacher_label"] = 3' "\\$\\.teacher_label: 3 is not of type string or null"
broken triple 'del r["filter"]' "\\$: field 'filter' is missing"
broken triple 'r["filter"] = "gold,"' "\\$\\.filter: \"gold,\" does not match"
broken triple 'r["filter"] = "best"' "\\$\\.filter: \"best\" does not match"
broken reject 'del r["reason"]' "\\$: field 'reason' is missing"
broken reject 'r["reason"] = "bad"' "\\$\\.reason: \"bad\" is not one of"
broken reject 'del r["filter"]' "\\$: field 'filter' is missing"
broken export 'r["task"] = "summarize"' "\\$\\.task: \"summarize\" is not one of \"predict\", \"explain\""
broken export 'r["input"] = None' "\\$\\.input: null is not of type string"
broken export 'r["id"] = 7' "\\$\\.id: 7 is not of type string"
broken export 'r["extra"] = 1' "\\$: field 'extra' is not allowed"
broken export 'del r["target"]' "\\$: field 'target' is missing"

python3 - "$TMP" <<'EOF'
import json, sys
T = sys.argv[1]
out = {}
for line in open(f"{T}/broken.list"):
    t, py, _ = line.rstrip("\n").split("\t")
    r = json.loads(open(f"{T}/{t}.jsonl").readline())
    exec(py)
    out.setdefault(t, []).append(json.dumps(r))
for t, recs in out.items():
    with open(f"{T}/broken-{t}.jsonl", "w") as f:
        f.write("\n".join(recs) + "\n")
EOF
for t in example prompt completion triple reject export; do
	$CHECK "$S/$t.schema.json" "$TMP/broken-$t.jsonl" 2>"$TMP/broken-$t.err"
	is "$?" 1 "$t: the checker fails on the broken $t records"
done
while IFS='	' read -r t py re; do
	eval "line=\$((\${count_$t:-0} + 1)); count_$t=\$line"
	grep -Eq -- "broken-$t\.jsonl: line $line: $re" "$TMP/broken-$t.err"
	ok $? "$t: rejects $py"
done <"$TMP/broken.list"

# Records that are not JSON at all.
printf '{"dataset": \n' >"$TMP/junk.jsonl"
expect_fail 1 "junk\\.jsonl: line 1: invalid JSON" "rejects a line that is not JSON" \
    $CHECK "$S/example.schema.json" "$TMP/junk.jsonl"

# --- agreement with the jsonschema package, when it is installed ---
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$S" "$TMP" <<'EOF'
import json, sys, jsonschema
S, T = sys.argv[1], sys.argv[2]
bad = 0
def schema(t):
    s = json.load(open(f"{S}/{t}.schema.json"))
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)
for t in ["example", "prompt", "completion", "triple", "reject", "export"]:
    v = schema(t)
    r = json.loads(open(f"{T}/{t}.jsonl").readline())
    if list(v.iter_errors(r)):
        print(f"# jsonschema rejects the {t} sample"); bad = 1
for line in open(f"{T}/broken.list"):
    t, py, _ = line.rstrip("\n").split("\t")
    r = json.loads(open(f"{T}/{t}.jsonl").readline())
    exec(py)
    if not list(schema(t).iter_errors(r)):
        print(f"# jsonschema accepts {t} with {py}"); bad = 1
for t, f in [("example", "examples"), ("completion", "completions")]:
    v = schema(t)
    for l in open(f"{T}/{f}.jsonl"):
        if list(v.iter_errors(json.loads(l))):
            print(f"# jsonschema rejects dss-import's {l[:60]}"); bad = 1; break
sys.exit(bad)
EOF
	ok $? "jsonschema agrees: schemas valid, samples pass, broken records fail"
else
	echo "ok $((_n + 1)) # SKIP the jsonschema package is not installed"
	_n=$((_n + 1))
fi
done_testing
