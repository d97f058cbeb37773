#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach against each provider's API shape: what the fake teacher
# receives (URL path, the header the key travels in, model, messages or
# prompt, n, temperature, max_tokens, stop) and how each response is
# turned into completion records (text, finish_reason, usage, the carried
# example fields).  Also the command line and the key rules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

KEY=sk-test-0300-c0ffee

# prompts N: N prompt records (anli1 train), each naming its id in the
# prompt text so the server log can be traced back to the example.
prompts() {
	mkanli "$1" 'Alpha %d walked a dog.' 'Alpha %d owns a pet.' neutral 5eed0300 \
	    'You label sentence pairs.'
}

prompts 2 > "$TMP/p2.jsonl"
# A scripted teacher: example 0 runs on into a new few-shot block (cut by
# --stop), example 1 is long (cut by --max-tokens).
long=$(awk 'BEGIN { for (i = 0; i < 60; i++) printf "Step %02d. ", i }')
cat > "$TMP/script.jsonl" <<EOF
{"match": "anli1-train-000000", "completion": "Walking a dog does not mean owning it. So the answer is neutral.\n\nQ: Premise: next block", "finish_reason": "stop"}
{"match": "anli1-train-000001", "completion": "$long So the answer is neutral.", "finish_reason": "stop"}
EOF
NL='
'
STOP="${NL}${NL}Q:"

# ---- command line ------------------------------------------------------
expect_fail 2 "^usage: dss-teach" "no --db is a usage error" \
    dss-teach --teacher openai:m
expect_fail 2 "^usage: dss-teach" "no --teacher is a usage error" \
    dss-teach --db "$TMP/x.db"
expect_fail 2 "dss-teach: .*'nosuch" "an unknown provider is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher nosuch:m
expect_fail 2 "dss-teach: " "a bad --samples is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher openai:m --samples 0
expect_fail 2 "dss-teach: " "a bad --concurrency is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher openai:m --concurrency x
expect_fail 2 "dss-teach: " "a bad --price is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher openai:m --price 1
for opt in --timeout --retries --rpm --tpm --max-requests --max-cost \
    --temperature --max-tokens --samples --concurrency; do
	expect_fail 2 "dss-teach: .*'x'|^usage: dss-teach" "$opt x is a usage error" \
	    dss-teach --db "$TMP/x.db" --teacher openai:m "$opt" x
done
for opt in --retries --max-tokens --samples --concurrency; do
	expect_fail 2 "dss-teach: |^usage: dss-teach" "$opt -1 is a usage error" \
	    dss-teach --db "$TMP/x.db" --teacher openai:m "$opt" -1
done
expect_fail 2 "dss-teach: .*'replay:'|^usage: dss-teach" "replay: without a file is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher replay:
expect_fail 2 "dss-teach: .*'openai:'|^usage: dss-teach" "openai: without a model is a usage error" \
    dss-teach --db "$TMP/x.db" --teacher openai:
[ ! -e "$TMP/x.db" ]
ok $? "usage errors create no database"
expect_ok "--help exits 0" dss-teach --help
grep -q -- "--teacher" "$TMP/out"
ok $? "--help names --teacher"

# ---- keys ----------------------------------------------------------------
# A non-loopback base URL that can never resolve, and should dss-teach
# ever try to connect anyway, a proxy on a dead loopback port: nothing
# leaves the host, not even with the default base URL.
FAR=http://teacher.invalid/v1
offline() {
	http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 "$@"
}
expect_fail 1 "^dss-teach: environment variable 'OPENAI_API_KEY' is not set" \
    "openai: a missing key is an error" \
    offline dss-teach --db "$TMP/k.db" --teacher openai:m --base-url "$FAR" \
    < "$TMP/p2.jsonl"
expect_fail 1 "^dss-teach: environment variable 'OPENAI_API_KEY' is not set" \
    "openai-completions: a missing key is an error" \
    offline dss-teach --db "$TMP/k.db" --teacher openai-completions:m \
    --base-url "$FAR" < "$TMP/p2.jsonl"
