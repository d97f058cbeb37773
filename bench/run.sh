#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: runs every bench/NN-*.py in order, each on the one harness
# bench/pair.py (see bench/README), and exits 1 when any of them missed a
# target at the median or failed a check.  DSS_BENCH_SMALL=1 is the smoke
# test; DSS_BENCH_RUNS sets the rounds (at least 5, fewer only in smoke).
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
st=0
summary=""
for b in bench/[0-9]*.py bench/[0-9]*.sh; do
	[ -e "$b" ] || continue
	case $b in
	*.py) "$PY" "$b" ;;
	*) sh "$b" ;;
	esac
	s=$?
	[ $s -eq 0 ] && v=ok || v="status $s"
	summary="$summary$(basename "$b"): $v
"
	[ $s -gt $st ] && st=$s
	[ $s -eq 0 ] || [ $st -ge 1 ] || st=1
done
echo "== make bench: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
printf '%s' "$summary" | sed 's/^/   /'
exit $st
