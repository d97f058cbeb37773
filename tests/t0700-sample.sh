#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-sample: nested, stratified and validation subsets equal what an
# independent Python reading of the man page computes (tests/sample-expect.py),
# over several seeds; stratified shares come from the manifest's field;
# a second run changes nothing; other members under a stored name are
# refused unless --replace, and a refused run writes nothing; --list and
# --show; and every error a user can hit, with its message and status.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sample.sh"

DB="$TMP/s.db"
dump() { sqlite3 "$1" .dump; }

expect_ok "--help" dss-sample --help
for o in dataset fractions list official replace seed show stratify valid \
    help version; do
	grep -q -- "--$o" "$TMP/out"
	ok $? "--help lists --$o"
done
grep -q '^usage: dss-sample --dataset D' "$TMP/out"
ok $? "--help starts with the usage"
expect_ok "--version" dss-sample --version
grep -q '^dss-sample [0-9]' "$TMP/out"
ok $? "--version prints the version"

mkdb "$DB" anli1 3000 1
mkdb "$DB" svamp 800 2
mkdb "$DB" cqa 2000 3
"$PY" "$TOP/tests/mkexamples.py" anli1 3000 1 >"$TMP/anli1.jsonl"
"$PY" "$TOP/tests/mkexamples.py" svamp 800 2 >"$TMP/svamp.jsonl"
"$PY" "$TOP/tests/mkexamples.py" cqa 2000 3 >"$TMP/cqa.jsonl"

# Nested: the default fractions, seed 0.
expect_ok "nested subsets of anli1" dss-sample --dataset anli1 "$DB"
is "$(cat "$TMP/err")" "dss-sample: anli1: 3000 train examples: 5 subsets created, 0 replaced, 0 updated, 0 unchanged" \
	"one summary line on stderr"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "nothing on stdout"
dss-sample --list --dataset anli1 "$DB" >"$TMP/list"
is "$(cat "$TMP/list")" "anli1	nested-s0-0.125	nested	train	0	0.125	375
anli1	nested-s0-0.25	nested	train	0	0.25	750
anli1	nested-s0-0.5	nested	train	0	0.5	1500
anli1	nested-s0-0.75	nested	train	0	0.75	2250
anli1	nested-s0-1	nested	train	0	1	3000" "--list: dataset, name, kind, role, seed, fraction, size"
"$PY" "$TOP/tests/sample-expect.py" nested 0 0 0.125,0.25,0.5,0.75,1 \
    <"$TMP/anli1.jsonl" >"$TMP/want"
same_as_python "nested seed 0 equals the Python reading" "$DB" anli1 "$TMP/want"
dss-sample --show nested-s0-0.125 --dataset anli1 "$DB" >"$TMP/a"
dss-sample --show nested-s0-0.25 --dataset anli1 "$DB" >"$TMP/b25"
head -n 375 "$TMP/b25" >"$TMP/b"
cmp_file "$TMP/a" "$TMP/b" "12.5% is the first 375 of 25%"
# The ranking by coreutils' sha256sum, on 20 examples of their own.
mkdb "$TMP/small.db" anli1 20
dss-sample --dataset anli1 --seed 42 --fractions 1 "$TMP/small.db" 2>/dev/null
for i in $(seq 0 19); do
	id=$(printf 'anli1-train-%06d' "$i")
	printf '%s %s\n' "$(printf '42:%s' "$id" | sha256sum | cut -c1-16)" "$id"
done | sort | cut -d' ' -f2 >"$TMP/want"
dss-sample --show nested-s42-1 --dataset anli1 "$TMP/small.db" >"$TMP/got"
cmp_file "$TMP/got" "$TMP/want" "members are in increasing order of sha256 of '42:ID' (sha256sum)"

