#!/bin/sh
# SPDX-License-Identifier: MIT
# A fifth dataset in a format dss already reads, with a manifest alone: ANLI
# round 2 (anli2), the same archive as anli1 with the R2 members, described
# by a manifest (and its exemplar file) in a temporary DSS_DATASETS beside
# copies of the bundled ones, from a fixture archive of our own writing on
# a loopback mirror.  Every tool of the pipeline works on it with no C
# change: fetch, prompt, the replay teacher, filter, store, sample, export
# and eval.  A manifest whose answer section is missing or broken is named
# with the field at fault.
. "$(dirname "$0")/lib.sh"

DS="$TMP/datasets"
mkdir -p "$DS/exemplars" "$TMP/mirror/dl.fbaipublicfiles.com/anli"
cp "$TOP"/datasets/*.json "$DS/"
cp "$TOP"/datasets/exemplars/*.json "$DS/exemplars/"
DSS_DATASETS=$DS
export DSS_DATASETS
DB="$TMP/dss.db"

# Our own round-2 rows: six facts, three hypotheses each (e, n, c), in
# the upstream layout; train has one row whose label is not e, n or c.
python3 - "$TMP/mirror/dl.fbaipublicfiles.com/anli/anli_v1.0.zip" <<'EOF'
import json, sys, zipfile
facts = [
    ("Orlen Brook is a river in Wales that rises on the Black Hills and joins the Usk after 31 km.",
     ["Orlen Brook flows into another river.", "Orlen Brook is popular with anglers.",
      "Orlen Brook is in Scotland."]),
    ("The Tollan Lighthouse was first lit in 1871 and was automated in 1989.",
     ["The lighthouse was lit in the nineteenth century.", "The lighthouse is painted red.",
      "The lighthouse has always been automated."]),
    ("Mira Dace (born 1950) is a Canadian potter whose work is held by three national museums.",
     ["Mira Dace makes pottery.", "Mira Dace has taught in Japan.",
      "Mira Dace was born in the 1970s."]),
    ("Pell Street Market opens on Saturdays and sells fruit, cheese and bread from local farms.",
     ["The market sells food.", "The market is the oldest in the city.",
      "The market opens only on Mondays."]),
    ("The Corvel 9 is a two-seat glider first flown in 1962; forty were built.",
     ["The Corvel 9 carries two people.", "The Corvel 9 set a height record.",
      "The Corvel 9 has an engine and four seats."]),
    ("Hesk Island lies 4 km off the coast and has had no permanent residents since 1931.",
     ["Nobody has lived on Hesk Island for decades.", "Hesk Island has a ruined chapel.",
      "Hesk Island has a town of 5,000 people."]),
]
def rows(part, first):
    out = []
    for i, (ctx, hyps) in enumerate(facts[first:first + 2] if part != "train" else facts):
        for h, lab in zip(hyps, "enc"):
            out.append({"uid": "r2-%s-%d-%s" % (part, i, lab), "context": ctx, "hypothesis": h,
                        "label": lab, "model_label": "n", "emturk": False, "genre": "wiki",
                        "reason": "Round two, written for this test.", "tag": None})
    return out
members = {"train": rows("train", 0), "dev": rows("dev", 0), "test": rows("test", 2)}
members["train"].append(dict(members["train"][0], uid="r2-bad", label="x"))
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("anli_v1.0/R1/train.jsonl", '{"uid":"r1","context":"R1 row","hypothesis":"h","label":"e"}\n')
    for part, rs in members.items():
        z.writestr("anli_v1.0/R2/%s.jsonl" % part, "".join(json.dumps(r) + "\n" for r in rs))
EOF
ok $? "the round-2 fixture archive is written"

# The manifest: anli1's, with round 2's members and the fixture's counts.
sed -e 's/"anli1"/"anli2"/' -e 's/round 1/round 2/' -e 's|/R1/|/R2/|g' \
    -e 's/"count": 16946/"count": 18/' -e 's/"count": 1000/"count": 6/g' \
    "$TOP/datasets/anli1.json" >"$DS/anli2.json"
sed -e 's/"dataset": "anli1"/"dataset": "anli2"/' \
    "$TOP/datasets/exemplars/anli1.json" >"$DS/exemplars/anli2.json"
start_server PORT python3 "$TOP/tests/servers/mirror.py" "$TMP/mirror"

# --- fetch ---
expect_ok "dss-fetch anli2 from the loopback mirror" \
    dss-fetch --mirror "http://127.0.0.1:$PORT" anli2 train valid test
cp "$TMP/out" "$TMP/examples.jsonl"
grep -q "^dss-fetch: anli2 train: 18 examples, 1 skipped without a usable label$" "$TMP/err"
ok $? "train: 18 examples, the row labelled x skipped and counted"
grep -q "^dss-fetch: anli2 valid: 6 examples" "$TMP/err" &&
    grep -q "^dss-fetch: anli2 test: 6 examples" "$TMP/err"
ok $? "valid and test from the R2 dev and test members"
is "$(sed -n 1p "$TMP/examples.jsonl" | grep -o '"dataset":"anli2","split":"train","id":"anli2-train-000000","index":0')" \
    '"dataset":"anli2","split":"train","id":"anli2-train-000000","index":0' \
    "records name the dataset anli2, with its ids"
grep -q '"input":"Orlen Brook is a river in Wales that rises on the Black Hills and joins the Usk after 31 km.</s>Orlen Brook is in Scotland.","label":"contradiction"' "$TMP/examples.jsonl"
ok $? "the manifest's input template and label map"
is "$(grep -c 'R1 row' "$TMP/examples.jsonl")" 0 "round 1's member is not read"
expect_ok "dss-store takes the examples" dss-store "$DB" <"$TMP/examples.jsonl"

# --- prompt, replay teacher, store ---
expect_ok "dss-prompt finds anli2's exemplars" dss-prompt --shots 2 <"$TMP/examples.jsonl"
cp "$TMP/out" "$TMP/prompts.jsonl"
is "$(wc -l <"$TMP/prompts.jsonl" | tr -d ' ')" 30 "a prompt for each example"
grep -q 'Premise: Orlen Brook' "$TMP/prompts.jsonl"
ok $? "the exemplar file's query template"
expect_ok "dss-store takes the prompts" dss-store "$DB" <"$TMP/prompts.jsonl"
# The stand-in teacher: sample 0 right, sample 1 wrong, and on every
# third example sample 1 gives no answer at all.
python3 - "$TMP/examples.jsonl" >"$TMP/replay.jsonl" <<'EOF'
import json, sys
other = {"entailment": "neutral", "neutral": "contradiction", "contradiction": "entailment"}
for n, line in enumerate(open(sys.argv[1])):
    ex = json.loads(line)
    texts = ["The premise settles it. So the answer is %s." % ex["label"],
             "The premise says little here. So the answer is %s." % other[ex["label"]]]
    if n % 3 == 0:
        texts[1] = "The premise is about something else entirely"
    for k, t in enumerate(texts):
        print(json.dumps({"dataset": ex["dataset"], "id": ex["id"], "sample": k,
                          "teacher": "stand-in", "completion": t, "finish_reason": "stop"}))
EOF
expect_ok "dss-teach with the replay teacher" \
    dss-teach --db "$DB" --teacher "replay:$TMP/replay.jsonl" --samples 2 --quiet \
    <"$TMP/prompts.jsonl"
cp "$TMP/out" "$TMP/completions.jsonl"
is "$(wc -l <"$TMP/completions.jsonl" | tr -d ' ')" 60 "two completions a prompt"
expect_ok "dss-store takes the completions" dss-store "$DB" <"$TMP/completions.jsonl"

# --- filter ---
expect_ok "dss-filter reads anli2's answers with its manifest's rules" \
    dss-filter --agree gold --rejects "$TMP/rejects.jsonl" "$TMP/completions.jsonl"
cp "$TMP/out" "$TMP/triples.jsonl"
is "$(wc -l <"$TMP/triples.jsonl" | tr -d ' ')" 30 "each example's right sample is kept"
is "$(grep -c '"reason":"no_answer"' "$TMP/rejects.jsonl") $(grep -c '"reason":"disagree' "$TMP/rejects.jsonl")" \
    "10 20" "the unanswered and the wrong samples are rejected with their reason"
grep -q '"rationale":"The premise settles it."' "$TMP/triples.jsonl"
ok $? "the rationale is the text before the answer statement"
expect_ok "dss-store takes the triples and rejects" \
    sh -c 'cat "$1" "$2" | dss-store "$3"' sh "$TMP/triples.jsonl" "$TMP/rejects.jsonl" "$DB"

# --- sample ---
expect_ok "dss-sample makes nested fractions of anli2" dss-sample --dataset anli2 "$DB"
expect_ok "and the official code's subsets" dss-sample --dataset anli2 --official 0 "$DB"
expect_ok "dss-sample --list" dss-sample --list --dataset anli2 "$DB"
grep -q 'nested-s0-0.5' "$TMP/out" && grep -q 'official-r0-1' "$TMP/out"
ok $? "the subsets are listed"
is "$(sqlite3 "$DB" "SELECT size FROM subsets WHERE name = 'nested-s0-0.5'")" 9 \
    "half of the 18 training examples"

# --- export ---
expect_ok "dss-export t5 of anli2 train" dss-export "$DB" --dataset anli2 --split train
is "$(wc -l <"$TMP/out" | tr -d ' ')" 36 "a predict and an explain record per example"
grep -q '"input":"explain: Orlen Brook' "$TMP/out"
ok $? "explain records carry the input"
expect_ok "dss-export --format standard of a subset" \
    dss-export "$DB" --dataset anli2 --split train --subset nested-s0-0.5 --format standard
is "$(wc -l <"$TMP/out" | tr -d ' ')" 9 "one record per example of the subset"

# --- eval ---
python3 - "$TMP/examples.jsonl" >"$TMP/pred.jsonl" <<'EOF'
import json, sys
for n, line in enumerate(l for l in open(sys.argv[1]) if '"split":"test"' in l):
    ex = json.loads(line)
    print(json.dumps({"id": ex["id"], "prediction": ex["label"] if n % 2 else "neutral",
                      "method": "stand-in"}))
EOF
expect_ok "dss-eval scores anli2 predictions" \
    dss-eval --gold "$DB" --dataset anli2 --split test --json --pred "$TMP/pred.jsonl"
python3 -c 'import json, sys
r = json.loads(sys.stdin.readline())
sys.exit(0 if abs(r["accuracy"] - 4 / 6) < 1e-9 and r["n"] == 6 else 1)' <"$TMP/out"
ok $? "accuracy 4/6 on the six test examples"

# --- the official release's layout, read by the manifest's release section ---
# anli2 is no dataset of the official release; a release section (anli1's,
# read after the bundled four) is all dss-import needs to read one.
python3 - "$DS/anli2.json" "$TMP/rel/datasets/anli2" <<'EOF2'
import json, os, sys
m = json.load(open(sys.argv[1]))
m["release"] = dict(m["release"], order=5)
json.dump(m, open(sys.argv[1], "w"), indent=1)
d = sys.argv[2]
os.makedirs(d + "/llm")
for split in ("train", "valid", "test"):
    rows = [{"uid": "%s-%d" % (split, i), "premise": "P %s %d." % (split, i),
             "hypothesis": "H %d." % i, "label": i % 3, "reason": "R%d" % i} for i in range(2)]
    with open("%s/anli2_%s.json" % (d, split), "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
    json.dump(["Because %d. So the answer is neutral." % i for i in range(2)],
              open("%s/llm/%s_CoT_0.json" % (d, split), "w"))
EOF2
expect_ok "dss-import reads anli2 from a release by its manifest" \
    dss-import --dataset anli2 "$TMP/rel"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 12 "six examples, each with its completion"
is "$(sed -n 3p "$TMP/out" | grep -o '"dataset":"anli2","split":"train","id":"anli2-train-000001","index":1,"input":"P train 1.</s>H 1.","label":"neutral","fields":{"premise":"P train 1.","hypothesis":"H 1.","source_id":"train-1","reason":"R1"}')" \
    '"dataset":"anli2","split":"train","id":"anli2-train-000001","index":1,"input":"P train 1.</s>H 1.","label":"neutral","fields":{"premise":"P train 1.","hypothesis":"H 1.","source_id":"train-1","reason":"R1"}' \
    "the record from the manifest's columns, template and label set"
sed 's/"order": 5/"order": "last"/' "$DS/anli2.json" >"$TMP/badrel.json"
expect_fail 1 "^dss-fetch: '$TMP/badrel.json': key 'release.order' must be a whole number from 0 to 9999$" \
    "a broken release section is named with its manifest" \
    dss-fetch --mirror "http://127.0.0.1:$PORT" "$TMP/badrel.json"

# --- a manifest whose answer rules are missing or broken ---
python3 - "$DS/anli2.json" "$TMP/noanswer.json" "$TMP/nocut.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
a = m.pop("answer")
json.dump(m, open(sys.argv[2], "w"))
a.pop("cut")
m["answer"] = a
json.dump(m, open(sys.argv[3], "w"))
EOF
mkdir -p "$TMP/ds-noanswer" "$TMP/ds-nocut"
cp "$TMP/noanswer.json" "$TMP/ds-noanswer/anli2.json"
cp "$TMP/nocut.json" "$TMP/ds-nocut/anli2.json"
expect_fail 1 "^dss-filter: line 1: '$TMP/ds-noanswer/anli2.json': field 'answer' is missing$" \
    "dss-filter: a manifest without answer rules is named, exit 1" \
    env DSS_DATASETS="$TMP/ds-noanswer" dss-filter "$TMP/completions.jsonl"
expect_fail 1 "^dss-filter: line 1: '$TMP/ds-nocut/anli2.json': field 'answer.cut' is missing$" \
    "dss-filter: a missing answer.cut is named with its manifest, exit 1" \
    env DSS_DATASETS="$TMP/ds-nocut" dss-filter "$TMP/completions.jsonl"
done_testing
