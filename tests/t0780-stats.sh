#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-stats on a database with every table filled by hand: counts per
# dataset, split, teacher and filter, agreement (rejects compared by the
# dataset's rule), rejects by reason, parse failures, vote spread, label
# balance, rationale-length quantiles, tokens and cost, subsets; --json,
# --dataset, --svg; a database of schema version 1, an empty one, and
# every error with its message and exit status.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
cd "$TMP" || exit 1

cat >examples.jsonl <<'EOF'
{"dataset":"svamp","split":"train","id":"s0","index":0,"input":"x","label":"( 1.0 + 1.0 )","fields":{}}
{"dataset":"svamp","split":"train","id":"s1","index":1,"input":"x","label":"( 2.0 * 3.0 )","fields":{}}
{"dataset":"svamp","split":"train","id":"s2","index":2,"input":"x","label":"( 9.0 - 4.0 )","fields":{}}
{"dataset":"svamp","split":"train","id":"s3","index":3,"input":"x","label":"( 8.0 / 2.0 )","fields":{}}
{"dataset":"svamp","split":"test","id":"t0","index":0,"input":"x","label":"( 1.0 + 2.0 )","fields":{}}
{"dataset":"svamp","split":"test","id":"t1","index":1,"input":"x","label":"( 1.0 + 3.0 )","fields":{}}
{"dataset":"esnli","split":"train","id":"e0","index":0,"input":"x","label":"entailment","fields":{}}
{"dataset":"esnli","split":"train","id":"e1","index":1,"input":"x","label":"neutral","fields":{}}
{"dataset":"esnli","split":"train","id":"e2","index":2,"input":"x","label":"contradiction","fields":{}}
EOF
dss-store db <examples.jsonl 2>/dev/null
ok $? "examples stored"
sqlite3 db <<'EOF'
INSERT INTO prompts VALUES ('svamp','s0','t','{}'), ('svamp','s1','t','{}'),
  ('svamp','s2','t','{}'), ('svamp','s3','t','{}'), ('esnli','e0','t','{}'),
  ('esnli','e1','t','{}'), ('esnli','e2','t','{}');
INSERT INTO completions (request, dataset, id, teacher, sample, completion, record)
  SELECT 'r-' || id || '-' || s.n, dataset, id, 'T1', s.n, 'c', '{}'
  FROM examples, (SELECT 0 AS n UNION ALL SELECT 1) s
  WHERE dataset = 'svamp' AND split = 'train';
INSERT INTO completions (request, dataset, id, teacher, sample, completion, record)
  SELECT 'r-' || id || '-0', dataset, id, 'T2', 0, 'c', '{}' FROM examples
  WHERE dataset = 'esnli';
INSERT INTO teach_cache (request, provider, model, dataset, id, sample,
    prompt_tokens, completion_tokens, cost_usd)
  SELECT request, 'openai', 'm1', dataset, id, sample, 100, 20, 0.001
  FROM completions WHERE teacher = 'T1';
INSERT INTO teach_cache (request, provider, model, dataset, id, sample,
    prompt_tokens, completion_tokens, cost_usd)
  SELECT request, 'openai', 'm2', dataset, id, sample, 50, 10, NULL
  FROM completions WHERE teacher = 'T2';
INSERT INTO teach_cache (request, provider, model, dataset, id, sample,
    prompt_tokens, completion_tokens) VALUES
  ('orphan', 'anthropic', 'claude', 'esnli', 'e0', 0, 7, 3);
INSERT INTO triples (filter, request, dataset, id, teacher, sample, rationale,
    teacher_label, label, agree, record) VALUES
  ('gold', 'r-s0-0', 'svamp', 's0', 'T1', 0, 'abcde', '2', '( 1.0 + 1.0 )', 1, '{}'),
  ('gold', 'r-s1-0', 'svamp', 's1', 'T1', 0, 'abcdefghij', '6', '( 2.0 * 3.0 )', 1, '{}'),
  ('gold', 'r-s2-1', 'svamp', 's2', 'T1', 1, 'abcdefghijabcdefghij', '5', '( 9.0 - 4.0 )', 1, '{}'),
  ('majority', 'r-s0-0', 'svamp', 's0', 'T1', 0, 'abcdefg', 'a', '( 1.0 + 1.0 )', 1, '{"votes":{"a":2}}'),
  ('majority', 'r-s0-1', 'svamp', 's0', 'T1', 1, 'abcdefghi', 'a', '( 1.0 + 1.0 )', 1, '{"votes":{"a":2}}'),
  ('majority', 'r-s2-0', 'svamp', 's2', 'T1', 0, 'abcdefghijk', 'b', 'b', 0, '{"votes":{"b":2,"c":1}}'),
  ('gold', 'r-e0-0', 'esnli', 'e0', 'T2', 0, 'abcdefghijabcdefghijabcdefghij', 'entailment', 'entailment', 1, '{}');
