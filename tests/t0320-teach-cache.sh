#!/bin/sh
# SPDX-License-Identifier: MIT
# The response cache of dss-teach and what rests on it: a second identical
# run sends zero requests and emits the same records; each of K samples is
# its own cache entry, so asking for more samples pays only for the new
# ones; the budgets (--max-requests, --max-cost with --price) stop new
# work and exit 1; --shard I/N partitions the prompts exactly; and the API
# key never reaches the database, stdout or stderr.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

KEY=sk-secret-0320-5f4dcc3b5aa765d61d8327deb882cf99

CHOICES='\nAnswer Choices:\n(a) shelf\n(b) box\n(c) sea\n(d) sky\n(e) jar'
prompts() {
	mkprompts "$1" cqa 5eed0320 box \
	    "Where would gamma %d be kept?$CHOICES" \
	    '"question":"Where would gamma %d be kept?","choices":["shelf","box","sea","sky","jar"],"answer_key":"B","source_id":"q%d","concept":"gamma"' \
	    "Q: Where would gamma %d be kept?$CHOICES\\nExample %id\\nA:"
}

# teach DB [OPTIONS] < input: dss-teach against the running fake teacher,
# output in $TMP/out and $TMP/err, status in $st.
teach() {
	_db=$1; shift
	OPENAI_API_KEY=$KEY dss-teach --db "$_db" --teacher openai:gpt-4o-mini \
	    --base-url "http://127.0.0.1:$port/v1" "$@" >"$TMP/out" 2>"$TMP/err"
	st=$?
}
# norm FILE: the records sorted by request, without latency_ms.
norm() {
	jsonq "$1" '"\n".join(json.dumps({k: v for k, v in r.items() if k != "latency_ms"}, sort_keys=True) for r in sorted(R, key=lambda r: (r["request"])))'
}

prompts 20 > "$TMP/p20.jsonl"
prompts 5 > "$TMP/p5.jsonl"
prompts 60 > "$TMP/p60.jsonl"

# ---- a second identical run sends nothing ----------------------------------
start_server port "$PY" "$FAKE" --require-key "$KEY" --lifetime 300 \
    --log "$TMP/a.log"
teach "$TMP/a.db" --concurrency 4 < "$TMP/p20.jsonl"
status_is 0 "first run: exit 0"
is "$(nrec)" 20 "first run: 20 records"
is "$(stat total)" 20 "first run: 20 requests"
norm "$TMP/out" > "$TMP/a1"
teach "$TMP/a.db" --concurrency 4 < "$TMP/p20.jsonl"
status_is 0 "second run: exit 0"
is "$(stat total)" 20 "second run: zero requests sent"
norm "$TMP/out" > "$TMP/a2"
cmp_file "$TMP/a2" "$TMP/a1" "second run: the same records, from the cache"
is "$(sqlite3 "$TMP/a.db" 'SELECT count(*), count(DISTINCT request), count(DISTINCT id) FROM teach_cache')" \
    "20|20|20" "cache: one entry per prompt"
is "$(jsonq "$TMP/out" 'sorted(r["request"] for r in R)')" \
    "$(sqlite3 "$TMP/a.db" 'SELECT request FROM teach_cache' | "$PY" -c 'import json, sys; print(json.dumps(sorted(l.strip() for l in sys.stdin)))')" \
    "cache: keyed by the emitted request"
is "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM teach_cache WHERE completion LIKE '%So the answer is entailment.' AND prompt_tokens > 0 AND completion_tokens > 0")" \
    20 "cache: completion and usage stored"
# Reordered input, same answers: the key is content, not position.
tac "$TMP/p20.jsonl" > "$TMP/p20r.jsonl"
teach "$TMP/a.db" --concurrency 4 < "$TMP/p20r.jsonl"
is "$(stat total)" 20 "reordered input: zero requests sent"
# A changed parameter is a different request.
teach "$TMP/a.db" --concurrency 4 --temperature 0.9 < "$TMP/p5.jsonl"
status_is 0 "changed temperature: exit 0"
is "$(stat total)" 25 "changed temperature: new requests for every prompt"
teach "$TMP/a.db" --concurrency 4 --max-tokens 100 < "$TMP/p5.jsonl"
is "$(stat total)" 30 "changed max_tokens: new requests"
teach "$TMP/a.db" --concurrency 4 < "$TMP/p5.jsonl"
is "$(stat total)" 30 "back to the first parameters: from the cache"
is "$(stat duplicates)" 0 "no request answered twice"

