#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach --teacher replay:FILE answers from recorded completions, with
# no network and no key: JSON Lines keyed by example id (with optional
# sample, finish_reason, teacher) and OpenAI Batch output files (custom_id
# ID or ID#SAMPLE).  An example with no recording is a counted failure,
# not a crash.  Last, real teacher completions (from the shared samples)
# go through dss-teach twice against a loopback OpenAI-compatible server:
# every prompt completes, byte for byte, and the second run is served
# wholly from the cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

prompts() {
	mkanli "$1" 'Echo %d is red.' 'Echo %d is blue.' contradiction 5eed0340
}
replay() {
	_db=$1; shift
	dss-teach --db "$_db" "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
}

prompts 4 > "$TMP/p4.jsonl"

# ---- JSON Lines keyed by id ----------------------------------------------------
cat > "$TMP/rec.jsonl" <<'EOF'
{"id": "anli1-train-000000", "completion": "Red is not blue. So the answer is contradiction."}
{"id": "anli1-train-000000", "sample": 1, "completion": "Something red is not blue. So the answer is contradiction.", "finish_reason": "stop"}
{"dataset": "anli1", "id": "anli1-train-000001", "completion": "A thing has one colour here. So the answer is contradiction.", "finish_reason": "stop"}
{"id": "anli1-train-000002", "completion": "Echo 2 is red, which", "finish_reason": "length"}
EOF
replay "$TMP/r.db" --teacher "replay:$TMP/rec.jsonl" < "$TMP/p4.jsonl"
status_is 1 "replay: a prompt without a recording makes exit 1"
grep -q 'anli1-train-000003' "$TMP/err"
ok $? "replay: the missing prompt is named on stderr"
cp "$TMP/out" "$TMP/r1.out"
is "$(jsonq "$TMP/out" 'sorted(r["id"] for r in R)')" \
    '["anli1-train-000000", "anli1-train-000001", "anli1-train-000002"]' \
    "replay: the recorded prompts are emitted"
is "$(jsonq "$TMP/out" '[r["completion"] for r in R if r["id"].endswith("1")][0]')" \
    "A thing has one colour here. So the answer is contradiction." \
    "replay: the recorded text"
is "$(jsonq "$TMP/out" '[r["finish_reason"] for r in R if r["id"].endswith("2")][0]')" \
    "length" "replay: the recorded finish_reason"
is "$(jsonq "$TMP/out" 'sorted(set((r["teacher"], r["sample"]) for r in R))')" \
    '[["replay", 0]]' "replay: teacher 'replay', sample 0"
is "$(jsonq "$TMP/out" 'all(len(r["request"]) == 64 and r["fields"]["premise"].startswith("Echo") and "prompt" not in r and "messages" not in r for r in R)')" \
    true "replay: a completion record (request key, carried fields)"
is "$(sqlite3 "$TMP/r.db" 'SELECT count(*) FROM teach_cache')" 3 \
    "replay: answers go through the cache"
"$PY" "$TOP/tests/check_schema.py" "$TOP/schemas/completion.schema.json" \
    "$TMP/r1.out" 2> "$TMP/schema.err"
ok $? "replay: records match schemas/completion.schema.json"
diag "$TMP/schema.err"
replay "$TMP/r.db" --teacher "replay:$TMP/rec.jsonl" < "$TMP/p4.jsonl"
status_is 1 "replay again: still exit 1 for the missing prompt"
"$PY" -c 'import json, sys
a, b = ([{k: v for k, v in json.loads(l).items() if k != "latency_ms"} for l in open(f)] for f in sys.argv[1:])
sys.exit(0 if sorted(map(json.dumps, a)) == sorted(map(json.dumps, b)) else 1)' "$TMP/out" "$TMP/r1.out"
ok $? "replay again: the same records"
head -n 1 "$TMP/p4.jsonl" > "$TMP/p1.jsonl"
replay "$TMP/r2.db" --teacher "replay:$TMP/rec.jsonl" --samples 2 < "$TMP/p1.jsonl"
status_is 0 "replay --samples 2: exit 0 when both are recorded"
is "$(jsonq "$TMP/out" 'sorted((r["sample"], r["completion"]) for r in R)')" \
    '[[0, "Red is not blue. So the answer is contradiction."], [1, "Something red is not blue. So the answer is contradiction."]]' \
    "replay --samples 2: each sample's recording"