# Idempotence: a second run writes nothing.
dump "$DB" >"$TMP/d1"
expect_ok "the same run again" dss-sample --dataset anli1 "$DB"
grep -q ': 0 subsets created, 0 replaced, 0 updated, 5 unchanged$' "$TMP/err"
ok $? "second run: 5 unchanged"
dump "$DB" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "the database is as it was"

# Other seeds and fractions.
for seed in 1 7 123456789; do
	expect_ok "nested seed $seed" dss-sample --dataset anli1 --seed "$seed" \
	    --fractions 0.9,0.1,0.3333 "$DB"
	"$PY" "$TOP/tests/sample-expect.py" nested "$seed" 0 0.1,0.3333,0.9 \
	    <"$TMP/anli1.jsonl" >"$TMP/want"
	same_as_python "nested seed $seed equals the Python reading" "$DB" anli1 "$TMP/want"
done

# A validation set changes the fractions: refused, then --replace.
dump "$DB" >"$TMP/d1"
expect_fail 1 "^dss-sample: subset 'nested-s0-0.125' of dataset 'anli1' is stored with other members \(use --replace\)$" \
	"other members under a stored name are refused" dss-sample --dataset anli1 --valid 0.1 "$DB"
dump "$DB" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "the refused run wrote nothing (not even the new validation set)"
expect_ok "--valid with --replace" dss-sample --dataset anli1 --valid 0.1 --replace "$DB"
grep -q ': 1 subsets created, 5 replaced, 0 updated, 0 unchanged$' "$TMP/err"
ok $? "one created, five replaced"
"$PY" "$TOP/tests/sample-expect.py" nested 0 0.1 0.125,0.25,0.5,0.75,1 \
    <"$TMP/anli1.jsonl" >"$TMP/want"
same_as_python "--valid 0.1 equals the Python reading" "$DB" anli1 "$TMP/want"
is "$(dss-sample --list --dataset anli1 "$DB" | grep -- '-valid')" \
	"anli1	nested-s0-valid	nested	valid	0	-	300" "the validation set is listed with role valid"
is "$(sqlite3 "$DB" "SELECT count(*) FROM subset_members v JOIN subset_members t USING (dataset, id) WHERE v.name = 'nested-s0-valid' AND t.name = 'nested-s0-1'")" \
	0 "no validation example is in train"
is "$(sqlite3 "$DB" "SELECT params FROM subsets WHERE dataset = 'anli1' AND name = 'nested-s0-0.5'")" \
	'{"kind":"nested","seed":0,"fraction":0.5,"valid":0.1,"stratify":null,"official_valid":null,"train_examples":3000}' \
	"params record every option"

# Fractions without a validation set would overlap the stored one.
dump "$DB" >"$TMP/d1"
expect_fail 1 "^dss-sample: validation set 'nested-s0-valid' of dataset 'anli1' is stored and would overlap these fractions \(use --replace\)$" \
	"a stored validation set is not silently overlapped" dss-sample --dataset anli1 "$DB"
dump "$DB" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "... and nothing is written"
expect_ok "--replace removes it" dss-sample --dataset anli1 --replace "$DB"
grep -q ': 0 subsets created, 6 replaced, 0 updated, 0 unchanged$' "$TMP/err"
ok $? "five fractions and the validation set replaced"
is "$(subset_names "$DB" anli1 | grep -c 'nested-s0-valid')" 0 "the validation set is gone"
expect_ok "back to the validation set" dss-sample --dataset anli1 --valid 0.1 --replace "$DB"

# Stratified: by label (anli1), by the manifest's field (svamp type, cqa answer_key).
expect_ok "stratified anli1" dss-sample --dataset anli1 --stratify --seed 3 "$DB"
"$PY" "$TOP/tests/sample-expect.py" nested 3 0 0.125,0.25,0.5,0.75,1 label \
    <"$TMP/anli1.jsonl" >"$TMP/want"
