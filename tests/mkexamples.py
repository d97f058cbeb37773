# SPDX-License-Identifier: MIT
# Writes N made-up train example records of a dataset, as dss-fetch would
# (ids DATASET-train-NNNNNN, index 0..N-1), for the dss-sample tests.  The
# labels (and svamp's "type", cqa's "answer_key") are drawn with a seeded
# generator from uneven shares, so that strata have different sizes.
#
#   mkexamples.py DATASET N [SEED] [FIRST] [SPLIT]
#
# FIRST (default 0) is the index of the first record, so that more
# examples can be added to a database later.
import json
import random
import sys

NLI = [("entailment", 5), ("neutral", 3), ("contradiction", 2)]
TYPES = [("Subtraction", 9), ("Addition", 5), ("Multiplication", 3),
         ("Common-Division", 2), ("Mixed", 1)]
KEYS = [("A", 4), ("B", 3), ("C", 3), ("D", 2), ("E", 1)]


def pick(rng, table):
    total = sum(w for _, w in table)
    x = rng.randrange(total)
    for name, w in table:
        if x < w:
            return name
        x -= w
    raise AssertionError


def record(ds, split, i, rng):
    rec = {"dataset": ds, "split": split, "id": "%s-%s-%06d" % (ds, split, i),
           "index": i}
    if ds == "svamp":
        a, b = rng.randrange(1, 99), rng.randrange(1, 99)
        kind = pick(rng, TYPES)
        eq = "( %d.0 - %d.0 )" % (a, b)
        rec.update(input="Ann has %d pens and %d pads.\nHow many more?" % (a, b),
                   label=eq,
                   fields={"body": "Ann has %d pens and %d pads." % (a, b),
                           "question": "How many more?", "equation": eq,
                           "answer": float(a - b), "type": kind,
                           "source_id": "made-%d" % i})
    elif ds == "cqa":
        key = pick(rng, KEYS)
        choices = ["choice %d%s" % (i, c) for c in "abcde"]
        rec.update(input="Question %d?\nAnswer Choices:" % i,
                   label=choices["ABCDE".index(key)],
                   fields={"question": "Question %d?" % i, "choices": choices,
                           "answer_key": key, "source_id": "q%d" % i})
    else:
        rec.update(input="Premise %d.</s>Hypothesis %d." % (i, i),
                   label=pick(rng, NLI),
                   fields={"premise": "Premise %d." % i,
                           "hypothesis": "Hypothesis %d." % i,
                           "source_id": "p%d" % i})
    return rec


def main(argv):
    ds, n = argv[1], int(argv[2])
    seed = int(argv[3]) if len(argv) > 3 else 0
    first = int(argv[4]) if len(argv) > 4 else 0
    split = argv[5] if len(argv) > 5 else "train"
    rng = random.Random(seed * 1000003 + first)
    out = sys.stdout
    for i in range(first, first + n):
        out.write(json.dumps(record(ds, split, i, rng), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv)
