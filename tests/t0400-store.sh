#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-store: each record type lands in its table, a second identical run
# changes nothing, a bad record names its line and rolls back its batch
# (earlier batches stay), merging two shard databases gives the same
# content as storing everything in one, and kill -9 at any point leaves
# whole batches that a rerun completes.
. "$(dirname "$0")/lib.sh"

# The schema version this dss migrates to: version 1 and its migrations.
DBV=$(($(ls "$TOP"/schemas/migrate-*.sql | wc -l) + 1))
dump() { sqlite3 "$1" .dump; }
count() { sqlite3 "$1" "SELECT count(*) FROM $2"; }

cat >"$TMP/ex.jsonl" <<'EOF'
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"Nia had 12 shells and gave 5 to Omar.\nHow many shells does Nia have now?","label":"( 12.0 - 5.0 )","fields":{"body":"Nia had 12 shells and gave 5 to Omar.","question":"How many shells does Nia have now?","equation":"( 12.0 - 5.0 )","answer":7.0,"type":"Subtraction","source_id":"our-1"}}
{"dataset":"svamp","split":"train","id":"svamp-train-000001","index":1,"input":"A box holds 6 rows of 4 eggs.\nHow many eggs are in the box?","label":"( 6.0 * 4.0 )","fields":{"body":"A box holds 6 rows of 4 eggs.","question":"How many eggs are in the box?","equation":"( 6.0 * 4.0 )","answer":24.0,"type":"Multiplication","source_id":"our-2"}}
{"dataset":"esnli","split":"test","id":"esnli-test-000000","index":0,"input":"A cat sleeps on a warm windowsill.</s>An animal is resting.","label":"entailment","fields":{"premise":"A cat sleeps on a warm windowsill.","hypothesis":"An animal is resting.","source_id":"our-3","explanations":["A sleeping cat is an animal at rest."]}}
EOF
cat >"$TMP/pr.jsonl" <<'EOF'
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"x","label":"( 12.0 - 5.0 )","fields":{},"prompt":"Q: x\nA:","messages":[{"role":"user","content":"Q: x"}],"template":"aaaa","style":"chat"}
EOF
cat >"$TMP/co.jsonl" <<'EOF'
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"x","label":"( 12.0 - 5.0 )","fields":{},"teacher":"openai:test","sample":0,"completion":"She has 12 - 5 = 7. The answer is (12 - 5).","finish_reason":"stop","usage":{"prompt_tokens":10,"completion_tokens":12},"latency_ms":5,"request":"r0"}
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"x","label":"( 12.0 - 5.0 )","fields":{},"teacher":"openai:test","sample":1,"completion":null,"finish_reason":null,"usage":null,"latency_ms":5,"request":"r1"}
EOF
cat >"$TMP/tr.jsonl" <<'EOF'
{"dataset":"svamp","split":"train","id":"svamp-train-000000","index":0,"input":"x","label":"( 12.0 - 5.0 )","fields":{},"teacher":"openai:test","sample":0,"request":"r0","rationale":"She has 12 - 5 = 7.","teacher_label":"(12 - 5)","gold":"( 12.0 - 5.0 )","agree":true}
EOF
cat "$TMP/ex.jsonl" "$TMP/pr.jsonl" "$TMP/co.jsonl" "$TMP/tr.jsonl" >"$TMP/all.jsonl"

# Each record type goes to its table.
expect_ok "store one of each type" dss-store "$TMP/a.db" <"$TMP/all.jsonl"
grep -Eq '^dss-store: .*a\.db: 7 records: 7 inserted, 0 updated, 0 unchanged \(examples 3, prompts 1, completions 2, triples 1\)$' "$TMP/err"
ok $? "summary line counts per table"
is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "exactly one line on stderr"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing on stdout"
is "$(count "$TMP/a.db" examples)" 3 "examples table"
is "$(count "$TMP/a.db" prompts)" 1 "prompts table"
is "$(count "$TMP/a.db" completions)" 2 "completions table"
is "$(count "$TMP/a.db" triples)" 1 "triples table"
is "$(sqlite3 "$TMP/a.db" "SELECT split || '|' || idx || '|' || label FROM examples WHERE id = 'svamp-train-000001'")" \
	"train|1|( 6.0 * 4.0 )" "example columns filled from the record"