same_as_python "stratified by label equals the Python reading" "$DB" anli1 "$TMP/want"
expect_ok "stratified svamp with a validation set" dss-sample --dataset svamp --stratify --valid 0.2 "$DB"
"$PY" "$TOP/tests/sample-expect.py" nested 0 0.2 0.125,0.25,0.5,0.75,1 type \
    <"$TMP/svamp.jsonl" >"$TMP/want"
same_as_python "svamp stratified by type equals the Python reading" "$DB" svamp "$TMP/want"
is "$(sqlite3 "$DB" "SELECT json_extract(params, '\$.stratify') FROM subsets WHERE dataset = 'svamp' AND name = 'nested-strat-s0-0.5'")" \
	"fields.type" "svamp's stratum is the manifest's field"
# Each type's share of 12.5%, by hand: within one of size * count / n.
sqlite3 "$DB" "WITH tot AS (SELECT json_extract(record, '\$.fields.type') t, count(*) c FROM examples WHERE dataset = 'svamp' AND split = 'train' AND id NOT IN (SELECT id FROM subset_members WHERE dataset = 'svamp' AND name = 'nested-strat-s0-valid') GROUP BY 1),
	got AS (SELECT json_extract(e.record, '\$.fields.type') t, count(*) c FROM subset_members m JOIN examples e USING (dataset, id) WHERE m.dataset = 'svamp' AND m.name = 'nested-strat-s0-0.125' GROUP BY 1)
	SELECT tot.t, ifnull(got.c, 0), tot.c FROM tot LEFT JOIN got USING (t)" >"$TMP/shares"
awk -F'|' '{ want = 80 * $3 / 640; d = $2 - want; if (d <= -1 || d >= 1) bad = 1 } END { exit bad }' "$TMP/shares"
ok $? "every type holds its share of 12.5% within one"
expect_ok "stratified cqa" dss-sample --dataset cqa --stratify --seed 11 --fractions 0.2,0.6 "$DB"
"$PY" "$TOP/tests/sample-expect.py" nested 11 0 0.2,0.6 answer_key \
    <"$TMP/cqa.jsonl" >"$TMP/want"
same_as_python "cqa stratified by answer_key equals the Python reading" "$DB" cqa "$TMP/want"

# Stability: adding examples moves existing members as little as it can.
dss-sample --show nested-s0-0.5 --dataset anli1 "$DB" | sort >"$TMP/before"
"$PY" "$TOP/tests/mkexamples.py" anli1 30 1 3000 | dss-store "$DB" 2>/dev/null
expect_fail 1 "is stored with other members" "after adding examples the fractions differ" \
	dss-sample --dataset anli1 --valid 0.1 "$DB"
expect_ok "resample after adding 30 examples" dss-sample --dataset anli1 --valid 0.1 --replace "$DB"
dss-sample --show nested-s0-0.5 --dataset anli1 "$DB" | sort >"$TMP/after"
left=$(comm -23 "$TMP/before" "$TMP/after" | wc -l | tr -d ' ')
[ "$left" -le 33 ]
ok $? "at most 30 + 3 (the larger validation set) of 1350 members left ($left)"

# --list of every dataset, ordered.
dss-sample --list "$DB" >"$TMP/all"
is "$(cut -f1 "$TMP/all" | uniq | tr '\n' ' ')" "anli1 cqa svamp " "--list without --dataset lists every dataset, in order"
is "$(wc -l <"$TMP/all" | tr -d ' ')" "$(sqlite3 "$DB" 'SELECT count(*) FROM subsets')" "... every subset"

# A manifest path names its dataset.
expect_ok "--dataset as a manifest path" dss-sample --list --dataset "$TOP/datasets/demo/svamp.json" "$DB"
is "$(cut -f1 "$TMP/out" | sort -u)" "svamp" "... lists that dataset's subsets"

