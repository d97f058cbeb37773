#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-eval: the folded and official rules on all three kinds of dataset,
# the table, --json, the ablation table, gold from a file and from a
# database, coverage (predictions without gold and gold without
# predictions) and its exit status, the bootstrap seed, and every data
# and usage error with its message and exit status.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
cd "$TMP" || exit 1

cat >gold.jsonl <<'EOF'
{"dataset":"svamp","split":"test","id":"s1","index":0,"input":"x","label":"( 84.0 / 2.0 )","fields":{}}
{"dataset":"svamp","split":"test","id":"s2","index":1,"input":"x","label":"( 1000.0 + 234.0 )","fields":{}}
{"dataset":"svamp","split":"test","id":"s3","index":2,"input":"x","label":"( 0.1 + 0.2 )","fields":{}}
{"dataset":"svamp","split":"test","id":"s4","index":3,"input":"x","label":"( 7.0 - 2.0 )","fields":{}}

{"dataset":"esnli","split":"test","id":"e1","index":0,"input":"x","label":"entailment","fields":{}}
{"dataset":"esnli","split":"test","id":"e2","index":1,"input":"x","label":"neutral","fields":{}}
{"dataset":"esnli","split":"test","id":"e3","index":2,"input":"x","label":"contradiction","fields":{}}
{"dataset":"cqa","split":"test","id":"c1","index":0,"input":"x","label":"kitchen sink","fields":{"choices":["porch","kitchen sink","oven"]}}
{"dataset":"svamp","split":"train","id":"t1","index":0,"input":"x","label":"( 1.0 + 1.0 )","fields":{}}
EOF
cat >a.jsonl <<'EOF'
{"id":"s1","prediction":"42","method":"dss","fraction":0.5}
{"id":"s2","prediction":"1,234","method":"dss","fraction":0.5}
{"id":"s3","prediction":"0.3","method":"dss","fraction":0.5}
{"id":"s4","prediction":"The answer is 5","method":"dss","fraction":0.5}
{"id":"e1","prediction":"Entailment","method":"dss","fraction":0.5}
{"id":"e2","prediction":"neutral","method":"dss","fraction":0.5}
{"id":"e3","prediction":"maybe","method":"dss","fraction":0.5}
{"id":"c1","prediction":"Kitchen  Sink","method":"dss","fraction":0.5}
EOF

expect_ok "scores a file against gold" dss-eval --gold gold.jsonl --pred a.jsonl
cat >want <<'EOF'
dataset  split  method  train %  n  accuracy  95% CI            unparsable  missing  official
cqa      test   dss          50  1    100.00  [100.00, 100.00]           0        0      0.00
esnli    test   dss          50  3     66.67  [0.00, 100.00]             1        0     33.33
svamp    test   dss          50  4     75.00  [25.00, 100.00]            1        0     25.00
EOF
cmp_file out want "the table, with the official accuracy where it differs"
is "$(cat err)" "" "nothing on stderr"

dss-eval --gold gold.jsonl --pred a.jsonl --json >json 2>err
ok $? "--json"
python3 - json >check 2>&1 <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["dataset", "split", "method", "fraction", "size", "rule", "n", "correct",
        "accuracy", "ci95", "unparsable", "official_accuracy", "folded_accuracy",
        "missing"]
want = {
    "cqa": (1, 1, 1.0, 0, 0.0),
    "esnli": (3, 2, 2 / 3, 1, 1 / 3),
    "svamp": (4, 3, 0.75, 1, 0.25),
}
for r in rows:
    assert list(r) == keys, list(r)
    n, c, acc, unp, off = want[r["dataset"]]
    assert (r["n"], r["correct"], r["unparsable"]) == (n, c, unp), r
    assert abs(r["accuracy"] - acc) < 1e-12 and abs(r["official_accuracy"] - off) < 1e-12, r
    assert r["split"] == "test" and r["method"] == "dss" and r["fraction"] == 0.5, r
    assert r["size"] is None and r["rule"] == "folded" and r["missing"] == 0, r
    lo, hi = r["ci95"]
    assert 0 <= lo <= r["accuracy"] <= hi <= 1, r
assert [r["dataset"] for r in rows] == ["cqa", "esnli", "svamp"], rows
print("ok")
PY
is "$(cat check)" "ok" "--json: keys in order, counts and accuracies"

