#!/bin/sh
# SPDX-License-Identifier: MIT
# A 2,000-prompt dss-teach run killed with SIGKILL at several points (by
# watching its output grow) and resumed each time: in the end every
# prompt is completed exactly once, no request whose answer was already
# in the cache is ever sent again (checked against the fake teacher's log
# and a snapshot of the cache after each kill), only requests that were
# in flight at a kill are answered twice, and the database passes
# PRAGMA integrity_check after every kill.  Then the same with two
# samples per prompt sent as separate Anthropic requests.  And SIGTERM or
# SIGINT: the answer in flight is kept, nothing new is sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

N=2000
CONC=8

prompts() {
	mkprompts "$1" esnli 5eed0330 entailment \
	    'Delta %d rides a bike.</s>Delta %d is outside.' \
	    '"premise":"Delta %d rides a bike.","hypothesis":"Delta %d is outside.","source_id":"p%d","explanations":["bikes are ridden outside"]' \
	    'Premise: Delta %d rides a bike.\nHypothesis: Delta %d is outside.\nExample %id\nA:'
}

# settle: waits until the fake teacher has finished every request it
# holds and has seen no new one for half a second, so that requests a
# killed client had sent (some may still sit in the listen queue) are
# counted before the cache is compared with the server's log.
settle() {
	"$PY" - "$port" <<'EOF'
import json, sys, time, urllib.request
url = "http://127.0.0.1:%s/stats" % sys.argv[1]
last, since, end = None, time.monotonic(), time.monotonic() + 60
while time.monotonic() < end:
    s = json.load(urllib.request.urlopen(url))
    now = (s["total"], s["inflight"])
    if now != last:
        last, since = now, time.monotonic()
    elif s["inflight"] == 0 and time.monotonic() - since >= 0.5:
        break
    time.sleep(0.05)
EOF
}

prompts $N > "$TMP/prompts.jsonl"
start_server port "$PY" "$FAKE" --latency-ms 10 --log "$TMP/server.jsonl" \
    --lifetime 600
DB="$TMP/teach.db"

# The run number k is killed once its output holds at least the given
# number of lines; its cache is then snapshotted along with the number of
# requests the server has seen so far.
run=0
killed=0
for at in 1 500 1100 1600; do
	run=$((run + 1))
	: > "$TMP/run$run.out"
	dss-teach --db "$DB" --teacher openai:gpt-4o-mini \
	    --base-url "http://127.0.0.1:$port/v1" --concurrency $CONC --lease 2 \
	    < "$TMP/prompts.jsonl" >> "$TMP/run$run.out" 2> "$TMP/run$run.err" &
	pid=$!
	while [ "$(wc -l < "$TMP/run$run.out")" -lt $at ] &&
	    kill -0 $pid 2>/dev/null; do
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	st=$?
	[ $st -eq 137 ] && killed=$((killed + 1))
	[ $st -eq 137 ] || echo "# run $run ended by itself (status $st) before the kill"
	settle
	sqlite3 "$DB" 'SELECT id FROM teach_cache' | sort > "$TMP/snap$run"
	stat total > "$TMP/seen$run"
	is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok \
	    "kill $run after $at records: integrity_check ok"
	echo "# kill $run: $(wc -l < "$TMP/snap$run" | tr -d ' ') cached, $(cat "$TMP/seen$run") requests seen"
done
[ $killed -ge 3 ]
ok $? "at least three of the four kills landed mid-run ($killed)"

run=$((run + 1))
dss-teach --db "$DB" --teacher openai:gpt-4o-mini \
    --base-url "http://127.0.0.1:$port/v1" --concurrency $CONC --lease 2 \
    < "$TMP/prompts.jsonl" > "$TMP/final.out" 2> "$TMP/final.err"
st=$?
is "$st" 0 "the resumed run completes: exit 0"
[ "$st" = 0 ] || diag "$TMP/final.err"
is "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "final: integrity_check ok"
is "$(sqlite3 "$DB" 'SELECT count(*), count(DISTINCT id), count(DISTINCT request) FROM teach_cache')" \
    "$N|$N|$N" "final: every prompt cached exactly once"
"$PY" - "$TMP/final.out" "$TMP/prompts.jsonl" <<'EOF'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
ids = [json.loads(l)["id"] for l in open(sys.argv[2])]
ok = len(out) == len(ids) and sorted(r["id"] for r in out) == sorted(ids)
sys.exit(0 if ok else 1)
EOF
ok $? "final: every prompt emitted exactly once"
seen=$(stat total)

