#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A scripted stand-in for trained students, for the offline demo only: it
# trains nothing.  It reads SVAMP test example records and, for each of
# the paper's three trained methods and each fraction of the training
# data, writes a prediction file of the kind a real student's evaluation
# would give dss-eval: {"id", "prediction", "method", "fraction"} per
# line.  Whether a prediction is right is drawn, deterministically from
# the id, method and fraction, with a probability that rises with the
# fraction; a wrong one names a wrong equation or, now and then, text
# that does not parse.  The figures it leads to show what dss-eval draws,
# not what any model achieves.
# usage: demo-student.py OUTDIR < test-examples.jsonl
import hashlib
import json
import math
import os
import sys

METHODS = {  # accuracy at 12.5% and at 100% of the training data
    "distilling step-by-step": (0.50, 0.70),
    "standard distillation": (0.36, 0.57),
    "standard fine-tuning": (0.33, 0.55),
}
FRACTIONS = (0.125, 0.25, 0.5, 0.75, 1)
OPS = {"+": "-", "-": "+", "*": "/", "/": "*"}


def draw(*key):
    h = hashlib.sha256("\0".join(map(str, key)).encode()).hexdigest()
    return int(h[:12], 16) / float(1 << 48)


def wrong(eq):
    for i, c in enumerate(eq):
        if c in OPS and eq[i - 1:i] == " ":
            return eq[:i] + OPS[c] + eq[i + 1:]
    return "( " + eq + " + 1.0 )"


out = sys.argv[1]
test = [json.loads(l) for l in sys.stdin if l.strip()]
os.makedirs(out, exist_ok=True)
for method, (lo, hi) in METHODS.items():
    for f in FRACTIONS:
        p = lo + (hi - lo) * math.log2(f * 8) / 3
        name = "%s-%g.jsonl" % (method.replace(" ", "-"), f)
        with open(os.path.join(out, name), "w") as fp:
            for ex in test:
                r = draw(ex["id"], method)
                if r < p:
                    pred = ex["label"]
                elif draw(ex["id"], method, f) < 0.15:
                    pred = "the answer is unclear"
                else:
                    pred = wrong(ex["label"])
                fp.write(json.dumps({"id": ex["id"], "prediction": pred,
                                     "method": method, "fraction": f}) + "\n")