dss-eval --gold gold.jsonl --pred a.jsonl --json --official >json 2>err
python3 - json >check 2>&1 <<'PY'
import json, sys
rows = {r["dataset"]: r for r in map(json.loads, open(sys.argv[1]))}
assert rows["svamp"]["rule"] == "official"
# s1 right; s2 "1,234" is a tuple to eval(); s3 0.3 != 0.1 + 0.2; s4 text
assert (rows["svamp"]["correct"], rows["svamp"]["unparsable"]) == (1, 2), rows["svamp"]
assert rows["svamp"]["accuracy"] == 0.25 and rows["svamp"]["folded_accuracy"] == 0.75
# e1 "Entailment" is no label exactly; e3 "maybe" none at all
assert (rows["esnli"]["correct"], rows["esnli"]["unparsable"]) == (1, 2), rows["esnli"]
assert (rows["cqa"]["correct"], rows["cqa"]["unparsable"]) == (0, 1), rows["cqa"]
print("ok")
PY
is "$(cat check)" "ok" "--official: exact strings, eval() of equations"
dss-eval --gold gold.jsonl --pred a.jsonl --official >out 2>err
grep -q "^dataset .*accuracy (official) .* folded$" out
ok $? "--official: the table names the rule and shows the folded figure"

# Gold from a database gives the same scores.
dss-store gold.db <gold.jsonl 2>/dev/null
ok $? "gold stored in a database"
dss-eval --gold gold.jsonl --pred a.jsonl --json >from-file 2>/dev/null
dss-eval --gold gold.db --pred a.jsonl --json >from-db 2>/dev/null
ok $? "gold from a database"
cmp_file from-db from-file "database and file gold give the same scores"
dss-eval --gold gold.db --dataset esnli --pred a.jsonl --json --partial \
    >out 2>err
is "$(grep -c . out)" 1 "--dataset keeps one dataset's gold"
grep -q "^dss-eval: 5 predictions are not in gold (first: 's1', 's2', 's3')$" err
ok $? "the others' predictions are reported as not in gold"

# Coverage: a prediction without gold, gold without a prediction.
grep -v '"s4"' a.jsonl >b.jsonl
echo '{"id":"zz","prediction":"1","method":"dss","fraction":0.5}' >>b.jsonl
expect_fail 1 "^dss-eval: 1 prediction is not in gold \(first: 'zz'\)$" \
    "a prediction without gold is reported, exit 1" \
    dss-eval --gold gold.jsonl --pred b.jsonl
grep -q "^dss-eval: svamp test: method 'dss' at 50%: 1 gold example has no prediction (first: 's4')$" err
ok $? "a gold example without a prediction is reported"
is "$(awk '$1 == "svamp" { print $5, $10 }' out)" "3 1" \
    "the table is still printed, with the missing count"
expect_ok "--partial exits 0" dss-eval --gold gold.jsonl --pred b.jsonl --partial
grep -q "1 gold example has no prediction" err
ok $? "--partial still reports"
dss-eval --gold gold.jsonl --pred b.jsonl --json --partial >json 2>/dev/null
grep -q '"dataset":"svamp".*"n":3,.*"missing":1}' json
ok $? "--json: missing counted"
# The train split has no predictions at all: it is not missing.
grep -q "svamp train" err
ok $((1 - $?)) "a split without predictions is not reported"

# Several files: groups by method and fraction, the ablation table.
for f in 0.125 0.25 1; do
	sed "s/\"fraction\":0.5/\"fraction\":$f/" a.jsonl >"dss-$f.jsonl"
done
sed 's/"method":"dss","fraction":0.5/"method":"standard","fraction":0.25/; s/"42"/"41"/' a.jsonl >std.jsonl
sed 's/,"method":"dss","fraction":0.5//' a.jsonl >few-shot.jsonl
expect_ok "several files" dss-eval --gold gold.jsonl --pred dss-0.125.jsonl \
    --pred a.jsonl dss-0.25.jsonl dss-1.jsonl std.jsonl few-shot.jsonl
sed -n '/^svamp test: accuracy/,$p' out >ablation
cat >want <<'EOF'
svamp test: accuracy (%) by % of training data
  method    12.5    25    50   100
  dss       75.0  75.0  75.0  75.0
  standard     -  50.0     -     -
  reference: few-shot 75.0
EOF
cmp_file ablation want "the ablation table: methods by % of training data"
grep -q "^svamp  *test  *few-shot  *- " out
ok $? "a file without method or fraction: its name, no fraction"
is "$(grep -c '^svamp  *test  *dss ' out)" 4 "one row per fraction, in order"
is "$(awk '/^svamp +test +dss/ { print $4 }' out | tr '\n' ' ')" \
    "12.5 25 50 100 " "fractions sorted"

# Model sizes: columns by size when no group has a fraction.
for s in 11B 220M 770M; do
	sed "s/\"fraction\":0.5/\"size\":\"$s\"/" a.jsonl >"size-$s.jsonl"