expect_fail 1 "^dss-teach: environment variable 'ANTHROPIC_API_KEY' is not set" \
    "anthropic: a missing key is an error" \
    offline dss-teach --db "$TMP/k.db" --teacher anthropic:m \
    --base-url http://teacher.invalid < "$TMP/p2.jsonl"
expect_fail 1 "^dss-teach: environment variable 'GEMINI_API_KEY' is not set" \
    "gemini: a missing key is an error" \
    offline dss-teach --db "$TMP/k.db" --teacher gemini:m \
    --base-url http://teacher.invalid < "$TMP/p2.jsonl"
expect_fail 1 "^dss-teach: environment variable 'MY_TEACHER_KEY' is not set" \
    "--key-env names the variable" \
    offline dss-teach --db "$TMP/k.db" --teacher openai:m --key-env MY_TEACHER_KEY \
    --base-url "$FAR" < "$TMP/p2.jsonl"
expect_fail 1 "^dss-teach: environment variable 'OPENAI_API_KEY' is not set" \
    "a missing key is an error with the default base URL" \
    offline dss-teach --db "$TMP/k.db" --teacher openai:m < "$TMP/p2.jsonl"

# ---- OpenAI chat ---------------------------------------------------------
start_server port "$PY" "$FAKE" --script "$TMP/script.jsonl" \
    --require-key "$KEY" --log "$TMP/chat.log" --lifetime 300
BASE="http://127.0.0.1:$port"
OPENAI_API_KEY=$KEY expect_ok "openai chat: runs" \
    dss-teach --db "$TMP/chat.db" --teacher openai:gpt-4o-mini \
    --base-url "$BASE/v1" --samples 2 --temperature 0.7 --max-tokens 64 \
    --stop "$STOP" --quiet < "$TMP/p2.jsonl"
cp "$TMP/out" "$TMP/chat.out"
L="$TMP/chat.log"
is "$(jsonq "$L" 'sorted(set(e["path"] for e in R))')" '["/v1/chat/completions"]' \
    "openai chat: POST {base}/chat/completions"
is "$(jsonq "$L" 'len(R)')" 2 "openai chat: one request per prompt for 2 samples"
is "$(jsonq "$L" 'all(e["auth_header"] == "authorization" and e["auth_ok"] for e in R)')" \
    true "openai chat: the key goes in 'Authorization: Bearer'"
is "$(jsonq "$L" 'sorted(set(e["body"]["model"] for e in R))')" '["gpt-4o-mini"]' \
    "openai chat: model"
is "$(jsonq "$L" 'sorted(set(e["body"].get("n") for e in R))')" '[2]' \
    "openai chat: n is the number of samples"
is "$(jsonq "$L" 'sorted(set(e["body"].get("temperature") for e in R))')" '[0.7]' \
    "openai chat: temperature"
is "$(jsonq "$L" 'sorted(set(e["body"].get("max_tokens", e["body"].get("max_completion_tokens")) for e in R))')" \
    '[64]' "openai chat: max_tokens"
is "$(jsonq "$L" 'all(e["body"].get("stop") in ("\n\nQ:", ["\n\nQ:"]) for e in R)')" \
    true "openai chat: stop"
is "$(jsonq "$L" '[e["body"]["messages"] for e in R if "000001" in e["prompt"]][0]')" \
    "$(jsonq "$TMP/p2.jsonl" 'R[1]["messages"]')" \
    "openai chat: the prompt's messages are sent as they are"
is "$(jsonq "$L" 'any("prompt" in e["body"] for e in R)')" false \
    "openai chat: no 'prompt' in a chat request"

O="$TMP/chat.out"
is "$(jsonq "$O" 'len(R)')" 4 "openai chat: one record per sample"
is "$(jsonq "$O" 'sorted((r["id"], r["sample"]) for r in R)')" \
    '[["anli1-train-000000", 0], ["anli1-train-000000", 1], ["anli1-train-000001", 0], ["anli1-train-000001", 1]]' \
    "openai chat: ids and sample numbers"
is "$(jsonq "$O" 'sorted(set(r["teacher"] for r in R))')" '["openai:gpt-4o-mini"]' \
    "openai chat: teacher names provider and model"