is "$(sqlite3 "$TMP/a.db" "SELECT record FROM examples WHERE id = 'esnli-test-000000'")" \
	"$(sed -n 3p "$TMP/ex.jsonl")" "the whole record is kept as read"
is "$(sqlite3 "$TMP/a.db" "SELECT template FROM prompts")" aaaa "prompt keyed by template"
is "$(sqlite3 "$TMP/a.db" "SELECT sample || '|' || ifnull(completion, 'NULL') || '|' || ifnull(finish_reason, 'NULL') FROM completions ORDER BY request")" \
	"0|She has 12 - 5 = 7. The answer is (12 - 5).|stop
1|NULL|NULL" "completion columns, null completion kept as NULL"
is "$(sqlite3 "$TMP/a.db" "SELECT rationale || '|' || teacher_label || '|' || label || '|' || agree FROM triples")" \
	"She has 12 - 5 = 7.|(12 - 5)|( 12.0 - 5.0 )|1" "triple columns"
is "$(sqlite3 "$TMP/a.db" "PRAGMA journal_mode")" wal "database in WAL mode"

# Idempotence: a second identical run changes nothing.
dump "$TMP/a.db" >"$TMP/dump1"
expect_ok "second identical run" dss-store "$TMP/a.db" <"$TMP/all.jsonl"
grep -Eq ': 7 records: 0 inserted, 0 updated, 7 unchanged ' "$TMP/err"
ok $? "second run reports 0 inserted, 7 unchanged"
dump "$TMP/a.db" >"$TMP/dump2"
cmp_file "$TMP/dump2" "$TMP/dump1" "database content unchanged by the second run"
sqlite3 "$TMP/a.db" "PRAGMA data_version" >/dev/null
total1=$(sqlite3 "$TMP/a.db" "SELECT total_changes()")

# A changed record updates its row.
sed 's/"latency_ms":5,"request":"r0"/"latency_ms":6,"request":"r0"/' "$TMP/co.jsonl" >"$TMP/co2.jsonl"
expect_ok "changed record" dss-store "$TMP/a.db" <"$TMP/co2.jsonl"
grep -Eq ': 2 records: 0 inserted, 1 updated, 1 unchanged \(completions 2\)$' "$TMP/err"
ok $? "changed record counted as updated"
is "$(sqlite3 "$TMP/a.db" "SELECT record FROM completions WHERE request = 'r0'")" \
	"$(sed -n 1p "$TMP/co2.jsonl")" "updated row holds the new record"

# Blank lines are skipped; empty input is fine.
printf '\n\n' | dss-store "$TMP/a.db" 2>"$TMP/err"
ok $? "empty input"
grep -q ': 0 records: 0 inserted' "$TMP/err"
ok $? "empty input summary"

# CRLF line ends are not part of the stored record; blank lines between
# records are skipped without shifting line numbers.
printf '%s\r\n\r\n%s\r\n' "$(sed -n 1p "$TMP/ex.jsonl")" '{"dataset":"d","id":"x"}' >"$TMP/crlf.jsonl"
expect_fail 1 "^dss-store: line 3: record is of no known type" "CRLF input: bad record named by its line" \
	dss-store "$TMP/crlf.db" <"$TMP/crlf.jsonl"
head -n 1 "$TMP/crlf.jsonl" >"$TMP/crlf1.jsonl"
dss-store "$TMP/crlf.db" <"$TMP/crlf1.jsonl" 2>/dev/null
is "$(sqlite3 "$TMP/crlf.db" "SELECT record FROM examples")" "$(sed -n 1p "$TMP/ex.jsonl")" \
	"CR not stored in the record"