sed -n 2p "$TMP/p4.jsonl" > "$TMP/p1b.jsonl"
replay "$TMP/r3.db" --teacher "replay:$TMP/rec.jsonl" --samples 2 < "$TMP/p1b.jsonl"
status_is 1 "replay --samples 2: a missing second sample makes exit 1"
is "$(jsonq "$TMP/out" '[r["sample"] for r in R]')" '[0]' \
    "replay --samples 2: the recorded sample is still emitted"

printf '%s\n' '{"id": "anli1-train-000000", "teacher": "palm-540b", "completion": "PaLM said so. So the answer is contradiction."}' > "$TMP/palm.jsonl"
replay "$TMP/palm.db" --teacher "replay:$TMP/palm.jsonl" < "$TMP/p1.jsonl"
status_is 0 "replay with a teacher field: exit 0"
is "$(jsonq "$TMP/out" '[r["teacher"] for r in R]')" '["palm-540b"]' \
    "replay: the file's teacher name is used"

# ---- OpenAI Batch output ---------------------------------------------------------
"$PY" - > "$TMP/batch.jsonl" <<'EOF'
import json
def line(n, cid, text, reason="stop", status=200):
    body = {"id": "chatcmpl-b%d" % n, "object": "chat.completion",
            "created": 1700000000, "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant",
                         "content": text}, "logprobs": None,
                         "finish_reason": reason}],
            "usage": {"prompt_tokens": 40 + n, "completion_tokens": 10 + n,
                      "total_tokens": 50 + 2 * n}}
    if status != 200:
        body = {"error": {"message": "server error", "type": "server_error"}}
    print(json.dumps({"id": "batch_req_%d" % n, "custom_id": cid,
                      "response": {"status_code": status,
                                   "request_id": "req_%d" % n, "body": body},
                      "error": None}))
line(1, "anli1-train-000001", "Batch one. So the answer is contradiction.")
line(2, "anli1-train-000000#1", "Batch zero, second. So the answer is neutral.")
line(3, "anli1-train-000000", "Batch zero. So the answer is contradiction.")
line(4, "anli1-train-000002", "Batch two, cut", "length")
line(5, "anli1-train-000003", "", "stop", 500)
print(json.dumps({"id": "batch_req_6", "custom_id": "anli1-train-000004",
                  "response": None,
                  "error": {"code": "batch_expired",
                            "message": "This request could not be executed before the completion window expired."}}))
EOF
prompts 5 > "$TMP/p5.jsonl"
replay "$TMP/b.db" --teacher "replay:$TMP/batch.jsonl" < "$TMP/p5.jsonl"
status_is 1 "batch: a failed batch line makes exit 1"
grep -q 'anli1-train-000003' "$TMP/err"
ok $? "batch: a prompt whose status_code is 500 is named"
grep -q 'anli1-train-000004' "$TMP/err"
ok $? "batch: a prompt whose line has an error and no response is named"
is "$(jsonq "$TMP/out" 'sorted((r["id"], r["completion"], r["finish_reason"]) for r in R)')" \
    '[["anli1-train-000000", "Batch zero. So the answer is contradiction.", "stop"], ["anli1-train-000001", "Batch one. So the answer is contradiction.", "stop"], ["anli1-train-000002", "Batch two, cut", "length"]]' \
    "batch: text and finish_reason from the response body"
is "$(jsonq "$TMP/out" '[r["usage"] for r in R if r["id"].endswith("1")][0]')" \
    '{"completion_tokens": 11, "prompt_tokens": 41}' "batch: usage from the response body"
"$PY" "$TOP/tests/check_schema.py" "$TOP/schemas/completion.schema.json" \
    "$TMP/out" 2> "$TMP/schema.err"
ok $? "batch: records match schemas/completion.schema.json"
diag "$TMP/schema.err"
replay "$TMP/b2.db" --teacher "replay:$TMP/batch.jsonl" --samples 2 < "$TMP/p1.jsonl"
status_is 0 "batch: ID#SAMPLE custom ids"
is "$(jsonq "$TMP/out" 'sorted((r["sample"], r["completion"]) for r in R)')" \
    '[[0, "Batch zero. So the answer is contradiction."], [1, "Batch zero, second. So the answer is neutral."]]' \
    "batch: each sample from its own line"