is "$(jsonq "$O" '[r["completion"] for r in R if r["id"].endswith("0")][0]')" \
    "Walking a dog does not mean owning it. So the answer is neutral." \
    "openai chat: completion text from choices[].message.content"
is "$(jsonq "$O" 'sorted(set(r["finish_reason"] for r in R if r["id"].endswith("0")))')" \
    '["stop"]' "openai chat: finish_reason stop"
is "$(jsonq "$O" 'sorted(set(r["finish_reason"] for r in R if r["id"].endswith("1")))')" \
    '["length"]' "openai chat: finish_reason length when cut by max_tokens"
is "$(jsonq "$O" 'sorted(set(len(r["completion"]) for r in R if r["id"].endswith("1")))')" \
    '[256]' "openai chat: the cut completion is kept as sent"
is "$(jsonq "$O" 'all(set(r["usage"]) == {"prompt_tokens", "completion_tokens"} and r["usage"]["prompt_tokens"] > 0 for r in R)')" \
    true "openai chat: usage has prompt_tokens and completion_tokens"
is "$(jsonq "$O" 'len(set(r["request"] for r in R)) == 4 and all(len(r["request"]) == 64 and int(r["request"], 16) >= 0 for r in R)')" \
    true "openai chat: each sample has its own hex request key"
is "$(jsonq "$O" 'all(isinstance(r["latency_ms"], (int, float)) and r["latency_ms"] >= 0 for r in R)')" \
    true "openai chat: latency_ms"
is "$(jsonq "$O" '[{k: r[k] for k in ("dataset", "split", "id", "index", "input", "label", "fields")} for r in R if r["sample"] == 0]')" \
    "$(jsonq "$TMP/p2.jsonl" '[{k: r[k] for k in ("dataset", "split", "id", "index", "input", "label", "fields")} for r in R]')" \
    "openai chat: the example's fields are carried through"
is "$(jsonq "$O" 'any(k in r for r in R for k in ("prompt", "messages"))')" false \
    "openai chat: the prompt text is not carried"
is "$(sqlite3 "$TMP/chat.db" "SELECT count(*), count(DISTINCT request), min(provider IS NOT NULL), min(model = 'gpt-4o-mini') FROM teach_cache")" \
    "4|4|1|1" "openai chat: every sample cached"

# ---- OpenAI completions ------------------------------------------------
start_server port "$PY" "$FAKE" --script "$TMP/script.jsonl" \
    --require-key "$KEY" --log "$TMP/cmpl.log" --lifetime 300
BASE="http://127.0.0.1:$port"
OPENAI_API_KEY=$KEY expect_ok "openai completions: runs" \
    dss-teach --db "$TMP/cmpl.db" --teacher openai-completions:davinci-002 \
    --base-url "$BASE/v1" --samples 3 --temperature 0 --max-tokens 64 \
    --stop "$STOP" --quiet < "$TMP/p2.jsonl"
cp "$TMP/out" "$TMP/cmpl.out"
L="$TMP/cmpl.log"
is "$(jsonq "$L" 'sorted(set(e["path"] for e in R))')" '["/v1/completions"]' \
    "openai completions: POST {base}/completions"
is "$(jsonq "$L" 'all(e["auth_header"] == "authorization" and e["auth_ok"] for e in R)')" \
    true "openai completions: Bearer key"
is "$(jsonq "$L" '[e["body"]["prompt"] for e in R if "000000" in e["prompt"]][0]')" \
    "$(jsonq "$TMP/p2.jsonl" 'R[0]["prompt"]')" \
    "openai completions: the prompt string is sent as it is"
is "$(jsonq "$L" 'any("messages" in e["body"] for e in R)')" false \
    "openai completions: no messages"
is "$(jsonq "$L" 'sorted(set((e["body"]["model"], e["body"].get("n"), e["body"].get("temperature"), e["body"].get("max_tokens")) for e in R))')" \
    '[["davinci-002", 3, 0, 64]]' "openai completions: model, n, temperature, max_tokens"