# No request was sent for an id that was already cached at the time.
"$PY" - "$TMP/server.jsonl" "$TMP" "$((run - 1))" > "$TMP/check" <<'EOF'
import json, re, sys
log = [json.loads(l) for l in open(sys.argv[1])]
tmp, runs = sys.argv[2], int(sys.argv[3])
def eid(e):
    return re.search(r"esnli-train-[0-9]+", json.dumps(e["body"])).group(0)
bad = 0
for k in range(1, runs + 1):
    snap = set(l.strip() for l in open("%s/snap%d" % (tmp, k)))
    seen = int(open("%s/seen%d" % (tmp, k)).read())
    for e in log:
        if e["seq"] > seen and eid(e) in snap:
            bad += 1
answers = {}
for e in log:
    if e["success"]:
        answers[eid(e)] = answers.get(eid(e), 0) + 1
print(bad, sum(c - 1 for c in answers.values()), len(answers))
EOF
set -- $(cat "$TMP/check")
is "$1" 0 "resume: zero requests for answers already in the cache"
[ "$2" -le $((killed * CONC)) ]
ok $? "resume: only in-flight requests answered twice ($2, at most $((killed * CONC)))"
is "$3" $N "resume: every prompt answered by the server"
echo "# server: $seen requests, $(stat successful) answered, $(stat duplicates) keys answered more than once"

dss-teach --db "$DB" --teacher openai:gpt-4o-mini \
    --base-url "http://127.0.0.1:$port/v1" --concurrency $CONC --lease 2 \
    < "$TMP/prompts.jsonl" > "$TMP/again.out" 2> "$TMP/again.err"
is "$?" 0 "a run after completion: exit 0"
is "$(stat total)" "$seen" "a run after completion: zero requests"
is "$(wc -l < "$TMP/again.out" | tr -d ' ')" $N "a run after completion: all from the cache"

# ---- two samples as two requests each (Anthropic), killed twice ----------------------
# Anthropic has no n, so the two samples of a prompt are two identical
# request bodies, told apart only by dss-teach's cache: after the last
# kill, each prompt must be asked exactly as many times as it has samples
# missing from the cache.
M=300
start_server port "$PY" "$FAKE" --latency-ms 10 --log "$TMP/anth.jsonl" \
    --lifetime 600
head -n $M "$TMP/prompts.jsonl" > "$TMP/p300.jsonl"
ADB="$TMP/anth.db"
for at in 150 400; do
	: > "$TMP/arun.out"
	dss-teach --db "$ADB" --teacher anthropic:claude --samples 2 \
	    --base-url "http://127.0.0.1:$port" --concurrency $CONC --lease 2 \
	    < "$TMP/p300.jsonl" >> "$TMP/arun.out" 2> "$TMP/arun.err" &
	pid=$!
	while [ "$(wc -l < "$TMP/arun.out")" -lt $at ] &&
	    kill -0 $pid 2>/dev/null; do
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "# anthropic: killed with status $? after $(wc -l < "$TMP/arun.out" | tr -d ' ') records"
done
settle
sqlite3 "$ADB" 'SELECT id, count(*) FROM teach_cache GROUP BY id' > "$TMP/asnap"
aseen=$(stat total)
is "$(sqlite3 "$ADB" 'PRAGMA integrity_check')" ok "anthropic kills: integrity_check ok"
dss-teach --db "$ADB" --teacher anthropic:claude --samples 2 \
    --base-url "http://127.0.0.1:$port" --concurrency $CONC --lease 2 \
    < "$TMP/p300.jsonl" > "$TMP/arun.out" 2> "$TMP/arun.err"
is "$?" 0 "anthropic resume: exit 0"
is "$(sqlite3 "$ADB" 'SELECT count(*), count(DISTINCT id) FROM teach_cache')" \
    "$((M * 2))|$M" "anthropic resume: two samples cached per prompt"
is "$("$PY" -c 'import json, sys
print(sorted((r["id"], r["sample"]) for r in map(json.loads, open(sys.argv[1]))) == sorted(("esnli-train-%06d" % i, s) for i in range(int(sys.argv[2])) for s in (0, 1)))' "$TMP/arun.out" $M)" \
    True "anthropic resume: every prompt and sample emitted once"
"$PY" - "$TMP/anth.jsonl" "$TMP/asnap" "$aseen" $M > "$TMP/acheck" <<'EOF'
import json, re, sys
log, snap, seen, m = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cached = {}
for line in open(snap):
    i, n = line.strip().split("|")
    cached[i] = int(n)