# ---- bad replay files --------------------------------------------------------------
replay "$TMP/x.db" --teacher "replay:$TMP/no-such.jsonl" < "$TMP/p4.jsonl"
status_is 1 "replay: a missing file is exit 1"
grep -q "^dss-teach: .*'$TMP/no-such.jsonl'" "$TMP/err"
ok $? "replay: the missing file is named"
{ sed -n 1p "$TMP/rec.jsonl"; echo '{"id": "anli1-train-000001", "completion": '; } > "$TMP/broken.jsonl"
replay "$TMP/x.db" --teacher "replay:$TMP/broken.jsonl" < "$TMP/p4.jsonl"
status_is 1 "replay: a malformed line is exit 1"
grep -q "^dss-teach: .*line 2" "$TMP/err"
ok $? "replay: the malformed line is named"
printf '%s\n' '{"id": "anli1-train-000000", "completion": 42}' > "$TMP/notext.jsonl"
replay "$TMP/x.db" --teacher "replay:$TMP/notext.jsonl" < "$TMP/p1.jsonl"
status_is 1 "replay: a completion that is not a string is exit 1"
grep -q "^dss-teach: .*line 1.*'completion'" "$TMP/err"
ok $? "replay: the bad field is named"

# ---- whole teacher completions, replayed and through a loopback server ---------------
# Ours (tests/fixtures), then the real ones of the shared samples when they
# are beside the tree.
for S in "$TOP/tests/fixtures/teacher-completions.jsonl" \
    "$SHARED/samples/teacher_completions.sample.jsonl"; do
rm -f "$TMP"/real*
if [ -r "$S" ]; then
	# Prompt records and a fake-teacher script from the real completions.
	"$PY" - "$S" "$TMP/real-prompts.jsonl" "$TMP/real-script.jsonl" \
	    "$TMP/real-replay.jsonl" <<'EOF'
import json, sys
src, pf, sf, rf = sys.argv[1:]
with open(pf, "w") as p, open(sf, "w") as s, open(rf, "w") as r:
    for i, line in enumerate(open(src, encoding="utf-8")):
        x = json.loads(line)
        ex, ds = x["official_example"], x["dataset"]
        rid = "%s-train-%06d" % (ds, i)
        if "input" in ex:
            inp = ex["input"]
        elif "premise" in ex:
            inp = ex["premise"] + "</s>" + ex["hypothesis"]
        else:
            inp = ex["question"] + "\nAnswer Choices:\n" + "\n".join(
                "(%s) %s" % (c, t) for c, t in zip("abcde", ex["choices"]))
        label = str(ex.get("label", ex.get("answer")))
        text = "Q: %s\nA:" % inp
        rec = {"dataset": ds, "split": "train", "id": rid, "index": i,
               "input": inp, "label": label, "fields": {},
               "prompt": text,
               "messages": [{"role": "user", "content": "[%s]\n%s" % (rid, text)}],
               "template": "5eed0341", "style": "cot"}
        p.write(json.dumps(rec) + "\n")
        s.write(json.dumps({"match": "[%s]" % rid,
                            "completion": x["completion"]}) + "\n")
        r.write(json.dumps({"id": rid, "completion": x["completion"],
                            "teacher": "palm-540b"}) + "\n")
EOF
	n=$(wc -l < "$TMP/real-prompts.jsonl" | tr -d ' ')
	replay "$TMP/real-r.db" --teacher "replay:$TMP/real-replay.jsonl" \
	    < "$TMP/real-prompts.jsonl"
	status_is 0 "real completions replayed: exit 0"
	"$PY" - "$TMP/out" "$TMP/real-replay.jsonl" <<'EOF'
import json, sys
got = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[1])}
want = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[2])}
sys.exit(0 if got == want else 1)
EOF
	ok $? "real completions replayed: byte for byte"

	start_server port "$PY" "$FAKE" --script "$TMP/real-script.jsonl" \
	    --log "$TMP/real.log" --lifetime 300
	replay "$TMP/real.db" --teacher openai:palm-540b-stand-in \
	    --base-url "http://127.0.0.1:$port/v1" --max-tokens 512 \
	    < "$TMP/real-prompts.jsonl"
	status_is 0 "real completions over loopback: every prompt completes"
	"$PY" - "$TMP/out" "$TMP/real-replay.jsonl" <<'EOF'
