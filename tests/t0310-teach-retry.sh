#!/bin/sh
# SPDX-License-Identifier: MIT
# The retry policy of dss-teach against injected faults: Retry-After (in
# seconds, as an HTTP date, and OpenAI's reset header) is honoured, as
# measured by the fake teacher's own request timestamps; retries are
# bounded by --retries; a connection reset, a truncated body, malformed
# JSON, a hang past --timeout and a slow drip are survived; and prompts
# that still fail are reported on stderr with the reason, counted, not
# cached, and make the exit status 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

prompts() {
	mkanli "$1" 'Beta %d sat down.' 'Beta %d is standing.' contradiction 5eed0310
}

prompts 1 > "$TMP/p1.jsonl"
prompts 3 > "$TMP/p3.jsonl"
prompts 20 > "$TMP/p20.jsonl"

# run NAME [SERVER-OPTIONS] -- [DSS-TEACH-OPTIONS] < input: starts a fresh
# fake teacher logging to $TMP/NAME.log and runs dss-teach against it with
# its output in $TMP/out and $TMP/err and its status in $st.
run() {
	_name=$1; shift
	_sargs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_sargs="$_sargs $1"; shift
	done
	shift
	# shellcheck disable=SC2086
	start_server port "$PY" "$FAKE" --log "$TMP/$_name.log" \
	    --lifetime 300 $_sargs
	dss-teach --db "$TMP/$_name.db" --teacher openai:m \
	    --base-url "http://127.0.0.1:$port/v1" --concurrency 1 --quiet "$@" \
	    >"$TMP/out" 2>"$TMP/err"
	st=$?
	L="$TMP/$_name.log"
}

# status_is WANT NAME: checks $st, showing stderr on a mismatch.
# gap N: seconds from the end of request N to the start of request N+1
# (1-based), by the server's clock.
gap() {
	jsonq "$L" "(lambda S: S[$1]['t'] - S[$1 - 1]['t_end'])(sorted(R, key=lambda e: e['seq']))"
}
at_least() {
	"$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"
	ok $? "$3"
	"$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2" ||
	    echo "#   got $1, want at least $2"
}

# ---- Retry-After ---------------------------------------------------------
run ra --faults 429:2,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "429 with Retry-After: 2, then ok: exit 0"
is "$(jsonq "$L" '[e["status"] for e in sorted(R, key=lambda e: e["seq"])]')" '[429, 200]' "429: retried once"
at_least "$(gap 1)" 1.9 "429: Retry-After: 2 waited for (server clock)"
is "$(nrec)" 1 "429: the completion is emitted"

run radate --faults 429:@3,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "429 with Retry-After as an HTTP date: exit 0"
at_least "$(gap 1)" 1.5 "429: an HTTP-date Retry-After waited for"

run xr --faults 429:xr=2s,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "429 with x-ratelimit-reset-requests: 2s: exit 0"
at_least "$(gap 1)" 1.9 "429: OpenAI's reset header waited for"

run r503 --faults 503:1,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "503 with Retry-After: 1: exit 0"
at_least "$(gap 1)" 0.9 "503: Retry-After waited for"

start_server port "$PY" "$FAKE" --log "$TMP/anth529.log" --lifetime 300 \
    --faults 529:1,ok
dss-teach --db "$TMP/anth529.db" --teacher anthropic:claude \
    --base-url "http://127.0.0.1:$port" --concurrency 1 --retries 3 --quiet \
    < "$TMP/p1.jsonl" >"$TMP/out" 2>"$TMP/err"
st=$?
L="$TMP/anth529.log"
status_is 0 "anthropic 529 overloaded with retry-after: exit 0"
at_least "$(gap 1)" 0.9 "anthropic 529: retry-after waited for"

start_server port "$PY" "$FAKE" --log "$TMP/anthreset.log" --lifetime 300 \
    --faults 429:ar=3,ok
dss-teach --db "$TMP/anthreset.db" --teacher anthropic:claude \
    --base-url "http://127.0.0.1:$port" --concurrency 1 --retries 3 --quiet \
    < "$TMP/p1.jsonl" >"$TMP/out" 2>"$TMP/err"
st=$?
L="$TMP/anthreset.log"
status_is 0 "anthropic 429 with anthropic-ratelimit-requests-reset: exit 0"
at_least "$(gap 1)" 1.5 "anthropic 429: the reset time waited for"

run noretryafter --faults 429,500,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "429 and 500 without Retry-After: backoff, then exit 0"
is "$(jsonq "$L" '[e["status"] for e in sorted(R, key=lambda e: e["seq"])]')" '[429, 500, 200]' \
    "backoff: three requests"

