#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python standard-library peer of dss-sample for bench/50-sample.py:
the nested subsets of one dataset's train split at the given fractions,
made and stored as dss-sample makes and stores them.  The train examples
are read by index; each is ranked by the first eight bytes of SHA-256 of
"SEED:ID" (big-endian), equal ones by id; the subset at fraction f is
the first n - ceil((1 - f) * n) of that ranking.  Each subset is one row
of subsets and its members are rows of subset_chunks (JSON arrays of
4,096 ids, as schemas/migrate-006.sql has them), all in one
transaction, on a connection with the settings lib/db.c gives dss-sample
(WAL, synchronous NORMAL, foreign keys; SQLite's default cache).  A
subset already stored with the same members is left alone.

  peer-sample.py DB DATASET [SEED [FRACTIONS]]
"""
import hashlib
import json
import math
import sqlite3
import sys


def fraction_name(f):
    s = repr(f)
    return s[:-2] if s.endswith(".0") else s


def main():
    path, dataset = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    fractions = sorted(float(x) for x in (sys.argv[4] if len(sys.argv) > 4
                                          else "0.125,0.25,0.5,0.75,1").split(","))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    ids = [r[0] for r in db.execute(
        "SELECT id FROM examples WHERE dataset = ? AND split = 'train' ORDER BY idx, id",
        (dataset,))]
    if not ids:
        sys.exit("peer: no train examples of dataset '%s'" % dataset)
    prefix = ("%d:" % seed).encode()
    ranked = sorted(ids, key=lambda i: (hashlib.sha256(prefix + i.encode()).digest()[:8],
                                        i.encode()))
    n = len(ranked)
    db.execute("BEGIN")
    made = 0
    for f in fractions:
        size = n - math.ceil((1.0 - f) * n)
        name = "nested-s%d-%s" % (seed, fraction_name(f))
        params = ('{"kind":"nested","seed":%d,"fraction":%s,"valid":null,"stratify":null,'
                  '"official_valid":null,"train_examples":%d}' % (seed, fraction_name(f), n))
        stored = [r[0] for r in db.execute(
            "SELECT id FROM subset_members WHERE dataset = ? AND name = ? ORDER BY pos",
            (dataset, name))]
        if stored:
            if stored != ranked[:size]:
                sys.exit("peer: subset '%s' is stored with other members" % name)
            continue
        db.execute("INSERT INTO subsets (dataset, name, split, kind, role, seed, fraction, "
                   "size, params) VALUES (?, ?, 'train', 'nested', 'train', ?, ?, ?, ?)",
                   (dataset, name, seed, f, size, params))
        # schemas/migrate-006.sql: the members as JSON arrays of 4,096 ids
        db.executemany("INSERT INTO subset_chunks (dataset, name, chunk, ids) VALUES (?, ?, ?, ?)",
                       ((dataset, name, c // 4096, json.dumps(ranked[c:min(c + 4096, size)],
                                                              ensure_ascii=False,
                                                              separators=(",", ":")))
                        for c in range(0, size, 4096)))
        made += 1
    db.execute("COMMIT")
    db.close()
    print("peer: %d examples, %d subsets made" % (n, made), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
