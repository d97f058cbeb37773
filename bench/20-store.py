#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: dss-store of 549,367 example records shaped like e-SNLI
train (the size of that split; bench/gen-store.py), against
bench/peer-store.py, a Python stdlib sqlite3 peer doing the same checks
and upserts into the same schema with the same database settings (16 KiB
pages, WAL, synchronous NORMAL, a 16 MiB page cache, 10,000 records a
transaction), and against the floor bench/floor-store.c: one prepared
INSERT of 64 rows at a time, as dss-store inserts a run of records, of
the same rows already split into columns.  Fresh: every run
into a new database (the old one deleted untimed).  Unchanged: every run
over the database the last fresh run left, so nothing is written.
Targets: at least 200,000 records/s into a fresh database (at the
median wall), and a peak RSS under 32 MiB (issue #11 section 3).  Checks
that the three databases hold the same rows."""
import glob
import hashlib
import os
import sqlite3
import subprocess

import pair


def rm_db(path):
    def f():
        for p in (path, path + "-wal", path + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
    return f


def digest(path):
    """The row count and a hash of every examples row of the database."""
    db = sqlite3.connect(path)
    h, n = hashlib.sha256(), 0
    for row in db.execute("SELECT dataset, id, split, idx, input, label, record "
                          "FROM examples ORDER BY dataset, id"):
        h.update(repr(row).encode())
        n += 1
    db.close()
    return n, h.hexdigest()


def main():
    n = pair.size("DSS_BENCH_STORE_N", 549367, 5000)
    d = pair.workdir("store-%d" % n)
    src = os.path.join(d, "examples.jsonl")
    if not os.path.exists(src):
        print("   generating %d example records" % n)
        subprocess.run([pair.PY, os.path.join(pair.TOP, "bench/gen-store.py"), str(n), src],
                       check=True)
    schemas = [os.path.join(pair.TOP, "schemas/dss.sql")] + sorted(
        glob.glob(os.path.join(pair.TOP, "schemas/migrate-[0-9][0-9][0-9].sql")))

    b = pair.Bench("20-store", "dss-store of %s e-SNLI-shaped example records (%s MB)" % (
        "{:,}".format(n), pair.fmt(os.path.getsize(src) / 1e6)))
    try:
        floor_exe = pair.build_c("floor-store.c", "floor-store",
                                 subprocess.run(["pkg-config", "--cflags", "--libs", "sqlite3"],
                                                stdout=subprocess.PIPE, check=True,
                                                text=True).stdout.split())
    except (pair.BenchError, subprocess.CalledProcessError) as e:
        b.fail(str(e))
        return b.finish()
    db = {k: os.path.join(d, "%s.db" % k) for k in ("dss", "peer", "floor")}

    def sides(fresh):
        return (pair.Cmd("dss-store", [os.path.join(pair.TOP, "bin/dss-store"), db["dss"]],
                         stdin=src, before=rm_db(db["dss"]) if fresh else None,
                         show_stderr=True),
                pair.Cmd("python peer", [pair.PY, os.path.join(pair.TOP, "bench/peer-store.py"),
                                         db["peer"]] + schemas,
                         stdin=src, before=rm_db(db["peer"]) if fresh else None),
                [pair.Cmd("sqlite insert loop", [floor_exe, db["floor"]] + schemas,
                          stdin=src + ".tsv", before=rm_db(db["floor"]) if fresh else None)])

    dss, peer, floors = sides(True)
    ok = b.pair("fresh: into a new database", dss, peer, floors, records=n,
                targets=["dss.rate >= 200000", "dss.rss < 32"], warm=[src, src + ".tsv"])
    if ok:
        dss, peer, floors = sides(False)
        ok = b.pair("unchanged: the same records again", dss, peer, floors, records=n,
                    targets=["dss.rss < 32"], warm=[src, src + ".tsv"])
    if ok:
        got = {k: digest(v) for k, v in db.items()}
        same = got["dss"] == got["peer"] == got["floor"] and got["dss"][0] == n
        b.check("dss-store, the peer and the floor hold the same %s rows" % "{:,}".format(n),
                same, "" if same else "rows: %s" % ", ".join(
                    "%s %d" % (k, v[0]) for k, v in got.items()))
    for v in db.values():
        rm_db(v)()
    return b.finish()


if __name__ == "__main__":
    pair.bench_main(main)
