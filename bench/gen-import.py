#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a release zip in the official layout of the Distilling
Step-by-Step code (datasets/esnli/esnli_SPLIT.json and
datasets/esnli/llm/SPLIT_CoT_I.json, batches of 5,500 completions) with an
e-SNLI training split of N examples plus 2,000 valid and 2,000 test, for
bench/60-import.py.  Deterministic.

  python3 bench/gen-import.py N OUT.zip
"""
import json
import os
import shutil
import sys
import tempfile
import zipfile

B = 5500
n, out = int(sys.argv[1]), sys.argv[2]
root = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)))
d = os.path.join(root, "datasets", "esnli")
os.makedirs(os.path.join(d, "llm"))


def split(name, n):
    with open(os.path.join(d, f"esnli_{name}.json"), "w") as f:
        for i in range(n):
            f.write(json.dumps({
                "premise": f"A cyclist in a yellow jacket rides along the canal path near lock {i}.",
                "hypothesis": f"Someone is riding a bike outdoors ({i}).",
                "label": i % 3,
                "explanation_1": f"A cyclist riding along a canal path is someone riding a bike outdoors, case {i}.",
                "explanation_2": "", "explanation_3": ""}) + "\n")
    for b in range(0, n, B):
        with open(os.path.join(d, "llm", f"{name}_CoT_{b // B}.json"), "w") as f:
            json.dump([f"A cyclist riding along a canal path is outdoors on a bike, so the "
                       f"hypothesis follows from the premise for item {i}.\nAnswer: entailment"
                       f"\n\nPremise: A child builds a sandcastle on the beach.\nHypothesis: "
                       f"A child is at the seaside." for i in range(b, min(n, b + B))], f)


split("train", n)
split("valid", 2000)
split("test", 2000)
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, files in sorted(os.walk(os.path.join(root, "datasets"))):
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            z.write(p, os.path.relpath(p, root))
shutil.rmtree(root)
os.replace(out + ".tmp", out)
