#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes the database of bench/80-export.py: N e-SNLI-shaped train
examples with their gold triples.  bench/gen-filter.py writes N
completions (one per example; most agree with the gold label, some do
not or never answer); their example fields become the example records,
stored with dss-store, and dss-filter --agree gold keeps the triples,
stored with dss-store too.  No subsets: the bench makes those.
Deterministic; the database is written to OUT.tmp and renamed to OUT.

  python3 bench/gen-export.py N OUT
"""
import json
import os
import sqlite3
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEP = ("dataset", "split", "id", "index", "input", "label", "fields")


def rm(*paths):
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    comp, ex, tmp = out + ".completions.jsonl", out + ".examples.jsonl", out + ".tmp"
    rm(tmp, tmp + "-wal", tmp + "-shm")
    with open(comp, "wb") as f:
        subprocess.run([sys.executable, os.path.join(TOP, "bench/gen-filter.py"), str(n)],
                       stdout=f, check=True)
    with open(comp) as src, open(ex, "w") as dst:
        for line in src:
            r = json.loads(line)
            dst.write(json.dumps({k: r[k] for k in KEEP}, ensure_ascii=False,
                                 separators=(",", ":")))
            dst.write("\n")
    store = os.path.join(TOP, "bin/dss-store")
    with open(ex, "rb") as f:
        subprocess.run([store, tmp], stdin=f, stderr=subprocess.DEVNULL, check=True)
    with open(comp, "rb") as f:
        filt = subprocess.Popen([os.path.join(TOP, "bin/dss-filter"), "--agree", "gold"],
                                stdin=f, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        subprocess.run([store, tmp], stdin=filt.stdout, stderr=subprocess.DEVNULL, check=True)
        filt.stdout.close()
        filt.wait()
    rm(comp, ex)
    db = tmp
    # One file: the WAL folded into the database before it is copied.
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    rm(tmp + "-wal", tmp + "-shm")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