INSERT INTO rejects (filter, request, dataset, id, teacher, sample, reason,
    teacher_label, record) VALUES
  ('gold', 'r-s1-1', 'svamp', 's1', 'T1', 1, 'disagree', '7', '{}'),
  ('gold', 'r-s2-0', 'svamp', 's2', 'T1', 0, 'no_answer', NULL, '{}'),
  ('gold', 'r-s3-0', 'svamp', 's3', 'T1', 0, 'disagree', '4.5', '{}'),
  ('gold', 'r-s3-1', 'svamp', 's3', 'T1', 1, 'truncated', NULL, '{}'),
  ('gold', 'r-s0-1', 'svamp', 's0', 'T1', 1, 'empty_rationale', '2', '{}'),
  ('majority', 'r-s1-0', 'svamp', 's1', 'T1', 0, 'tie', '( 2.0 * 3.0 )', '{}'),
  ('majority', 'r-s1-1', 'svamp', 's1', 'T1', 1, 'tie', '7', '{}'),
  ('majority', 'r-s3-0', 'svamp', 's3', 'T1', 0, 'no_answer', NULL, '{}'),
  ('majority', 'r-s3-1', 'svamp', 's3', 'T1', 1, 'no_answer', NULL, '{}'),
  ('majority', 'r-s2-1', 'svamp', 's2', 'T1', 1, 'disagree', '4', '{}'),
  ('gold', 'r-e1-0', 'esnli', 'e1', 'T2', 0, 'disagree', 'entailment', '{}'),
  ('gold', 'r-e2-0', 'esnli', 'e2', 'T2', 0, 'disagree', 'Contradiction', '{}');
INSERT INTO subsets (dataset, name, split, kind, role, seed, fraction, size, params)
  VALUES ('svamp', 'nested-s0-0.5', 'train', 'nested', 'train', 0, 0.5, 2, '{}'),
  ('svamp', 'nested-s0-1', 'train', 'nested', 'train', 0, 1, 4, '{}'),
  ('svamp', 'official-r0-0.5-valid', 'train', 'official', 'valid', 0, NULL, 1, '{}');
EOF
ok $? "prompts, completions, cache, triples, rejects and subsets inserted"

expect_ok "dss-stats reads it" dss-stats db
# The schema version this dss migrates to: version 1 and its migrations.
DBV=$(($(ls "$TOP"/schemas/migrate-*.sql | wc -l) + 1))
sed "1s/@DBV@/$DBV/" >want <<'EOF'
database 'db' (schema version @DBV@): 9 examples, 7 prompts, 11 completions, 7 triples, 12 rejects, 12 cached responses, 3 subsets

esnli train: 3 examples, 3 prompts
  teacher T2: 3 completions, 3 cached responses, 150 prompt and 30 completion tokens, $0.0000
    filter  kept  rejected  parse failures  agreement  rejects by reason
    gold       1         2               0     66.67%  disagree 2
    gold: rationale characters min 30, p25 30, median 30, p75 30, p90 30, max 30
    gold: 1 label: entailment 1
  teacher anthropic:claude: 0 completions, 1 cached response, 7 prompt and 3 completion tokens, $0.0000

svamp train: 4 examples, 4 prompts
  teacher T1: 8 completions (2 samples a prompt), 8 cached responses, 800 prompt and 160 completion tokens, $0.0080
    filter    kept  rejected  parse failures  agreement  rejects by reason
    gold         3         5               1     50.00%  disagree 2, empty_rationale 1, no_answer 1, truncated 1
    majority     3         5               2     37.50%  disagree 1, no_answer 2, tie 2
    gold: rationale characters min 5, p25 5, median 10, p75 20, p90 20, max 20
    gold: 3 labels: ( 1.0 + 1.0 ) 1, ( 2.0 * 3.0 ) 1, ( 9.0 - 4.0 ) 1
    majority: rationale characters min 7, p25 7, median 9, p75 11, p90 11, max 11
    majority: 2 labels: ( 1.0 + 1.0 ) 2, b 1
    majority: votes of the kept prompts 2 of 2: 1, 2 of 3: 1
  subsets: nested-s0-0.5 (nested train, seed 0, 50%, 2 examples), nested-s0-1 (nested train, seed 0, 100%, 4 examples), official-r0-0.5-valid (official valid, seed 0, 1 examples)

svamp test: 2 examples, 0 prompts
EOF
cmp_file out want "the report"

