#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: runs every bench/NN-*.py in order, each on the one harness
# bench/pair.py (see bench/README), then repeats each bench's verdict.
# Exits 1 when any bench missed a target at the median or failed a check,
# 2 on a usage error (say, DSS_BENCH_RUNS below 5 outside the smoke test).
# DSS_BENCH_SMALL=1 is the smoke test: small inputs, targets not judged.
set -u
cd "$(dirname "$0")/.."
O=build/bench
mkdir -p "$O"
st=0
summary=""
for b in bench/[0-9]*.py; do
	[ -e "$b" ] || continue
	{ python3 "$b"; echo $? >"$O/status"; } | tee "$O/last.out"
	s=$(cat "$O/status")
	v=$(sed -n 's/^== [^ ]*: \(ok.*\|MISSED.*\|FAILED.*\)$/\1/p' "$O/last.out" | tail -n 1)
	summary="$summary   $(basename "$b" .py): ${v:-exit status $s}
"
	[ "$s" -le "$st" ] || st=$s
done
echo "== make bench: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) at the end"
printf '%s' "$summary"
exit "$st"
