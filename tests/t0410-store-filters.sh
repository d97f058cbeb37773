#!/bin/sh
# SPDX-License-Identifier: MIT
# Triples and rejects say which filter made them, and dss-store keeps
# them by it.  The case of issue 8: the triples of dss-filter --agree gold
# and --agree majority over the same completions, stored in turn, used to
# overwrite each other (the second store "updated" most rows); now both
# live side by side and the second store only inserts.  Storing a rejects
# file used to rewrite the completions it came from; now it fills the
# rejects table and leaves the completions table byte for byte as it was.
# Records written before triples carried a filter are given the one they
# must have come from, as schema version 3 did for stored rows.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
DB="$TMP/run.db"
q() { sqlite3 "$DB" "$1"; }
tables() { sqlite3 "$1" ".dump $2"; }

# 60 svamp training examples, three samples each from the scripted
# stand-in teacher of make demo: some samples are cut off, some disagree.
dss-fetch --mirror "file://$TOP/datasets/mirror" "$TOP/datasets/demo/svamp.json" \
    2>/dev/null | grep '"split":"train"' | head -n 60 >"$TMP/ex.jsonl"
is "$(wc -l <"$TMP/ex.jsonl" | tr -d ' ')" 60 "60 examples to prompt"
dss-prompt --shots 3 <"$TMP/ex.jsonl" >"$TMP/pr.jsonl" 2>/dev/null
python3 "$TOP/scripts/demo-teacher.py" 3 <"$TMP/ex.jsonl" >"$TMP/replay.jsonl"
dss-teach --db "$TMP/teach.db" --teacher "replay:$TMP/replay.jsonl" --samples 3 \
    --quiet <"$TMP/pr.jsonl" >"$TMP/co.jsonl" 2>/dev/null
is "$(wc -l <"$TMP/co.jsonl" | tr -d ' ')" 180 "180 completions"
expect_ok "store the examples and completions" sh -c \
    'cat "$1/ex.jsonl" "$1/co.jsonl" | dss-store "$2"' sh "$TMP" "$DB"

dss-filter --agree gold --rejects "$TMP/rg.jsonl" <"$TMP/co.jsonl" \
    >"$TMP/tg.jsonl" 2>/dev/null
dss-filter --agree majority --rejects "$TMP/rm.jsonl" <"$TMP/co.jsonl" \
    >"$TMP/tm.jsonl" 2>/dev/null
dss-filter --agree none --min-rationale-chars 20 <"$TMP/co.jsonl" \
    >"$TMP/tn.jsonl" 2>/dev/null
ng=$(wc -l <"$TMP/tg.jsonl" | tr -d ' ')
nm=$(wc -l <"$TMP/tm.jsonl" | tr -d ' ')
nn=$(wc -l <"$TMP/tn.jsonl" | tr -d ' ')
nrg=$(wc -l <"$TMP/rg.jsonl" | tr -d ' ')
nrm=$(wc -l <"$TMP/rm.jsonl" | tr -d ' ')
[ "$ng" -gt 0 ] && [ "$nm" -gt 0 ] && [ "$nrg" -gt 0 ] && [ "$nrm" -gt 0 ]
ok $? "both filters keep some and reject some ($ng/$nrg gold, $nm/$nrm majority)"
# The two modes keep many of the same completions: the case where the
# second store used to update instead of insert.
common=$(python3 - "$TMP/tg.jsonl" "$TMP/tm.jsonl" <<'EOF'
import json, sys
a, b = ({json.loads(l)["request"] for l in open(p)} for p in sys.argv[1:])
print(len(a & b))
EOF
)
[ "$common" -gt 0 ]
ok $? "gold and majority keep $common of the same completions"

# Every record names its filter.
for f in tg:gold tm:majority tn:none,min-rationale=20 rg:gold rm:majority; do
	file=${f%%:*} want=${f#*:}
	python3 - "$TMP/$file.jsonl" "$want" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if recs and all(r.get("filter") == sys.argv[2] for r in recs) else 1)
EOF
	ok $? "every record of $file.jsonl has filter '$want'"
done

# Stored in turn: both variants side by side, the second store inserts.
dss-store "$DB" <"$TMP/tg.jsonl" 2>"$TMP/err"
grep -q ": $ng records: $ng inserted, 0 updated, 0 unchanged (triples $ng)$" "$TMP/err"
ok $? "gold triples inserted"
dss-store "$DB" <"$TMP/tm.jsonl" 2>"$TMP/err"
grep -q ": $nm records: $nm inserted, 0 updated, 0 unchanged (triples $nm)$" "$TMP/err"
ok $? "majority triples inserted, none updated"
[ $? -eq 0 ] || diag "$TMP/err"
dss-store "$DB" <"$TMP/tn.jsonl" 2>/dev/null
is "$(q "SELECT filter || ' ' || count(*) FROM triples GROUP BY filter ORDER BY filter")" \
    "gold $ng