# A bad record: named by line and field, its whole batch rolled back,
# earlier batches kept.
{ cat "$TMP/ex.jsonl"; echo '{"dataset":"svamp","split":"train","id":"svamp-train-000009","input":"y","label":"z"}'; } >"$TMP/bad.jsonl"
expect_fail 1 "^dss-store: line 4: field 'index' is missing$" "missing field names line and field" \
	dss-store --batch 2 "$TMP/b.db" <"$TMP/bad.jsonl"
grep -q '^dss-store: .*b\.db: 2 records committed before the error; the failed batch was rolled back$' "$TMP/err"
ok $? "reports what was committed"
is "$(sqlite3 "$TMP/b.db" "SELECT group_concat(id, ' ') FROM (SELECT id FROM examples ORDER BY id)")" \
	"svamp-train-000000 svamp-train-000001" "first batch kept, failed batch (lines 3-4) rolled back"
expect_fail 1 "^dss-store: line 4: field 'index' is missing$" "default batch: whole input is one batch" \
	dss-store "$TMP/c.db" <"$TMP/bad.jsonl"
is "$(count "$TMP/c.db" examples)" 0 "nothing of the failed batch written"

bad() {
	_want=$1 _rec=$2
	printf '%s\n%s\n' "$(sed -n 1p "$TMP/ex.jsonl")" "$_rec" >"$TMP/one.jsonl"
	expect_fail 1 "^dss-store: line 2: $_want\$" "rejects: $_want" dss-store "$TMP/d.db" <"$TMP/one.jsonl"
}
bad "field 'index' is not an integer" '{"dataset":"d","split":"s","id":"i","index":1.5,"input":"a","label":"b"}'
bad "field 'index' is not a number" '{"dataset":"d","split":"s","id":"i","index":"1","input":"a","label":"b"}'
bad "field 'label' is not a string" '{"dataset":"d","split":"s","id":"i","index":1,"input":"a","label":2}'
bad "field 'dataset' is null" '{"dataset":null,"split":"s","id":"i","index":1,"input":"a","label":"b"}'
bad "field 'template' is missing" '{"dataset":"d","id":"i","prompt":"p"}'
bad "field 'request' is missing" '{"dataset":"d","id":"i","teacher":"t","sample":0,"completion":"c"}'
bad "field 'sample' is missing" '{"dataset":"d","id":"i","teacher":"t","request":"r","completion":"c"}'
bad "field 'completion' is not a string" '{"dataset":"d","id":"i","teacher":"t","sample":0,"request":"r","completion":7}'
bad "field 'agree' is not a boolean" '{"dataset":"d","id":"i","request":"r","rationale":"x","label":"l","agree":"yes"}'
bad "field 'label' is missing" '{"dataset":"d","id":"i","request":"r","rationale":"x"}'
bad "record is of no known type .*" '{"dataset":"d","id":"i"}'
bad "invalid JSON near byte [0-9]+" '{"dataset":'
bad "record is not a JSON object" '[1,2]'
is "$(count "$TMP/d.db" examples)" 0 "no bad record leaves anything behind"

# Bad database paths and usage.
expect_fail 1 "^dss-store: cannot open database '$TMP/nodir/x.db': " "database in a missing directory" \
	dss-store "$TMP/nodir/x.db" </dev/null
printf 'not a database at all, just text\n%.0s' 1 2 3 4 5 6 7 8 >"$TMP/text.db"
expect_fail 1 "^dss-store: database '$TMP/text.db': file is not a database" "file that is not a database" \
	dss-store "$TMP/text.db" </dev/null
sqlite3 "$TMP/new.db" "PRAGMA user_version = 99"
expect_fail 1 "^dss-store: database '$TMP/new.db' has schema version 99, newer than this dss \($DBV\)$" \
	"database with a newer schema" dss-store "$TMP/new.db" </dev/null
