#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-teach --batch killed with SIGKILL at each step and run again:
# during the upload (OpenAI), before the batch is created, after the
# provider created it but before the answer arrived (the rerun must find
# it, not create another), while polling, and while downloading the
# results.  Each time the rerun completes every prompt, every answer is
# in the cache, nothing is paid twice and no key is in two live batches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

mkanli 20 'Killed premise %d stands.' 'Killed hypothesis %d.' neutral k0392 > "$TMP/p.jsonl"

# kill_at SPEC KIND: runs a batch run that the fake stalls at the first
# request of KIND, kills it there, then runs it again to the end.
kill_at() {
	_spec=$1 _kind=$2 _p=${1%%:*}
	_db="$TMP/$_p-$_kind.db"
	start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.2 \
	    --stall "$_kind:1"
	case $_spec in openai*) _base=http://127.0.0.1:$port/v1 ;;
	*) _base=http://127.0.0.1:$port ;; esac
	dss-teach --db "$_db" --teacher "$_spec" --base-url "$_base" --batch \
	    --wait --poll 0.1 < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err" &
	_pid=$!
	_i=0
	while [ "$(stat stalled)" = 0 ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	kill -9 $_pid 2>/dev/null
	wait $_pid 2>/dev/null
	is "$(stat stalled)" 1 "$_p: killed while stalled at $_kind"
	dss-teach --db "$_db" --teacher "$_spec" --base-url "$_base" --batch \
	    --wait --poll 0.1 < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
	st=$?
	status_is 0 "$_p, killed at $_kind: the rerun completes"
	is "$(nrec)" 20 "$_p, killed at $_kind: every prompt's record"
	is "$(stat batch_paid) $(stat batch_paid_dup) $(stat batch_custom_ids_live_twice)" \
	    "20 0 0" "$_p, killed at $_kind: twenty answers paid once each, no key in two live batches"
	is "$(sqlite3 "$_db" "SELECT count(*) FROM teach_cache")" 20 \
	    "$_p, killed at $_kind: every answer in the cache"
	is "$(sqlite3 "$_db" "SELECT count(*) FROM teach_leases")" 0 \
	    "$_p, killed at $_kind: no lease left"
}

kill_at openai:gpt-k upload
for spec in openai:gpt-k anthropic:claude-k gemini:gem-k; do
	kill_at "$spec" create
	kill_at "$spec" create-after
	is "$(stat batches)" 1 "${spec%%:*}: the batch created before the kill is found, not made again"
	grep -q "found at the provider" "$TMP/err"
	ok $? "${spec%%:*}: and the rerun says so"
	kill_at "$spec" poll
done
kill_at openai:gpt-k download
kill_at anthropic:claude-k download
done_testing