done
dss-eval --gold gold.jsonl --split test --dataset esnli --pred size-11B.jsonl \
    size-220M.jsonl size-770M.jsonl --partial >out 2>err
ok $? "predictions by model size"
sed -n '/^esnli test: accuracy/,$p' out >ablation
cat >want <<'EOF'
esnli test: accuracy (%) by model size
  method  220M  770M   11B
  dss     66.7  66.7  66.7
EOF
cmp_file ablation want "the ablation table by model size, sizes in order"

# Fractions and sizes both: a row per method and size.
for s in 220M 770M; do
	sed "s/\"fraction\":0.5/\"fraction\":0.5,\"size\":\"$s\"/" a.jsonl >"fs-$s.jsonl"
done
sed 's/"fraction":0.5/"fraction":1,"size":"770M"/' a.jsonl >f1-770M.jsonl
dss-eval --gold gold.jsonl --dataset esnli --partial --pred fs-220M.jsonl \
    fs-770M.jsonl f1-770M.jsonl >out 2>/dev/null
sed -n '/^esnli test: accuracy/,$p' out >ablation
cat >want <<'EOF'
esnli test: accuracy (%) by % of training data
  method        50   100
  dss (220M)  66.7     -
  dss (770M)  66.7  66.7
EOF
cmp_file ablation want "fractions and sizes: a row per method and size"