import json, sys
got = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[1])}
want = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[2])}
sys.exit(0 if got == want else 1)
EOF
	ok $? "real completions over loopback: byte for byte"
	is "$(jsonq "$TMP/real.log" 'len(R)')" "$n" "real completions: one request each"
	cp "$TMP/out" "$TMP/real1.out"
	replay "$TMP/real.db" --teacher openai:palm-540b-stand-in \
	    --base-url "http://127.0.0.1:$port/v1" --max-tokens 512 \
	    < "$TMP/real-prompts.jsonl"
	status_is 0 "real completions, second run: exit 0"
	is "$(jsonq "$TMP/real.log" 'len(R)')" "$n" "second run: served wholly from the cache"
	is "$(wc -l < "$TMP/out" | tr -d ' ')" "$n" "second run: every prompt emitted"

	# The whole front of the pipeline: the examples of those completions,
	# through dss-prompt and dss-teach against a loopback server that
	# answers each prompt with its real completion.
	"$PY" - "$S" "$TMP/real-ex.jsonl" "$TMP/real-script2.jsonl" <<'EOF'
import json, sys
src, ef, sf = sys.argv[1:]
names = ["entailment", "neutral", "contradiction"]
with open(ef, "w") as e, open(sf, "w") as s:
    for i, line in enumerate(open(src, encoding="utf-8")):
        x = json.loads(line)
        ex, ds = x["official_example"], x["dataset"]
        rid = "%s-test-%06d" % (ds, i)
        if ds == "svamp":
            body, _, q = ex["input"].rpartition("\n")
            inp, label = ex["input"], ex["label"]
            fields = {"body": body, "question": q, "equation": label,
                      "answer": float(eval(label)), "type": "",
                      "source_id": "chal-%d" % i}
            match = body
        elif ds == "cqa":
            inp = ex["question"] + "\nAnswer Choices:\n" + "\n".join(
                "(%s) %s" % (c, t) for c, t in zip("abcde", ex["choices"]))
            label = ex["answer"]
            fields = {"question": ex["question"], "choices": ex["choices"],
                      "answer_key": "ABCDE"[ex["choices"].index(label)],
                      "source_id": ex["id"], "concept": ""}
            match = ex["question"]
        else:
            inp = ex["premise"] + "</s>" + ex["hypothesis"]
            label = names[ex["label"]]
            fields = {"premise": ex["premise"], "hypothesis": ex["hypothesis"],
                      "source_id": ex["uid"], "reason": ex["reason"]}
            match = ex["hypothesis"]
        e.write(json.dumps({"dataset": ds, "split": "test", "id": rid,
                            "index": i, "input": inp, "label": label,
                            "fields": fields}) + "\n")
        s.write(json.dumps({"match": match, "completion": x["completion"],
                            "id": rid}) + "\n")
EOF
	if command -v dss-prompt >/dev/null 2>&1; then
		start_server port "$PY" "$FAKE" --script "$TMP/real-script2.jsonl" \
		    --log "$TMP/real2.log" --lifetime 300
		dss-prompt < "$TMP/real-ex.jsonl" > "$TMP/real-p2.jsonl"
		is "$?" 0 "dss-prompt renders the examples"
		replay "$TMP/real2.db" --teacher openai:stand-in \
		    --base-url "http://127.0.0.1:$port/v1" --max-tokens 512 \
		    < "$TMP/real-p2.jsonl"
		status_is 0 "dss-prompt | dss-teach: every prompt completes"
		"$PY" - "$TMP/out" "$TMP/real-script2.jsonl" <<'EOF'
import json, sys
got = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[1])}
want = {json.loads(l)["id"]: json.loads(l)["completion"] for l in open(sys.argv[2])}
sys.exit(0 if got == want else 1)
EOF
		ok $? "dss-prompt | dss-teach: each example gets its real completion"
		replay "$TMP/real2.db" --teacher openai:stand-in \
		    --base-url "http://127.0.0.1:$port/v1" --max-tokens 512 \
		    < "$TMP/real-p2.jsonl"
		status_is 0 "dss-prompt | dss-teach again: exit 0"
		is "$(jsonq "$TMP/real2.log" 'len(R)')" "$n" \
		    "dss-prompt | dss-teach again: served wholly from the cache"
	else
		echo "# skipped: dss-prompt is not built"
	fi
else
	skip "whole completions: no '$S' beside the tree"
fi
done

done_testing