run mixed --faults 503,529,500,ok -- --retries 3 < "$TMP/p1.jsonl"
status_is 0 "503, 529, 500, ok with --retries 3: exit 0"
is "$(jsonq "$L" 'len(R)')" 4 "503, 529, 500, ok: four requests"
is "$(jsonq "$TMP/out" '[r["completion"].endswith("So the answer is entailment.") for r in R]')" \
    '[true]' "503, 529, 500, ok: the answer is kept"

# ---- bounded retries, failures reported ----------------------------------
run bounded --fault-every 1:500 -- --retries 2 < "$TMP/p1.jsonl"
status_is 1 "500 forever with --retries 2: exit 1"
is "$(jsonq "$L" 'len(R)')" 3 "--retries 2: one try and two retries, no more"
grep -q 'anli1-train-000000' "$TMP/err" && grep -q '500' "$TMP/err"
ok $? "the failure names the prompt and the status"
is "$(nrec)" 0 "a failed prompt emits nothing"
is "$(sqlite3 "$TMP/bounded.db" 'SELECT count(*) FROM teach_cache')" 0 \
    "a failed prompt is not cached"

run zero --fault-every 1:503 -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "503 with --retries 0: exit 1"
is "$(jsonq "$L" 'len(R)')" 1 "--retries 0: exactly one request"

run r400 --faults 400 -- --retries 3 < "$TMP/p1.jsonl"
status_is 1 "400: exit 1"
is "$(jsonq "$L" 'len(R)')" 1 "400: a client error is not retried"
grep -q '400' "$TMP/err"
ok $? "400: the status is reported"

cat > "$TMP/fail1.jsonl" <<'EOF'
{"match": "anli1-train-000001", "fault": "500"}
EOF
run one --script "$TMP/fail1.jsonl" -- --retries 2 --concurrency 2 \
    < "$TMP/p3.jsonl"
status_is 1 "one prompt of three failing: exit 1"
is "$(jsonq "$TMP/out" 'sorted(r["id"] for r in R)')" \
    '["anli1-train-000000", "anli1-train-000002"]' \
    "one failing: the others are emitted"
grep -q 'anli1-train-000001.*500\|500.*anli1-train-000001' "$TMP/err"
ok $? "one failing: stderr names the prompt and the reason"
grep -Eq '(^|[^0-9])1 (prompt|request)?s? ?(failed|fail)|failed[^0-9]*1([^0-9]|$)' "$TMP/err"
ok $? "one failing: the failures are counted"
is "$(jsonq "$L" 'len([e for e in R if "anli1-train-000001" in json.dumps(e["body"])])')" 3 \
    "one failing: that prompt was tried three times"
# The failed prompt is retried by a rerun, the others come from the cache.
start_server port "$PY" "$FAKE" --log "$TMP/one2.log" --lifetime 300
dss-teach --db "$TMP/one.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet < "$TMP/p3.jsonl" \
    >"$TMP/out" 2>"$TMP/err"
st=$?
status_is 0 "rerun after a failure: exit 0"
is "$(jsonq "$TMP/one2.log" '[re.search("anli1-train-[0-9]+", e["prompt"]).group(0) for e in R]')" '["anli1-train-000001"]' \
    "rerun: only the failed prompt is sent"
is "$(nrec)" 3 "rerun: every prompt emitted"

# ---- broken transfers ----------------------------------------------------
run reset --faults reset,ok -- --retries 2 < "$TMP/p1.jsonl"
status_is 0 "connection reset, then ok: exit 0"
is "$(jsonq "$L" 'len(R)')" 2 "reset: retried"
is "$(nrec)" 1 "reset: the completion is emitted"

run close --faults close,ok -- --retries 2 < "$TMP/p1.jsonl"
status_is 0 "connection closed without a response, then ok: exit 0"

run trunc --faults truncate,ok -- --retries 2 < "$TMP/p1.jsonl"
status_is 0 "truncated body, then ok: exit 0"
is "$(jsonq "$L" 'len(R)')" 2 "truncated: retried"
is "$(sqlite3 "$TMP/trunc.db" "SELECT count(*) FROM teach_cache WHERE completion LIKE '%So the answer is entailment.'")" 1 \
    "truncated: the cache holds the whole answer"

run trunc0 --faults truncate -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "truncated body with --retries 0: exit 1"
grep -q 'anli1-train-000000' "$TMP/err"
ok $? "truncated: the failure names the prompt"
is "$(sqlite3 "$TMP/trunc0.db" 'SELECT count(*) FROM teach_cache')" 0 \
    "truncated: nothing half-written to the cache"

run badjson --faults badjson,ok -- --retries 2 < "$TMP/p1.jsonl"
status_is 0 "malformed JSON, then ok: exit 0"
is "$(nrec)" 1 "malformed JSON: the good answer is emitted"
is "$(sqlite3 "$TMP/badjson.db" "SELECT count(*) FROM teach_cache WHERE completion LIKE '%entailment.'")" 1 \
    "malformed JSON: the good answer is cached"