is "$(jsonq "$TMP/cmpl.out" 'sorted((r["id"], r["sample"], r["finish_reason"]) for r in R)')" \
    '[["anli1-train-000000", 0, "stop"], ["anli1-train-000000", 1, "stop"], ["anli1-train-000000", 2, "stop"], ["anli1-train-000001", 0, "length"], ["anli1-train-000001", 1, "length"], ["anli1-train-000001", 2, "length"]]' \
    "openai completions: a record per sample with finish_reason"
is "$(jsonq "$TMP/cmpl.out" '[r["completion"] for r in R if r["id"].endswith("0")][0]')" \
    "Walking a dog does not mean owning it. So the answer is neutral." \
    "openai completions: text from choices[].text"
is "$(jsonq "$TMP/cmpl.out" 'sorted(set(r["teacher"] for r in R))')" \
    '["openai-completions:davinci-002"]' "openai completions: teacher"

# ---- Anthropic ----------------------------------------------------------
start_server port "$PY" "$FAKE" --script "$TMP/script.jsonl" --multipart \
    --require-key "$KEY" --log "$TMP/anth.log" --lifetime 300
BASE="http://127.0.0.1:$port"
ANTHROPIC_API_KEY=$KEY expect_ok "anthropic: runs" \
    dss-teach --db "$TMP/anth.db" --teacher anthropic:claude-3-5-haiku-latest \
    --base-url "$BASE" --samples 2 --temperature 0.5 --max-tokens 64 \
    --stop "$STOP" --quiet < "$TMP/p2.jsonl"
cp "$TMP/out" "$TMP/anth.out"
L="$TMP/anth.log"
is "$(jsonq "$L" 'sorted(set(e["path"] for e in R))')" '["/v1/messages"]' \
    "anthropic: POST {base}/v1/messages"
is "$(jsonq "$L" 'all(e["auth_header"] == "x-api-key" and e["auth_ok"] for e in R)')" \
    true "anthropic: the key goes in x-api-key"
is "$(jsonq "$L" 'sorted(set(e["headers"].get("anthropic-version") for e in R))')" \
    '["2023-06-01"]' "anthropic: anthropic-version 2023-06-01"
is "$(jsonq "$L" 'len(R)')" 4 "anthropic: no n, so one request per sample"
is "$(jsonq "$L" 'sorted(set((e["body"]["model"], e["body"]["max_tokens"], e["body"].get("temperature")) for e in R))')" \
    '[["claude-3-5-haiku-latest", 64, 0.5]]' "anthropic: model, max_tokens, temperature"
is "$(jsonq "$L" 'sorted(set(json.dumps(e["body"].get("system")) for e in R))')" \
    '["\"You label sentence pairs.\""]' "anthropic: the system message goes in 'system'"
is "$(jsonq "$L" '[e["body"]["messages"] for e in R if "000001" in e["prompt"]][0]')" \
    "$(jsonq "$TMP/p2.jsonl" 'R[1]["messages"][1:]')" \
    "anthropic: messages hold the rest"
is "$(jsonq "$L" 'all(e["body"].get("stop_sequences") == ["\n\nQ:"] for e in R)')" \
    true "anthropic: stop_sequences"
is "$(jsonq "$TMP/anth.out" '[r["completion"] for r in R if r["id"].endswith("0")][0]')" \
    "Walking a dog does not mean owning it. So the answer is neutral." \
    "anthropic: text is every content[].text joined"
is "$(jsonq "$TMP/anth.out" 'sorted(set(r["finish_reason"] for r in R if r["id"].endswith("1")))')" \
    '["length"]' "anthropic: max_tokens is reported as length"
is "$(jsonq "$TMP/anth.out" 'all(r["usage"]["prompt_tokens"] > 0 and r["usage"]["completion_tokens"] > 0 for r in R)')" \
    true "anthropic: usage from input_tokens and output_tokens"
is "$(jsonq "$TMP/anth.out" 'all(r["usage"]["completion_tokens"] == max(1, len(r["completion"]) // 4) for r in R)')" \
    true "anthropic: completion_tokens as the server counted them"
is "$(jsonq "$TMP/anth.out" 'len(set(r["request"] for r in R))')" 4 \
    "anthropic: each sample its own request key"
is "$(sqlite3 "$TMP/anth.db" "SELECT count(*) FROM teach_cache")" 4 \
    "anthropic: each sample its own cache entry"

