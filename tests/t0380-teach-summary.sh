#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach's summary: on a mixed run one line per dataset and teacher;
# --summary FILE holds the same figures as JSON (written atomically); the
# tokens and cost of the live line, the final line and the JSON agree
# with what teach_cache holds, for a network teacher and for replay: with
# --price.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

mkanli 6 'Kappa %d ran.' 'Kappa %d moved.' entailment 5eed0380 > "$TMP/a.jsonl"
mkanli 4 'Lambda %d sat.' 'Lambda %d is up.' contradiction 5eed0380 |
    sed 's/"dataset":"anli1"/"dataset":"esnli"/; s/anli1-train/esnli-train/g' > "$TMP/e.jsonl"
cat "$TMP/a.jsonl" "$TMP/e.jsonl" > "$TMP/mixed.jsonl"

# ---- a network teacher -----------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120
dss-teach --db "$TMP/net.db" --teacher openai:m --base-url "http://127.0.0.1:$port/v1" \
    --samples 2 --price 2.5,10 --summary "$TMP/net.json" < "$TMP/mixed.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "mixed run: exit 0"
grep -q "^dss-teach: anli1 openai:m: 6 prompts done, 0 failed, 0 unfinished, 12 completions (0 cached), 6 requests" "$TMP/err"
ok $? "mixed run: a line for anli1"
grep -q "^dss-teach: esnli openai:m: 4 prompts done, 0 failed, 0 unfinished, 8 completions (0 cached), 4 requests" "$TMP/err"
ok $? "mixed run: a line for esnli"
db_pt=$(sqlite3 "$TMP/net.db" 'SELECT sum(prompt_tokens) FROM teach_cache')
db_ct=$(sqlite3 "$TMP/net.db" 'SELECT sum(completion_tokens) FROM teach_cache')
db_cost=$(sqlite3 "$TMP/net.db" "SELECT printf('%.4f', sum(cost_usd)) FROM teach_cache")
grep -q "tokens $db_pt in $db_ct out, \$$db_cost\$" "$TMP/err"
ok $? "mixed run: the final line agrees with teach_cache ($db_pt in, $db_ct out, \$$db_cost)"
is "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["prompt_tokens"], s["completion_tokens"], "%.4f" % s["cost_usd"], s["done"], s["completions"])' "$TMP/net.json")" \
    "$db_pt $db_ct $db_cost 10 20" "--summary: the JSON agrees with teach_cache"
is "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(sorted((g["dataset"], g["teacher"], g["done"], g["completions"], g["prompt_tokens"]) for g in s["groups"]))' "$TMP/net.json")" \
    "$(sqlite3 "$TMP/net.db" "SELECT dataset, sum(prompt_tokens) FROM teach_cache GROUP BY dataset ORDER BY dataset" |
    "$PY" -c 'import sys
rows = [l.strip().split("|") for l in sys.stdin]
n = {"anli1": (6, 12), "esnli": (4, 8)}
print(sorted((d, "openai:m", n[d][0], n[d][1], int(t)) for d, t in rows))')" \
    "--summary: per dataset, the figures of teach_cache"
ls "$TMP" | grep -q 'net.json.tmp'
ok $((! $?)) "--summary: no temporary file left"

# a rerun is served from the cache: nothing new is stored, nothing paid
dss-teach --db "$TMP/net.db" --teacher openai:m --base-url "http://127.0.0.1:$port/v1" \
    --samples 2 --price 2.5,10 --summary "$TMP/net2.json" < "$TMP/mixed.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
is "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["cached"], s["requests"], s["prompt_tokens"], s["cost_usd"])' "$TMP/net2.json")" \
    "20 0 0 0" "rerun: 20 cached, no request, no new tokens or cost"

# ---- replay: with --price ---------------------------------------------------
"$PY" - "$TMP/mixed.jsonl" "$TMP/replay.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[2], "w") as f:
    for i, l in enumerate(open(sys.argv[1])):
        r = json.loads(l)
        f.write(json.dumps({"id": r["id"], "completion": "So the answer is neutral.",
                            "teacher": "palm" if i % 2 else "gpt",
                            "usage": {"prompt_tokens": 100 + i, "completion_tokens": 10 + i}}) + "\n")
PYEOF
dss-teach --db "$TMP/replay.db" --teacher "replay:$TMP/replay.jsonl" --price 2.5,10 \
    --summary "$TMP/replay.json" < "$TMP/mixed.jsonl" > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "replay with --price: exit 0"
db_pt=$(sqlite3 "$TMP/replay.db" 'SELECT sum(prompt_tokens) FROM teach_cache')
db_ct=$(sqlite3 "$TMP/replay.db" 'SELECT sum(completion_tokens) FROM teach_cache')
db_cost=$(sqlite3 "$TMP/replay.db" "SELECT printf('%.4f', sum(cost_usd)) FROM teach_cache")
is "$db_pt $db_ct" "1045 145" "replay: teach_cache holds the recorded usage"
grep -q "tokens $db_pt in $db_ct out, \$$db_cost\$" "$TMP/err"
ok $? "replay with --price: the final line agrees with teach_cache (not 0 in 0 out)"
is "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["prompt_tokens"], s["completion_tokens"], "%.4f" % s["cost_usd"])' "$TMP/replay.json")" \
    "$db_pt $db_ct $db_cost" "replay: the JSON agrees with teach_cache"
is "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(sorted((g["dataset"], g["teacher"], g["completions"]) for g in s["groups"]))' "$TMP/replay.json")" \
    "[('anli1', 'gpt', 3), ('anli1', 'palm', 3), ('esnli', 'gpt', 2), ('esnli', 'palm', 2)]" \
    "replay: completions per dataset and recorded teacher"

# ---- the summary file cannot be written ------------------------------------
expect_fail 1 "^dss-teach: cannot write '$TMP/missing/s.json.tmp" \
    "an unwritable --summary is an error" \
    dss-teach --db "$TMP/replay.db" --teacher "replay:$TMP/replay.jsonl" \
    --summary "$TMP/missing/s.json" --quiet < "$TMP/mixed.jsonl"

done_testing
