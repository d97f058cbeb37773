#!/bin/sh
# SPDX-License-Identifier: MIT
# Answer extraction on whole teacher completions: our own, written in the
# forms real teachers produce (tests/fixtures/teacher-completions.jsonl:
# run-on few-shot blocks, letter and text answers, "Answer: neutral",
# cut-off output, several choices named, "one of these four", commas in
# numbers, equations without outer parentheses), and, when the shared
# samples are beside the tree, the real teacher completions there.  The
# unit test binary, given a file, checks the answer and rationale of each.
. "$(dirname "$0")/lib.sh"

unit="$TOP/build/unit/test-answer"
[ -x "$unit" ] || { echo "Bail out! build '$unit' first (make check does)"; exit 1; }

fixture="$TOP/tests/fixtures/teacher-completions.jsonl"
expect_ok "every fixture completion gives what it expects" "$unit" "$fixture"
is "$(grep -c '^ok .* completion [0-9]* (' "$TMP/out")" 24 "24 fixture completions checked"
is "$(grep -c '^ok .* completion [0-9]* ([a-z0-9]*): ok ' "$TMP/out")" 16 "16 of them answered"
is "$(grep -c '^ok .* completion [0-9]* ([a-z0-9]*): \(truncated\|ambiguous\) ' "$TMP/out")" 8 \
    "8 cut off or naming several answers, which are not agreement"
is "$(grep -c '^not ok' "$TMP/out")" 0 "no failure on the fixture"
grep '^not ok' -A3 "$TMP/out" | sed 's/^/# /'

samples="$SHARED/samples/teacher_completions.sample.jsonl"
if [ -r "$samples" ]; then
	expect_ok "every sample completion yields its answer" "$unit" "$samples"
	is "$(grep -c '^ok .* completion [0-9]* (' "$TMP/out")" 24 "24 samples answered"
	is "$(grep -c '^ok .*rationale is whole sentences' "$TMP/out")" 24 \
	    "24 rationales without answer or run-on"
	is "$(grep -c '^not ok' "$TMP/out")" 0 "no failure on the samples"
	grep '^not ok' -A3 "$TMP/out" | sed 's/^/# /'
else
	for t in "the sample completions" "24 samples answered" "24 rationales" \
	    "no failure on the samples"; do
		skip "$t: no '$samples' beside the tree"
	done
fi
done_testing