run badjson0 --faults badjson -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "malformed JSON with --retries 0: exit 1"
grep -q 'anli1-train-000000' "$TMP/err"
ok $? "malformed JSON: the failure names the prompt"
is "$(sqlite3 "$TMP/badjson0.db" 'SELECT count(*) FROM teach_cache')" 0 \
    "malformed JSON: nothing cached"

run hang --faults hang,ok -- --retries 2 --timeout 1 < "$TMP/p1.jsonl"
status_is 0 "a hang past --timeout 1, then ok: exit 0"
is "$(jsonq "$L" '[e["fault"] for e in sorted(R, key=lambda e: e["seq"])]')" '["hang", null]' \
    "hang: given up on and retried"
at_least "$(jsonq "$L" 'sorted(R, key=lambda e: e["seq"])[1]["t"] - sorted(R, key=lambda e: e["seq"])[0]["t"]')" 0.9 \
    "hang: the retry came after the timeout"

run hang0 --faults hang -- --retries 0 --timeout 1 < "$TMP/p1.jsonl"
status_is 1 "a hang with --retries 0: exit 1"
grep -Eq '[Tt]ime' "$TMP/err"
ok $? "hang: the failure says it timed out"

run drip --faults drip:200,ok -- --retries 2 --timeout 1 < "$TMP/p1.jsonl"
status_is 0 "a slow drip past --timeout 1, then ok: exit 0"
is "$(jsonq "$L" 'len(R)')" 2 "drip: the whole-transfer timeout applies"
is "$(nrec)" 1 "drip: the completion is emitted"

run dripok --faults drip:2 -- --retries 0 --timeout 30 < "$TMP/p1.jsonl"
status_is 0 "a slow drip within --timeout: exit 0"
is "$(jsonq "$TMP/out" '[r["completion"].endswith("So the answer is entailment.") for r in R]')" \
    '[true]' "drip: the dripped answer is read whole"

# ---- answers without text ---------------------------------------------------------------
# A 200 whose body is an error object, and a 200 with no text at all (no
# choices; no content blocks; a Gemini candidate blocked for SAFETY): never
# a crash, never a record that breaks the contract.
run err200 --faults error200 -- --retries 0 < "$TMP/p1.jsonl"
status_is 1 "a 200 carrying an error object: exit 1"
grep -q 'anli1-train-000000' "$TMP/err"
ok $? "a 200 carrying an error object: the prompt is named"
is "$(sqlite3 "$TMP/err200.db" 'SELECT count(*) FROM teach_cache')" 0 \
    "a 200 carrying an error object: nothing cached"
for spec in openai:m anthropic:m gemini:m; do
	start_server port "$PY" "$FAKE" --faults empty --lifetime 300
	case $spec in
	openai:*) base="http://127.0.0.1:$port/v1" ;;
	*) base="http://127.0.0.1:$port" ;;
	esac
	dss-teach --db "$TMP/empty-${spec%%:*}.db" --teacher "$spec" \
	    --base-url "$base" --retries 0 --quiet < "$TMP/p1.jsonl" \
	    > "$TMP/out" 2> "$TMP/err"
	st=$?
	[ "$st" -le 1 ]
	ok $? "${spec%%:*}: an answer without text is no crash (status $st)"
	"$PY" "$TOP/tests/check_schema.py" "$TOP/schemas/completion.schema.json" \
	    "$TMP/out" 2> "$TMP/schema.err"
	ok $? "${spec%%:*}: an answer without text breaks no record"
	diag "$TMP/schema.err"
	if [ "$st" = 1 ]; then
		grep -q 'anli1-train-000000' "$TMP/err"
		ok $? "${spec%%:*}: the prompt without text is named"
	else
		is "$(wc -l < "$TMP/out" | tr -d ' ')" 1 "${spec%%:*}: the empty answer is emitted"
	fi
done

# ---- throttled runs still complete ---------------------------------------
run throttle --fault-every 4:429:1 -- --retries 5 --concurrency 4 \
    < "$TMP/p20.jsonl"
status_is 0 "every fourth request throttled: exit 0"
is "$(jsonq "$TMP/out" 'len(set(r["id"] for r in R)) == len(R) == 20')" true \
    "throttled: each of the 20 prompts emitted once"
is "$("$PY" -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/stats" % sys.argv[1]))["duplicates"])' "$port")" \
    0 "throttled: no prompt answered twice"

