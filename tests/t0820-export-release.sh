#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-export --format release: a release built in the official layout
# (tests/make-release.py) is imported, filtered and stored, then exported
# again.  The directory must hold exactly what the official trainer
# opens: every split it reads, the release's columns in its order, every
# batch file its loader opens (empty past the examples), one completion
# per example that its parser reads back as the rationale and answer dss
# kept; and dss-import must give back the same examples, and completions
# dss-filter turns into the same triples (the round trip), from the
# directory and from a zip of it.  Also: subsets and --missing shape
# train only, rationales the official parser would misread are not used,
# SVAMP.json is rebuilt, and the card counts every split.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
python3 "$TOP/tests/make-release.py" "$TMP/rel" >/dev/null 2>&1 ||
    { echo "Bail out! cannot build the test release"; exit 1; }
cd "$TMP" || exit 1
dss-import rel >imported.jsonl 2>/dev/null &&
    grep -v '"completion":' imported.jsonl >examples.jsonl &&
    grep '"completion":' imported.jsonl >completions.jsonl &&
    dss-store run.db <imported.jsonl 2>/dev/null ||
    { echo "Bail out! cannot import the test release"; exit 1; }
# Two filters: gold keeps some rationales of each dataset (the rest are
# written without one), none keeps every answer that can be read.
dss-filter --agree gold <completions.jsonl 2>/dev/null | dss-store run.db 2>/dev/null
dss-filter --agree none <completions.jsonl 2>/dev/null | dss-store run.db 2>/dev/null
is "$(sqlite3 run.db "SELECT count(*) > 0 FROM triples WHERE filter = 'gold'")" 1 "gold triples stored"

# What the official trainer reads of each dataset: splits, batch size,
# batch files per split.
cat >forms <<'EOF'
esnli 5500 train:100 valid:2 test:2
anli1 5000 train:4 valid:1 test:1
cqa 1000 train:10 test:2
svamp 500 train:2 test:1
EOF

# The official parser of each dataset, as its code reads a completion,
# restated from the rules (see tests/official-rules.py): returns the
# rationale and the label, or None where the official code would fail.
cat >official.py <<'EOF'
import re
def parse(ds, out):
    if ds == "cqa":
        parts = out.split("Q:")[0].rstrip().split("So the answer is")
        if len(parts) != 2:
            return None                 # the official loader raises here
        r, lab = parts
        try:
            lab = re.split(r"\(.\)", lab)[1].strip()
            lab = lab if lab[-1] != "." else lab[:-1]
        except IndexError:
            lab = " "
        return r.rstrip(), lab
    if ds == "svamp":
        parts = out.split("Q:")[0].rstrip().split("The answer is")
        if len(parts) != 2:
            return " ", " "
        m = re.search(r"\(.*\)", parts[1])
        return parts[0].rstrip(), m.group(0) if m else " "
    if ds == "esnli":
        r = out.split("Answer:")[0].rstrip()
        try:
            return r, out.split("Answer: ")[1].split("Premise")[0].rstrip()
        except IndexError:
            return r, " "
    parts = out.split("Premise:")[0].rstrip().split("So the answer is")
    if len(parts) != 2:
        return "", ""
    return parts[0].rstrip(), parts[1].lstrip()[:-1]
EOF