# The manual's pipeline for the teacher's few-shot predictions, on the
# completions of the filter tests (their records serve as gold too).
if command -v jq >/dev/null 2>&1; then
	G="$TOP/tests/golden/filter-completions.jsonl"
	grep '"sample":0' "$G" >fs-gold.jsonl
	dss-filter --agree none --rejects unread.jsonl <"$G" >read.jsonl 2>/dev/null
	cat read.jsonl unread.jsonl |
	    jq -c 'select(.sample == 0) | {id, method: "few-shot",
	        prediction: (.teacher_label // "")}' >few-shot-fs.jsonl
	expect_ok "the manual's few-shot pipeline" \
	    dss-eval --gold fs-gold.jsonl --pred few-shot-fs.jsonl --json
	python3 - out fs-gold.jsonl read.jsonl unread.jsonl >check 2>&1 <<'PY'
import json, sys
rows = {r["dataset"]: r for r in map(json.loads, open(sys.argv[1]))}
gold = {g["id"]: g for g in map(json.loads, open(sys.argv[2]))}
def same(ds, a, b):
    if ds == "svamp":
        a, b = eval(a.replace(",", "")), eval(b)
        return abs(a - b) <= 1e-6 * max(1, abs(b))
    return a == b
want = {}
for path in sys.argv[3:]:
    for t in map(json.loads, open(path)):
        if t["sample"] != 0:
            continue
        n, c = want.get(t["dataset"], (0, 0))
        a = t.get("teacher_label")
        want[t["dataset"]] = (n + 1, c + (a is not None and
                                          same(t["dataset"], a, gold[t["id"]]["label"])))
got = {d: (r["n"], r["correct"]) for d, r in rows.items()}
print("ok" if got == want and all(r["missing"] == 0 for r in rows.values())
      else "got %s want %s" % (got, want))
PY
	is "$(cat check)" "ok" "  the teacher's accuracy over every first sample"
else
	for _t in 1 2; do _n=$((_n + 1)); echo "ok $_n # skip jq is not installed"; done
fi

# The bootstrap: seeded, the same seed the same interval.
dss-eval --gold gold.jsonl --pred a.jsonl --json --seed 5 >s5a 2>/dev/null
dss-eval --gold gold.jsonl --pred a.jsonl --json --seed 5 >s5b 2>/dev/null
cmp_file s5a s5b "the same seed gives the same intervals"
dss-eval --gold gold.jsonl --pred a.jsonl --json --seed 5 --pred std.jsonl \
    >s5c 2>/dev/null
grep -v standard s5c >s5d
cmp_file s5d s5a "another file changes no other group's interval"
dss-eval --gold gold.jsonl --pred a.jsonl --json --resamples 50 --seed 6 \
    >s6 2>/dev/null
ok $? "--resamples"
cmp -s s6 s5a
ok $((1 - $?)) "another seed and number of resamples, other intervals"

# Equations: a gold label that does not evaluate.
sed 's/"( 7.0 - 2.0 )"/"( 7.0 - 2.0"/' gold.jsonl >badgold.jsonl
dss-eval --gold badgold.jsonl --pred a.jsonl >out 2>err
ok $? "a gold equation that does not evaluate is no error"
grep -q "^dss-eval: 1 gold label does not evaluate (first: 's4'); scored as wrong$" err
ok $? "  but it is reported"
sed 's/"( 1.0 + 1.0 )"/"( 1.0 + "/' gold.jsonl >badtrain.jsonl
dss-eval --gold badtrain.jsonl --pred a.jsonl >out 2>err
is "$(cat err)" "" "  one in a split not scored is not reported"

# Standard input, CRLF and blank lines.
{ echo; sed 's/$/\r/' a.jsonl; printf '  \n'; } >crlf.jsonl
dss-eval --gold gold.jsonl --pred - <crlf.jsonl --json >stdin.out 2>/dev/null
sed 's/"method":"dss"/"method":"dss"/' from-file >want
cmp_file stdin.out want "standard input, CRLF and blank lines"

# Data errors: the message names the file, the line and the field.
printf '%s\n' '{"id":"s1","prediction":"42"}' '{"id":"s2",' >bad1.jsonl
expect_fail 1 "^dss-eval: 'bad1.jsonl': line 2: invalid JSON near byte" \
    "invalid JSON" dss-eval --gold gold.jsonl --pred bad1.jsonl
echo '{"prediction":"42"}' >bad2.jsonl
expect_fail 1 "^dss-eval: 'bad2.jsonl': line 1: field 'id' is missing$" \
    "missing id" dss-eval --gold gold.jsonl --pred bad2.jsonl
echo '{"id":"s1"}' >bad3.jsonl
expect_fail 1 "^dss-eval: 'bad3.jsonl': line 1: field 'prediction' is missing$" \
    "missing prediction" dss-eval --gold gold.jsonl --pred bad3.jsonl
echo '{"id":"s1","prediction":42}' >bad4.jsonl
expect_fail 1 "^dss-eval: 'bad4.jsonl': line 1: field 'prediction' is not a string$" \
    "a prediction that is not a string" dss-eval --gold gold.jsonl --pred bad4.jsonl
echo '{"id":"s1","prediction":"42","fraction":12.5}' >bad5.jsonl
expect_fail 1 "^dss-eval: 'bad5.jsonl': line 1: field 'fraction' is 12.5, not a number in \(0, 1\]$" \
    "a fraction out of range" dss-eval --gold gold.jsonl --pred bad5.jsonl
echo '{"id":"s1","prediction":"42","fraction":"half"}' >bad6.jsonl
expect_fail 1 "^dss-eval: 'bad6.jsonl': line 1: field 'fraction' is not a number$" \
    "a fraction that is not a number" dss-eval --gold gold.jsonl --pred bad6.jsonl
echo '{"id":"s1","prediction":"42","method":7}' >bad7.jsonl
expect_fail 1 "^dss-eval: 'bad7.jsonl': line 1: field 'method' is not a string$" \
    "a method that is not a string" dss-eval --gold gold.jsonl --pred bad7.jsonl
echo '{"id":"s1","prediction":"42","size":[1]}' >bad8.jsonl
expect_fail 1 "^dss-eval: 'bad8.jsonl': line 1: field 'size' is not a string or number$" \
    "a size that is neither" dss-eval --gold gold.jsonl --pred bad8.jsonl
echo '{"id":"s1","prediction":"42","dataset":"cqa"}' >bad9.jsonl
expect_fail 1 "^dss-eval: 'bad9.jsonl': line 1: field 'dataset' is 'cqa', but gold id 's1' is in dataset 'svamp'$" \
    "a dataset field naming another dataset" dss-eval --gold gold.jsonl --pred bad9.jsonl
echo '{"id":"s1","prediction":"42","split":"train"}' >bad10.jsonl
expect_fail 1 "^dss-eval: 'bad10.jsonl': line 1: field 'split' is 'train', but gold id 's1' is in split 'test'$" \
    "a split field naming another split" dss-eval --gold gold.jsonl --pred bad10.jsonl
echo '[1,2]' >bad11.jsonl
expect_fail 1 "^dss-eval: 'bad11.jsonl': line 1: record is not a JSON object$" \
    "a record that is no object" dss-eval --gold gold.jsonl --pred bad11.jsonl
{ cat a.jsonl; sed -n 3p a.jsonl; } >dup.jsonl
expect_fail 1 "^dss-eval: 'dup.jsonl': line 9: id 's3' is scored twice for method 'dss' at this fraction$" \
    "a duplicate id names its line" dss-eval --gold gold.jsonl --pred dup.jsonl
expect_fail 1 "^dss-eval: 'a.jsonl': line 1: id 's1' is scored twice for method 'dss' at this fraction$" \
    "the same group in two files" dss-eval --gold gold.jsonl --pred a.jsonl a.jsonl
: >empty.jsonl
expect_fail 1 "^dss-eval: no predictions$" "an empty prediction file" \
    dss-eval --gold gold.jsonl --pred empty.jsonl
expect_fail 1 "^dss-eval: cannot open 'nosuch.jsonl': No such file or directory$" \
    "a missing prediction file" dss-eval --gold gold.jsonl --pred nosuch.jsonl

# Gold errors.
expect_fail 1 "^dss-eval: cannot open 'nosuch.db': No such file or directory$" \
    "a missing gold file" dss-eval --gold nosuch.db --pred a.jsonl
sed '2s/"label":"[^"]*",//' gold.jsonl >g1.jsonl
expect_fail 1 "^dss-eval: 'g1.jsonl': line 2: field 'label' is missing$" \
    "gold without a label" dss-eval --gold g1.jsonl --pred a.jsonl
printf '%s\n' '{"dataset":"svamp","split":"test"' >g2.jsonl
expect_fail 1 "^dss-eval: 'g2.jsonl': line 1: invalid JSON near byte" \
    "gold that is not JSON" dss-eval --gold g2.jsonl --pred a.jsonl
{ cat gold.jsonl; sed -n 1p gold.jsonl; } >g3.jsonl
expect_fail 1 "^dss-eval: 'g3.jsonl': line 11: id 's1' is already in dataset 'svamp' split 'test'$" \
    "a duplicate gold id" dss-eval --gold g3.jsonl --pred a.jsonl
sed '1s/"svamp"/"imdb"/' gold.jsonl >g4.jsonl
expect_fail 1 "^dss-eval: 'g4.jsonl': line 1: unknown dataset 'imdb' \(known: anli1, cqa, esnli, svamp\)$" \
    "gold of an unknown dataset" dss-eval --gold g4.jsonl --pred a.jsonl
expect_fail 1 "^dss-eval: split 'valid': no gold examples in 'gold.jsonl'$" \
    "no gold examples left" dss-eval --gold gold.jsonl --split valid --pred a.jsonl
: >g5.jsonl
expect_fail 1 "^dss-eval: no gold examples in 'g5.jsonl'$" \
    "an empty gold file" dss-eval --gold g5.jsonl --pred a.jsonl
sqlite3 notdss.db "CREATE TABLE t (x)"
expect_fail 1 "^dss-eval: 'notdss.db' is not a dss database \(no examples table\)$" \
    "a database that is not dss's" dss-eval --gold notdss.db --pred a.jsonl

# Output errors.
expect_fail 1 "^dss-eval: cannot create 'nodir/x.svg': No such file or directory$" \
    "an SVG path in a missing directory" \
    dss-eval --gold gold.jsonl --pred a.jsonl --svg nodir/x.svg
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-eval: cannot write 'stdout'" "a full stdout" \
	    sh -c 'dss-eval --gold gold.jsonl --pred a.jsonl >/dev/full'
else
	echo "ok $((_n + 1)) # skip no /dev/full"; _n=$((_n + 1))
fi

# Usage errors: exit 2 and the usage.
expect_fail 2 "^dss-eval: no --gold given$" "no --gold" dss-eval --pred a.jsonl
expect_fail 2 "^dss-eval: no --pred given$" "no --pred" dss-eval --gold gold.jsonl
expect_fail 2 "^usage: dss-eval " "  prints the usage" dss-eval --gold gold.jsonl
expect_fail 2 "^dss-eval: unknown dataset 'nope' \(known: anli1, cqa, esnli, svamp\)$" \
    "an unknown --dataset" dss-eval --gold gold.jsonl --pred a.jsonl --dataset nope
expect_fail 2 "^dss-eval: bad --seed 'x': want a whole number" "a bad --seed" \
    dss-eval --gold gold.jsonl --pred a.jsonl --seed x
expect_fail 2 "^dss-eval: bad --resamples '0': want a whole number from 1 to 1000000$" \
    "a bad --resamples" dss-eval --gold gold.jsonl --pred a.jsonl --resamples 0
expect_fail 2 "^dss-eval: standard input given twice$" "stdin twice" \
    dss-eval --gold gold.jsonl --pred - -
expect_fail 2 "unrecognized option" "an unknown option" dss-eval --frobnicate
dss-eval --help >out 2>err
ok $? "--help exits 0"
grep -q "^usage: dss-eval --gold DB|FILE --pred FILE\.\.\." out
ok $? "--help prints the usage to stdout"
expect_ok "--version" dss-eval --version
grep -q "^dss-eval [0-9]" out
ok $? "  prints the version"
done_testing
