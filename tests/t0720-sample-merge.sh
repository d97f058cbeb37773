#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-store --merge carries the subsets of dss-sample: new ones come with
# their members, identical ones are left alone, and a subset stored with
# other members stops the merge, naming it, with the output unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sample.sh"

dump() { sqlite3 "$1" .dump; }
show() { dss-sample --show "$3" --dataset "$2" "$1"; }

mkdb "$TMP/a.db" anli1 400
mkdb "$TMP/b.db" svamp 300
dss-sample --dataset anli1 "$TMP/a.db" 2>/dev/null
dss-sample --dataset svamp --official 0 --fractions 0.5 "$TMP/b.db" 2>/dev/null

expect_ok "merge two databases with subsets" dss-store --merge "$TMP/m.db" "$TMP/a.db" "$TMP/b.db"
grep -q "a\.db: 405 records: 405 inserted, 0 updated, 0 unchanged (examples 400, subsets 5)$" "$TMP/err"
ok $? "the first input's subsets are counted"
grep -q "b\.db: 302 records: 302 inserted, 0 updated, 0 unchanged (examples 300, subsets 2)$" "$TMP/err"
ok $? "the second input's subsets are counted"
dss-sample --list "$TMP/a.db" >"$TMP/la"
dss-sample --list "$TMP/b.db" >>"$TMP/la"
dss-sample --list "$TMP/m.db" >"$TMP/lm"
cmp_file "$TMP/lm" "$TMP/la" "every subset is listed in the merged database"
bad=0
for n in nested-s0-0.125 nested-s0-0.25 nested-s0-0.5 nested-s0-0.75 nested-s0-1; do
	[ "$(show "$TMP/m.db" anli1 $n)" = "$(show "$TMP/a.db" anli1 $n)" ] || bad=1
done
for n in official-r0-0.5 official-r0-0.5-valid; do
	[ "$(show "$TMP/m.db" svamp $n)" = "$(show "$TMP/b.db" svamp $n)" ] || bad=1
done
ok $bad "every subset has its members in their order"
is "$(sqlite3 "$TMP/m.db" "SELECT created || params FROM subsets WHERE name = 'nested-s0-0.5'")" \
	"$(sqlite3 "$TMP/a.db" "SELECT created || params FROM subsets WHERE name = 'nested-s0-0.5'")" \
	"a subset's row comes whole"

dump "$TMP/m.db" >"$TMP/d1"
expect_ok "merge again" dss-store --merge "$TMP/m.db" "$TMP/a.db" "$TMP/b.db"
grep -q "merged 2 databases: 0 inserted, 0 updated, 707 unchanged$" "$TMP/err"
ok $? "identical subsets are unchanged"
dump "$TMP/m.db" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "the output is as it was"

# The same subsets made again elsewhere (another created time) are identical.
mkdb "$TMP/c.db" anli1 400
dss-sample --dataset anli1 --fractions 0.5 "$TMP/c.db" 2>/dev/null
sqlite3 "$TMP/c.db" "UPDATE subsets SET created = '2000-01-01T00:00:00.000Z'"
expect_ok "merge a database with the same subset made again" dss-store --merge "$TMP/m.db" "$TMP/c.db"
grep -q "c\.db: 401 records: 0 inserted, 0 updated, 401 unchanged (examples 400, subsets 1)$" "$TMP/err"
ok $? "... it is unchanged"
dump "$TMP/m.db" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "... and the output keeps its own row"

# Other members under the same name: refused, naming the subset.
mkdb "$TMP/d.db" anli1 400
"$PY" "$TOP/tests/mkexamples.py" anli1 10 1 400 | dss-store "$TMP/d.db" 2>/dev/null
dss-sample --dataset anli1 --fractions 0.125,0.5 "$TMP/d.db" 2>/dev/null
expect_fail 1 "^dss-store: merging '$TMP/d\.db': subset 'nested-s0-0.125' of dataset 'anli1' has other members than the one in the output database$" \
	"a subset with other members stops the merge" dss-store --merge "$TMP/m.db" "$TMP/d.db"
dump "$TMP/m.db" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "... and nothing of that input is merged"

# Same size, one member moved: other members too.
cp "$TMP/a.db" "$TMP/e.db"
sqlite3 "$TMP/e.db" "UPDATE subset_chunks SET ids = json_set(ids, '\$[0]',
	json_extract(ids, '\$[1]'), '\$[1]', json_extract(ids, '\$[0]'))
	WHERE name = 'nested-s0-1' AND chunk = 0"
expect_fail 1 "subset 'nested-s0-1' of dataset 'anli1' has other members" \
	"the same members in another order are other members" dss-store --merge "$TMP/m.db" "$TMP/e.db"

done_testing
