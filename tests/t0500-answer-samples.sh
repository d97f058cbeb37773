#!/bin/sh
# SPDX-License-Identifier: MIT
# Answer extraction on the real teacher completions of the shared
# samples: the unit test binary, given the samples file, checks the
# answer and rationale of every one.
. "$(dirname "$0")/lib.sh"

samples="$SHARED/samples/teacher_completions.sample.jsonl"
[ -r "$samples" ] || { echo "Bail out! cannot read '$samples'"; exit 1; }
unit="$TOP/build/unit/test-answer"
[ -x "$unit" ] || { echo "Bail out! build '$unit' first (make check does)"; exit 1; }

expect_ok "every sample completion yields its answer" "$unit" "$samples"
[ -s "$TMP/out" ] && diag "$TMP/out" >/dev/null
is "$(grep -c '^ok .* sample [0-9]* (' "$TMP/out")" 24 "24 samples answered"
is "$(grep -c '^ok .*rationale is whole sentences' "$TMP/out")" 24 \
    "24 rationales without answer or run-on"
is "$(grep -c '^not ok' "$TMP/out")" 0 "no failure"
grep '^not ok' -A3 "$TMP/out" | sed 's/^/# /'
done_testing