dss-stats db --json >json 2>err
ok $? "--json"
python3 - json >check 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["database", "schema_version", "examples", "prompts", "completions",
                   "triples", "rejects", "responses", "subsets", "splits"], list(d)
assert (d["examples"], d["prompts"], d["completions"], d["triples"], d["rejects"],
        d["responses"], d["subsets"]) == (9, 7, 11, 7, 12, 12, 3), d
sp = {(s["dataset"], s["split"]): s for s in d["splits"]}
assert list(sp) == [("esnli", "train"), ("svamp", "train"), ("svamp", "test")], list(sp)
t1 = sp["svamp", "train"]["teachers"][0]
assert list(t1) == ["teacher", "completions", "samples", "responses", "prompt_tokens",
                    "completion_tokens", "cost_usd", "filters"], list(t1)
assert (t1["teacher"], t1["completions"], t1["samples"], t1["responses"],
        t1["prompt_tokens"], t1["completion_tokens"]) == ("T1", 8, 2, 8, 800, 160), t1
assert abs(t1["cost_usd"] - 0.008) < 1e-12, t1
g, m = t1["filters"]
assert list(g) == ["filter", "kept", "rejected", "parse_failures", "agreement", "agree",
                   "judged", "rejects", "labels", "votes", "rationale_chars"], list(g)
assert (g["filter"], g["kept"], g["rejected"], g["parse_failures"]) == ("gold", 3, 5, 1), g
assert (g["agree"], g["judged"], g["agreement"]) == (4, 8, 0.5), g
assert g["rejects"] == {"disagree": 2, "empty_rationale": 1, "no_answer": 1, "truncated": 1}
assert g["rationale_chars"] == {"min": 5, "p25": 5, "median": 10, "p75": 20, "p90": 20, "max": 20}
assert g["labels"] == {"distinct": 3, "top": [["( 1.0 + 1.0 )", 1], ["( 2.0 * 3.0 )", 1],
                                             ["( 9.0 - 4.0 )", 1]], "others": 0}, g["labels"]
assert g["votes"] == []
assert (m["filter"], m["agreement"], m["votes"]) == ("majority", 0.375, [
    {"win": 2, "of": 2, "prompts": 1}, {"win": 2, "of": 3, "prompts": 1}]), m
e = sp["esnli", "train"]["teachers"]
assert [t["teacher"] for t in e] == ["T2", "anthropic:claude"], e
assert e[0]["cost_usd"] == 0 and e[1]["filters"] == [] and e[1]["responses"] == 1, e
assert abs(e[0]["filters"][0]["agreement"] - 2 / 3) < 1e-12, e
subs = sp["svamp", "train"]["subsets"]
assert subs[2] == {"name": "official-r0-0.5-valid", "kind": "official", "role": "valid",
                   "seed": 0, "fraction": None, "size": 1}, subs
assert sp["svamp", "test"] == {"dataset": "svamp", "split": "test", "examples": 2,
                               "prompts": 0, "teachers": [], "subsets": []}
print("ok")
PY
is "$(cat check)" "ok" "--json: keys and values"

dss-stats --dataset esnli db --json >json 2>/dev/null
is "$(python3 -c 'import json,sys; d=json.load(open("json")); print(d["examples"], d["triples"], d["rejects"], [s["dataset"] for s in d["splits"]])')" \
    "3 1 2 ['esnli']" "--dataset keeps one dataset"

# Labels beyond the ten most frequent are counted together.
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
	echo "INSERT INTO triples (filter, request, dataset, id, teacher, rationale, label, record) VALUES ('none', 'x$i', 'svamp', 's0', 'T1', 'r', 'L$i', '{}');"
done | sqlite3 db
dss-stats db --dataset svamp --json >json 2>/dev/null
is "$(python3 -c 'import json; d=json.load(open("json")); f=d["splits"][0]["teachers"][0]["filters"][2]; print(f["filter"], f["labels"]["distinct"], len(f["labels"]["top"]), f["labels"]["others"], f["agreement"])')" \
    "none 12 10 2 None" "the top ten labels, the others counted; no agreement without a gold"