# Errors: usage (2).
expect_fail 2 "^usage: dss-sample" "no database" dss-sample --dataset anli1
expect_fail 2 "^dss-sample: --dataset is required$" "no --dataset" dss-sample "$DB"
expect_fail 2 "^dss-sample: --show needs --dataset$" "--show without --dataset" dss-sample --show x "$DB"
expect_fail 2 "^dss-sample: --list and --show cannot go together$" "--list with --show" \
	dss-sample --list --show x --dataset anli1 "$DB"
expect_fail 2 "^dss-sample: --list takes no sampling options$" "--list with --seed" dss-sample --list --seed 1 "$DB"
expect_fail 2 "^dss-sample: --show takes no sampling options$" "--show with --stratify" \
	dss-sample --show x --stratify --dataset anli1 "$DB"
expect_fail 2 "^dss-sample: --official cannot go with --stratify$" "--official with --stratify" \
	dss-sample --dataset anli1 --official 0 --stratify "$DB"
expect_fail 2 "^dss-sample: --official cannot go with --valid" "--official with --valid" \
	dss-sample --dataset anli1 --official 0 --valid 0.1 "$DB"
expect_fail 2 "^dss-sample: --official cannot go with --seed" "--official with --seed" \
	dss-sample --dataset anli1 --official 0 --seed 1 "$DB"
expect_fail 2 "^dss-sample: bad --fractions '0,0.5': '0' is not in \(0, 1\]$" "fraction 0" \
	dss-sample --dataset anli1 --fractions 0,0.5 "$DB"
expect_fail 2 "^dss-sample: bad --fractions '1.5': '1.5' is not in \(0, 1\]$" "fraction above 1" \
	dss-sample --dataset anli1 --fractions 1.5 "$DB"
expect_fail 2 "^dss-sample: bad --fractions '0.5,0.25,0.5': 0.5 appears twice$" "a fraction twice" \
	dss-sample --dataset anli1 --fractions 0.5,0.25,0.5 "$DB"
expect_fail 2 "^dss-sample: bad --fractions 'half': 'half' is not a decimal number$" "not a number" \
	dss-sample --dataset anli1 --fractions half "$DB"
expect_fail 2 "^dss-sample: bad --fractions '0.5,': a fraction is empty$" "an empty fraction" \
	dss-sample --dataset anli1 --fractions 0.5, "$DB"
expect_fail 2 "^dss-sample: bad --valid '1': want a number between 0 and 1$" "--valid 1" \
	dss-sample --dataset anli1 --valid 1 "$DB"
expect_fail 2 "^dss-sample: bad --valid '0.1,0.2': want a number between 0 and 1$" "--valid with two numbers" \
	dss-sample --dataset anli1 --valid 0.1,0.2 "$DB"
expect_fail 2 "^dss-sample: bad --seed '-1': want a whole number from 0 to 9223372036854775807$" "negative seed" \
	dss-sample --dataset anli1 --seed -1 "$DB"
expect_fail 2 "^dss-sample: bad --official 'x': want a whole number" "bad run" \
	dss-sample --dataset anli1 --official x "$DB"
expect_fail 2 "unrecognized option" "unknown option" dss-sample --frobnicate "$DB"

# Errors: runtime (1).
dump "$DB" >"$TMP/d1"
expect_fail 1 "^dss-sample: unknown dataset 'nope' \(known: " "unknown dataset" dss-sample --dataset nope "$DB"
expect_fail 1 "^dss-sample: no train examples of dataset 'esnli' in '.*s\.db'; run dss-fetch and dss-store first$" \
	"a dataset with no train examples" dss-sample --dataset esnli "$DB"
expect_fail 1 "^dss-sample: cannot open database '$TMP/none.db'" "a missing database" \
	dss-sample --dataset anli1 "$TMP/none.db"
[ ! -e "$TMP/none.db" ]
ok $? "... is not created"
expect_fail 1 "^dss-sample: fraction 0.0001 of 3030 examples is empty$" "an empty subset" \
	dss-sample --dataset anli1 --fractions 0.0001,0.5 --seed 5 "$DB"
