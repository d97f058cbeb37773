#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the inputs of bench/70-eval.py into DIR: gold.jsonl, N example
# records shaped like dss-fetch's e-SNLI train records (N = 549,367, the
# size of that split, by default), and pred.jsonl, a student's prediction
# for each, in gold order: mostly the gold label, some in another case or
# with stray spaces (right by the folded rule only), some wrong, some no
# label at all.  Deterministic.
#
#   gen-eval.py DIR [N]
import json
import os
import random
import sys

d = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 549367
rng = random.Random(20230708)
words = ("a man woman child dog two people are is in on the at of with "
         "playing running sitting standing outside inside street park water "
         "ball red blue young old group near holding wearing shirt hat bike "
         "car beach snow field crowd music stage").split()
labels = ("entailment", "neutral", "contradiction")


def sent(k):
    s = " ".join(rng.choice(words) for _ in range(k))
    return s[0].upper() + s[1:] + "."


with open(os.path.join(d, "gold.jsonl.tmp"), "w", encoding="utf-8") as g, \
        open(os.path.join(d, "pred.jsonl.tmp"), "w", encoding="utf-8") as p:
    for i in range(n):
        prem, hyp = sent(rng.randint(8, 20)), sent(rng.randint(4, 10))
        lab = labels[i % 3]
        rid = "esnli-train-%06d" % i
        g.write(json.dumps({
            "dataset": "esnli", "split": "train", "id": rid, "index": i,
            "input": prem + "</s>" + hyp, "label": lab,
            "fields": {"premise": prem, "hypothesis": hyp,
                       "source_id": "%010d.jpg#%dr1%s" % (i * 7, i % 5, lab[0]),
                       "explanations": [sent(rng.randint(6, 14))]}},
            separators=(",", ":")) + "\n")
        roll = rng.random()
        if roll < 0.80:
            pred = lab
        elif roll < 0.84:
            pred = lab.capitalize()
        elif roll < 0.86:
            pred = " " + lab + " "
        elif roll < 0.97:
            pred = labels[(i + 1) % 3]
        else:
            pred = rng.choice(("", "maybe", "entailment neutral"))
        p.write(json.dumps({"id": rid, "prediction": pred, "method": "dss",
                            "fraction": 1}, separators=(",", ":")) + "\n")
os.replace(os.path.join(d, "gold.jsonl.tmp"), os.path.join(d, "gold.jsonl"))
os.replace(os.path.join(d, "pred.jsonl.tmp"), os.path.join(d, "pred.jsonl"))
