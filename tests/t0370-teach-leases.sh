#!/bin/sh
# SPDX-License-Identifier: MIT
# One paid request across processes, and no paid answer lost to a busy
# database.  Two and four dss-teach processes on one database, with the
# same and overlapping prompts, against one counting fake teacher: every
# request key is answered (paid) exactly once and every process writes
# every record.  A process killed with kill -9 while it holds leases: a
# second process takes the work over once the leases lapse (--lease 2).
# Three processes creating one new database at once all succeed.  A
# writer holding the database past the busy timeout loses dss-teach no
# answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

mkanli 100 'Zeta %d ran far.' 'Zeta %d moved.' entailment 5eed0370 > "$TMP/p100.jsonl"
sed -n '51,100p' "$TMP/p100.jsonl" > "$TMP/half2.jsonl"
mkanli 150 'Zeta %d ran far.' 'Zeta %d moved.' entailment 5eed0370 | sed -n '51,150p' > "$TMP/p51-150.jsonl"

teach() {
	_k=$1 _db=$2 _in=$3; shift 3
	dss-teach --db "$_db" --teacher openai:m --base-url "http://127.0.0.1:$port/v1" \
	    --concurrency 8 --quiet "$@" < "$_in" > "$TMP/out.$_k" 2> "$TMP/err.$_k" &
	eval "pid$_k=\$!"
}
# keys_once: every request key the server answered was answered once.
keys_once() {
	is "$(stat duplicate_answers)" 0 "$1: no request key paid twice"
}

# ---- two processes, the same 100 prompts, at once -------------------------
start_server port "$PY" "$FAKE" --latency-ms 30 --lifetime 120
teach 1 "$TMP/two.db" "$TMP/p100.jsonl"
teach 2 "$TMP/two.db" "$TMP/p100.jsonl"
wait $pid1; s1=$?; wait $pid2; s2=$?
is "$s1 $s2" "0 0" "two processes: both exit 0"
keys_once "two processes"
is "$(stat successful)" 100 "two processes: 100 answers paid for 100 keys"
is "$(jsonq "$TMP/out.1" 'len(set(r["id"] for r in R))') $(jsonq "$TMP/out.2" 'len(set(r["id"] for r in R))')" \
    "100 100" "two processes: each writes every record"
is "$(sqlite3 "$TMP/two.db" 'SELECT count(*) FROM teach_cache') $(sqlite3 "$TMP/two.db" 'SELECT count(*) FROM teach_leases')" \
    "100 0" "two processes: 100 cached answers, no lease left"

# ---- the second starts half a second later ---------------------------------
start_server port "$PY" "$FAKE" --latency-ms 30 --lifetime 120
teach 1 "$TMP/late.db" "$TMP/p100.jsonl"
sleep 0.5
teach 2 "$TMP/late.db" "$TMP/p100.jsonl"
wait $pid1; s1=$?; wait $pid2; s2=$?
is "$s1 $s2" "0 0" "second process 0.5 s later: both exit 0"
keys_once "second process 0.5 s later"
is "$(stat total)" 100 "second process 0.5 s later: 100 requests in all"

# ---- four processes, overlapping prompts ----------------------------------
start_server port "$PY" "$FAKE" --latency-ms 20 --lifetime 120
teach 1 "$TMP/four.db" "$TMP/p100.jsonl"
teach 2 "$TMP/four.db" "$TMP/half2.jsonl"
teach 3 "$TMP/four.db" "$TMP/p51-150.jsonl" --samples 1
teach 4 "$TMP/four.db" "$TMP/p100.jsonl"
wait $pid1; s1=$?; wait $pid2; s2=$?; wait $pid3; s3=$?; wait $pid4; s4=$?
is "$s1 $s2 $s3 $s4" "0 0 0 0" "four processes: all exit 0"
keys_once "four processes"
is "$(stat successful)" 150 "four processes: 150 answers for 150 distinct prompts"
is "$(wc -l < "$TMP/out.1" | tr -d ' ') $(wc -l < "$TMP/out.2" | tr -d ' ') $(wc -l < "$TMP/out.3" | tr -d ' ') $(wc -l < "$TMP/out.4" | tr -d ' ')" \
    "100 50 100 100" "four processes: each writes all of its records"

