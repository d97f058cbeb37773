#!/bin/sh
# SPDX-License-Identifier: MIT
# The bench harness (bench/pair.py) on tiny inputs and trivial commands:
# its report format, the alternating order of runs, targets judged at the
# median (exit 1 and MISSED), the smoke mode, peak RSS and CPU time taken
# from the command and its children, and its usage errors.  No verdict
# here depends on timing: each target is certain either way (a ratio of
# at least 0, or of at least 1e9), and RSS and CPU are checked against
# commands that use a known amount of them.
. "$(dirname "$0")/lib.sh"
unset DSS_BENCH_SMALL DSS_BENCH_RUNS
PAIR="$TOP/bench/pair.py"
# The interpreter itself, not a launcher script in front of it.
PY=$(python3 -c 'import sys; print(sys.executable)')
seq 1 1000 >"$TMP/in.txt"

# pair ARGS...: runs the harness; stdout in $TMP/out, stderr in $TMP/err,
# exit status in $st.
pair() {
	"$PY" "$PAIR" --name tiny --records 1000 --stdin "$TMP/in.txt" "$@" \
	    >"$TMP/out" 2>"$TMP/err"
	st=$?
}
has() {	# has RE NAME: the last report has a line matching RE
	if grep -Eq -- "$1" "$TMP/out"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		echo "# no line matching /$1/ in:"
		diag "$TMP/out" "$TMP/err"
	fi
}
F='[0-9][0-9,.]*'			# a figure
S="$F \\($F-$F\\)"			# median (min-max)

pair --dss 'true=true' --peer 'cat=cat' --floor 'wc -l=wc -l' \
    --target 'wall >= 0' --target 'cpu>=0' --target 'dss.rss < 1e9' \
    --target 'dss.rate >= 0'
is "$st" 0 "targets met at the median: exit 0"
has '^== tiny: true against cat$' "the report names the pair"
has '^   machine: [0-9]+ CPUs, load average' "the report gives the load average"
has '^   5 rounds, alternating' "5 rounds by default"
has "^   median \\(min-max\\) +wall s +cpu s +peak RSS MiB +records/s$" "the table heading"
has "^   true +$S +$S +$S +$F$" "dss: median and range of wall, cpu and RSS, records/s"
has "^   cat +$S +$S +$S +$F$" "the peer's row"
has "^   floor wc -l +$S +$S +$S +$F$" "the floor's row"
has "^   cat/true per round: wall ${F}x \\(${F}-${F}\\)x?, cpu ${F}x \\(${F}-${F}\\)" \
    "the per-round ratio peer/dss by wall and by CPU, median and range"
has "^   true/floor \\(median wall\\): wc -l ${F}x$" "dss beside the floor"
has "^   target wall ratio cat/true >= 0.000: median $S  ok$" "a wall ratio target met"
has "^   target cpu ratio cat/true >= 0.000: median $S  ok$" "a CPU ratio target met"
has "^   target true peak RSS MiB < 1,000,000,000: median $S  ok$" "an RSS target met"
has "^   target true records/s >= 0.000: median $S  ok$" "a throughput target met"
has '^== tiny: ok$' "the verdict: ok"
grep -q 'MISSED' "$TMP/out"
ok $((!$?)) "no MISSED when every target is met"

pair --dss 'true=true' --peer 'cat=cat' --target 'wall >= 0' --target 'wall >= 1e9'
is "$st" 1 "a target missed at the median: exit 1"
has "^   target wall ratio cat/true >= 1,000,000,000: median $S  MISSED$" \
    "MISSED beside the missed target"
has "^   target wall ratio cat/true >= 0.000: median $S  ok$" "the met one still ok"
has '^== tiny: MISSED: wall ratio cat/true >= 1,000,000,000$' "the verdict names it"

pair --dss 'true=true' --target 'wall >= 0'
is "$st" 1 "a ratio target without a peer: exit 1"
has '^   target wall ratio peer/true >= 0.000: median -  NOT MEASURED$' \
    "a target that cannot be measured is NOT MEASURED"

# The order of the runs: dss, peer, floor, then the reverse, and so on.
L="$TMP/order"
: >"$L"
pair --dss "d=sh -c 'echo dss >>$L'" --peer "p=sh -c 'echo peer >>$L'" \
    --floor "f=sh -c 'echo floor >>$L'"
is "$st" 0 "commands that log their turn"
is "$(tr '\n' ' ' <"$L")" "dss peer floor floor peer dss dss peer floor floor peer dss dss peer floor " \
    "rounds alternate: dss first in odd rounds, last in even"

: >"$L"
DSS_BENCH_RUNS=6 pair --dss "d=sh -c 'echo dss >>$L'" --peer "p=sh -c 'echo peer >>$L'"
is "$(grep -c . "$L")" 12 "DSS_BENCH_RUNS=6: 6 rounds"
has '^   6 rounds, alternating' "the report says 6 rounds"

DSS_BENCH_RUNS=3 pair --dss 'true=true' --peer 'cat=cat'
is "$st" 2 "DSS_BENCH_RUNS below 5 outside the smoke test: exit 2"
grep -q '^pair.py: DSS_BENCH_RUNS must be at least 5 for a reported figure, not 3 (fewer only with DSS_BENCH_SMALL=1)$' "$TMP/err"
ok $? "and says why"

