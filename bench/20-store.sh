#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: dss-store of 549,367 example records shaped like e-SNLI train
# (the size of that split), into a fresh database, against the target of
# 200,000 records/s; beside it a Python stdlib sqlite3 peer doing the same
# validation and upserts into the same schema, measured in the same run.
# A second dss-store run over the same input measures the unchanged path.
set -u
cd "$(dirname "$0")/.."
N=${DSS_BENCH_STORE_N:-549367}
D=build/bench
mkdir -p "$D"
IN="$D/store-esnli.jsonl"

if [ ! -s "$IN" ] || [ "$(wc -l <"$IN")" -ne "$N" ]; then
	python3 - "$N" "$IN" <<'EOF'
import json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20230508)
words = ("a man woman child dog two people are is in on the at of with "
         "playing running sitting standing outside inside street park "
         "water ball red blue young old group near holding wearing shirt "
         "hat bike car beach snow field crowd music stage").split()
labels = ("entailment", "neutral", "contradiction")
def sent(k):
    s = " ".join(rng.choice(words) for _ in range(k))
    return s[0].upper() + s[1:] + "."
with open(path + ".tmp", "w") as f:
    for i in range(n):
        p, h = sent(rng.randint(8, 20)), sent(rng.randint(4, 10))
        lab = labels[i % 3]
        rec = {"dataset": "esnli", "split": "train",
               "id": "esnli-train-%06d" % i, "index": i,
               "input": p + "</s>" + h, "label": lab,
               "fields": {"premise": p, "hypothesis": h,
                          "source_id": "%010d.jpg#%dr1%s" % (i * 7, i % 5, lab[0]),
                          "explanations": [sent(rng.randint(6, 14))]}}
        f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
import os
os.replace(path + ".tmp", path)
EOF
fi

PEER="$D/store-peer.py"
cat >"$PEER" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")
db.executescript(open("schemas/dss.sql").read())
ins = ("INSERT INTO examples (dataset, id, split, idx, input, label, record) "
       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
upd = ("UPDATE examples SET split = ?, idx = ?, input = ?, label = ?, record = ? "
       "WHERE dataset = ? AND id = ? AND record IS NOT ?")
n = 0
cur = db.cursor()
db.execute("BEGIN IMMEDIATE")
for lineno, line in enumerate(sys.stdin, 1):
    line = line.rstrip("\n")
    r = json.loads(line)
    for k in ("dataset", "id", "split", "input", "label"):
        if not isinstance(r.get(k), str):
            sys.exit("line %d: field '%s' is not a string" % (lineno, k))
    if not isinstance(r.get("index"), int):
        sys.exit("line %d: field 'index' is not an integer" % lineno)
    cur.execute(ins, (r["dataset"], r["id"], r["split"], r["index"],
                      r["input"], r["label"], line))
    if cur.rowcount == 0:
        cur.execute(upd, (r["split"], r["index"], r["input"], r["label"], line,
                          r["dataset"], r["id"], line))
    n += 1
    if n % 10000 == 0:
        db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
db.execute("COMMIT")
EOF

now() { date +%s.%N; }
rm -f "$D"/store-c.db* "$D"/store-py.db*
t0=$(now)
bin/dss-store "$D/store-c.db" <"$IN" 2>"$D/store-c.log" || { cat "$D/store-c.log"; exit 1; }
t1=$(now)
bin/dss-store "$D/store-c.db" <"$IN" 2>"$D/store-c2.log" || { cat "$D/store-c2.log"; exit 1; }
t2=$(now)
python3 "$PEER" "$D/store-py.db" <"$IN" || exit 1
t3=$(now)

awk -v n="$N" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
	c = n / (t1 - t0); again = n / (t2 - t1); py = n / (t3 - t2)
	printf "dss-store: %d e-SNLI-sized example records into a fresh database\n", n
	printf "  dss-store          %8.2f s  %9.0f records/s  (target 200000: %s)\n", \
	    t1 - t0, c, (c >= 200000 ? "met" : "NOT met")
	printf "  dss-store again    %8.2f s  %9.0f records/s  (all unchanged)\n", \
	    t2 - t1, again
	printf "  python3 sqlite3    %8.2f s  %9.0f records/s\n", t3 - t2, py
	printf "  ratio dss-store / python peer: %.2fx\n", c / py
}'
sed 's/^/  /' "$D/store-c.log" "$D/store-c2.log"