expect_fail 1 "^dss-sample: a validation set of 0.9999 of 3030 examples leaves none to train on$" \
	"a validation set taking everything" dss-sample --dataset anli1 --valid 0.9999 --seed 5 "$DB"
expect_fail 1 "^dss-sample: no subset 'nested-s9-0.5' of dataset 'anli1' in '.*s\.db'$" "--show of an unknown subset" \
	dss-sample --show nested-s9-0.5 --dataset anli1 "$DB"
dump "$DB" >"$TMP/d2"
cmp_file "$TMP/d2" "$TMP/d1" "failed runs wrote nothing"

# A stratum field missing from an example (as from an import without it).
sed 's/"type":"[^"]*",//' "$TMP/svamp.jsonl" | head -n 5 >"$TMP/notype.jsonl"
dss-store "$TMP/n.db" <"$TMP/notype.jsonl" 2>/dev/null
expect_fail 1 "^dss-sample: example 'svamp-train-000000' has no string field 'type' to stratify by$" \
	"a missing stratum field" dss-sample --dataset svamp --stratify "$TMP/n.db"

# A manifest's sample section that is wrong.
mkdir -p "$TMP/ds"
sed 's/"stratify": "type"/"stratify": "a.b"/' "$TOP/datasets/svamp.json" >"$TMP/ds/svamp.json"
DSS_DATASETS="$TMP/ds" expect_fail 1 "^dss-sample: '.*svamp\.json': key 'sample\.stratify' is not a field name$" \
	"a bad sample.stratify" dss-sample --dataset svamp "$DB"
sed 's/"official_valid": 0.1/"official_valid": 1/' "$TOP/datasets/svamp.json" >"$TMP/ds/svamp.json"
DSS_DATASETS="$TMP/ds" expect_fail 1 "^dss-sample: '.*svamp\.json': key 'sample\.official_valid' is not a number between 0 and 1$" \
	"a bad sample.official_valid" dss-sample --dataset svamp "$DB"

# The manual's examples, on SVAMP fetched from the bundled mirror.
mkdir -p "$TMP/ex"
sed -n '/^\.Bd -literal/,/^\.Ed/p' "$TOP/man/dss-sample.1" |
    grep -E '^(dss-sample|for run)' >"$TMP/ex/examples.sh"
is "$(wc -l <"$TMP/ex/examples.sh" | tr -d ' ')" 5 "the manual has five dss-sample example lines"
(cd "$TMP/ex" && dss-fetch --mirror "file://$TOP/datasets/mirror" \
    "$TOP/datasets/demo/svamp.json" 2>/dev/null | dss-store run.db 2>/dev/null)
(cd "$TMP/ex" && sh -e examples.sh) >"$TMP/out" 2>"$TMP/err"
ok $? "the manual's examples run"
is "$(grep -c '^svamp	nested-s0-' "$TMP/out")" 5 "... listing the five nested fractions"
is "$(sed -n '6,$p' "$TMP/out" | wc -l | tr -d ' ')" 20 "... and showing the 20 ids of official-r0-0.25-valid"
sqlite3 "$TMP/ex/run.db" "SELECT count(*) FROM subset_members m JOIN examples e USING (dataset, id)
    WHERE m.dataset = 'svamp' AND m.name = 'nested-s0-0.25'" >"$TMP/n"
is "$(cat "$TMP/n")" 200 "the manual's join of a subset with its examples finds 200"

# stdout write errors are not success.
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-sample: cannot write 'stdout'" "--show to a full disk" \
		sh -c "dss-sample --show nested-s0-1 --dataset anli1 '$DB' >/dev/full"
	expect_fail 1 "^dss-sample: cannot write 'stdout'" "--list to a full disk" \
		sh -c "dss-sample --list '$DB' >/dev/full"
else
	ok 0 "# skip /dev/full is not writable"
	ok 0 "# skip /dev/full is not writable"
fi

done_testing
