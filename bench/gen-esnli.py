#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates an e-SNLI-sized training set for bench/10-fetch.sh: N rows
(549,367 by default) in the real train column layout (pairID, gold_label,
Sentence1, Sentence2, Explanation_1 and its _marked and _Highlighted
columns), split like upstream into esnli_train_1.csv (259,999 rows) and
esnli_train_2.csv (the rest), with minimal RFC 4180 quoting, under
DIR/bench.example/esnli/.  Deterministic.

  python3 bench/gen-esnli.py DIR [N]
"""
import csv
import os
import random
import sys

WORDS = ("a man woman child dog two people are is in on the at of with playing "
         "running sitting standing outside inside street park water ball red blue "
         "young old group near holding wearing shirt hat bike car beach snow field "
         "crowd music stage, \"quoted\" café").split()
LABELS = ("entailment", "neutral", "contradiction")
HEADER = ["pairID", "gold_label", "Sentence1", "Sentence2", "Explanation_1",
          "Sentence1_marked_1", "Sentence2_marked_1", "Sentence1_Highlighted_1",
          "Sentence2_Highlighted_1"]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 549367
    rng = random.Random(20181203)
    d = os.path.join(out, "bench.example", "esnli")
    os.makedirs(d, exist_ok=True)
    first = min(n, 259999)
    for name, lo, hi in (("esnli_train_1.csv", 0, first), ("esnli_train_2.csv", first, n)):
        path = os.path.join(d, name)
        with open(path + ".tmp", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADER)
            for i in range(lo, hi):
                p = rng.choices(WORDS, k=rng.randint(8, 20))
                h = rng.choices(WORDS, k=rng.randint(4, 10))
                e = rng.choices(WORDS, k=rng.randint(6, 14))
                k = rng.randrange(len(p))
                pm = p[:]
                pm[k] = "*%s*" % pm[k]
                w.writerow(["%d.jpg#%dr1%s" % (3000000 + i // 3, i % 5, LABELS[i % 3][0]),
                            LABELS[i % 3], " ".join(p) + ".", " ".join(h) + ".",
                            " ".join(e) + ".", " ".join(pm) + ".", " ".join(h) + ".",
                            str(k), "{}"])
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