# ---- kill -9 of a lease holder ---------------------------------------------
start_server port "$PY" "$FAKE" --latency-ms 1500 --lifetime 120
mkanli 8 'Eta %d slept.' 'Eta %d rested.' neutral 5eed0370 > "$TMP/p8.jsonl"
teach 1 "$TMP/kill.db" "$TMP/p8.jsonl" --lease 2
sleep 0.7
n=$(sqlite3 "$TMP/kill.db" 'SELECT count(*) FROM teach_leases' 2>/dev/null)
[ "${n:-0}" -gt 0 ]
ok $? "the first process holds leases while its requests are in flight ($n)"
kill -9 $pid1
wait $pid1 2>/dev/null
t0=$(date +%s)
teach 2 "$TMP/kill.db" "$TMP/p8.jsonl" --lease 2
wait $pid2; s2=$?
secs=$(( $(date +%s) - t0 ))
is "$s2" 0 "after kill -9: a second process completes the work"
is "$(jsonq "$TMP/out.2" 'len(set(r["id"] for r in R))')" 8 "after kill -9: every prompt answered"
[ "$secs" -le 20 ]
ok $? "after kill -9: the lapsed leases are taken over within seconds ($secs s)"
is "$(sqlite3 "$TMP/kill.db" 'SELECT count(*) FROM teach_leases')" 0 "after kill -9: no lease left"

# ---- a live lease is waited for, not paid again ----------------------------
start_server port "$PY" "$FAKE" --latency-ms 4000 --lifetime 120
mkanli 2 'Theta %d sat.' 'Theta %d is seated.' entailment 5eed0370 > "$TMP/p2.jsonl"
teach 1 "$TMP/wait.db" "$TMP/p2.jsonl" --lease 2
sleep 0.5
teach 2 "$TMP/wait.db" "$TMP/p2.jsonl" --lease 2
wait $pid1; s1=$?; wait $pid2; s2=$?
is "$s1 $s2" "0 0" "a lease shorter than the request, renewed: both exit 0"
is "$(stat total)" 2 "a renewed lease: the second process pays nothing"

# ---- three processes create one new database at once -----------------------
echo '{"dataset":"anli1","split":"train","id":"x1","index":0,"input":"a","label":"neutral"}' > "$TMP/rec.jsonl"
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rm -f "$TMP"/race.db*
	racers=
	for k in 1 2 3; do
		( dss-store "$TMP/race.db" < "$TMP/rec.jsonl" > /dev/null 2> "$TMP/race.$k.err"
		  echo $? > "$TMP/race.$k.st" ) &
		racers="$racers $!"
	done
	# Only the racers: a bare wait would wait for the fake server too.
	wait $racers
	[ "$(cat "$TMP"/race.[123].st | sort -u)" = 0 ] || { bad=$((bad + 1)); diag "$TMP"/race.[123].err; }
done
is "$bad" 0 "three processes creating one database at once: 10 of 10 races succeed"

# ---- a writer holds the database past the busy timeout ---------------------
# The requests are in flight (the teacher takes 3 s) when another writer
# takes the database for 6 s, past the busy timeout (30 s, made 2 s here
# with DSS_DB_BUSY_MS): the paid answers wait for it, and none is lost.
mkanli 26 'Iota %d ran.' 'Iota %d moved.' entailment 5eed0370 > "$TMP/p26.jsonl"
dss-store "$TMP/lock.db" < "$TMP/rec.jsonl" 2> /dev/null
start_server port "$PY" "$FAKE" --latency-ms 3000 --lifetime 120
DSS_DB_BUSY_MS=2000 dss-teach --db "$TMP/lock.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --concurrency 32 \
    < "$TMP/p26.jsonl" > "$TMP/out.lock" 2> "$TMP/err.lock" &
teachpid=$!
sleep 1
"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
time.sleep(6)
c.execute("COMMIT")' "$TMP/lock.db" &
lockpid=$!
wait $teachpid
st=$?
wait $lockpid
cp "$TMP/err.lock" "$TMP/err"
status_is 0 "a writer holding the database past the busy timeout: exit 0"
is "$(stat successful) $(sqlite3 "$TMP/lock.db" 'SELECT count(*) FROM teach_cache') $(wc -l < "$TMP/out.lock" | tr -d ' ')" \
    "26 26 26" "a writer holding the database past the busy timeout: 26 paid, 26 stored, 26 written"
grep -q "waiting for the database lock" "$TMP/err.lock"
ok $? "the wait for the lock is shown"

done_testing