# The duplicate count can fire: the same prompts through a second, empty
# database are paid again, and the fake teacher says so.
start_server port "$PY" "$FAKE" --lifetime 300
teach "$TMP/twice1.db" < "$TMP/p5.jsonl"
teach "$TMP/twice2.db" < "$TMP/p5.jsonl"
is "$(stat duplicates)" 5 "control: a fresh database pays again, counted as 5 duplicates"

# ---- K samples, each its own entry -----------------------------------------
start_server port "$PY" "$FAKE" --lifetime 300 --log "$TMP/k.log"
teach "$TMP/k.db" --samples 3 --temperature 0.7 < "$TMP/p5.jsonl"
status_is 0 "3 samples: exit 0"
is "$(jsonq "$TMP/out" 'sorted(set((r["id"], r["sample"]) for r in R)) == sorted((("cqa-train-%06d" % i), s) for i in range(5) for s in range(3)) and len(R) == 15')" \
    true "3 samples: one record per prompt and sample"
is "$(jsonq "$TMP/out" 'len(set(r["request"] for r in R))')" 15 \
    "3 samples: each its own request key"
is "$(sqlite3 "$TMP/k.db" 'SELECT count(*), count(DISTINCT request) FROM teach_cache')" \
    "15|15" "3 samples: each its own cache entry"
is "$(jsonq "$TMP/out" 'len(set(r["completion"] for r in R))')" 15 \
    "3 samples: each sample's own text"
paid=$(jsonq "$TMP/k.log" 'sum(e["body"].get("n", 1) for e in R if e["success"])')
is "$paid" 15 "3 samples: 15 choices paid for"
teach "$TMP/k.db" --samples 3 --temperature 0.7 < "$TMP/p5.jsonl"
is "$(jsonq "$TMP/k.log" 'len(R)')" 5 "3 samples again: zero requests"
is "$(nrec)" 15 "3 samples again: 15 records"
teach "$TMP/k.db" --samples 4 --temperature 0.7 < "$TMP/p5.jsonl"
status_is 0 "4 samples after 3: exit 0"
is "$(nrec)" 20 "4 samples after 3: 20 records"
is "$(jsonq "$TMP/k.log" 'sum(e["body"].get("n", 1) for e in R if e["success"])')" 20 \
    "4 samples after 3: only the fourth sample is paid for"
is "$(sqlite3 "$TMP/k.db" 'SELECT count(*), min(c), max(c) FROM (SELECT id, count(*) AS c FROM teach_cache GROUP BY id)')" \
    "5|4|4" "4 samples after 3: four entries per prompt"
is "$(jsonq "$TMP/out" 'sorted(set(r["sample"] for r in R))')" '[0, 1, 2, 3]' \
    "4 samples after 3: samples 0 to 3"

# ---- budgets ----------------------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 300 --log "$TMP/b.log"
teach "$TMP/b.db" --concurrency 1 --max-requests 5 < "$TMP/p20.jsonl"
status_is 1 "--max-requests 5 of 20: exit 1"
grep -Eq 'budget|max-requests|requests' "$TMP/err"
ok $? "--max-requests: the stop is reported"
is "$(stat total)" 5 "--max-requests 5: exactly five requests sent"
is "$(nrec)" 5 "--max-requests 5: five records"
is "$(sqlite3 "$TMP/b.db" 'SELECT count(*) FROM teach_cache')" 5 \
    "--max-requests 5: five cached"
teach "$TMP/b.db" --concurrency 4 --max-requests 6 < "$TMP/p20.jsonl"
status_is 1 "--max-requests 6 on the rerun: exit 1"
is "$(stat total)" 11 "--max-requests counts requests sent, not cached answers"
is "$(nrec)" 11 "--max-requests 6 at --concurrency 4: the requests in flight are finished and emitted"
is "$(sqlite3 "$TMP/b.db" 'SELECT count(*) FROM teach_cache')" 11 \
    "--max-requests 6 at --concurrency 4: and cached"
