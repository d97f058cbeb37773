#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A scripted stand-in for a teacher model, for the offline demo: reads
# SVAMP example records and writes a dss-teach replay file with K samples
# per example.  Most samples reason correctly; some name a wrong equation,
# some are cut off and some run on into a new few-shot block, so that the
# filter has real work to do.  Deterministic: the same input gives the
# same file.
import hashlib
import json
import sys

K = int(sys.argv[1]) if len(sys.argv) > 1 else 3
OPS = {"+": "-", "-": "+", "*": "/", "/": "*"}


def strip_eq(eq):
    # "( 84.0 / 2.0 )" -> "84 / 2"
    out = []
    for tok in eq.split():
        if tok.endswith(".0"):
            tok = tok[:-2]
        out.append(tok)
    s = " ".join(out).replace("( ", "(").replace(" )", ")")
    if s.startswith("(") and s.endswith(")"):
        inner = s[1:-1]
        depth = 0
        for c in inner:
            depth += c == "("
            depth -= c == ")"
            if depth < 0:
                break
        if depth == 0:
            s = inner
    return s


def wrong(eq):
    for i, c in enumerate(eq):
        if c in OPS:
            return eq[:i] + OPS[c] + eq[i + 1:]
    return eq + " + 1"


for line in sys.stdin:
    ex = json.loads(line)
    f = ex.get("fields", {})
    eq = strip_eq(f.get("equation", ex["label"]))
    first = f.get("body", "").split(". ")[0].rstrip(".")
    for k in range(K):
        h = int(hashlib.sha256(f"{ex['id']}#{k}".encode()).hexdigest()[:8], 16)
        roll = h % 100
        finish = "stop"
        if roll < 12:
            text = (f"{first}. Reading the question again, the quantity we want "
                    f"is {wrong(eq)}. The answer is ({wrong(eq)}).")
        elif roll < 16:
            text = f"{first}. We need to combine the numbers. So we compute {eq.split()[0]}"
            finish = "length"
        else:
            text = (f"{first}. The question asks for one quantity, and the numbers "
                    f"combine as {eq}. The answer is ({eq}).")
            if roll < 40:
                text += ("\n\nQ: A shelf holds 4 rows of 6 books. How many books "
                         "are on the shelf?\nA: There are 4 rows of 6 books")
        rec = {"dataset": ex["dataset"], "id": ex["id"], "sample": k,
               "teacher": "demo-teacher", "completion": text,
               "finish_reason": finish}
        sys.stdout.write(json.dumps(rec) + "\n")