# Checks the exported directory OUT/datasets/DS against the database:
# layout, columns, batches, and that the official parser reads back the
# rationale (and answer) of the first kept triple of FILTER, or none.
check_layout() {
	python3 - "$1" "$2" "$3" run.db "${4:-}" "${5:-agree}" <<'EOF'
import json, os, sqlite3, sys
sys.path.insert(0, ".")
from official import parse
out, ds, flt, dbp, subset, rationales = sys.argv[1:7]
agree = " AND agree = 1" if rationales == "agree" else ""
forms = {l.split()[0]: l.split()[1:] for l in open("forms")}
B, splits = int(forms[ds][0]), dict(s.split(":") for s in forms[ds][1:])
cols = {"esnli": ["premise", "hypothesis", "label", "explanation_1", "explanation_2",
                  "explanation_3"],
        "anli1": ["uid", "premise", "hypothesis", "label", "reason"],
        "cqa": ["id", "question", "choices", "answer", "abstractive_explanation",
                "extractive_explanation"],
        "svamp": ["input", "label"]}[ds]
db = sqlite3.connect(dbp)
d = os.path.join(out, "datasets", ds)
problems = []
want_files = {f"{ds}_{s}.json" for s in splits} | {"llm"} | ({"SVAMP.json"} if ds == "svamp" and not subset else set())
if set(os.listdir(d)) != want_files:
    problems.append(f"files {sorted(os.listdir(d))}")
want_llm = {f"{s}_CoT_{i}.json" for s, n in splits.items() for i in range(int(n))}
if set(os.listdir(os.path.join(d, "llm"))) != want_llm:
    problems.append(f"llm files {sorted(set(os.listdir(os.path.join(d, 'llm'))) ^ want_llm)}")
for s, nb in splits.items():
    rows = [json.loads(l) for l in open(os.path.join(d, f"{ds}_{s}.json"))]
    if any(list(r) != cols for r in rows):
        problems.append(f"{s}: columns {list(rows[0])}")
    outs = []
    for i in range(int(nb)):
        batch = json.load(open(os.path.join(d, "llm", f"{s}_CoT_{i}.json")))
        if not isinstance(batch, list) or not all(isinstance(x, str) for x in batch):
            problems.append(f"{s}_CoT_{i}: not an array of strings")
        if len(batch) not in (B, 0) and i != (len(rows) - 1) // B:
            problems.append(f"{s}_CoT_{i}: {len(batch)} completions")
        outs += batch
    if len(outs) != len(rows):
        problems.append(f"{s}: {len(rows)} examples, {len(outs)} completions")
    if subset and s == "train":
        ids = [r[0] for r in db.execute("SELECT id FROM subset_members WHERE dataset = ? "
                                        "AND name = ? ORDER BY pos", (ds, subset))]
    else:
        ids = [r[0] for r in db.execute("SELECT id FROM examples WHERE dataset = ? AND "
                                        "split = ? ORDER BY idx", (ds, s))]
    if len(ids) != len(rows):
        problems.append(f"{s}: {len(rows)} rows for {len(ids)} examples")
    for id_, row, o in zip(ids, rows, outs):
        gold, = db.execute("SELECT label FROM examples WHERE dataset = ? AND id = ?",
                           (ds, id_)).fetchone()
        lab = row.get("answer", row.get("label"))
        if ds in ("esnli", "anli1"):
            lab = ["entailment", "neutral", "contradiction"][lab]
        if lab != gold:
            problems.append(f"{id_}: label {lab!r}, gold {gold!r}")
        t = db.execute("SELECT rationale, teacher_label FROM triples WHERE filter = ? AND "
                       "dataset = ? AND id = ?" + agree + " ORDER BY sample, request "
                       "LIMIT 1", (flt, ds, id_)).fetchone()
        got = parse(ds, o)
        if got is None:
            problems.append(f"{id_}: the official parser fails on {o!r}")
            continue
        if t is None:
            ok = got[0].strip() == "" and got[1].strip() == ""
        else:
            want = t[1]
            if ds == "svamp" and not (want.startswith("(") and want.endswith(")")):
                want = "(" + want + ")"
            ok = got == (t[0].rstrip(), want)
        if not ok:
            problems.append(f"{id_}: parsed {got!r} from {o!r}, kept {t!r}")
for p in problems[:8]:
    print("#", p)
sys.exit(1 if problems else 0)
EOF
}