# A database that cannot be written is the database's fault, not line 1's.
# The file is read-only in a directory where its -wal and -shm can be
# made, so that it opens and the first write fails.  Root writes anyway,
# so then the write is tried as nobody (setpriv).
mkdir "$TMP/ro" && chmod 755 "$TMP" && chmod 777 "$TMP/ro"
dss-store "$TMP/ro/r.db" </dev/null 2>/dev/null
chmod 444 "$TMP/ro/r.db"
as=""
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 &&
	    as="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
if [ "$(id -u)" != 0 ] || [ -n "$as" ]; then
	expect_fail 1 "^dss-store: database '$TMP/ro/r.db': attempt to write a readonly database$" \
	    "a read-only database: the message names no line" \
	    sh -c "$as '$BIN/dss-store' '$TMP/ro/r.db' < '$TMP/ex.jsonl'"
else
	echo "ok $((_n + 1)) # skip root without setpriv cannot meet a read-only file"
	_n=$((_n + 1))
fi
chmod 755 "$TMP/ro"
chmod 700 "$TMP"
expect_fail 2 "^usage: dss-store \[--batch N\] DB$" "no database" dss-store
expect_fail 2 "^usage: dss-store" "two databases" dss-store "$TMP/a.db" "$TMP/b.db"
expect_fail 2 "^dss-store: bad --batch '0': want a whole number from 1 to [0-9]+$" "batch 0" \
	dss-store --batch 0 "$TMP/a.db"
expect_fail 2 "^dss-store: bad --batch 'x': " "batch not a number" dss-store --batch x "$TMP/a.db"
expect_fail 2 "^dss-store: bad --batch '-3': " "negative batch" dss-store --batch -3 "$TMP/a.db"
expect_fail 2 "^usage: dss-store" "unknown option" dss-store --frobnicate "$TMP/a.db"
expect_ok "help" dss-store --help
grep -q '^usage: dss-store \[--batch N\] DB$' "$TMP/out"
ok $? "help goes to stdout"
expect_ok "version" dss-store --version
grep -Eq '^dss-store [0-9]' "$TMP/out"
ok $? "version line"
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-store: cannot write 'stdout'" "help to a full disk" sh -c 'dss-store --help >/dev/full'
fi

# Merge: two shards equal one unsharded database.
head -n 2 "$TMP/all.jsonl" >"$TMP/s1.jsonl"
tail -n +3 "$TMP/all.jsonl" >"$TMP/s2.jsonl"
dss-store "$TMP/s1.db" <"$TMP/s1.jsonl" 2>/dev/null
dss-store "$TMP/s2.db" <"$TMP/s2.jsonl" 2>/dev/null
dss-store "$TMP/one.db" <"$TMP/all.jsonl" 2>/dev/null
for db in s1 s2 one; do
	sqlite3 "$TMP/$db.db" "INSERT INTO teach_cache (request, provider, model, sample, completion, created) VALUES ('c-$db', 'openai', 'm', 0, 'text $db', '2026-01-01T00:00:00.000Z')"
done
sqlite3 "$TMP/one.db" "DELETE FROM teach_cache; INSERT INTO teach_cache (request, provider, model, sample, completion, created) VALUES ('c-s1', 'openai', 'm', 0, 'text s1', '2026-01-01T00:00:00.000Z'), ('c-s2', 'openai', 'm', 0, 'text s2', '2026-01-01T00:00:00.000Z')"
expect_ok "merge two shards" dss-store --merge "$TMP/m.db" "$TMP/s1.db" "$TMP/s2.db"
grep -q "s1.db: 3 records: 3 inserted, 0 updated, 0 unchanged (examples 2, teach_cache 1)$" "$TMP/err" &&
	grep -q "s2.db: 6 records: 6 inserted, 0 updated, 0 unchanged (examples 1, prompts 1, completions 2, triples 1, teach_cache 1)$" "$TMP/err"
