#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: dss-sample making the five nested subsets (fractions 0.125,
0.25, 0.5, 0.75 and 1; 1,442,086 member rows) of 549,367 e-SNLI-shaped
train examples (bench/gen-store.py, stored with dss-store) against
bench/peer-sample.py, a Python sqlite3 peer doing the same ranking and
the same inserts with the same settings.  Each run starts from a copy
of the examples database without subsets (made untimed).  No target
yet (a target combining dss-sample and the export of a subset comes
later): the figures are for information.  Check: both databases hold the
same subsets rows and the same members in the same order."""
import hashlib
import os
import sqlite3
import subprocess

import pair


def base_db(n, d):
    src = os.path.join(d, "examples.jsonl")
    db = os.path.join(d, "base.db")
    if os.path.exists(db):
        return db
    print("   generating %d example records and their database" % n)
    subprocess.run([pair.PY, os.path.join(pair.TOP, "bench/gen-store.py"), str(n), src],
                   check=True)
    tmp = db + ".tmp"
    for p in (tmp, tmp + "-wal", tmp + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    with open(src, "rb") as f:
        subprocess.run([os.path.join(pair.TOP, "bin/dss-store"), tmp], stdin=f,
                       stderr=subprocess.DEVNULL, check=True)
    for p in (src, src + ".tsv"):
        if os.path.exists(p):
            os.unlink(p)
    os.replace(tmp, db)
    return db


def fresh(base, path):
    return pair.fresh_db(base, path)


def digest(path):
    """The subsets and their members, hashed in order."""
    h = hashlib.sha256()
    db = sqlite3.connect(path)
    rows = 0
    for r in db.execute("SELECT dataset, name, split, kind, role, seed, fraction, size, "
                        "params FROM subsets ORDER BY dataset, name"):
        h.update(repr(r).encode())
    for r in db.execute("SELECT dataset, name, pos, id FROM subset_members "
                        "ORDER BY dataset, name, pos"):
        h.update(repr(r).encode())
        rows += 1
    db.close()
    return h.hexdigest(), rows


def main():
    n = pair.size("DSS_BENCH_SAMPLE_N", 549367, 5000)
    d = pair.workdir("sample-%d" % n)
    base = base_db(n, d)
    b = pair.Bench("50-sample", "dss-sample --dataset esnli (five nested fractions) of "
                   "%s train examples, each run on a fresh copy of the database"
                   % "{:,}".format(n))
    dss_db, peer_db = os.path.join(d, "dss.db"), os.path.join(d, "peer.db")
    env = {"DSS_DATASETS": os.path.join(pair.TOP, "datasets")}
    dss = pair.Cmd("dss-sample", [os.path.join(pair.TOP, "bin/dss-sample"), "--dataset",
                                  "esnli", dss_db], env=env, before=fresh(base, dss_db))
    peer = pair.Cmd("python peer", [pair.PY, os.path.join(pair.TOP, "bench/peer-sample.py"),
                                    peer_db, "esnli"], before=fresh(base, peer_db))
    if b.pair("sample, five nested fractions", dss, peer, records=n, warm=[base]):
        a, p = digest(dss_db), digest(peer_db)
        b.check("the same subsets and members, in order, in both databases "
                "(%s member rows)" % "{:,}".format(a[1]), a == p and a[1] > 0)
    for p in (dss_db, peer_db):
        for q in (p, p + "-wal", p + "-shm"):
            if os.path.exists(q):
                os.unlink(q)
    return b.finish()


if __name__ == "__main__":
    pair.bench_main(main)
