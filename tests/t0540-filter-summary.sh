#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-filter's summaries and warnings: the breakdown per dataset and per
# teacher on a mixed run, --summary FILE as JSON (written whole, also
# when the run fails), the warning for a vote of one in majority mode,
# no temporary file left on SIGTERM, memory that does not grow with the
# number of prompts in majority mode, and running out of memory reported
# as such.
. "$(dirname "$0")/lib.sh"

G="$TOP/tests/golden"
IN="$G/filter-completions.jsonl"
DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS

# ---- per dataset and per teacher ----
sed '/"dataset":"svamp"/s/"teacher":"openai:gpt-4o-mini"/"teacher":"replay"/' \
    "$IN" >"$TMP/mixed.jsonl"
grep -q '"teacher":"replay"' "$TMP/mixed.jsonl"
ok $? "fixture: svamp answered by another teacher"
dss-filter --summary "$TMP/s.json" "$TMP/mixed.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "a mixed run"
is "$(grep -c '^dss-filter:   dataset ' "$TMP/err")" 4 "  a line per dataset"
is "$(grep '^dss-filter:   teacher ' "$TMP/err")" \
    "dss-filter:   teacher openai:gpt-4o-mini: read 12, kept 4, rejected 8 (no_answer 1, truncated 1, disagree 2, ambiguous 3, tie 0, empty_rationale 1)
dss-filter:   teacher replay: read 6, kept 4, rejected 2 (no_answer 0, truncated 1, disagree 1, ambiguous 0, tie 0, empty_rationale 0)" \
    "  a line per teacher"

# ---- --summary: the same figures as JSON ----
python3 - "$TMP/s.json" "$TMP/err" <<'PY' >"$TMP/check" 2>&1
import json, re, sys
s = json.load(open(sys.argv[1]))
err = open(sys.argv[2]).read().splitlines()
def text(c):
    return "read %d, kept %d, rejected %d (%s)" % (c["read"], c["kept"],
        c["rejected"], ", ".join("%s %d" % kv for kv in c["reasons"].items()))
assert sorted(s) == sorted(["agree", "read", "kept", "rejected", "undecided",
    "reasons", "examples", "prompts", "votes_of_one", "by_dataset",
    "by_teacher", "error"]), sorted(s)
assert s["agree"] == "gold" and s["error"] is None and s["undecided"] == 0
assert s["examples"] == 0 and s["prompts"] is None and s["votes_of_one"] is None
assert err[0] == "dss-filter: " + text(s), (err[0], text(s))
assert list(s["reasons"]) == ["no_answer", "truncated", "disagree",
    "ambiguous", "tie", "empty_rationale"]
assert s["rejected"] == sum(s["reasons"].values())
for by, word in (("by_dataset", "dataset"), ("by_teacher", "teacher")):
    for name, c in s[by].items():
        line = "dss-filter:   %s %s: %s" % (word, name, text(c))
        assert line in err, line
    for k in ("read", "kept", "rejected"):
        assert sum(c[k] for c in s[by].values()) == s[k], (by, k)
assert list(s["by_dataset"]) == ["esnli", "anli1", "cqa", "svamp"]
assert list(s["by_teacher"]) == ["openai:gpt-4o-mini", "replay"]
PY
ok $? "--summary holds the figures of the stderr summary"
diag "$TMP/check"
[ -z "$(ls "$TMP" | grep '\.tmp\.')" ]
ok $? "  no temporary file left"

dss-filter --agree majority --summary "$TMP/m.json" "$IN" >/dev/null 2>&1
is "$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["agree"], s["prompts"], s["votes_of_one"], list(s["by_teacher"]))' "$TMP/m.json")" \
    "majority 15 13 ['openai:gpt-4o-mini']" "--summary in majority mode counts prompts and votes of one"

# A failed run still writes its summary, saying why; no rejects file.
{ head -n 3 "$IN"; echo '{"dataset":'; } >"$TMP/bad.jsonl"
expect_fail 1 "^dss-filter: line 4: invalid JSON near byte 11$" \
    "a failed run" dss-filter --rejects "$TMP/r.jsonl" --summary "$TMP/f.json" "$TMP/bad.jsonl"
is "$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["read"], s["kept"] + s["rejected"], s["undecided"], s["error"])' "$TMP/f.json")" \
    "3 3 0 line 4: invalid JSON near byte 11" "  its summary says why it stopped"
[ ! -e "$TMP/r.jsonl" ]
ok $? "  and no rejects file is made"
{ head -n 2 "$IN"; head -n 2 "$IN" | sed 's/"completion":/"kompletion":/'; } >"$TMP/bad2.jsonl"
dss-filter --agree majority --summary "$TMP/f2.json" "$TMP/bad2.jsonl" >/dev/null 2>"$TMP/err"
grep -q "^dss-filter: read 3, kept 1, rejected 0 (.*); 2 not decided when the run stopped$" "$TMP/err"
ok $? "records read but not decided are counted on stderr"
is "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["undecided"])' "$TMP/f2.json")" \
    2 "  and in the summary"
expect_fail 1 "^dss-filter: cannot create '$TMP/nodir/s.json': No such file or directory$" \
    "--summary in a missing directory fails at once" \
    dss-filter --summary "$TMP/nodir/s.json" "$IN"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "  before any output"