# ---- Gemini --------------------------------------------------------------
start_server port "$PY" "$FAKE" --script "$TMP/script.jsonl" --multipart \
    --require-key "$KEY" --log "$TMP/gem.log" --lifetime 300
BASE="http://127.0.0.1:$port"
GEMINI_API_KEY=$KEY expect_ok "gemini: runs" \
    dss-teach --db "$TMP/gem.db" --teacher gemini:gemini-1.5-flash \
    --base-url "$BASE" --samples 2 --temperature 0.3 --max-tokens 64 \
    --stop "$STOP" --quiet < "$TMP/p2.jsonl"
cp "$TMP/out" "$TMP/gem.out"
L="$TMP/gem.log"
is "$(jsonq "$L" 'sorted(set(e["path"] for e in R))')" \
    '["/v1beta/models/gemini-1.5-flash:generateContent"]' \
    "gemini: POST {base}/v1beta/models/MODEL:generateContent"
is "$(jsonq "$L" 'all(e["auth_header"] == "x-goog-api-key" and e["auth_ok"] and not e["key_in_query"] for e in R)')" \
    true "gemini: the key goes in x-goog-api-key, not the URL"
is "$(jsonq "$L" 'all("Example anli1-train-00000" in e["prompt"] for e in R)')" true \
    "gemini: the prompt goes in contents[].parts[].text"
is "$(jsonq "$L" 'sorted(set((e["body"]["generationConfig"].get("temperature"), e["body"]["generationConfig"].get("maxOutputTokens"), json.dumps(e["body"]["generationConfig"].get("stopSequences"))) for e in R))')" \
    '[[0.3, 64, "[\"\\n\\nQ:\"]"]]' "gemini: generationConfig temperature, maxOutputTokens, stopSequences"
is "$(jsonq "$L" 'sum(e["body"]["generationConfig"].get("candidateCount", 1) for e in R)')" 4 \
    "gemini: two candidates per prompt asked for in all"
is "$(jsonq "$TMP/gem.out" 'sorted((r["id"], r["sample"]) for r in R)')" \
    '[["anli1-train-000000", 0], ["anli1-train-000000", 1], ["anli1-train-000001", 0], ["anli1-train-000001", 1]]' \
    "gemini: a record per sample"
is "$(jsonq "$TMP/gem.out" '[r["completion"] for r in R if r["id"].endswith("0")][0]')" \
    "Walking a dog does not mean owning it. So the answer is neutral." \
    "gemini: text is every candidates[].content.parts[].text joined"
is "$(jsonq "$TMP/gem.out" 'sorted(set(r["finish_reason"] for r in R if r["id"].endswith("1")))')" \
    '["length"]' "gemini: MAX_TOKENS is reported as length"
is "$(jsonq "$TMP/gem.out" 'all(r["usage"]["prompt_tokens"] > 0 and r["usage"]["completion_tokens"] > 0 for r in R)')" \
    true "gemini: usage from usageMetadata"

# ---- few-shot turns: system, user, assistant, user ---------------------------------
"$PY" - "$TMP/p2.jsonl" > "$TMP/turns.jsonl" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
r["messages"] = [
    {"role": "system", "content": "You label sentence pairs."},
    {"role": "user", "content": "Premise: A man sleeps.\nHypothesis: A man is awake.\nA:"},
    {"role": "assistant", "content": "Sleeping is not being awake. So the answer is contradiction."},
    {"role": "user", "content": r["messages"][-1]["content"]}]
print(json.dumps(r))
EOF
start_server port "$PY" "$FAKE" --require-key "$KEY" --log "$TMP/turns-a.log" \
    --lifetime 300
ANTHROPIC_API_KEY=$KEY expect_ok "anthropic few-shot turns: runs" \
    dss-teach --db "$TMP/turns-a.db" --teacher anthropic:claude \
    --base-url "http://127.0.0.1:$port" --quiet < "$TMP/turns.jsonl"
is "$(jsonq "$TMP/turns-a.log" '[[m["role"] for m in e["body"]["messages"]] for e in R]')" \
    '[["user", "assistant", "user"]]' "anthropic few-shot turns: user, assistant, user"
