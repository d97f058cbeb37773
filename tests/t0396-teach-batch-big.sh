#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue #10's "done when": a 20,000-prompt run through each provider's
# fake batch API (in batches of 5,000), killed with SIGKILL three times at
# random points and run again until it exits 0, completes every prompt
# exactly once, with every answer in the cache and paid once; the dry run
# made before it counts its requests exactly, estimates its input tokens
# within 10% of what the run accounted, and its maximum cost bounds the
# accounted cost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

N=20000
# under the sanitizers the point is memory errors, not scale
[ -n "$ASAN" ] && N=2000
words=$(printf 'The field notes of the survey were read aloud. %.0s' 1 2 3 4 5 6 7 8 9 10 11 12)
mkanli $N "Survey %d: $words" 'Survey %d was read.' neutral g0396 > "$TMP/p.jsonl"

# three random pauses from 0.2 to 3 seconds, drawn with seed $1
pauses() {
	"$PY" -c 'import random, sys
random.seed(int(sys.argv[1]))
print(" ".join("%.2f" % random.uniform(0.2, 3) for _ in range(3)))' "$1"
}

seed=${DSS_TEST_SEED:-$$}
echo "# seed $seed (DSS_TEST_SEED=$seed repeats the kill times)"
for spec in openai:gpt-big anthropic:claude-big gemini:gem-big; do
	p=${spec%%:*}
	db="$TMP/$p.db"
	start_server port "$PY" "$FAKE" --lifetime 600 --batch-delay 1
	case $spec in openai*) base=http://127.0.0.1:$port/v1 ;; *) base=http://127.0.0.1:$port ;; esac
	run="dss-teach --db $db --teacher $spec --base-url $base --batch --wait --poll 0.2 --batch-size 5000 --max-tokens 64 --price 1,4"
	$run --dry-run --json < "$TMP/p.jsonl" > "$TMP/dry.json" 2> "$TMP/err"
	is "$?" 0 "$p: the dry run"
	kills=""
	seed=$((seed + 1))
	for t in $(pauses $seed); do
		$run < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err" &
		pid=$!
		sleep "$t"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		kills="$kills $t"
	done
	i=0
	st=1
	while [ $st -ne 0 ] && [ $i -lt 5 ]; do
		$run < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
		st=$?
		i=$((i + 1))
	done
	status_is 0 "$p: killed after$kills s, then run to the end"
	is "$(jsonq "$TMP/out" 'len(R) == len(set(r["id"] for r in R)) == '$N)" true \
	    "$p: every prompt exactly once in the output"
	is "$(sqlite3 "$db" "SELECT count(*) FROM teach_cache")" $N \
	    "$p: every answer in the cache"
	is "$(stat batch_paid) $(stat batch_paid_dup) $(stat batch_custom_ids_live_twice)" \
	    "$N 0 0" "$p: each answer paid once, no key in two live batches"
	is "$(sqlite3 "$db" "SELECT count(*) FROM teach_leases")" 0 "$p: no lease left"
	is "$(jsonq "$TMP/dry.json" 'R[0]["requests"]')" $N "$p: the dry run counted the requests exactly"
	est=$(jsonq "$TMP/dry.json" 'R[0]["input_tokens"]')
	got=$(sqlite3 "$db" "SELECT sum(prompt_tokens) FROM teach_cache")
	err=$("$PY" -c "print('%.1f' % (100.0 * ($est - $got) / $got))")
	is "$("$PY" -c "print(abs($est - $got) <= 0.1 * $got)")" True \
	    "$p: input tokens estimated $est, accounted $got ($err%)"
	cost=$(sqlite3 "$db" "SELECT sum(cost_usd) FROM teach_cache")
	is "$("$PY" -c "import json; print(json.load(open('$TMP/dry.json'))['batch_cost_usd_max'] >= $cost > 0)")" \
	    True "$p: the dry run's maximum batch cost bounds the accounted \$$cost"
done
done_testing
