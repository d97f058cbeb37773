#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach --dry-run counts and prices a run without sending anything and
# without creating the database: prompts, requests, cached, in flight
# (leased by a live batch), the estimated input tokens (within 10% of what
# the fake teacher counts, for each provider), the output bound and the
# cost, synchronous and batch; --json prints one object with the
# documented keys.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

# few-shot-sized prompts: a long premise
long="The committee reviewed trial %d. $(printf 'The evidence from the field was weighed at length and found sound. %.0s' 1 2 3 4 5 6 7 8 9 10)"
mkanli 30 "$long" 'Trial %d was reviewed.' neutral d0393 'Answer with a rationale.' > "$TMP/p.jsonl"
head -n 10 "$TMP/p.jsonl" > "$TMP/p10.jsonl"

dry() {
	dss-teach --db "$1" --teacher "$2" --dry-run "$@" < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
	st=$?
}

dss-teach --db "$TMP/none.db" --teacher openai:gpt-d --max-tokens 200 \
    --price 2,8 --samples 2 --dry-run < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "--dry-run: exit 0"
test -e "$TMP/none.db"
is "$?" 1 "--dry-run does not create the database"
grep -q '^requests  *60 (2 samples each)$' "$TMP/out"
ok $? "requests are prompts times samples"
grep -q '^output tokens, max  *12000 (200 a request)$' "$TMP/out"
ok $? "the output bound is --max-tokens a request"
grep -Eq '^cost, max  *\$[0-9.]+ synchronous, \$[0-9.]+ batch$' "$TMP/out"
ok $? "the cost, synchronous and batch"

dss-teach --db "$TMP/none.db" --teacher openai:gpt-d --dry-run --json \
    < "$TMP/p.jsonl" > "$TMP/j" 2> "$TMP/err"
is "$?" 0 "--dry-run --json: exit 0"
is "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d))' "$TMP/j")" \
    "prompts requests cached in_flight input_tokens output_tokens_max output_tokens_typical cost_usd_max cost_usd_typical batch_cost_usd_max batch_cost_usd_typical" \
    "--json: one object with the documented keys"
is "$(jsonq "$TMP/j" '[R[0][k] for k in ("prompts", "requests", "cached", "in_flight", "output_tokens_max", "cost_usd_max")]')" \
    '[30, 30, 0, 0, 122880, null]' \
    "--json: 4096 assumed without --max-tokens; costs null without a price"
is "$(wc -l < "$TMP/j" | tr -d ' ')" 1 "--json: one line"

# estimate against what each provider's fake counts, and the bound on cost
for spec in openai:gpt-d anthropic:claude-d gemini:gem-d; do
	p=${spec%%:*}
	start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.1
	case $spec in openai*) base=http://127.0.0.1:$port/v1 ;; *) base=http://127.0.0.1:$port ;; esac
	dss-teach --db "$TMP/$p.db" --teacher "$spec" --max-tokens 64 \
	    --price 3,15 --dry-run --json < "$TMP/p.jsonl" > "$TMP/j" 2> "$TMP/err"
	dss-teach --db "$TMP/$p.db" --teacher "$spec" --base-url "$base" \
	    --max-tokens 64 --price 3,15 --batch --wait --poll 0.1 \
	    --summary "$TMP/sum.json" < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
	is "$?" 0 "$p: the batch run"
	est=$(jsonq "$TMP/j" 'R[0]["input_tokens"]')
	got=$(jsonq "$TMP/out" 'sum(r["usage"]["prompt_tokens"] for r in R)')
	err=$("$PY" -c "print('%.1f' % (100.0 * ($est - $got) / $got))")
	is "$("$PY" -c "print(abs($est - $got) <= 0.1 * $got)")" True \
	    "$p: input tokens estimated $est, counted $got ($err%)"
	is "$(jsonq "$TMP/j" 'R[0]["requests"]')" 30 "$p: requests counted exactly"
	is "$("$PY" -c "import json; s=json.load(open('$TMP/sum.json')); d=json.load(open('$TMP/j')); print(d['batch_cost_usd_max'] >= s['cost_usd'] > 0)")" \
	    True "$p: the maximum batch cost bounds the accounted cost"
	# now everything is cached
	dss-teach --db "$TMP/$p.db" --teacher "$spec" --max-tokens 64 --dry-run \
	    --json < "$TMP/p.jsonl" > "$TMP/j" 2> "$TMP/err"
	is "$(jsonq "$TMP/j" '[R[0][k] for k in ("cached", "in_flight", "input_tokens")]')" \
	    "[30, 0, 0]" "$p: after the run, all cached and nothing to send"
done

# in flight: a batch submitted and not collected
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 30
dss-teach --db "$TMP/f.db" --teacher anthropic:claude-d --base-url "http://127.0.0.1:$port" \
    --batch < "$TMP/p10.jsonl" > /dev/null 2> "$TMP/err"
is "$?" 75 "a batch of 10 in flight"
dss-teach --db "$TMP/f.db" --teacher anthropic:claude-d --dry-run --json \
    < "$TMP/p.jsonl" > "$TMP/j" 2> "$TMP/err"
is "$(jsonq "$TMP/j" '[R[0][k] for k in ("requests", "cached", "in_flight")]')" \
    "[30, 0, 10]" "--dry-run counts the requests of a live batch as in flight"
dss-teach --db "$TMP/f.db" --teacher anthropic:claude-d --dry-run \
    < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
grep -q '^in flight  *10$' "$TMP/out"
ok $? "  and says so in text"
grep -q '^output tokens, max  *20480 (1024 a request)$' "$TMP/out"
ok $? "anthropic's bound without --max-tokens is the 1024 it is sent"

printf 'not json\n' | cat - "$TMP/p10.jsonl" > "$TMP/bad.jsonl"
dss-teach --db "$TMP/none.db" --teacher openai:gpt-d --dry-run < "$TMP/bad.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
is "$?" 0 "a bad record: still exit 0"
grep -q "dss-teach: line 1: " "$TMP/err" && grep -q "1 record skipped" "$TMP/err"
ok $? "  the bad record is named and counted"
grep -q '^prompts  *10$' "$TMP/out"
ok $? "  and the others are counted"
done_testing