is "$(jsonq "$TMP/turns-a.log" '[e["body"]["messages"][1]["content"] for e in R][0]')" \
    "Sleeping is not being awake. So the answer is contradiction." \
    "anthropic few-shot turns: the assistant turn as written"
start_server port "$PY" "$FAKE" --require-key "$KEY" --log "$TMP/turns-g.log" \
    --lifetime 300
GEMINI_API_KEY=$KEY expect_ok "gemini few-shot turns: runs" \
    dss-teach --db "$TMP/turns-g.db" --teacher gemini:gemini-1.5-flash \
    --base-url "http://127.0.0.1:$port" --quiet < "$TMP/turns.jsonl"
is "$(jsonq "$TMP/turns-g.log" '[[c.get("role", "user") for c in e["body"]["contents"] if "Premise" in json.dumps(c) or "Sleeping" in json.dumps(c)] for e in R]')" \
    '[["user", "model", "user"]]' "gemini few-shot turns: user, model, user"
is "$(jsonq "$TMP/turns-g.log" 'all("You label sentence pairs." in e["prompt"] for e in R)')" true \
    "gemini few-shot turns: the system message is sent"
is "$(jsonq "$TMP/turns-g.log" '[e["status"] for e in R]')" '[200]' \
    "gemini few-shot turns: accepted"

# ---- every record keeps the completion record contract --------------------------
for o in chat cmpl anth gem; do
	"$PY" "$TOP/tests/check_schema.py" "$TOP/schemas/completion.schema.json" \
	    "$TMP/$o.out" 2> "$TMP/schema.err"
	ok $? "$o: records match schemas/completion.schema.json"
	diag "$TMP/schema.err"
done

# ---- --key-env, loopback without a key, a rejected key -------------------
start_server port "$PY" "$FAKE" --require-key "$KEY" --log "$TMP/ke.log" \
    --lifetime 300
BASE="http://127.0.0.1:$port"
MY_TEACHER_KEY=$KEY expect_ok "--key-env: runs" \
    dss-teach --db "$TMP/ke.db" --teacher openai:m --key-env MY_TEACHER_KEY \
    --base-url "$BASE/v1" --quiet < "$TMP/p2.jsonl"
is "$(jsonq "$TMP/ke.log" '[e["auth_ok"] for e in R]')" '[true, true]' \
    "--key-env: the key is read from the named variable"
OPENAI_API_KEY=sk-wrong-key-0300 expect_fail 1 "401" \
    "a rejected key fails with the status" \
    dss-teach --db "$TMP/wrong.db" --teacher openai:m --base-url "$BASE/v1" \
    --retries 1 --quiet < "$TMP/p2.jsonl"
grep -q sk-wrong-key-0300 "$TMP/err" "$TMP/out"
ok $((! $?)) "a rejected key is not echoed"
is "$(wc -l < "$TMP/out" | tr -d ' ')" 0 "a rejected key emits no records"

start_server port "$PY" "$FAKE" --log "$TMP/nokey.log" --lifetime 300
expect_ok "loopback: no key needed" \
    dss-teach --db "$TMP/nokey.db" --teacher openai:local-model \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/p2.jsonl"
is "$(wc -l < "$TMP/out" | tr -d ' ')" 2 "loopback: every prompt answered"
is "$(jsonq "$TMP/out" '[r["completion"].endswith("So the answer is entailment.") for r in R]')" \
    '[true, true]' "loopback: default completion parsed"
expect_ok "localhost: no key needed" \
    dss-teach --db "$TMP/nokey2.db" --teacher openai:local-model \
    --base-url "http://localhost:$port/v1" --quiet < "$TMP/p2.jsonl"

# ---- text that needs escaping, both ways ----------------------------------------------
"$PY" - "$TMP/p2.jsonl" "$TMP/utf8.jsonl" "$TMP/utf8-script.jsonl" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
text = 'Caf\u00e9 \u2014 \u4e2d\u6587 "quoted" back\\slash\ttab\u0001 \U0001F600\nExample utf8'
r["messages"] = [{"role": "user", "content": text}]
r["prompt"] = text
open(sys.argv[2], "w").write(json.dumps(r) + "\n")
answer = 'Na\u00efve \u201cquotes\u201d, a "raw" one, \\ and \u00b5 \U0001F914. So the answer is neutral.'
open(sys.argv[3], "w").write(json.dumps({"match": "Example utf8", "completion": answer}) + "\n")
EOF
start_server port "$PY" "$FAKE" --script "$TMP/utf8-script.jsonl" \
    --log "$TMP/utf8.log" --lifetime 300
