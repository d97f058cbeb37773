#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: dss-teach sending 20,000 chat requests at concurrency 64 to a
# loopback OpenAI-compatible server that answers each one 20 ms after it
# arrives (bench/latency-server.c, built here with cc), beside the
# official `openai` Node SDK (installed from npm into build/bench/node)
# driven at the same concurrency over the same prompts, in the same run.
# Targets: dss-teach's wall time within 10% of the ideal (requests /
# concurrency x latency), its CPU time at most 1/3 and its peak RSS at
# most 1/5 of the Node client's.  The server reports the requests it
# served, the most it held at once, the delay it actually served and its
# own CPU time, to show it was not the bottleneck; a last run puts two
# dss-teach clients on one server at once to show it has room to spare.
set -u
cd "$(dirname "$0")/.."
N=${DSS_BENCH_TEACH_N:-20000}
C=${DSS_BENCH_TEACH_CONC:-64}
LAT=20
D=build/bench/teach
NODE_DIR=build/bench/node
mkdir -p "$D"

cc -O2 -o "$D/latency-server" bench/latency-server.c || {
	echo "30-teach: cannot build bench/latency-server.c"; exit 1; }

if [ ! -s "$D/prompts.jsonl" ] || [ "$(wc -l < "$D/prompts.jsonl")" -ne "$N" ]; then
	awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		id = sprintf("esnli-train-%06d", i)
		pr = sprintf("Premise: A dog number %d runs in the park.\\nHypothesis: A dog is outside.\\nA:", i)
		printf "{\"dataset\":\"esnli\",\"split\":\"train\",\"id\":\"%s\",\"index\":%d,", id, i
		printf "\"input\":\"A dog number %d runs in the park.</s>A dog is outside.\",\"label\":\"entailment\",", i
		printf "\"fields\":{\"premise\":\"A dog number %d runs in the park.\",\"hypothesis\":\"A dog is outside.\",\"source_id\":\"%d#0\",\"explanations\":[\"a park is outside\"]},", i, i
		printf "\"prompt\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],", pr, pr
		printf "\"template\":\"0bench30\",\"style\":\"cot\"}\n"
	}}' > "$D/prompts.jsonl"
fi

# measure OUT CMD...: runs CMD with stdout to OUT.out and stderr to
# OUT.err, and writes "wall user sys maxrss_kb status" to OUT.time.
if /usr/bin/time -f '%e' true 2>/dev/null; then
	measure() {
		_o=$1; shift
		/usr/bin/time -o "$_o.time" -f '%e %U %S %M %x' "$@" \
		    > "$_o.out" 2> "$_o.err"
	}
else
	measure() {	# no GNU time: the same figures from getrusage
		_o=$1; shift
		python3 - "$_o" "$@" <<'EOF'
import resource, subprocess, sys, time
o = sys.argv[1]
t = time.monotonic()
with open(o + ".out", "w") as out, open(o + ".err", "w") as err:
    st = subprocess.call(sys.argv[2:], stdout=out, stderr=err)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(o + ".time", "w").write("%.2f %.2f %.2f %d %d\n" % (w, r.ru_utime, r.ru_stime, r.ru_maxrss, st))
EOF
	}
fi

# server_start / server_stop: a fresh latency server per client run;
# server_stop leaves its report line in $srv_report.
server_start() {
	rm -f "$D/server.port"
	"$D/latency-server" $LAT 600 > "$D/server.port" 2> "$D/server.err" &
	srv_pid=$!
	_i=0
	while [ ! -s "$D/server.port" ] && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	port=$(head -n 1 "$D/server.port")
}
server_stop() {
	kill -TERM "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_report=$(sed 's/^latency-server: //' "$D/server.err")
}

# f EXPR: floating-point arithmetic for the report.
f() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}
verdict() {	# verdict VALUE LIMIT
	awk "BEGIN { print ($1 <= $2) ? \"met\" : \"MISSED\" }"
}

ideal=$(f "$N / $C * $LAT / 1000")
echo "teach: $N requests, concurrency $C, server latency $LAT ms: ideal $ideal s"
# The wall target assumes the client's CPU is there when it needs it: say
# how busy the machine was.
[ -r /proc/loadavg ] && echo "machine: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- dss-teach --------------------------------------------------------------
rm -f "$D/teach.db" "$D/teach.db-wal" "$D/teach.db-shm"
server_start
measure "$D/dss" bin/dss-teach --db "$D/teach.db" --teacher openai:bench \
    --base-url "http://127.0.0.1:$port/v1" --concurrency "$C" \
    --max-tokens 64 --temperature 0 --quiet < "$D/prompts.jsonl"
server_stop
set -- $(cat "$D/dss.time")
dw=$1 dcpu=$(f "$2 + $3") drss=$4 dst=$5
dn=$(wc -l < "$D/dss.out" | tr -d ' ')
if [ "$dst" != 0 ] || [ "$dn" != "$N" ]; then
	echo "30-teach: dss-teach failed (status $dst, $dn of $N records):"
	sed 's/^/  /' "$D/dss.err" | tail -5
	exit 1