asked = {}
for e in map(json.loads, open(log)):
    if e["seq"] > seen:
        i = re.search(r"esnli-train-[0-9]+", json.dumps(e["body"])).group(0)
        asked[i] = asked.get(i, 0) + 1
ids = ["esnli-train-%06d" % k for k in range(m)]
bad = [i for i in ids if asked.get(i, 0) != 2 - cached.get(i, 0)]
print(len(bad))
for i in bad[:5]:
    print("# %s: %d cached, asked %d times" % (i, cached.get(i, 0),
                                             asked.get(i, 0)))
EOF
sed -n '2,$p' "$TMP/acheck"
is "$(sed -n 1p "$TMP/acheck")" 0 \
    "anthropic resume: each prompt asked once per sample missing, never for a cached one"

# ---- SIGTERM or SIGINT: what is in flight is paid, so it is kept ----------
# Six prompts, one at a time, each answered after 2 s.  A signal while
# the first is in flight stops the sending: its answer arrives, is cached
# and emitted, nothing more is sent, and the tool dies of the signal; a
# rerun pays only for the other five.  A second signal ends it at once.
start_server sport "$PY" "$FAKE" --fault-every 1:slow:2000 --lifetime 300 \
    --log "$TMP/sig.log"
prompts 6 > "$TMP/p6.jsonl"
# inflight N: waits until the server answers N requests at once (10 s).
inflight() {
	"$PY" - "$sport" "$1" <<'EOF'
import json, sys, time, urllib.request
url = "http://127.0.0.1:%s/stats" % sys.argv[1]
end = time.monotonic() + 10
while time.monotonic() < end:
    if json.load(urllib.request.urlopen(url))["inflight"] >= int(sys.argv[2]):
        break
    time.sleep(0.02)
EOF
}
for sig in TERM:15 INT:2; do
	num=${sig#*:}
	sig=${sig%:*}
	SDB="$TMP/sig-$sig.db"
	: > "$TMP/sig.log"
	# a background job of sh ignores SIGINT: restore its default first
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' \
	    dss-teach --db "$SDB" --teacher openai:m --concurrency 1 --quiet \
	    --base-url "http://127.0.0.1:$sport/v1" < "$TMP/p6.jsonl" \
	    > "$TMP/sig.out" 2> "$TMP/sig.err" &
	pid=$!
	inflight 1
	kill -$sig $pid
	wait $pid
	st=$?
	is "$st" "$((128 + num))" "SIG$sig mid-run: dies of the signal, once its answers are in"
	is "$(wc -l < "$TMP/sig.log" | tr -d ' ')" 1 "SIG$sig mid-run: nothing sent after it"
	is "$(sqlite3 "$SDB" 'SELECT count(*) FROM teach_cache')" 1 \
	    "SIG$sig mid-run: the answer in flight is cached"
	is "$(wc -l < "$TMP/sig.out" | tr -d ' ')" 1 "SIG$sig mid-run: and emitted"
	grep -q "^dss-teach: stopped: interrupted by SIG$sig; 5 prompts not finished$" "$TMP/sig.err"
	ok $? "SIG$sig mid-run: said so"
	[ $? -eq 0 ] || diag "$TMP/sig.err"
	is "$(sqlite3 "$SDB" 'SELECT count(*) FROM teach_leases')" 0 \
	    "SIG$sig mid-run: its leases given up"
	dss-teach --db "$SDB" --teacher openai:m --concurrency 3 --quiet \
	    --base-url "http://127.0.0.1:$sport/v1" < "$TMP/p6.jsonl" > "$TMP/sig.out"
	is "$(wc -l < "$TMP/sig.log" | tr -d ' ')" 6 "SIG$sig: the rerun pays for the other five only"
done

# A second signal does not wait.
: > "$TMP/sig.log"
dss-teach --db "$TMP/sig2.db" --teacher openai:m --concurrency 1 --quiet \
    --base-url "http://127.0.0.1:$sport/v1" < "$TMP/p6.jsonl" > /dev/null 2>&1 &
pid=$!
inflight 1
t0=$(date +%s)
kill -TERM $pid
sleep 0.2
kill -TERM $pid
wait $pid
is "$?" 143 "a second SIGTERM: dies of it"
[ $(( $(date +%s) - t0 )) -le 1 ]
ok $? "  at once, not after the answers in flight"

done_testing