expect_ok "escapes and UTF-8: runs" \
    dss-teach --db "$TMP/utf8.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/utf8.jsonl"
cp "$TMP/out" "$TMP/utf8.out"
is "$(jsonq "$TMP/utf8.log" '[e["body"]["messages"] for e in R][0]')" \
    "$(jsonq "$TMP/utf8.jsonl" 'R[0]["messages"]')" \
    "escapes and UTF-8: the messages arrive unchanged"
is "$(jsonq "$TMP/utf8.out" 'R[0]["completion"]')" \
    "$(jsonq "$TMP/utf8-script.jsonl" 'R[0]["completion"]')" \
    "escapes and UTF-8: the completion comes back unchanged"
expect_ok "escapes and UTF-8: a second run" \
    dss-teach --db "$TMP/utf8.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/utf8.jsonl"
cmp_file "$TMP/out" "$TMP/utf8.out" "escapes and UTF-8: the cached record is the same bytes"
is "$(jsonq "$TMP/utf8.log" 'len(R)')" 1 "escapes and UTF-8: the second run is served from the cache"

# ---- a base URL with a trailing slash ---------------------------------------------
start_server port "$PY" "$FAKE" --log "$TMP/slash.log" --lifetime 300
expect_ok "openai: --base-url ending in / runs" \
    dss-teach --db "$TMP/slash.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1/" --quiet < "$TMP/p2.jsonl"
expect_ok "gemini: --base-url ending in / runs" \
    dss-teach --db "$TMP/slash.db" --teacher gemini:g \
    --base-url "http://127.0.0.1:$port/" --quiet < "$TMP/p2.jsonl"
is "$(jsonq "$TMP/slash.log" 'sorted(set(e["path"] for e in R))')" \
    '["/v1/chat/completions", "/v1beta/models/g:generateContent"]' \
    "a trailing slash makes no empty path segment"

# ---- bad input -------------------------------------------------------------
{ sed -n 1p "$TMP/p2.jsonl"; echo '{"dataset": "anli1", '; } > "$TMP/bad1.jsonl"
expect_fail 1 "^dss-teach: line 2: " "a line that is not JSON names its line" \
    dss-teach --db "$TMP/bad.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/bad1.jsonl"
{ sed -n 1p "$TMP/p2.jsonl"; echo '{"dataset":"anli1","split":"train","index":1,"input":"x","label":"neutral","messages":[{"role":"user","content":"x"}],"prompt":"x"}'; } > "$TMP/bad2.jsonl"
expect_fail 1 "^dss-teach: line 2: .*'id'" "a record without an id names the field" \
    dss-teach --db "$TMP/bad.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/bad2.jsonl"
{ sed -n 1p "$TMP/p2.jsonl"; echo '{"dataset":"anli1","split":"train","id":"anli1-train-000009","index":9}'; } > "$TMP/bad3.jsonl"
expect_fail 1 "^dss-teach: line 2: .*'(messages|prompt)'" \
    "a record without messages or prompt names the field" \
    dss-teach --db "$TMP/bad.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/bad3.jsonl"
mkdir "$TMP/ro" && chmod 500 "$TMP/ro"
if [ "$(id -u)" != 0 ]; then
	expect_fail 1 "^dss-teach: .*'$TMP/ro/x.db'" "an unwritable database is an error" \
	    dss-teach --db "$TMP/ro/x.db" --teacher openai:m \
	    --base-url "http://127.0.0.1:$port/v1" < "$TMP/p2.jsonl"
fi
expect_fail 1 "^dss-teach: .*'$TMP/missing/x.db'" "a database in a missing directory is an error" \
    dss-teach --db "$TMP/missing/x.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" < "$TMP/p2.jsonl"

done_testing