# svamp's made-up answers never equal the gold equation: its triples are
# those of --agree none, all of them.
for ds in esnli:gold:agree anli1:gold:agree cqa:gold:agree svamp:none:all; do
	flt=${ds#*:} ds=${ds%%:*}
	rat=${flt#*:} flt=${flt%%:*}
	dss-export run.db --dataset "$ds" --format release --out out --filter "$flt" \
	    --rationales "$rat" --card "card-$ds.md" 2>"err-$ds"
	ok $? "$ds: dss-export --format release --filter $flt --rationales $rat"
	check_layout out "$ds" "$flt" "" "$rat"
	ok $? "$ds: the official layout, columns and batches; the parser reads the kept rationales back"
done
grep -q "^dss-export: wrote 'out/datasets/esnli': train 7 examples ([0-9]* with a rationale), valid 3 examples" err-esnli
ok $? "the summary counts each split"
is "$(ls -A out/datasets)" "anli1
cqa
esnli
svamp" "four datasets side by side in one tree, no temporary directory left"
[ "$(wc -c <out/datasets/esnli/llm/train_CoT_99.json)" -eq 3 ] &&
    [ "$(cat out/datasets/esnli/llm/train_CoT_99.json)" = "[]" ]
ok $? "batches past the examples are empty arrays"
grep -q '^| | train | valid | test | total |$' card-esnli.md
ok $? "the release card has a column per split and a total"
grep -q '^| examples | 7 | 3 | 4 | 14 |$' card-esnli.md
ok $? "  counting every example"

# --- the round trip: dss-import gives back the same examples, and ---
# --- completions dss-filter turns into the same triples ---
roundtrip() {
	_src=$1 _what=$2
	dss-import "$_src" >back.jsonl 2>back.err
	ok $? "dss-import reads the export ($_what)"
	grep -v '"completion":' back.jsonl >back-examples.jsonl
	cmp_file back-examples.jsonl examples.jsonl "  the same examples, byte for byte ($_what)"
	grep '"completion":' back.jsonl | dss-filter --agree none 2>/dev/null |
	    python3 -c '
import json, sys
for l in sys.stdin:
    t = json.loads(l)
    print(t["id"], json.dumps(t["rationale"], ensure_ascii=False), json.dumps(t["teacher_label"], ensure_ascii=False))' | sort >back.triples
	# What was exported: the gold triples, and svamp's none ones.
	sqlite3 run.db "SELECT id, json_quote(rationale), json_quote(teacher_label) FROM triples WHERE (filter = 'gold' AND agree = 1) OR (filter = 'none' AND dataset = 'svamp') ORDER BY id" |
	    tr '|' ' ' | sort >want.triples
	[ -s want.triples ]
	ok $? "  there are triples to compare ($_what)"
	cmp_file back.triples want.triples "  the same triples: rationales and answers ($_what)"
}
roundtrip out "a directory"
python3 -c '
import os, sys, zipfile
with zipfile.ZipFile("out.zip", "w") as z:
    for d, _, fs in os.walk("out"):
        for f in sorted(fs):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, "out"))'
roundtrip out.zip "a zip"
dss-export run.db --dataset cqa --format release --out out-none --filter none \
    --rationales all 2>/dev/null
check_layout out-none cqa none "" all
ok $? "cqa with the none filter: the parser reads every kept rationale back"
python3 - <<'EOF'
import json
a = json.load(open("rel/datasets/svamp/SVAMP.json"))
b = json.load(open("out/datasets/svamp/SVAMP.json"))
raise SystemExit(0 if a == b else 1)
EOF
ok $? "svamp: SVAMP.json is rebuilt as the release held it"

# --- a subset and --missing shape train; valid and test stay whole ---
sqlite3 run.db "INSERT INTO subsets (dataset, name, split, kind, role, seed, fraction, size, params) VALUES ('esnli', 'official-r0-0.5', 'train', 'official', 'train', 0, 0.5, 3, '{}');
INSERT INTO subset_chunks VALUES ('esnli', 'official-r0-0.5', 0, '[\"esnli-train-000006\",\"esnli-train-000000\",\"esnli-train-000004\"]');
INSERT INTO subsets (dataset, name, split, kind, role, seed, fraction, size, params) VALUES ('svamp', 'nested-s0-0.125', 'train', 'nested', 'train', 0, 0.125, 2, '{}');
INSERT INTO subset_chunks VALUES ('svamp', 'nested-s0-0.125', 0, '[\"svamp-train-000005\",\"svamp-train-000002\"]');"
dss-export run.db --dataset esnli --format release --out sub --subset official-r0-0.5 \
    --card card-sub.md 2>/dev/null
