#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python standard-library peer of dss-fetch for bench/10-fetch.sh: copies
each source from a file:// mirror into a cache directory, hashes it and
fsyncs it before renaming it into place (as dss-fetch's cache does), then
reads the CSVs with the csv module and writes the same example records
(dataset, split, id, index, input, label, fields) as JSON Lines.

With the files already in CACHE_DIR (a second run), each is re-hashed and
checked against the hash the first run recorded, as dss-fetch's lock file
does, instead of being copied.

  python3 bench/peer-fetch.py MIRROR_DIR CACHE_DIR > out.jsonl
"""
import csv
import hashlib
import json
import os
import shutil
import sys

FILES = ["bench.example/esnli/esnli_train_1.csv", "bench.example/esnli/esnli_train_2.csv"]
LABELS = {"entailment": "entailment", "neutral": "neutral", "contradiction": "contradiction"}


def sha256(path, sync=False):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        if sync:
            os.fsync(f.fileno())
    return h.hexdigest()


def fetch(mirror, cache, rel):
    dest = os.path.join(cache, rel)
    lock = os.path.join(cache, "lock.json")
    hashes = json.load(open(lock)) if os.path.exists(lock) else {}
    if os.path.exists(dest) and rel in hashes:
        if sha256(dest) != hashes[rel]:
            sys.exit("checksum mismatch for %s" % rel)
        return dest
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(os.path.join(mirror, rel), dest + ".part")
    hashes[rel] = sha256(dest + ".part", sync=True)
    os.replace(dest + ".part", dest)
    with open(lock + ".tmp", "w") as f:
        json.dump(hashes, f)
    os.replace(lock + ".tmp", lock)
    return dest


def main():
    mirror, cache = sys.argv[1], sys.argv[2]
    out = sys.stdout
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    index = skipped = 0
    paths = [fetch(mirror, cache, rel) for rel in FILES]
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label = LABELS.get(row["gold_label"])
                if label is None:
                    skipped += 1
                    continue
                ex = [row[k] for k in ("Explanation_1", "Explanation_2", "Explanation_3")
                      if row.get(k)]
                rec = {"dataset": "esnli", "split": "train",
                       "id": "esnli-train-%06d" % index, "index": index,
                       "input": row["Sentence1"] + "</s>" + row["Sentence2"],
                       "label": label,
                       "fields": {"premise": row["Sentence1"], "hypothesis": row["Sentence2"],
                                  "source_id": row["pairID"], "explanations": ex}}
                out.write(dumps(rec) + "\n")
                index += 1
    sys.stderr.write("esnli train: %d examples, %d skipped\n" % (index, skipped))


if __name__ == "__main__":
    main()