majority $nm
none,min-rationale=20 $nn" "three filters side by side in triples"
q "SELECT record FROM triples WHERE filter = 'gold'" | sort >"$TMP/got-gold"
sort "$TMP/tg.jsonl" >"$TMP/want-gold"
cmp_file "$TMP/got-gold" "$TMP/want-gold" "the gold triples are stored as dss-filter wrote them"
q "SELECT record FROM triples WHERE filter = 'majority'" | sort >"$TMP/got-maj"
sort "$TMP/tm.jsonl" >"$TMP/want-maj"
cmp_file "$TMP/got-maj" "$TMP/want-maj" "so are the majority triples"
dss-store "$DB" <"$TMP/tg.jsonl" 2>"$TMP/err"
grep -q ": $ng records: 0 inserted, 0 updated, $ng unchanged" "$TMP/err"
ok $? "storing the gold triples again changes nothing"

# Rejects go to their table; the completions are not touched.
tables "$DB" completions >"$TMP/completions.before"
dss-store "$DB" <"$TMP/rg.jsonl" 2>"$TMP/err"
grep -q ": $nrg records: $nrg inserted, 0 updated, 0 unchanged (rejects $nrg)$" "$TMP/err"
ok $? "gold rejects inserted into rejects"
dss-store "$DB" <"$TMP/rm.jsonl" 2>"$TMP/err"
grep -q ": $nrm records: $nrm inserted, 0 updated, 0 unchanged (rejects $nrm)$" "$TMP/err"
ok $? "majority rejects inserted beside them"
tables "$DB" completions >"$TMP/completions.after"
cmp_file "$TMP/completions.after" "$TMP/completions.before" \
    "storing rejects leaves the completions table byte-identical"
is "$(q "SELECT filter || ' ' || count(*) FROM rejects GROUP BY filter ORDER BY filter")" \
    "gold $nrg
majority $nrm" "rejects kept per filter"
is "$(q "SELECT count(*) FROM rejects r WHERE reason IS NULL OR NOT EXISTS (SELECT 1 FROM completions c WHERE c.request = r.request AND c.id = r.id)")" \
    0 "every reject has its reason and its completion"
python3 - "$TMP/rg.jsonl" "$DB" <<'EOF' >"$TMP/cols"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
bad = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    row = db.execute("SELECT teacher, sample, reason, teacher_label, record FROM rejects "
                     "WHERE filter = 'gold' AND request = ? AND dataset = ? AND id = ?",
                     (r["request"], r["dataset"], r["id"])).fetchone()
    if row != (r["teacher"], r["sample"], r["reason"], r.get("teacher_label"), l.rstrip("\n")):
        bad += 1
print(bad)
EOF
is "$(cat "$TMP/cols")" 0 "reject columns filled from the record, the record kept as read"

# Records without a filter field: the filter they must have come from.
strip() { python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r.pop("filter", None); print(json.dumps(r, separators=(",", ":")))'; }
strip <"$TMP/tm.jsonl" >"$TMP/old-tm.jsonl"
strip <"$TMP/tg.jsonl" >"$TMP/old-tg.jsonl"
strip <"$TMP/rg.jsonl" >"$TMP/old-rg.jsonl"
strip <"$TMP/rm.jsonl" | grep '"votes"' >"$TMP/old-rm.jsonl"
cat "$TMP"/old-*.jsonl | dss-store "$TMP/old.db" 2>/dev/null
ok $? "store records written before the filter field"
is "$(sqlite3 "$TMP/old.db" "SELECT filter || ' ' || count(*) FROM triples GROUP BY filter ORDER BY filter")" \
    "gold $ng
majority $nm" "triples: votes make majority, the others gold"
is "$(sqlite3 "$TMP/old.db" "SELECT filter || ' ' || count(*) FROM rejects GROUP BY filter ORDER BY filter")" \
    "gold $nrg
majority $(wc -l <"$TMP/old-rm.jsonl" | tr -d ' ')" "rejects: votes make majority, the rest gold"
# Triples of --agree none: those that disagree with gold (or have none)
# cannot be gold triples.
strip <"$TMP/tn.jsonl" >"$TMP/old-tn.jsonl"
dss-store "$TMP/old-none.db" <"$TMP/old-tn.jsonl" 2>/dev/null
nagree=$(grep -c '"agree":true' "$TMP/old-tn.jsonl")
[ "$nagree" -gt 0 ] && [ "$nagree" -lt "$nn" ]
ok $? "some none triples agree with gold, some do not"
is "$(sqlite3 "$TMP/old-none.db" "SELECT filter || ' ' || count(*) FROM triples GROUP BY filter ORDER BY filter")" \
    "gold $nagree
none $((nn - nagree))" "triples without votes: none unless they agree"

# A filter field that is not a name.
badrec() {
	sed -n 1p "$TMP/tg.jsonl" | sed "s/\"filter\":\"gold\"/\"filter\":$1/" >"$TMP/bad.jsonl"
	expect_fail 1 "^dss-store: line 1: field 'filter' $2\$" "a triple whose filter $2" \
	    dss-store "$TMP/bad.db" <"$TMP/bad.jsonl"
}
badrec 3 "is not a string"
badrec '""' "is empty"
badrec '["gold"]' "is not a string"
is "$(sqlite3 "$TMP/bad.db" "SELECT count(*) FROM triples")" 0 "nothing stored from them"

# Merging carries triples and rejects of every filter.
dss-store --merge "$TMP/merged.db" "$DB" 2>/dev/null
ok $? "merge the database into a new one"
for t in triples rejects completions; do
	is "$(sqlite3 "$TMP/merged.db" "SELECT count(*) FROM $t")" "$(q "SELECT count(*) FROM $t")" \
	    "merge keeps every row of $t"
done
done_testing
