#!/bin/sh
# SPDX-License-Identifier: MIT
# No paid answer is lost when the database fails for another reason than
# a lock: with the file size limited (prlimit --fsize, SIGXFSZ ignored)
# the database's writes fail with an I/O error part way through a run;
# the answers paid for go to DB.recovery.jsonl, named in the message, and
# the run exits 1.  The next run imports them before it sends anything:
# every prompt is answered, and the fake teacher was paid once for each.
# The same for batch results collected when the database fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-teach.sh"

if ! command -v prlimit >/dev/null 2>&1; then
	skip "prlimit (util-linux) is not installed"
	done_testing
fi
if [ -n "$ASAN" ]; then
	skip "the sanitizers' own files count against the size limit"
	done_testing
fi

words=$(printf 'word %.0s' $(seq 60))
mkanli 2000 "Recovered premise %d: $words" 'Hypothesis %d.' neutral r0394 > "$TMP/p.jsonl"
head -n 100 "$TMP/p.jsonl" > "$TMP/p100.jsonl"

# limited LIMIT ARGS...: dss-teach with files limited to LIMIT bytes
limited() {
	_lim=$1; shift
	sh -c 'trap "" XFSZ; exec prlimit --fsize="$0" "$@"' "$_lim" \
	    dss-teach "$@" < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
	st=$?
}

# ---- synchronous ---------------------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120
base=http://127.0.0.1:$port/v1
dss-teach --db "$TMP/s.db" --teacher openai:gpt-r --base-url "$base" --quiet \
    < "$TMP/p100.jsonl" > /dev/null 2>&1
limited $(( $(wc -c < "$TMP/s.db") + 1500000 )) --db "$TMP/s.db" \
    --teacher openai:gpt-r --base-url "$base" --quiet
status_is 1 "the database fails part way: exit 1"
grep -Eq "dss-teach: database '.*/s.db': .*; [0-9]+ paid answers? kept in '.*/s.db.recovery.jsonl', imported into the cache by the next run" "$TMP/err"
ok $? "the message names the failure and the recovery file"
rec=$(wc -l < "$TMP/s.db.recovery.jsonl" | tr -d ' ')
cached=$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM teach_cache")
paid=$(stat successful)
is "$(test "$rec" -gt 0 && echo yes)" yes "answers were kept in the recovery file ($rec)"
is "$((rec + cached))" "$paid" "every paid answer is in the cache or the recovery file ($cached + $rec = $paid)"
is "$(test "$cached" -lt 2000 && echo yes)" yes "the run stopped before the end ($cached cached)"
dss-teach --db "$TMP/s.db" --teacher openai:gpt-r --base-url "$base" --quiet \
    < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "the next run: exit 0"
grep -q "imported $rec answers* from '.*s.db.recovery.jsonl' into the cache" "$TMP/err"
ok $? "  it imported the recovery file first"
test -e "$TMP/s.db.recovery.jsonl"
is "$?" 1 "  and removed it"
is "$(nrec) $(stat successful) $(stat duplicates)" "2000 2000 0" \
    "  every prompt answered, each paid once"

# ---- batch results ------------------------------------------------------------------
start_server port "$PY" "$FAKE" --lifetime 120 --batch-delay 0.1
base=http://127.0.0.1:$port/v1
dss-teach --db "$TMP/b.db" --teacher openai:gpt-r --base-url "$base" --batch \
    < "$TMP/p.jsonl" > /dev/null 2>&1
is "$?" 75 "a batch of 2000 in flight"
sleep 0.3
limited $(( $(wc -c < "$TMP/b.db") + 800000 )) --db "$TMP/b.db" \
    --teacher openai:gpt-r --base-url "$base" --batch --quiet
status_is 1 "the database fails while the batch is collected: exit 1"
grep -Eq "dss-teach: database '.*/b.db': .*; [0-9]+ paid answers? kept in '.*/b.db.recovery.jsonl'" "$TMP/err"
ok $? "  the collected answers are kept in the recovery file"
rec=$(wc -l < "$TMP/b.db.recovery.jsonl" | tr -d ' ')
dss-teach --db "$TMP/b.db" --teacher openai:gpt-r --base-url "$base" --batch \
    --quiet < "$TMP/p.jsonl" > "$TMP/out" 2> "$TMP/err"
st=$?
status_is 0 "the next run collects the rest"
grep -q "imported $rec answers* from" "$TMP/err"
ok $? "  after importing the recovery file"
is "$(nrec) $(stat batch_paid) $(stat batch_paid_dup)" "2000 2000 0" \
    "  every prompt answered, each paid once"
is "$(sqlite3 "$TMP/b.db" "SELECT count(*) FROM teach_cache")" 2000 \
    "  every answer in the cache"

# ---- a recovery file that cannot be read is an error, not a silent loss ----------------
mkdir "$TMP/bad.db.recovery.jsonl"
expect_fail 1 "dss-teach: cannot read '.*bad.db.recovery.jsonl': Is a directory" "an unreadable recovery file: exit 1" \
    dss-teach --db "$TMP/bad.db" --teacher openai:gpt-r --base-url "$base" < "$TMP/p100.jsonl"
done_testing