# ---- keep-alive -------------------------------------------------------------------------
prompts 40 > "$TMP/p40.jsonl"
run keep --latency-ms 20 -- --concurrency 4 < "$TMP/p40.jsonl"
status_is 0 "40 prompts at --concurrency 4: exit 0"
n=$(jsonq "$L" 'len(set(e["conn"] for e in R))')
[ "$n" -le 8 ]
ok $? "connections are reused: 40 requests over $n connections"

# ---- concurrency falls while throttled and rises after ----------------------
prompts 80 > "$TMP/p80.jsonl"
# 16 answers at full speed, then a wave of eight 429s, then answers again.
wave=ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok,ok
wave=$wave,429:1,429:1,429:1,429:1,429:1,429:1,429:1,429:1
run aimd --latency-ms 150 --faults "$wave" \
    -- --retries 5 --concurrency 8 < "$TMP/p80.jsonl"
status_is 0 "a throttled wave at --concurrency 8: exit 0"
is "$(jsonq "$L" 'max(e["inflight"] for e in R if 9 <= e["seq"] <= 16)')" 8 \
    "throttle: 8 in flight before"
n=$(jsonq "$L" 'max(e["inflight"] for e in R if 25 <= e["seq"] <= 32)')
[ "$n" -lt 8 ]
ok $? "throttle: fewer in flight after the 429s ($n)"
is "$(jsonq "$L" 'max(e["inflight"] for e in R if e["seq"] > 70)')" 8 \
    "throttle: back to 8 in flight later"
is "$(jsonq "$TMP/out" 'len(set(r["id"] for r in R))')" 80 \
    "throttle: every prompt completed"

# ---- request and token rates ------------------------------------------------------
prompts 8 > "$TMP/p8.jsonl"
run rpm -- --rpm 120 --concurrency 4 < "$TMP/p8.jsonl"
status_is 0 "--rpm 120: exit 0"
at_least "$(jsonq "$L" 'max(e["t"] for e in R) - min(e["t"] for e in R)')" 2.4 \
    "--rpm 120: 8 requests spread over at least 3 seconds less a 1-second burst"
run tpm -- --tpm 6000 --max-tokens 100 --concurrency 4 < "$TMP/p8.jsonl"
status_is 0 "--tpm 6000 with --max-tokens 100: exit 0"
at_least "$(jsonq "$L" 'max(e["t"] for e in R) - min(e["t"] for e in R)')" 0.5 \
    "--tpm: requests are paced by their token estimate"

# ---- progress and summary ----------------------------------------------------------
prompts 5 > "$TMP/p5.jsonl"
start_server port "$PY" "$FAKE" --lifetime 300
dss-teach --db "$TMP/prog.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" < "$TMP/p5.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "without --quiet: exit 0"
grep -q '5/5' "$TMP/err"
ok $? "without --quiet: a status line says 5/5 done on stderr"
grep -q '{' "$TMP/err"
ok $((! $?)) "without --quiet: no records on stderr"
dss-teach --db "$TMP/prog.db" --teacher openai:m --quiet \
    --base-url "http://127.0.0.1:$port/v1" < "$TMP/p5.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
is "$(wc -c < "$TMP/err" | tr -d ' ')" 0 "--quiet: nothing on stderr"

# On a terminal: a status line redrawn in place with done/total, rate,
# ETA, tokens and cost.
start_server port "$PY" "$FAKE" --latency-ms 400 --lifetime 300
"$PY" - "http://127.0.0.1:$port/v1" "$TMP/p5.jsonl" "$TMP/tty.db" > "$TMP/tty.err" <<'EOF'
import os, pty, subprocess, sys
base, inp, db = sys.argv[1:]
m, s = pty.openpty()
p = subprocess.Popen(["dss-teach", "--db", db, "--teacher", "openai:m",
                      "--base-url", base, "--concurrency", "1",
                      "--price", "1,2"],
                     stdin=open(inp), stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
buf = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode("utf-8", "replace"))
sys.exit(p.wait())
EOF
st=$?
status_is 0 "on a terminal: exit 0"
grep -q "$(printf '\r')" "$TMP/tty.err"
ok $? "on a terminal: the status line is redrawn in place"
for want in '5/5' '[0-9.]+/s' '[Ee][Tt][Aa]' '[Tt]okens' '\$[0-9]'; do
	grep -Eq "$want" "$TMP/tty.err"
	ok $? "on a terminal: the status shows /$want/"
done

# ---- nobody listening ----------------------------------------------------------------
dead=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dss-teach --db "$TMP/dead.db" --teacher openai:m --retries 1 --quiet \
    --base-url "http://127.0.0.1:$dead/v1" < "$TMP/p1.jsonl" \
    > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 1 "connection refused: exit 1"
grep -q "anli1-train-000000.*[Cc]onnect" "$TMP/err"
ok $? "connection refused: the prompt and the reason are reported"

done_testing