teach "$TMP/b.db" --concurrency 4 < "$TMP/p20.jsonl"
status_is 0 "rerun without a budget: exit 0"
is "$(stat total)" 20 "rerun: only the 9 missing prompts sent"
is "$(nrec)" 20 "rerun: all 20 emitted"
is "$(stat duplicates)" 0 "budget stops: no prompt paid twice"

# --price IN,OUT is per million tokens: 0,1000000 makes every completion
# token cost one dollar, and the fake teacher's default answer is about
# 25 tokens; --max-cost 60 allows two or three requests, never all 20.
start_server port "$PY" "$FAKE" --lifetime 300 --log "$TMP/c.log"
teach "$TMP/c.db" --concurrency 1 --price 0,1000000 --max-cost 60 \
    < "$TMP/p20.jsonl"
status_is 1 "--max-cost: exit 1"
grep -Eq 'budget|cost|\$' "$TMP/err"
ok $? "--max-cost: the stop is reported"
n=$(stat total)
[ "$n" -ge 2 ] && [ "$n" -le 4 ]
ok $? "--max-cost: stops after a few requests (sent $n)"
is "$(nrec)" "$n" "--max-cost: every paid answer emitted"
is "$(sqlite3 "$TMP/c.db" 'SELECT count(*) FROM teach_cache')" "$n" \
    "--max-cost: every paid answer cached"
is "$(sqlite3 "$TMP/c.db" 'SELECT sum(cost_usd) = sum(completion_tokens) FROM teach_cache')" 1 \
    "--price: cost from the usage returned and the price"
teach "$TMP/c.db" --concurrency 1 --price 1000000,0 --max-cost 1 \
    < "$TMP/p5.jsonl"
status_is 1 "--max-cost already spent on the input side: exit 1"
teach "$TMP/c.db" --concurrency 1 --price 0,0 --max-cost 1 < "$TMP/p5.jsonl"
status_is 0 "--max-cost with a free price: exit 0"

# --prices FILE: {"MODEL": [IN, OUT]} per million tokens.
printf '{"gpt-4o-mini": [0, 1000000], "other": [5, 5]}\n' > "$TMP/prices.json"
teach "$TMP/c2.db" --concurrency 1 --prices "$TMP/prices.json" --max-cost 60 \
    < "$TMP/p20.jsonl"
status_is 1 "--prices FILE with --max-cost: exit 1"
n=$(stat total)
is "$(sqlite3 "$TMP/c2.db" 'SELECT sum(cost_usd) = sum(completion_tokens) FROM teach_cache')" 1 \
    "--prices FILE: the model's price applies"
printf '{"gpt-4o-mini": [0, ' > "$TMP/badprices.json"
expect_fail 1 "dss-teach: .*'$TMP/badprices.json'" "a malformed --prices file is an error" \
    env OPENAI_API_KEY=$KEY dss-teach --db "$TMP/c3.db" --teacher openai:gpt-4o-mini \
    --base-url "http://127.0.0.1:$port/v1" --prices "$TMP/badprices.json" \
    < "$TMP/p5.jsonl"
is "$(stat total)" "$n" "a malformed --prices file: nothing sent"

# ---- shards -----------------------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 300 --log "$TMP/s.log"
# I is 1-based (1/3 .. 3/3) unless dss-teach takes 0/3, as Slurm counts.
if dss-teach --db "$TMP/probe.db" --teacher openai:m --shard 0/3 \
    --base-url "http://127.0.0.1:$port/v1" </dev/null \
    >/dev/null 2>&1; then
	first=0
else
	first=1