: >"$L"
DSS_BENCH_SMALL=1 DSS_BENCH_RUNS=3 pair --dss "d=sh -c 'echo dss >>$L'" \
    --peer "p=sh -c 'echo peer >>$L'" --target 'wall >= 1e9'
is "$st" 0 "smoke test: fewer rounds allowed, targets not judged: exit 0"
is "$(tr '\n' ' ' <"$L")" "dss peer peer dss dss peer " "smoke test: 3 alternating rounds"
has '^   SMOKE TEST \(DSS_BENCH_SMALL\): small inputs, 3 rounds; these figures are not a measurement' \
    "the smoke report says its figures are no measurement"
has "^   target wall ratio p/d >= 1,000,000,000: median $S  MISSED \\(smoke: not judged\\)$" \
    "the smoke report still shows the verdict, marked not judged"
has '^== tiny: ok \(smoke test: targets not judged\)$' "the smoke verdict"

DSS_BENCH_RUNS=x pair --dss 'true=true'
is "$st" 2 "DSS_BENCH_RUNS not a number: exit 2"
grep -q "^pair.py: DSS_BENCH_RUNS must be a whole number, not 'x'$" "$TMP/err"
ok $? "and says so"
pair --dss 'true=true' --target 'wall == 1'
is "$st" 2 "a bad target: exit 2"
grep -q "^pair.py: bad target 'wall == 1' (want METRIC OP NUMBER)$" "$TMP/err"
ok $? "and says which"
pair --dss 'true=true' --target 'speed >= 1'
is "$st" 2 "an unknown metric: exit 2"
grep -q "^pair.py: bad target 'speed >= 1': unknown metric 'speed'$" "$TMP/err"
ok $? "and names it"
pair --dss 'true'
is "$st" 2 "a command without a label: exit 2"
grep -q "^pair.py: bad --dss 'true' (want LABEL=CMD)$" "$TMP/err"
ok $? "and says what is wanted"

pair --dss 'true=true' --peer 'false=false'
is "$st" 1 "a command that fails: exit 1"
has "^   FAILED: 'false' exited with status 1$" "the report names the failed command"
has '^== tiny: FAILED$' "the verdict: FAILED"
pair --dss 'x=/nonexistent/command'
is "$st" 1 "a command that cannot run: exit 1"
has "^   FAILED: 'x' exited with status 127$" "the report says it could not run"
has "timed: cannot run '/nonexistent/command'" "and why"

# Peak RSS is the command's own, not the harness's (16 MiB of Python):
# true stays under 8 MiB, and a child touching 64 MiB shows at least that.
pair --dss 'true=true' --peer "big=sh -c '$PY -c \"b = b\\\"x\\\" * (64 << 20)\"'" \
    --target 'dss.rss < 8' --target 'peer.rss >= 64' --target 'rss >= 4'
is "$st" 0 "peak RSS of the command and of its children"
has "^   target true peak RSS MiB < 8.00: median $S  ok$" "true: under 8 MiB"
has "^   target big peak RSS MiB >= 64.0: median $S  ok$" "a child's 64 MiB counted"

# CPU time counts the children the command waited for.
pair --dss "burn=sh -c '$PY -c \"import time
while time.process_time() < 0.2: pass\"'" --target 'dss.cpu >= 0.18'
is "$st" 0 "CPU time of a child counted"
has "^   target burn median cpu s >= 0.180: median $S  ok$" "at least the 0.2 s it burned"

# A bench of several pairs names the pair of each missed target.
(cd "$TMP" && "$PY" - "$TOP/bench" >"$TMP/out" 2>&1) <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import pair
b = pair.Bench("two", "two pairs")
for title in ("cold: an empty cache", "warm: a full one"):
    b.pair(title, pair.Cmd("true", ["true"]), pair.Cmd("cat", ["cat"]),
           targets=["wall >= 1e9", "wall >= 0"])
sys.exit(b.finish())
EOF
is "$?" 1 "a bench of two pairs with missed targets: exit 1"
has '^== two: MISSED: cold: wall ratio cat/true >= 1,000,000,000; warm: wall ratio cat/true >= 1,000,000,000$' \
    "the verdict names each missed target with its pair"

# The figures: medians of the runs, ratios taken round by round.
"$PY" - "$TOP/bench" >"$TMP/math" 2>&1 <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import pair
s = pair.Stat([5, 1, 3, 2, 4])
assert (s.median, s.min, s.max) == (3, 1, 5), vars(s)
assert pair.Stat([4, 1, 3, 2]).median == 2.5
r = pair.round_ratios([10, 2, 1], [1, 2, 10])
assert r == [10, 1, 0.1], r
assert pair.fmt(1234567) == "1,234,567" and pair.fmt(12.345) == "12.3"
assert pair.fmt(1.2345) == "1.23" and pair.fmt(0.01234) == "0.012"
print("ok")
EOF
is "$(cat "$TMP/math")" ok "medians, ranges, per-round ratios and figures"

done_testing
