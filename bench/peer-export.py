#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python standard-library peer of bench/80-export.py: the job that
dss-sample and dss-export do there, done with Python's sqlite3 and json.
First the five nested subsets of the train split, made and stored as
bench/peer-sample.py makes and stores them (SHA-256 ranking of
"SEED:ID", one transaction).  Then, for each fraction, the t5 training
file of the subset, as `dss-export --format t5` writes it with its
defaults (gold labels, agreeing rationales of filter gold, --pick first,
--missing label-only): in the subset's order, for each example a
"predict" record and, when it has a kept rationale, an "explain" record
with the first one (the lowest sample, then request).  Each fraction's
records go to OUTDIR/NAME.jsonl (nested-s0-0.125.jsonl ...), as
dss-export --out writes them.  The connection has the settings
lib/db.c gives the dss tools (WAL, synchronous NORMAL, foreign keys)
and, while reading, dss-export's 16 MiB page cache and file temp store.

  peer-export.py DB DATASET OUTDIR
"""
import hashlib
import json
import math
import os
import sqlite3
import sys

FRACTIONS = (0.125, 0.25, 0.5, 0.75, 1.0)
SEED = 0


def fraction_name(f):
    s = repr(f)
    return s[:-2] if s.endswith(".0") else s


def q(s):
    return json.dumps(s, ensure_ascii=False)


def sample(db, dataset):
    ids = [r[0] for r in db.execute(
        "SELECT id FROM examples WHERE dataset = ? AND split = 'train' ORDER BY idx, id",
        (dataset,))]
    if not ids:
        sys.exit("peer: no train examples of dataset '%s'" % dataset)
    prefix = ("%d:" % SEED).encode()
    ranked = sorted(ids, key=lambda i: (hashlib.sha256(prefix + i.encode()).digest()[:8],
                                        i.encode()))
    n = len(ranked)
    names = []
    db.execute("BEGIN")
    for f in FRACTIONS:
        size = n - math.ceil((1.0 - f) * n)
        name = "nested-s%d-%s" % (SEED, fraction_name(f))
        params = ('{"kind":"nested","seed":%d,"fraction":%s,"valid":null,"stratify":null,'
                  '"official_valid":null,"train_examples":%d}' % (SEED, fraction_name(f), n))
        db.execute("INSERT INTO subsets (dataset, name, split, kind, role, seed, fraction, "
                   "size, params) VALUES (?, ?, 'train', 'nested', 'train', ?, ?, ?, ?)",
                   (dataset, name, SEED, f, size, params))
        # schemas/migrate-006.sql: the members as JSON arrays of 4,096 ids
        db.executemany("INSERT INTO subset_chunks (dataset, name, chunk, ids) VALUES (?, ?, ?, ?)",
                       ((dataset, name, c // 4096, json.dumps(ranked[c:min(c + 4096, size)],
                                                              ensure_ascii=False,
                                                              separators=(",", ":")))
                        for c in range(0, size, 4096)))
        names.append((fraction_name(f), name))
    db.execute("COMMIT")
    return names


def export(db, dataset, name, path):
    where = ',"dataset":%s,"split":"train","id":' % q(dataset)
    rows = db.execute(
        "SELECT e.id, e.input, e.label, t.rationale FROM subset_members m "
        "CROSS JOIN examples e ON e.dataset = m.dataset AND e.id = m.id "
        "LEFT JOIN triples t ON t.filter = 'gold' AND t.dataset = e.dataset "
        "AND t.id = e.id AND t.agree = 1 "
        "WHERE m.dataset = ? AND m.name = ? AND e.split = 'train' "
        "ORDER BY m.pos, t.sample, t.request", (dataset, name))
    last = None
    with open(path, "w", encoding="utf-8") as out:
        w = out.write
        for i, inp, label, rat in rows:
            if i == last:
                continue
            last = i
            tail = where + q(i) + "}\n"
            w('{"task":"predict","input":' + q("predict: " + inp) + ',"target":' +
              q(label) + tail)
            if rat is not None:
                w('{"task":"explain","input":' + q("explain: " + inp) + ',"target":' +
                  q(rat) + tail)


def main():
    path, dataset, outdir = sys.argv[1:4]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    names = sample(db, dataset)
    db.execute("PRAGMA temp_store = FILE")
    db.execute("PRAGMA cache_size = -16384")
    for f, name in names:
        export(db, dataset, name, os.path.join(outdir, name + ".jsonl"))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