fi
i=$first
: > "$TMP/shards"
while [ $i -lt $((first + 3)) ]; do
	teach "$TMP/s$i.db" --concurrency 4 --shard "$i/3" < "$TMP/p60.jsonl"
	status_is 0 "--shard $i/3: exit 0"
	jsonq "$TMP/out" '"\n".join(sorted(r["id"] for r in R))' > "$TMP/shard$i"
	n=$(wc -l < "$TMP/shard$i" | tr -d ' ')
	[ "$n" -ge 5 ] && [ "$n" -le 40 ]
	ok $? "--shard $i/3: takes a share ($n of 60)"
	cat "$TMP/shard$i" >> "$TMP/shards"
	i=$((i + 1))
done
is "$(sort "$TMP/shards" | uniq | wc -l | tr -d ' ')" 60 "shards: the union is every prompt"
is "$(wc -l < "$TMP/shards" | tr -d ' ')" 60 "shards: no prompt in two shards"
is "$(stat total)" 60 "shards: 60 requests in all"
teach "$TMP/again.db" --concurrency 4 --shard "$first/3" < "$TMP/p60.jsonl"
jsonq "$TMP/out" '"\n".join(sorted(r["id"] for r in R))' > "$TMP/shard-again"
cmp_file "$TMP/shard-again" "$TMP/shard$first" "shards: deterministic"
tac "$TMP/p60.jsonl" | { OPENAI_API_KEY=$KEY dss-teach --db "$TMP/again.db" \
    --teacher openai:gpt-4o-mini --base-url "http://127.0.0.1:$port/v1" \
    --shard "$first/3"; } > "$TMP/out" 2>"$TMP/err"
jsonq "$TMP/out" '"\n".join(sorted(r["id"] for r in R))' > "$TMP/shard-rev"
cmp_file "$TMP/shard-rev" "$TMP/shard$first" "shards: by id, not by position"
# All the samples of a prompt fall in the same shard.
: > "$TMP/sshards"
i=$first
while [ $i -lt $((first + 3)) ]; do
	teach "$TMP/ss$i.db" --concurrency 4 --samples 2 --shard "$i/3" < "$TMP/p60.jsonl"
	jsonq "$TMP/out" '"\n".join("%s %d" % (r["id"], r["sample"]) for r in R)' >> "$TMP/sshards"
	i=$((i + 1))
done
is "$(sort -u "$TMP/sshards" | wc -l | tr -d ' ')" 120 "shards with 2 samples: 120 completions in all"
is "$(cut -d' ' -f1 "$TMP/sshards" | sort | uniq -c | awk '$1 != 2' | wc -l | tr -d ' ')" 0 \
    "shards with 2 samples: both samples of a prompt in one shard"
# The Slurm recipe of dss-teach(1): merge the shards' databases, and an
# unsharded run over the merged one is served wholly from its cache.
i=$first
dbs=""
while [ $i -lt $((first + 3)) ]; do
	dbs="$dbs $TMP/s$i.db"
	i=$((i + 1))
done
# shellcheck disable=SC2086
expect_ok "dss-store --merge joins the shard databases" \
    dss-store --merge "$TMP/merged.db" $dbs
before=$(stat total)
teach "$TMP/merged.db" --concurrency 4 < "$TMP/p60.jsonl"
status_is 0 "merged shards: a whole run exits 0"
is "$(stat total)" "$before" "merged shards: zero requests sent"
is "$(nrec)" 60 "merged shards: every prompt emitted"
for bad in 3/0 x/3 1 4/3 -1/3 "$((first + 3))/3" "$((first - 1))/3"; do
	expect_fail 2 "dss-teach: .*shard|^usage: dss-teach" "--shard $bad is a usage error" \
	    dss-teach --db "$TMP/x.db" --teacher openai:m --shard "$bad" \
	    --base-url "http://127.0.0.1:$port/v1"
done

# ---- the same prompt twice in one input is paid once ------------------------------
start_server port "$PY" "$FAKE" --latency-ms 200 --lifetime 300
{ head -n 1 "$TMP/p5.jsonl"; head -n 1 "$TMP/p5.jsonl"; head -n 1 "$TMP/p5.jsonl"; } > "$TMP/dup.jsonl"
teach "$TMP/dup.db" --concurrency 4 < "$TMP/dup.jsonl"
status_is 0 "a prompt repeated in the input: exit 0"
is "$(stat successful)" 1 "a prompt repeated in the input: paid for once"
is "$(jsonq "$TMP/out" 'len(R) >= 1 and len(set(r["request"] for r in R)) == 1')" true \
    "a prompt repeated in the input: one request key"

