#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The Python standard-library peer of bench/60-import.sh: reads an e-SNLI
# release zip (datasets/esnli/esnli_SPLIT.json and llm/SPLIT_CoT_I.json)
# and writes the same example and completion records as dss-import, after
# the same checks (every batch counted before anything is written).  One
# batch array is in memory at a time, as json.load reads it whole.
import hashlib
import json
import sys
import zipfile

B = 5500
NLI = ["entailment", "neutral", "contradiction"]


def rows(z, name):
    with z.open(name) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def batch(z, split, i):
    with z.open(f"datasets/esnli/llm/{split}_CoT_{i}.json") as f:
        return json.load(f)


def example(split, i, r):
    ex = [r.get(k) for k in ("explanation_1", "explanation_2", "explanation_3")]
    return {"dataset": "esnli", "split": split, "id": f"esnli-{split}-{i:06d}",
            "index": i, "input": r["premise"] + "</s>" + r["hypothesis"],
            "label": NLI[r["label"]],
            "fields": {"premise": r["premise"], "hypothesis": r["hypothesis"],
                       "explanations": [e for e in ex if e]}}


def main():
    z = zipfile.ZipFile(sys.argv[1])
    names = set(z.namelist())
    splits = [s for s in ("train", "valid", "test")
              if f"datasets/esnli/esnli_{s}.json" in names]
    for s in splits:
        n = sum(1 for r in rows(z, f"datasets/esnli/esnli_{s}.json") if example(s, 0, r))
        nb = (n + B - 1) // B
        for i in range(nb):
            got, want = len(batch(z, s, i)), min(B, n - i * B)
            if got != want:
                sys.exit(f"peer: 'datasets/esnli/llm/{s}_CoT_{i}.json': {got} completions, expected {want}")
    out = sys.stdout
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for s in splits:
        texts = []
        for i, r in enumerate(rows(z, f"datasets/esnli/esnli_{s}.json")):
            if i % B == 0:
                texts = batch(z, s, i // B)
            rec = example(s, i, r)
            out.write(dumps(rec) + "\n")
            key = json.dumps(["palm-540b", "esnli", s, i, 0], separators=(",", ":"))
            rec.update({"teacher": "palm-540b", "sample": 0, "completion": texts[i % B],
                        "finish_reason": None, "usage": None, "latency_ms": None,
                        "request": hashlib.sha256(key.encode()).hexdigest()})
            out.write(dumps(rec) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
