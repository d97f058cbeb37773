#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes N example records shaped like e-SNLI train ones (deterministic)
as JSON Lines to OUT, for bench/20-store.py, and the same rows as
tab-separated columns (dataset, id, split, idx, input, label, then the
record line itself) to OUT.tsv for bench/floor-store.c, which inserts
them without parsing JSON.  No generated field holds a tab or a newline.

  python3 bench/gen-store.py N OUT
"""
import json
import os
import random
import sys

n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20230508)
words = ("a man woman child dog two people are is in on the at of with "
         "playing running sitting standing outside inside street park "
         "water ball red blue young old group near holding wearing shirt "
         "hat bike car beach snow field crowd music stage").split()
labels = ("entailment", "neutral", "contradiction")


def sent(k):
    s = " ".join(rng.choice(words) for _ in range(k))
    return s[0].upper() + s[1:] + "."


with open(path + ".tmp", "w") as f, open(path + ".tsv.tmp", "w") as t:
    for i in range(n):
        p, h = sent(rng.randint(8, 20)), sent(rng.randint(4, 10))
        lab = labels[i % 3]
        rec = {"dataset": "esnli", "split": "train",
               "id": "esnli-train-%06d" % i, "index": i,
               "input": p + "</s>" + h, "label": lab,
               "fields": {"premise": p, "hypothesis": h,
                          "source_id": "%010d.jpg#%dr1%s" % (i * 7, i % 5, lab[0]),
                          "explanations": [sent(rng.randint(6, 14))]}}
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
        f.write(line + "\n")
        t.write("\t".join((rec["dataset"], rec["id"], rec["split"], str(i),
                           rec["input"], lab, line)) + "\n")
os.replace(path + ".tsv.tmp", path + ".tsv")
os.replace(path + ".tmp", path)
