#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach --batch through the fake teacher's batch APIs (OpenAI,
# Anthropic, Gemini): the same records and cache as a synchronous run,
# exit 75 while batches are in flight, batches split at --batch-size,
# state transitions recorded, per-request errors, expired, failed and
# cancelled batches resubmitted up to --retries, 5xx on a poll and a
# download cut short retried, the key masked, the batch price and
# --max-cost before a batch is created, and the usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

prompts() {
	mkanli "$1" 'Batch premise %d is here.' 'Batch hypothesis %d.' neutral b0391
}
prompts 12 > "$TMP/p12.jsonl"

# bt DB SPEC PORT ARGS...: a batch run; $st, $TMP/out, $TMP/err.
bt() {
	_db=$1 _spec=$2 _port=$3; shift 3
	case $_spec in openai*) _base=http://127.0.0.1:$_port/v1 ;;
	*) _base=http://127.0.0.1:$_port ;; esac
	dss-teach --db "$_db" --teacher "$_spec" --base-url "$_base" --batch \
	    --poll 0.1 "$@" < "$TMP/p12.jsonl" > "$TMP/out" 2> "$TMP/err"
	st=$?
}
fields() {
	jsonq "$1" 'sorted(set(tuple(sorted(r)) for r in R))'
}

for spec in openai:gpt-b anthropic:claude-b gemini:gem-b; do
	p=${spec%%:*}
	start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.3
	bt "$TMP/$p.db" "$spec" "$port" --wait --price 2,8
	status_is 0 "$p: --batch --wait answers every prompt"
	is "$(nrec)" 12 "$p: twelve completion records"
	is "$(jsonq "$TMP/out" 'sorted(r["id"] for r in R) == sorted("anli1-train-%06d" % i for i in range(12))')" \
	    true "$p: one record per prompt"
	cp "$TMP/out" "$TMP/$p.batch"
	is "$(stat batch_paid) $(stat batch_paid_dup) $(stat batch_custom_ids_live_twice)" \
	    "12 0 0" "$p: twelve answers paid, none twice, no key in two live batches"
	is "$(stat total)" 0 "$p: nothing went to the synchronous API"
	is "$(sqlite3 "$TMP/$p.db" "SELECT state, requests, succeeded FROM teach_batches")" \
	    "collected|12|12" "$p: the batch is recorded and collected"
	is "$(sqlite3 "$TMP/$p.db" "SELECT count(*) FROM teach_cache WHERE cost_usd IS NOT NULL AND abs(cost_usd - (prompt_tokens * 1.0 + completion_tokens * 4.0) / 1e6) < 1e-12")" \
	    12 "$p: cost at the batch price (half of --price by default)"
	is "$(sqlite3 "$TMP/$p.db" "SELECT count(*) FROM teach_leases")" 0 \
	    "$p: no lease is left"
	grep -q 'batches: 1 submitted, 0 in progress (0 requests); requests: 12 done, 0 failed, 0 expired, 0 resubmitted, \$' "$TMP/err"
	ok $? "$p: the progress line"
	# the synchronous run finds every answer in the cache, and the same records
	case $spec in openai*) base=http://127.0.0.1:$port/v1 ;; *) base=http://127.0.0.1:$port ;; esac
	dss-teach --db "$TMP/$p.db" --teacher "$spec" --base-url "$base" --quiet \
	    < "$TMP/p12.jsonl" > "$TMP/$p.sync" 2> "$TMP/err"
	is "$? $(stat total)" "0 0" "$p: a synchronous run after it sends nothing"
	cmp_file "$TMP/$p.sync" "$TMP/$p.batch" "$p: and writes the same records"
	# a fresh synchronous run: the same fields as the batch records
	dss-teach --db "$TMP/$p-sync.db" --teacher "$spec" --base-url "$base" \
	    --quiet < "$TMP/p12.jsonl" > "$TMP/$p.fresh" 2> "$TMP/err"
	is "$(fields "$TMP/$p.fresh")" "$(fields "$TMP/$p.batch")" \
	    "$p: batch records have the fields of synchronous ones"
	is "$(jsonq "$TMP/$p.fresh" 'sorted((r["id"], r["request"], r["completion"], r["finish_reason"], r["usage"]) for r in R)')" \
	    "$(jsonq "$TMP/$p.batch" 'sorted((r["id"], r["request"], r["completion"], r["finish_reason"], r["usage"]) for r in R)')" \
	    "$p: same keys, texts, finish reasons and usage"
	"$PY" "$TOP/tests/check_schema.py" "$TOP/schemas/completion.schema.json" \
	    "$TMP/$p.batch" 2> "$TMP/schema.err"
	ok $? "$p: batch records match schemas/completion.schema.json"
	# a batch rerun: nothing new
	bt "$TMP/$p.db" "$spec" "$port" --wait
	is "$st $(nrec) $(stat batches)" "0 12 1" "$p: a batch rerun submits nothing"
	# the other way round: synchronous answers are batch cache hits
	bt "$TMP/$p-sync.db" "$spec" "$port" --wait
	is "$st $(nrec) $(stat batches)" "0 12 1" "$p: synchronous answers are batch cache hits"
