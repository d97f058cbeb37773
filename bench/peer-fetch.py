#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Python standard-library peer of dss-fetch for bench/10-fetch.sh: copies
each source from a file:// mirror into a cache directory, hashes it and
fsyncs it before renaming it into place (as dss-fetch's cache does), then
reads the CSVs with the csv module and writes the same example records
(dataset, split, id, index, input, label, fields) as JSON Lines.

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


def fetch(mirror, cache, rel):
    dest = os.path.join(cache, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(os.path.join(mirror, rel), dest + ".part")
    h = hashlib.sha256()
    with open(dest + ".part", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        os.fsync(f.fileno())
    os.replace(dest + ".part", dest)
    return dest, h.hexdigest()


def main():
    mirror, cache = sys.argv[1], sys.argv[2]
    out = sys.stdout
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    index = skipped = 0
    paths = [fetch(mirror, cache, rel)[0] for rel in FILES]
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