ok $? "merge reports rows per input"
grep -q "merged 2 databases: 9 inserted, 0 updated, 0 unchanged" "$TMP/err"
ok $? "merge total line"
dump "$TMP/m.db" >"$TMP/mdump"
dump "$TMP/one.db" >"$TMP/odump"
cmp_file "$TMP/mdump" "$TMP/odump" "merge of two shards equals one unsharded database"
expect_ok "merge again" dss-store --merge "$TMP/m.db" "$TMP/s1.db" "$TMP/s2.db"
grep -q "merged 2 databases: 0 inserted, 0 updated, 9 unchanged" "$TMP/err"
ok $? "merging again changes nothing"
dump "$TMP/m.db" >"$TMP/mdump2"
cmp_file "$TMP/mdump2" "$TMP/mdump" "content unchanged by a second merge"
# A shard whose record differs replaces the row; its cached response is kept.
dss-store "$TMP/s3.db" <"$TMP/co2.jsonl" 2>/dev/null
sqlite3 "$TMP/s3.db" "INSERT INTO teach_cache (request, provider, model, sample, completion, created) VALUES ('c-s1', 'openai', 'm', 0, 'other text', '2026-02-01T00:00:00.000Z')"
expect_ok "merge a differing shard" dss-store --merge "$TMP/m.db" "$TMP/s3.db"
grep -q "s3.db: 3 records: 0 inserted, 1 updated, 2 unchanged (completions 2, teach_cache 1)" "$TMP/err"
ok $? "differing completion counted as updated, cache row as unchanged"
is "$(sqlite3 "$TMP/m.db" "SELECT completion FROM teach_cache WHERE request = 'c-s1'")" "text s1" \
	"a cached response is never replaced"
is "$(sqlite3 "$TMP/m.db" "SELECT record FROM completions WHERE request = 'r0'")" \
	"$(sed -n 1p "$TMP/co2.jsonl")" "the merged record replaces the differing one"
dump "$TMP/m.db" >"$TMP/mdump3"

expect_fail 1 "^dss-store: cannot open database '$TMP/missing.db': No such file or directory$" \
	"merge of a missing input" dss-store --merge "$TMP/m2.db" "$TMP/s1.db" "$TMP/missing.db"
is "$(count "$TMP/m2.db" examples)" 2 "inputs before the failing one stay merged"
expect_fail 1 "^dss-store: database '$TMP/m.db' is the output database$" "merge into itself" \
	dss-store --merge "$TMP/m.db" "$TMP/m.db"
sqlite3 "$TMP/plain.db" "CREATE TABLE t (x)"
expect_fail 1 "^dss-store: '$TMP/plain.db' is not a dss database$" "merge of a non-dss database" \
	dss-store --merge "$TMP/m.db" "$TMP/plain.db"
expect_fail 1 "^dss-store: cannot open database '$TMP/text.db': file is not a database$" \
	"merge of a text file" dss-store --merge "$TMP/m.db" "$TMP/text.db"
cp "$TMP/s1.db" "$TMP/future.db"
sqlite3 "$TMP/future.db" "PRAGMA user_version = 7"
expect_fail 1 "^dss-store: database '$TMP/future.db' has schema version 7, newer than this dss \($DBV\)$" \
	"merge refuses a newer schema" dss-store --merge "$TMP/m.db" "$TMP/future.db"
expect_fail 1 "^dss-store: cannot open database '$TMP': not a regular file$" "merge of a directory" \
	dss-store --merge "$TMP/m.db" "$TMP"
expect_fail 2 "^usage: dss-store" "merge without inputs" dss-store --merge "$TMP/m.db"
dump "$TMP/m.db" >"$TMP/mdump4"
cmp_file "$TMP/mdump4" "$TMP/mdump3" "failed merges left the output as it was"

# Two examples whose prompts are identical share one cached response (one
# request key) but each keeps its own completion and triple.
sed -e 's/svamp-train-000000/svamp-train-000007/' -e 's/"index":0/"index":7/' \
    "$TMP/co.jsonl" "$TMP/tr.jsonl" >"$TMP/twin.jsonl"