done

# ---- without --wait: exit 75, nothing written; then collect ------------------
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 1
bt "$TMP/nw.db" openai:gpt-b "$port"
status_is 75 "no --wait: exit 75 while in flight"
is "$(nrec)" 0 "no --wait: no records written"
grep -q "1 batch in flight (12 requests); run the same command again" "$TMP/err"
ok $? "no --wait: says so"
is "$(sqlite3 "$TMP/nw.db" "SELECT state FROM teach_batches")" submitted \
    "no --wait: the batch is recorded as submitted"
bt "$TMP/nw.db" openai:gpt-b "$port"
is "$st $(stat batches)" "75 1" "again at once: still in flight, nothing resubmitted"
case $(sqlite3 "$TMP/nw.db" "SELECT remote_status FROM teach_batches") in
validating|in_progress|finalizing) ok 0 "the provider's status is recorded" ;;
*) ok 1 "the provider's status is recorded" ;;
esac
sleep 1.2
bt "$TMP/nw.db" openai:gpt-b "$port"
is "$st $(nrec) $(stat batch_paid_dup)" "0 12 0" "later: collected, every record, nothing paid twice"

# ---- split into batches ------------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.2
bt "$TMP/split.db" anthropic:claude-b "$port" --wait --batch-size 5
is "$st $(nrec) $(stat batches)" "0 12 3" "--batch-size 5: twelve requests in three batches"
is "$(sqlite3 "$TMP/split.db" "SELECT group_concat(requests) FROM teach_batches")" \
    "5,5,2" "  of 5, 5 and 2"

# ---- per-request errors, expired, failed, cancelled: resubmitted ----------------
for spec in openai:gpt-b anthropic:claude-b gemini:gem-b; do
	p=${spec%%:*}
	start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.2 \
	    --batch-ends expired,failed,cancelled --batch-error-every 4
	bt "$TMP/e-$p.db" "$spec" "$port" --wait
	status_is 0 "$p: expired, failed and cancelled batches and errors: all answered"
	is "$(nrec) $(stat batch_paid_dup)" "12 0" "$p: twelve records, nothing paid twice"
	is "$(sqlite3 "$TMP/e-$p.db" "SELECT count(*) > 3 FROM teach_batches")" 1 \
	    "$p: the failed requests went into new batches"
	grep -Eq 'requests: 12 done, 0 failed, [1-9][0-9]* expired, [1-9][0-9]* resubmitted' "$TMP/err"
	ok $? "$p: the expired and resubmitted are reported"
	grep -q "batch results: [1-9][0-9]* errored" "$TMP/err"
	ok $? "$p: per-request errors are reported"
done

# ---- retries run out: the prompt fails, exit 1 ------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.1 \
    --batch-ends failed,failed,failed
bt "$TMP/f.db" openai:gpt-b "$port" --wait --retries 2
status_is 1 "three failed batches and --retries 2: exit 1"
grep -q "prompt 'anli1-train-000000' sample 0 failed after 3 batch attempts: the batch failed: injected validation failure" "$TMP/err"
ok $? "the failure is named, with the provider's reason"
is "$(sqlite3 "$TMP/f.db" "SELECT count(*) FROM teach_leases")" 0 \
    "failed requests keep no lease"