# ---- a vote of one ----
grep '"svamp-test-000002"' "$IN" | head -n 1 >"$TMP/one.jsonl"
dss-filter --agree majority "$TMP/one.jsonl" >/dev/null 2>"$TMP/err"
grep -q "^dss-filter: warning: 1 of 1 prompts had a vote of one (a single sample, or samples that are the same completion), so --agree majority checked nothing for them; ask the teacher for several samples at a temperature above 0$" "$TMP/err"
ok $? "majority with one sample a prompt warns"
is "$(grep -c warning "$TMP/err")" 1 "  once"
cat "$TMP/one.jsonl" "$TMP/one.jsonl" "$TMP/one.jsonl" >"$TMP/same.jsonl"
dss-filter --agree majority "$TMP/same.jsonl" >/dev/null 2>"$TMP/err"
grep -q "^dss-filter: warning: 1 of 1 prompts had a vote of one" "$TMP/err"
ok $? "three identical samples (temperature 0) are a vote of one too"
grep '"svamp-test-000002"' "$IN" | head -n 3 >"$TMP/three.jsonl"
dss-filter --agree majority "$TMP/three.jsonl" >/dev/null 2>"$TMP/err"
ok $? "three different samples"
! grep -q "vote of one" "$TMP/err"
ok $? "  are a real vote: no warning"
dss-filter "$TMP/one.jsonl" >/dev/null 2>"$TMP/err"
! grep -q "vote of one" "$TMP/err"
ok $? "gold mode never warns of it"

# ---- SIGTERM leaves no temporary file ----
# sigterm NAME OPTION: dss-filter OPTION $TMP/NAME reading from a fifo,
# killed with SIGTERM once its temporary file is there.
mkfifo "$TMP/fifo"
sigterm() {
	dss-filter "$2" "$TMP/$1" <"$TMP/fifo" >/dev/null 2>&1 &
	pid=$!
	exec 3>"$TMP/fifo"
	head -n 2 "$IN" >&3
	i=0
	while [ -z "$(ls "$TMP" | grep "^$1\.tmp\.")" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$(ls "$TMP" | grep "^$1\.tmp\.")" ]
	ok $? "$2: while it runs, its temporary file exists"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	st=$?
	exec 3>&-
	is "$st" 143 "$2: SIGTERM ends it"
	is "$(ls "$TMP" | grep -c "^$1")" 0 "$2: and leaves no file behind"
}
sigterm sig.rej --rejects
sigterm sig.json --summary

# ---- majority mode: memory does not grow with the prompts ----
# 1.2 million prompts of one sample: the table of seen prompts is fixed
# (16 MiB); it used to grow with them, past 48 MiB here.
if /usr/bin/time -f %M true >/dev/null 2>&1; then
	awk 'BEGIN { for (i = 0; i < 1200000; i++)
	    printf "{\"dataset\":\"svamp\",\"id\":\"p%d\",\"teacher\":\"t\"," \
	    "\"completion\":\"The answer is (1 + %d).\"}\n", i, i }' |
	    /usr/bin/time -o "$TMP/rss" -f %M dss-filter --agree majority \
	    --min-rationale-chars 0 >/dev/null 2>"$TMP/err"
	ok $? "majority mode on 1.2 million prompts"
	grep -q "^dss-filter: read 1200000, kept 1200000," "$TMP/err"
	ok $? "  keeps every one (no prompt is taken to reappear)"
	rss=$(tail -n 1 "$TMP/rss")
	if [ -n "$ASAN" ]; then
		skip "peak RSS under ASan is the sanitizer's"
	else
		[ "$rss" -lt 32768 ]
		ok $? "  in less than 32 MiB (peak RSS $rss KiB)"
	fi
else
	for t in 1 2 3; do
		echo "ok $((_n + 1)) # skip no GNU time to measure memory"
		_n=$((_n + 1))
	done
fi

# ---- out of memory is said as such ----
# The limit is what the process maps at rest plus 12 MiB: not room for
# the 16 MiB table of seen prompts.
vm=$(python3 -c 'import subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "--agree", "majority"], stdin=subprocess.PIPE,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3)
print(next(l.split()[1] for l in open("/proc/%d/status" % p.pid)
    if l.startswith("VmSize")))
p.stdin.close(); p.wait()' "$BIN/dss-filter" 2>/dev/null)
if [ -n "$ASAN" ]; then
	skip "an allocation failure under ASan is the sanitizer's"
	skip "an allocation failure under ASan is the sanitizer's"
elif [ -n "$vm" ]; then
	head -n 3 "$IN" >"$TMP/three.jsonl"
	expect_fail 1 "^dss-filter: out of memory$" \
	    "out of memory is reported as such" \
	    sh -c "ulimit -v $((vm + 12288)); dss-filter --agree majority '$TMP/three.jsonl'"
	! grep -q "invalid JSON" "$TMP/err"
	ok $? "  never as invalid JSON"
else
	for t in 1 2; do
		echo "ok $((_n + 1)) # skip no /proc to measure the process"
		_n=$((_n + 1))
	done
fi

done_testing