expect_ok "store the twin's completions and triple" dss-store "$TMP/a.db" <"$TMP/twin.jsonl"
is "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM completions WHERE request = 'r0'")" 2 \
	"a shared request key keeps a completion per example"
is "$(sqlite3 "$TMP/a.db" "SELECT group_concat(id, ' ') FROM (SELECT id FROM triples WHERE request = 'r0' ORDER BY id)")" \
	"svamp-train-000000 svamp-train-000007" "and a triple per example"

# A version 1 database is migrated on open: its triples learn the filter
# that made them (votes: majority; disagreeing with gold: none; else gold)
# and the tables of later versions appear.
sqlite3 "$TMP/v1.db" <"$TOP/schemas/dss.sql"
sqlite3 "$TMP/v1.db" "PRAGMA user_version = 1;
INSERT INTO triples VALUES ('r1', 'svamp', 'a', 't', 0, 'why', 'l', 'l', 1, '{\"agree\":true}');
INSERT INTO triples VALUES ('r2', 'svamp', 'b', 't', 0, 'why', 'm', 'l', 0, '{\"agree\":false}');
INSERT INTO triples VALUES ('r3', 'svamp', 'c', 't', 0, 'why', 'l', 'l', 1, '{\"votes\":{\"l\":2}}');
INSERT INTO triples VALUES ('r4', 'svamp', 'd', 't', 0, 'why', 'l', 'l', 1, '{\"filter\":\"gold,min-rationale=9\"}');"
expect_ok "a version 1 database opens" dss-store "$TMP/v1.db" </dev/null
is "$(sqlite3 "$TMP/v1.db" "PRAGMA user_version")" "$DBV" "and is migrated to version $DBV"
is "$(sqlite3 "$TMP/v1.db" "SELECT group_concat(id || '=' || filter, ' ') FROM (SELECT * FROM triples ORDER BY id)")" \
	"a=gold b=none c=majority d=gold,min-rationale=9" "its triples are keyed by the filter that made them"
is "$(sqlite3 "$TMP/v1.db" "SELECT count(*) FROM subsets") $(sqlite3 "$TMP/v1.db" "SELECT count(*) FROM rejects")" \
	"0 0" "the subsets and rejects tables exist"

# kill -9 at any point leaves whole batches: a run of 100,000 examples in
# batches of 1,000 is killed once rows have landed; the database passes
# its integrity check and holds a whole number of batches, and a rerun
# stores the rest, each record once.
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "{\"dataset\":\"svamp\",\"split\":\"train\",\"id\":\"svamp-train-%06d\",\"index\":%d,\"input\":\"Ann has %d apples.\",\"label\":\"( %d.0 + 1.0 )\",\"fields\":{}}\n", i, i, i, i }' \
    >"$TMP/100k.jsonl"
for at in 1000 30000; do
	rm -f "$TMP/k.db"*
	dss-store --batch 1000 "$TMP/k.db" <"$TMP/100k.jsonl" 2>/dev/null &
	pid=$!
	i=0
	while [ $i -lt 400 ] && [ "$(sqlite3 "$TMP/k.db" 'SELECT count(*) FROM examples' 2>/dev/null || echo 0)" -lt $at ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	n=$(sqlite3 "$TMP/k.db" 'SELECT count(*) FROM examples')
	is "$(sqlite3 "$TMP/k.db" 'PRAGMA integrity_check')" ok "kill -9 after $at rows: integrity_check ok"
	is "$((n % 1000))" 0 "kill -9 after $at rows: whole batches only ($n rows)"
	dss-store "$TMP/k.db" <"$TMP/100k.jsonl" 2>"$TMP/err"
	ok $? "kill -9 after $at rows: the rerun succeeds"
	grep -q ": 100000 records: $((100000 - n)) inserted, 0 updated, $n unchanged (examples 100000)$" "$TMP/err"
	ok $? "kill -9 after $at rows: the rerun adds the rest, each once"
	[ $? -eq 0 ] || diag "$TMP/err"
done

done_testing