fi
echo "dss-teach:  wall $dw s, cpu $dcpu s, peak RSS $(f "$drss / 1024") MiB"
echo "  server:   $srv_report"
# The same run again is served wholly from the cache.
server_start
measure "$D/dss2" bin/dss-teach --db "$D/teach.db" --teacher openai:bench \
    --base-url "http://127.0.0.1:$port/v1" --concurrency "$C" \
    --max-tokens 64 --temperature 0 --quiet < "$D/prompts.jsonl"
server_stop
set -- $(cat "$D/dss2.time")
echo "dss-teach rerun from the cache: wall $1 s, cpu $(f "$2 + $3") s; server: $srv_report"

# ---- the Node openai SDK -------------------------------------------------------
node_ok=0
if ! command -v node >/dev/null 2>&1; then
	echo "teach-node: SKIPPED: node is not installed"
elif [ ! -f "$NODE_DIR/node_modules/openai/package.json" ] &&
    ! npm install --prefix "$NODE_DIR" --no-audit --no-fund openai \
    > "$D/npm.log" 2>&1; then
	echo "teach-node: SKIPPED: cannot install the openai package from npm (see $D/npm.log)"
else
	cp bench/teach-node.mjs "$NODE_DIR/teach-node.mjs"
	ver=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
	    "$NODE_DIR/node_modules/openai/package.json" | head -n 1)
	server_start
	measure "$D/node" node "$NODE_DIR/teach-node.mjs" \
	    "http://127.0.0.1:$port/v1" "$D/prompts.jsonl" "$C"
	server_stop
	set -- $(cat "$D/node.time")
	nw=$1 ncpu=$(f "$2 + $3") nrss=$4 nst=$5
	nn=$(wc -l < "$D/node.out" | tr -d ' ')
	if [ "$nst" != 0 ] || [ "$nn" != "$N" ]; then
		echo "teach-node: failed (status $nst, $nn of $N records):"
		sed 's/^/  /' "$D/node.err" | tail -5
	else
		node_ok=1
		echo "node openai $ver ($(node --version)): wall $nw s, cpu $ncpu s, peak RSS $(f "$nrss / 1024") MiB"
		echo "  server:   $srv_report"
	fi
fi

# ---- libcurl alone -----------------------------------------------------------------
# The curl command line at the same parallelism (no JSON, no database):
# what this machine allows at the moment, to read the wall figures against.
if curl --help all 2>/dev/null | grep -q -- '--parallel-max'; then
	server_start
	awk -v p="$port" -v n="$N" 'BEGIN { for (i = 0; i < n; i++) {
		if (i) print "next"
		printf "url = \"http://127.0.0.1:%s/v1/chat/completions\"\n", p
		printf "data = \"{\\\"model\\\":\\\"bench\\\",\\\"i\\\":%d}\"\n", i
		print "output = \"/dev/null\""
	}}' > "$D/curl.cfg"
	measure "$D/curl" curl -s -Z --parallel-max "$C" -K "$D/curl.cfg"
	server_stop
	set -- $(cat "$D/curl.time")
	echo "curl -Z (libcurl alone, same parallelism): wall $1 s, cpu $(f "$2 + $3") s = $(f "$1 / $ideal") x ideal; server: $srv_report"
fi

# ---- the server has room to spare -------------------------------------------------
# Two dss-teach clients at once against one server: if the server were the
# limit, each would take about twice as long as alone.
half=$((N / 2))
head -n "$half" "$D/prompts.jsonl" > "$D/half1.jsonl"
tail -n "$half" "$D/prompts.jsonl" > "$D/half2.jsonl"
rm -f "$D"/pair[12].db*
server_start
t0=$(date +%s.%N)
pair() {
	bin/dss-teach --db "$D/pair$1.db" --teacher openai:bench \
	    --base-url "http://127.0.0.1:$port/v1" --concurrency "$C" \
	    --max-tokens 64 --temperature 0 --quiet < "$D/half$1.jsonl" \
	    > /dev/null 2>&1
}
pair 1 & pa=$!
pair 2 & pb=$!
wait "$pa"
wait "$pb"
t1=$(date +%s.%N)
server_stop
echo "server check: 2 clients x $C at once, $half requests each: wall $(f "$t1 - $t0") s (ideal $(f "$half / $C * $LAT / 1000") s); server: $srv_report"

# ---- verdicts ----------------------------------------------------------------------
echo "wall: dss-teach / ideal = $(f "$dw / $ideal") (target <= 1.10: $(verdict "$dw / $ideal" 1.10)); machine load average now $(cut -d' ' -f1 /proc/loadavg 2>/dev/null)"
if [ $node_ok = 1 ]; then
	echo "cpu:  dss-teach / node  = $(f "$dcpu / $ncpu") (target <= 0.33: $(verdict "$dcpu / $ncpu" 0.3334))"
	echo "rss:  dss-teach / node  = $(f "$drss / $nrss") (target <= 0.20: $(verdict "$drss / $nrss" 0.20))"
	echo "wall: node / ideal      = $(f "$nw / $ideal"); dss-teach is $(f "$nw / $dw")x node's speed"
fi
exit 0
