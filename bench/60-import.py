#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: dss-import of a release zip in the official layout holding
an e-SNLI training split of N examples (110,000 by default, 20 batch
files of 5,500 completions; DSS_BENCH_IMPORT_N=549367 for the real size)
plus 2,000 valid and 2,000 test (bench/gen-import.py), against
bench/peer-import.py, a Python standard-library peer doing the same
checks and writing the same records.  Floors: cat of the zip, and unzip -p
of it into wc -l (inflating every member and counting its lines).  Timed
runs write to /dev/null; an untimed run of each then checks that both
outputs are identical.  Targets: at least 5x the peer by wall (issue #11
section 3) and a peak RSS under 32 MiB whatever N (memory must not grow
with the release)."""
import filecmp
import os
import shutil
import subprocess

import pair


def main():
    n = pair.size("DSS_BENCH_IMPORT_N", 110000, 5500)
    d = pair.workdir("import-%d" % n)
    z = os.path.join(d, "release.zip")
    if not os.path.exists(z):
        print("   generating a release of %d esnli examples" % n)
        subprocess.run([pair.PY, os.path.join(pair.TOP, "bench/gen-import.py"), str(n), z],
                       check=True)
    records = (n + 4000) * 2

    b = pair.Bench("60-import", "dss-import of a release zip: esnli train %s examples "
                   "(+2,000 valid, +2,000 test), %s records out (%s MB zip)" % (
                       "{:,}".format(n), "{:,}".format(records),
                       pair.fmt(os.path.getsize(z) / 1e6)))
    dss_argv = [os.path.join(pair.TOP, "bin/dss-import"), z]
    peer_argv = [pair.PY, os.path.join(pair.TOP, "bench/peer-import.py"), z]
    floors = [pair.Cmd("cat", ["cat", z])]
    if shutil.which("unzip"):
        floors.append(pair.Cmd("unzip -p | wc -l",
                               ["sh", "-c", 'unzip -p "$1" | wc -l', "sh", z]))
    else:
        b.note("floor unzip -p | wc -l: not measured, unzip is not installed")
    if b.pair("import", pair.Cmd("dss-import", dss_argv), pair.Cmd("python peer", peer_argv),
              floors, records=records, targets=["wall >= 5", "dss.rss < 32"], warm=[z]):
        outs = [os.path.join(d, "out-dss.jsonl"), os.path.join(d, "out-py.jsonl")]
        st = []
        for argv, path in zip((dss_argv, peer_argv), outs):
            with open(path, "wb") as o:
                st.append(subprocess.run(argv, stdout=o, stderr=subprocess.DEVNULL).returncode)
        same = st == [0, 0] and filecmp.cmp(outs[0], outs[1], shallow=False)
        b.check("identical output from dss-import and the python peer", same,
                "" if same else "exit statuses %d and %d" % tuple(st))
        for p in outs:
            os.unlink(p)
    return b.finish()


if __name__ == "__main__":
    pair.bench_main(main)
