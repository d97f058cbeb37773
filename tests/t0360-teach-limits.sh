#!/bin/sh
# SPDX-License-Identifier: MIT
# Bounded waits, untrusted usage and messages that say what happened:
# a server asking for a wait past --max-wait (Retry-After in seconds, as an
# HTTP date, OpenAI's reset header) fails the prompt at once, naming the
# wait; a wait within the cap is honoured and shown on the progress line;
# negative, fractional and huge token counts are rejected and cannot
# bypass --max-cost; huge headers, an over-long body, JSON nested too deep
# and a redirect are each named for what they are.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

mkanli 1 'Delta %d slept.' 'Delta %d rested.' entailment 5eed0360 > "$TMP/p1.jsonl"
mkanli 50 'Eps %d sang.' 'Eps %d made a sound.' entailment 5eed0360 > "$TMP/p50.jsonl"

# run NAME SERVER-OPTIONS -- DSS-TEACH-OPTIONS < input
run() {
	_name=$1; shift
	_sargs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_sargs="$_sargs $1"; shift
	done
	shift
	# shellcheck disable=SC2086
	start_server port "$PY" "$FAKE" --log "$TMP/$_name.log" --lifetime 120 $_sargs
	_t0=$(date +%s)
	dss-teach --db "$TMP/$_name.db" --teacher openai:m \
	    --base-url "http://127.0.0.1:$port/v1" --concurrency 1 "$@" \
	    >"$TMP/out" 2>"$TMP/err"
	st=$?
	secs=$(( $(date +%s) - _t0 ))
	L="$TMP/$_name.log"
}
fast() {
	[ "$secs" -le "$1" ]
	ok $? "$2"
	[ "$secs" -le "$1" ] || echo "#   took $secs s, want at most $1"
}

# ---- waits past the cap ----------------------------------------------------
run ra10y --fault-every 1:429:315360000 -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "Retry-After: 315360000: exit 1"
fast 10 "Retry-After: 315360000: no waiting"
grep -q "prompt 'anli1-train-000000' failed after 1 attempt: HTTP 429: .*the server asked to wait 315360000 s (Retry-After), more than --max-wait 300 s" "$TMP/err"
ok $? "Retry-After: 315360000: the message names the wait and the cap"
is "$(jsonq "$L" 'len(R)')" 1 "Retry-After past the cap: not retried"

run radate --fault-every 1:429:@100000 -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "Retry-After as an HTTP date a day ahead: exit 1"
fast 10 "HTTP-date Retry-After past the cap: no waiting"
grep -Eq "asked to wait (99999|100000) s \(Retry-After\)" "$TMP/err"
ok $? "HTTP-date Retry-After: the message names the wait"

run xr --fault-every 1:429:xr=2h0m0s -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "x-ratelimit-reset-requests: 2h: exit 1"
fast 10 "reset header past the cap: no waiting"
grep -q "asked to wait 7200 s (rate-limit reset), more than --max-wait 300 s" "$TMP/err"
ok $? "reset header past the cap: the message names the wait"

run cap --fault-every 1:503:5 -- --retries 3 --max-wait 2 < "$TMP/p1.jsonl"
status_is 1 "--max-wait 2 and Retry-After: 5: exit 1"
grep -q "asked to wait 5 s (Retry-After), more than --max-wait 2 s" "$TMP/err"
ok $? "--max-wait 2: the cap is the one given"

# ---- a wait within the cap is honoured and shown ---------------------------
run within --faults 429:3,ok -- --retries 3 --max-wait 10 < "$TMP/p1.jsonl"
status_is 0 "Retry-After: 3 under --max-wait 10: exit 0"
grep -Eq "waiting [0-9]+s as the server asked" "$TMP/err"
ok $? "the progress line shows the server's wait"
is "$(nrec)" 1 "Retry-After within the cap: the answer arrives"

run forever --fault-every 1:429:1 -- --retries 2 < "$TMP/p1.jsonl"
status_is 1 "429 every time: gives up after --retries"
is "$(jsonq "$L" 'len(R)')" 3 "429 every time: one try and two retries"

expect_fail 2 "max-wait" "--max-wait must be a number" \
    dss-teach --db "$TMP/x.db" --teacher openai:m --max-wait soon < /dev/null

# ---- usage numbers are not trusted -----------------------------------------
for u in '-1000:-1000' '1e300:1e300' '2.5:3' '"many":1'; do
	run usage --fault-every "1:usage:$u" -- --concurrency 4 --price 1000000,1000000 \
	    --max-cost 2 --max-tokens 1 < "$TMP/p50.jsonl"
	status_is 1 "usage $u under --max-cost: the budget stops the run"
	n=$(jsonq "$L" 'len(R)')
	[ "$n" -le 3 ]
	ok $? "usage $u: at most 3 of 50 requests sent (sent $n)"
	grep -q "token usage out of range" "$TMP/err"
	ok $? "usage $u: reported"
	is "$(sqlite3 "$TMP/usage.db" 'SELECT count(*) FROM teach_cache WHERE prompt_tokens IS NOT NULL OR cost_usd IS NOT NULL')" 0 \
	    "usage $u: stored as null"
	rm -f "$TMP"/usage.db* "$TMP/usage.log"
done
run usage --fault-every 1:usage:1e300:1e300 -- < "$TMP/p1.jsonl"
status_is 0 "usage 1e300 without a budget: the answer is kept"
is "$(jsonq "$TMP/out" 'R[0]["usage"]')" null "usage 1e300: the record's usage is null"
grep -q "1 answer reported token usage out of range" "$TMP/err"
ok $? "usage 1e300: counted in the summary"

# ---- messages that say what happened ---------------------------------------
run bighead --fault-every 1:bighead:200 -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "a 200 KiB header: exit 1"
grep -Eq "response headers (exceeded [0-9]+ bytes|too large)" "$TMP/err"
ok $? "a 200 KiB header: said to be too large"
grep -qi "out of memory" "$TMP/err"
ok $((! $?)) "a 200 KiB header: not called out of memory"

run bigbody --fault-every 1:bigbody:65 -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "a 65 MiB body: exit 1"
grep -q "response body exceeded 67108864 bytes" "$TMP/err"
ok $? "a 65 MiB body: the limit is named"
grep -q "Failure writing output" "$TMP/err"
ok $((! $?)) "a 65 MiB body: not libcurl's write failure"

run deep --fault-every 1:deep:5000 -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "JSON nested 5000 deep: exit 1"
grep -q "nested deeper than 1000 levels" "$TMP/err"
ok $? "JSON nested 5000 deep: said so"
is "$(jsonq "$L" 'len(R)')" 1 "JSON nested too deep: not retried"

run redirect --fault-every 1:redirect:302 -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "a 302: exit 1"
grep -q "HTTP 302: a redirect to 'http://127.0.0.1:[0-9]*/elsewhere/v1/chat/completions', and redirects are not followed" "$TMP/err"
ok $? "a 302: names where to and that redirects are not followed"
is "$(jsonq "$L" 'len(R)')" 1 "a 302: not followed, not retried"

done_testing
