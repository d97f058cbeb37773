#!/bin/sh
# SPDX-License-Identifier: MIT
# make fuzz: runs each libFuzzer harness given for SECONDS, seeded with
# tests/fuzz/corpus/NAME (read only; new inputs go to build/fuzz/work-NAME).
# Exits 1 when any harness crashed, leaked or timed out, naming the input
# it left in build/fuzz/.
# usage: run.sh SECONDS build/fuzz/fuzz-NAME ...
set -u
secs=$1
shift
st=0
for f in "$@"; do
	name=${f##*/fuzz-}
	work=build/fuzz/work-$name
	mkdir -p "$work"
	printf 'fuzz-%s: %s s ... ' "$name" "$secs"
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="build/fuzz/crash-$name-" \
	    "$work" "tests/fuzz/corpus/$name" >"build/fuzz/$name.log" 2>&1; then
		echo "ok ($(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "build/fuzz/$name.log") runs)"
	else
		echo "FAILED: see build/fuzz/$name.log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
		    "build/fuzz/$name.log" | head -n 5
		st=1
	fi
done
exit $st
