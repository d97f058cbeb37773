#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: dss-fetch of an e-SNLI-sized training split (549,367 rows in
the real column layout, two CSV files) from a file:// mirror, against
bench/peer-fetch.py, a Python standard-library peer doing the same work.
Cold: an empty cache before every run (emptied untimed), so both copy,
hash and fsync the files, then normalize; floors: openssl sha256 of the
same files, and cp of them followed by sync (fsync) of the copies.
Warm: the cache the cold runs left, so both re-hash the cached files
against the recorded hashes, then normalize; floor: openssl sha256.
Timed runs write to /dev/null, so that writing 300 MB of output to disk
is not what is measured; an untimed run of each then checks that both
outputs are identical.  Targets: at least 10x the peer's wall-clock
speed and a peak RSS under 32 MiB, cold and warm."""
import filecmp
import os
import shutil
import subprocess

import pair

MANIFEST = """{
  "name": "esnli",
  "format": "csv",
  "sources": {
    "train_1": { "url": "https://bench.example/esnli/esnli_train_1.csv" },
    "train_2": { "url": "https://bench.example/esnli/esnli_train_2.csv" }
  },
  "splits": { "train": { "sources": ["train_1", "train_2"] } },
  "fields": {
    "premise": "Sentence1",
    "hypothesis": "Sentence2",
    "source_id": "pairID",
    "explanations": ["Explanation_1", "Explanation_2", "Explanation_3"]
  },
  "label": {
    "from": "gold_label",
    "map": { "entailment": "entailment", "neutral": "neutral", "contradiction": "contradiction" }
  },
  "input": "{premise}</s>{hypothesis}"
}
"""


def rm(*paths):
    def f():
        for p in paths:
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.unlink(p)
    return f


def main():
    n = pair.size("DSS_BENCH_FETCH_N", 549367, 5000)
    d = pair.workdir("fetch-%d" % n)
    mirror = os.path.join(d, "mirror")
    files = [os.path.join(mirror, "bench.example/esnli/esnli_train_%d.csv" % i) for i in (1, 2)]
    stamp = os.path.join(d, "generated")
    if not os.path.exists(stamp):
        print("   generating %d rows" % n)
        subprocess.run([pair.PY, os.path.join(pair.TOP, "bench/gen-esnli.py"), mirror, str(n)],
                       check=True)
        open(stamp, "w").close()
    manifest = os.path.join(d, "esnli-bench.json")
    with open(manifest, "w") as f:
        f.write(MANIFEST)

    mb = sum(map(os.path.getsize, files)) / 1e6
    b = pair.Bench("10-fetch", "dss-fetch of %s e-SNLI train rows (%s MB of CSV) from a "
                   "file:// mirror" % ("{:,}".format(n), pair.fmt(mb)))
    cache_dss, cache_py = os.path.join(d, "cache-dss"), os.path.join(d, "cache-py")
    fetch = [os.path.join(pair.TOP, "bin/dss-fetch"), "--cache", cache_dss,
             "--mirror", "file://" + os.path.abspath(mirror), manifest]
    peer_argv = [pair.PY, os.path.join(pair.TOP, "bench/peer-fetch.py"), mirror, cache_py]
    copies = [os.path.join(d, "copy-%d.csv" % i) for i in (1, 2)]
    sha = pair.Cmd("openssl sha256", ["openssl", "sha256"] + files)
    copy = pair.Cmd("cp + sync", ["sh", "-c", 'cp "$1" "$3" && cp "$2" "$4" && sync "$3" "$4"',
                                  "sh"] + files + copies, before=rm(*copies))
    targets = ["wall >= 10", "dss.rss < 32"]

    b.pair("cold: an empty cache", pair.Cmd("dss-fetch", fetch, before=rm(cache_dss)),
           pair.Cmd("python peer", peer_argv, before=rm(cache_py)), [sha, copy],
           targets=targets, records=n, warm=files)
    rm(*copies)()
    b.pair("warm: the files cached and re-hashed", pair.Cmd("dss-fetch", fetch),
           pair.Cmd("python peer", peer_argv), [sha], targets=targets, records=n, warm=files)

    out_dss, out_py = os.path.join(d, "out-dss.jsonl"), os.path.join(d, "out-py.jsonl")
    with open(out_dss, "wb") as o:
        r1 = subprocess.run([fetch[0], "--offline", "--cache", cache_dss, "--mirror",
                             "file://" + os.path.abspath(mirror), manifest], stdout=o,
                            stderr=subprocess.DEVNULL).returncode
    with open(out_py, "wb") as o:
        r2 = subprocess.run(peer_argv, stdout=o, stderr=subprocess.DEVNULL).returncode
    same = r1 == 0 and r2 == 0 and filecmp.cmp(out_dss, out_py, shallow=False)
    b.check("identical output from dss-fetch and the python peer", same,
            "" if same else "exit statuses %d and %d" % (r1, r2))
    rm(out_dss, out_py)()
    return b.finish()


if __name__ == "__main__":
    pair.bench_main(main)