# ---- a full stdout: answers are cached before they are emitted ---------------------
start_server port "$PY" "$FAKE" --lifetime 300
if [ -w /dev/full ]; then
	OPENAI_API_KEY=$KEY dss-teach --db "$TMP/full.db" --teacher openai:gpt-4o-mini \
	    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/p5.jsonl" \
	    > /dev/full 2> "$TMP/err"
	st=$?
	status_is 1 "stdout on a full disk: exit 1"
	grep -q "^dss-teach: cannot write" "$TMP/err"
	ok $? "stdout on a full disk: reported"
	sent=$(stat total)
	cached=$(sqlite3 "$TMP/full.db" 'SELECT count(*) FROM teach_cache')
	[ "$cached" -ge 1 ] && [ "$cached" -le "$sent" ]
	ok $? "stdout on a full disk: what was paid for is cached ($cached of $sent)"
	teach "$TMP/full.db" --quiet < "$TMP/p5.jsonl"
	status_is 0 "after a full disk: the rerun exits 0"
	is "$(stat successful)" 5 "after a full disk: cached answers are not paid again"
	is "$(nrec)" 5 "after a full disk: every prompt emitted"
fi

# ---- the key stays secret -----------------------------------------------------
start_server port "$PY" "$FAKE" --require-key "$KEY" --lifetime 300 \
    --faults 429:1,500,reset,ok,badjson
teach "$TMP/sec.db" --concurrency 2 --retries 3 < "$TMP/p5.jsonl"
cat "$TMP/out" > "$TMP/sec.out"; cat "$TMP/err" > "$TMP/sec.err"
OPENAI_API_KEY=sk-secret-wrong-0320 dss-teach --db "$TMP/sec.db" \
    --teacher openai:gpt-4o-mini --base-url "http://127.0.0.1:$port/v1" \
    --temperature 1 --retries 0 < "$TMP/p5.jsonl" >> "$TMP/sec.out" 2>> "$TMP/sec.err"
ANTHROPIC_API_KEY=$KEY dss-teach --db "$TMP/sec.db" --teacher anthropic:claude \
    --base-url "http://127.0.0.1:$port" --retries 3 < "$TMP/p5.jsonl" \
    >> "$TMP/sec.out" 2>> "$TMP/sec.err"
GEMINI_API_KEY=$KEY dss-teach --db "$TMP/sec.db" --teacher gemini:gemini-pro \
    --base-url "http://127.0.0.1:$port" --retries 3 < "$TMP/p5.jsonl" \
    >> "$TMP/sec.out" 2>> "$TMP/sec.err"
# a terminal-less progress line and the usage error must not carry it either
OPENAI_API_KEY=$KEY dss-teach --db "$TMP/sec.db" --teacher openai:gpt-4o-mini \
    --base-url "http://127.0.0.1:$port/v1" --bogus >> "$TMP/sec.out" 2>> "$TMP/sec.err"
[ "$(wc -l < "$TMP/sec.out")" -ge 15 ]
ok $? "key: the OpenAI, Anthropic and Gemini runs wrote their records"
grep -a -q "$KEY" "$TMP/sec.out"
ok $((! $?)) "key: not on stdout"
grep -a -q -e "$KEY" -e sk-secret-wrong-0320 "$TMP/sec.err"
ok $((! $?)) "key: not on stderr"
found=$(grep -a -l -r -e "$KEY" -e sk-secret-wrong-0320 "$TMP" 2>/dev/null | grep -v '/sec\.\(out\|err\)$' | grep -v '/server\.' )
is "$found" "" "key: in no file (database, journal, WAL)"
is "$(sqlite3 "$TMP/sec.db" "SELECT count(*) FROM teach_cache WHERE response LIKE '%sk-secret%' OR completion LIKE '%sk-secret%'")" 0 \
    "key: not in the cache table"

done_testing