grep -q "dss-teach: 12 prompts not finished: their requests failed in batches" "$TMP/err"
ok $? "the unfinished prompts are counted"

# ---- 5xx on a poll and a download cut short are retried; the key is masked ---------
KEY=sk-batch-0391-secret-value-abcdefgh
export KEY
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.2 \
    --require-key "$KEY" --poll-faults 500,leak:503,ok --download-faults truncate
OPENAI_API_KEY=$KEY bt "$TMP/x.db" openai:gpt-b "$port" --wait
status_is 0 "a 500 and a 503 on polls and a cut download: retried, all answered"
is "$(nrec) $(stat downloads)" "12 2" "the download was made again"
grep -q 'sk-batch\|secret-value\|abcdefgh' "$TMP/err" "$TMP/out"
is "$?" 1 "the key is in no message and no record"
sqlite3 "$TMP/x.db" .dump | grep -q 'secret-value'
is "$?" 1 "nor in the database"
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.2 \
    --require-key "$KEY" --poll-faults leak:400
OPENAI_API_KEY=$KEY bt "$TMP/x2.db" openai:gpt-b "$port" --wait
status_is 1 "a 400 on a poll: exit 1"
grep -q "cannot poll batch 'batch_[0-9]*': HTTP 400: the key \*\**" "$TMP/err"
ok $? "the message says what failed, with the key masked"
grep -q 'secret-value' "$TMP/err"
is "$?" 1 "  and no fragment of it"
OPENAI_API_KEY=$KEY bt "$TMP/x2.db" openai:gpt-b "$port" --wait
is "$st $(nrec) $(stat batch_paid_dup)" "0 12 0" "the rerun collects the same batch"
start_server port "$PY" "$FAKE" --lifetime 120 --require-key "$KEY"
OPENAI_API_KEY=wrong-key-0391-wrong bt "$TMP/k.db" openai:gpt-b "$port" --wait
status_is 1 "a refused key: exit 1"
grep -q "cannot upload the batch input file: HTTP 401" "$TMP/err"
ok $? "  cannot upload, HTTP 401"

# ---- the budget applies before a batch is created ------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.1
bt "$TMP/b.db" anthropic:claude-b "$port" --wait --max-tokens 100 \
    --price 10,100,5,50 --max-cost 0.02
status_is 1 "--max-cost: exit 1"
n=$(stat batch_requests)
# each request: about 30 input tokens at 5 and 100 output at 50 per million
is "$(test "$n" -ge 1 && test "$n" -lt 12 && echo yes)" yes \
    "--max-cost: only the requests the budget bounds were submitted ($n)"
is "$(sqlite3 "$TMP/b.db" "SELECT sum(cost_bound) <= 0.02 FROM teach_batches")" 1 \
    "  their cost bound is within the budget"
grep -q "budget reached" "$TMP/err"
ok $? "  and the stop is reported"

# ---- usage errors ----------------------------------------------------------------------
expect_fail 2 "option '--wait' needs --batch" "--wait without --batch: exit 2" \
    dss-teach --db "$TMP/u.db" --teacher openai:m --base-url http://127.0.0.1:9/v1 --wait
expect_fail 2 "option '--json' needs --dry-run" "--json without --dry-run: exit 2" \
    dss-teach --db "$TMP/u.db" --teacher openai:m --base-url http://127.0.0.1:9/v1 --json
printf '{"id":"x","completion":"y"}\n' > "$TMP/rec.jsonl"
expect_fail 2 "teacher 'replay:.*' has no batch API" "--batch with replay: exit 2" \
    dss-teach --db "$TMP/u.db" --teacher "replay:$TMP/rec.jsonl" --batch
expect_fail 2 "bad --price '1,2,3': want IN,OUT or IN,OUT,BATCH_IN,BATCH_OUT" \
    "--price with three numbers: exit 2" \
    dss-teach --db "$TMP/u.db" --teacher openai:m --price 1,2,3
done_testing