# --svg: parses as XML; its bars are the JSON's figures.
expect_ok "--svg" dss-stats db --svg chart.svg
dss-stats db --json >json 2>/dev/null
cat >check.py <<'PY'
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
NS = root.tag[:-len("svg")]    # the SVG namespace, in braces
assert root.tag.endswith("}svg"), root.tag
d = json.load(open(sys.argv[2]))
rows = root.findall(NS + "g[@class='row']")
want = [(s, t, f) for s in d["splits"] for t in s["teachers"] for f in t["filters"]]
assert len(rows) == len(want), (len(rows), len(want))
for g, (s, t, f) in zip(rows, want):
    assert (g.get("data-dataset"), g.get("data-split"), g.get("data-teacher"),
            g.get("data-filter")) == (s["dataset"], s["split"], t["teacher"], f["filter"])
    a = g.find(NS + "rect[@class='agreement']")
    if f["agreement"] is None:
        assert a is None
    else:
        assert abs(float(a.get("data-value")) - f["agreement"] * 100) < 1e-6
    kept = g.find(NS + "rect[@class='kept']")
    total = f["kept"] + f["rejected"]
    assert int(kept.get("data-value")) == f["kept"]
    unit = float(kept.get("width")) / f["kept"] if f["kept"] else None
    rej = {r.get("data-reason"): r.find(NS + "rect") for r in g.findall(NS + "g[@class='reject']")}
    assert {k: int(v.get("data-value")) for k, v in rej.items()} == f["rejects"], (rej, f)
    for k, v in rej.items():
        if unit:
            assert abs(float(v.get("width")) - unit * f["rejects"][k]) < 0.02
print("ok %d rows" % len(rows))
PY
is "$(python3 check.py chart.svg json 2>&1)" "ok 4 rows" "  its bars are the figures"

# A database of schema version 1: no filters, rejects or subsets.
sqlite3 v1.db <"$TOP/schemas/dss.sql"
sqlite3 v1.db "PRAGMA user_version = 1; INSERT INTO examples VALUES ('cqa','c0','train',0,'x','porch','{}'); INSERT INTO triples VALUES ('r','cqa','c0','T',0,'why','porch','porch',1,'{}');"
expect_ok "a database of schema version 1" dss-stats v1.db
grep -q "^    -  *1  *0  *0  *100.00%  -$" out
ok $? "  its triples under no filter"
dss-stats v1.db --json >json 2>/dev/null
is "$(python3 -c 'import json; d=json.load(open("json")); print(d["schema_version"], d["splits"][0]["teachers"][0]["filters"][0]["filter"])')" \
    "1 None" "  null filter in JSON"

# An empty database prints zeros.
dss-store empty.db </dev/null 2>/dev/null
expect_ok "an empty database" dss-stats empty.db
is "$(cat out)" "database 'empty.db' (schema version $DBV): 0 examples, 0 prompts, 0 completions, 0 triples, 0 rejects, 0 cached responses, 0 subsets" \
    "  zeros"
dss-stats empty.db --json --svg empty.svg >json 2>/dev/null
ok $? "  --json and --svg"
is "$(python3 -c 'import json; d=json.load(open("json")); print(d["examples"], d["splits"])')" "0 []" "  JSON zeros"
python3 -c "import xml.etree.ElementTree as E; E.parse('empty.svg')"
ok $? "  an SVG that parses"

# Read-only: the database is not changed, not even its schema version.
cp v1.db v1.copy
dss-stats v1.db >/dev/null 2>&1
cmp -s v1.db v1.copy
ok $? "opened read-only: the file is unchanged"

# Errors.
expect_fail 1 "^dss-stats: cannot open 'nosuch.db': No such file or directory$" \
    "a missing database" dss-stats nosuch.db
is "$(ls nosuch.db 2>/dev/null)" "" "  is not created"
sqlite3 other.db "CREATE TABLE t (x)"
expect_fail 1 "^dss-stats: 'other.db' is not a dss database \(no examples table\)$" \
    "a database that is not dss's" dss-stats other.db
echo "not sqlite at all, but long enough to be read as a header" >text.db
expect_fail 1 "^dss-stats: cannot read 'text.db': file is not a database$" \
    "a file that is no database" dss-stats text.db
expect_fail 1 "^dss-stats: cannot create 'nodir/s.svg': No such file or directory$" \
    "an SVG path in a missing directory" dss-stats db --svg nodir/s.svg
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-stats: cannot write 'stdout'" "a full stdout" \
	    sh -c 'dss-stats db >/dev/full'
else
	echo "ok $((_n + 1)) # skip no /dev/full"; _n=$((_n + 1))
fi
expect_fail 2 "^dss-stats: no database given$" "no database" dss-stats
expect_fail 2 "^dss-stats: more than one database given$" "two databases" \
    dss-stats db db
expect_fail 2 "^dss-stats: unknown dataset 'nope' \(known: anli1, cqa, esnli, svamp\)$" \
    "an unknown --dataset" dss-stats db --dataset nope
expect_fail 2 "unrecognized option" "an unknown option" dss-stats --frobnicate db
dss-stats --help >out 2>err
ok $? "--help exits 0"
grep -q "^usage: dss-stats DB \[--dataset D\] \[--json\] \[--svg FILE\]$" out
ok $? "  prints the usage to stdout"
expect_ok "--version" dss-stats --version
done_testing
