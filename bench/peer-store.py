#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python standard-library peer of dss-store for bench/20-store.py:
reads example records from stdin, checks the fields dss-store checks,
and upserts them into the examples table as dss-store does (insert with
ON CONFLICT DO NOTHING; update only where the stored record differs),
committing every 10,000 records (DSS_STORE_BATCH).  The database gets
the settings lib/db.c and lib/store.c give dss's: 16 KiB pages, WAL,
synchronous NORMAL, foreign keys on, a 16 MiB page cache; and the same
schema (schemas/dss.sql, then every migration, named on the command
line in order).

  python3 bench/peer-store.py DB SCHEMA.sql... < records.jsonl
"""
import json
import sqlite3
import sys

BATCH = 10000


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA page_size = 16384")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for i, path in enumerate(sys.argv[2:]):
        if i >= version:
            with open(path) as f:
                db.executescript("BEGIN IMMEDIATE;\n" + f.read() +
                                 "\nPRAGMA user_version = %d;\nCOMMIT;" % (i + 1))
    db.execute("PRAGMA cache_size = -16384")
    ins = ("INSERT INTO examples (dataset, id, split, idx, input, label, record) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
    upd = ("UPDATE examples SET split = ?, idx = ?, input = ?, label = ?, record = ? "
           "WHERE dataset = ? AND id = ? AND record IS NOT ?")
    cur = db.cursor()
    n = inserted = 0
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
        else:
            inserted += 1
        n += 1
        if n % BATCH == 0:
            db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
    db.execute("COMMIT")
    db.close()
    sys.stderr.write("peer-store: %d records, %d inserted\n" % (n, inserted))


if __name__ == "__main__":
    main()
