#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark (issue #8 section 6): sample and export 549,367 e-SNLI-shaped
train examples with their gold triples (bench/gen-export.py) at the five
nested fractions, in t5 format.  The dss job is dss-sample --dataset
esnli (the five nested subsets, stored as chunks of ids), then one
dss-export --format t5 of the five subsets (nested-s0-0.125 ...
nested-s0-1) with --out DIR, which writes each to a file of its own
(DIR/NAME.jsonl, and its data card) in one pass over the database; the
peer, bench/peer-export.py, does the same job with Python's sqlite3 and
json, one query per subset, and must write the same five files byte for
byte.  Every run of either starts from a fresh copy of the database
without subsets (made untimed).  Floors: cat of the five files dss
wrote, and the sqlite3 shell reading what any export of them must read:
the examples and the kept triples of the dataset, each table once.  Targets: at least
1,000,000 exported records/s for the whole job (records over the median
wall of dss-sample and dss-export together), and a peak RSS under 64
MiB.  A second pair, for information, times the export alone on a
database that already holds the subsets, and a third the five subsets
exported one dss-export run each."""
import filecmp
import os
import shutil
import subprocess
import tempfile

import pair

FRACTIONS = ("0.125", "0.25", "0.5", "0.75", "1")


def rm_db(path):
    for p in (path, path + "-wal", path + "-shm"):
        if os.path.exists(p):
            os.unlink(p)


def base_db(n, d):
    db = os.path.join(d, "base.db")
    if not os.path.exists(db):
        print("   generating %d examples with their triples and their database" % n)
        subprocess.run([pair.PY, os.path.join(pair.TOP, "bench/gen-export.py"), str(n), db],
                       check=True)
    return db


def fresh(base, path):
    return pair.fresh_db(base, path)


EXPORTS = ('"$1" "$2" --dataset esnli --split train %s --out "$3" 2>/dev/null' %
           " ".join("--subset nested-s0-%s" % f for f in FRACTIONS))
EACH = ('for f in %s; do "$1" "$2" --dataset esnli --split train '
        '--subset nested-s0-$f >"$3/nested-s0-$f.jsonl" 2>/dev/null || exit 1; done' %
        " ".join(FRACTIONS))
JOB = '"$0" --dataset esnli "$2" >/dev/null 2>&1 || exit 1; ' + EXPORTS


def floor_sql():
    # What any export of these subsets must read: the examples and the
    # kept triples of the dataset, each table once, in key order.
    return ("SELECT id, input, label FROM examples WHERE dataset = 'esnli'; "
            "SELECT id, rationale FROM triples WHERE filter = 'gold' "
            "AND dataset = 'esnli' AND agree = 1;")


def lines(dirpath):
    n = 0
    for f in FRACTIONS:
        with open(os.path.join(dirpath, "nested-s0-%s.jsonl" % f), "rb") as fp:
            for _ in fp:
                n += 1
    return n


def main():
    n = pair.size("DSS_BENCH_EXPORT_N", 549367, 5000)
    d = pair.workdir("export-%d" % n)
    base = base_db(n, d)
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    out = tempfile.mkdtemp(prefix="dss-bench.", dir=shm or d)
    try:
        return run(n, d, base, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        for k in ("dss", "peer", "floor"):
            rm_db(os.path.join(d, k + ".db"))


def run(n, d, base, out):
    b = pair.Bench("80-export", "dss-sample and dss-export --format t5 of %s train "
                   "examples with their triples, five nested fractions" % "{:,}".format(n))
    env = {"DSS_DATASETS": os.path.join(pair.TOP, "datasets")}
    sample = os.path.join(pair.TOP, "bin/dss-sample")
    export = os.path.join(pair.TOP, "bin/dss-export")
    db = {k: os.path.join(d, k + ".db") for k in ("dss", "peer", "floor")}
    dirs = {k: os.path.join(out, k) for k in ("dss", "peer")}
    for v in dirs.values():
        os.makedirs(v)

    # One run untimed: it counts the records, and its database, with the
    # subsets, is what the floor and the export-only pair read.
    fresh(base, db["dss"])()
    r = subprocess.run(["sh", "-c", JOB, sample, export, db["dss"], dirs["dss"]],
                       env=dict(os.environ, **env), stderr=subprocess.PIPE)
    if r.returncode != 0:
        b.fail("the untimed first run failed: %s" % r.stderr.decode(errors="replace").strip())
        return b.finish()
    records = lines(dirs["dss"])
    shutil.copyfile(db["dss"], db["floor"])
    b.note("%s records in the five files (%s MB)" % ("{:,}".format(records), pair.fmt(
        sum(os.path.getsize(os.path.join(dirs["dss"], "nested-s0-%s.jsonl" % f))
            for f in FRACTIONS) / 1e6)))

    files = [os.path.join(dirs["dss"], "nested-s0-%s.jsonl" % f) for f in FRACTIONS]
    floors = [pair.Cmd("cat", ["cat"] + files)]
    if shutil.which("sqlite3"):
        floors.append(pair.Cmd("sqlite3 select", ["sqlite3", db["floor"], floor_sql()]))
    else:
        b.note("no sqlite3 shell: that floor is left out")
    dss = pair.Cmd("dss-sample+export", ["sh", "-c", JOB, sample, export, db["dss"],
                                         dirs["dss"]],
                   env=env, before=fresh(base, db["dss"]), show_stderr=True)
    peer = pair.Cmd("python peer", [pair.PY, os.path.join(pair.TOP, "bench/peer-export.py"),
                                    db["peer"], "esnli", dirs["peer"]],
                    before=fresh(base, db["peer"]))
    if b.pair("sample and export, five fractions", dss, peer, floors, records=records,
              targets=["dss.rate >= 1000000", "dss.rss < 64"], warm=[base]):
        same = all(filecmp.cmp(os.path.join(dirs["dss"], "nested-s0-%s.jsonl" % f),
                               os.path.join(dirs["peer"], "nested-s0-%s.jsonl" % f),
                               shallow=False)
                   for f in FRACTIONS)
        b.check("dss and the peer wrote the same five files (%s records)" %
                "{:,}".format(records), same and lines(dirs["dss"]) == records)

    alone = pair.Cmd("dss-export", ["sh", "-c", EXPORTS, "-", export, db["floor"],
                                       dirs["dss"]], env=env, show_stderr=True)
    b.pair("export alone (for information): the five subsets already stored", alone,
           None, floors, records=records, warm=[db["floor"]])
    each = pair.Cmd("dss-export x5", ["sh", "-c", EACH, "-", export, db["floor"],
                                      dirs["dss"]], env=env, show_stderr=True)
    b.pair("five dss-export runs, one subset each (for information)", each,
           None, floors, records=records, warm=[db["floor"]])
    return b.finish()


if __name__ == "__main__":
    pair.bench_main(main)