ok $? "esnli release of a subset"
check_layout sub esnli gold official-r0-0.5
ok $? "  train holds the subset in its order, valid and test whole"
grep -q '^| Subset | `official-r0-0.5`: official, seed 0, fraction 0.5, 3 examples of split train (valid and test whole); ' card-sub.md
ok $? "  the card says so"
dss-export run.db --dataset svamp --format release --out sub --subset nested-s0-0.125 \
    --filter none --rationales all 2>/dev/null
check_layout sub svamp none nested-s0-0.125 all
ok $? "svamp release of a subset has no SVAMP.json"
dss-export run.db --dataset esnli --format release --out drop --missing drop 2>/dev/null
python3 - run.db <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
kept = {r[0] for r in db.execute("SELECT id FROM triples WHERE filter = 'gold' AND dataset = 'esnli' AND id LIKE 'esnli-train-%'")}
rows = [json.loads(l) for l in open("drop/datasets/esnli/esnli_train.json")]
cots = json.load(open("drop/datasets/esnli/llm/train_CoT_0.json"))
valid = sum(1 for _ in open("drop/datasets/esnli/esnli_valid.json"))
ok = len(rows) == len(kept) == len(cots) > 0 and all("Answer: " in c for c in cots) and valid == 3
sys.exit(0 if ok else 1)
EOF
ok $? "--missing drop leaves out train examples without a rationale, not valid ones"

# --- a rationale the official parser would misread is not used ---
cp run.db hazard.db
sqlite3 hazard.db "UPDATE triples SET rationale = rationale || ' Q: what else?' WHERE filter = 'gold' AND dataset = 'cqa' AND id = 'cqa-train-000000'"
dss-export hazard.db --dataset cqa --format release --out hz 2>hz.err
ok $? "cqa release with a rationale holding 'Q:'"
grep -q "; 1 rationales left unused: the official parser would misread them$" hz.err
ok $? "  the summary counts it"
python3 - <<'EOF'
import json, sys
sys.path.insert(0, ".")
from official import parse
cot = json.load(open("hz/datasets/cqa/llm/train_CoT_0.json"))[0]
sys.exit(0 if cot == "So the answer is" and parse("cqa", cot) == ("", " ") else 1)
EOF
ok $? "  the example gets the completion the parser reads as empty"

# --- a signal mid-run leaves no temporary directory behind (one
# ignored at the start, as nohup leaves SIGHUP, stays ignored) ---
# 100,000 svamp examples, one with a rationale: time enough to be
# stopped while the release is being written.
python3 - >big.jsonl <<'EOF'
import json
for split, n in (("train", 100000), ("test", 2)):
    for i in range(n):
        body = "Ann had %d apples and got %d more." % (i, i + 1)
        q = "How many apples does Ann have?"
        eq = "( %d.0 + %d.0 )" % (i, i + 1)
        ex = {"dataset": "svamp", "split": split, "id": "svamp-%s-%06d" % (split, i),
              "index": i, "input": body + "\n" + q, "label": eq,
              "fields": {"body": body, "question": q, "equation": eq,
                         "answer": 2 * i + 1, "type": "Addition", "source_id": "s%d" % i}}
        print(json.dumps(ex))
        if i == 0:
            ex.update(teacher="t", sample=0, request="%064d" % i, filter="gold",
                      rationale="Ann adds them.", teacher_label=eq, agree=True)
            print(json.dumps(ex))
EOF
dss-store big.db <big.jsonl 2>/dev/null
for sig in TERM:15 INT:2 HUP:1; do
	num=${sig#*:}
	sig=${sig%:*}
	rm -rf sig
	# a background job of sh ignores SIGINT: restore its default first
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' \
	    dss-export big.db --dataset svamp --format release --out sig 2>sig.err &
	pid=$!
	i=0
	while [ $i -lt 400 ] && ! ls -d sig/datasets/.svamp.tmp.* >/dev/null 2>&1; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -$sig $pid 2>/dev/null
	wait $pid
	st=$?
	if [ -d sig/datasets/svamp ]; then
		skip "SIG$sig came after the export finished"
		continue
	fi
	is "$st" "$((128 + num))" "SIG$sig mid-release: dies of the signal"
	is "$(ls -A sig/datasets 2>/dev/null)" "" "SIG$sig mid-release: no temporary directory left"
done
done_testing
