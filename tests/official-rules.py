#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The official Distilling Step-by-Step parsing rules, restated from their
# description (not copied), applied to completion records on stdin: for
# each record whose parsed label equals the gold label, prints its id and
# sample ("ID SAMPLE") on stdout.  A rationale left empty by the rules
# does not count as kept.  Used to check that dss-filter --agree
# gold keeps at least the rationales the official rules keep:
#   cqa:   text before the first "Q:", right-stripped, split on
#          "So the answer is" (exactly once); the label is the text after
#          the first "(x)" marker, stripped, a trailing "." removed.
#   svamp: text before "Q:", split on "The answer is" (exactly once); the
#          label is the greedy "\(.*\)" match; compared by value.
#   esnli: the label is the text after "Answer: " up to "Premise",
#          right-stripped.
#   anli1: text before "Premise:", split on "So the answer is" (exactly
#          once); the label is the rest left-stripped, last character
#          removed.
# Standard library only.
import ast
import json
import operator
import re
import sys

OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
       ast.Div: operator.truediv}


def value(expr):
    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.BinOp) and type(n.op) in OPS:
            return OPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        raise ValueError("not arithmetic")
    try:
        return ev(ast.parse(expr.strip(), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return None


def parse(ds, text):
    """Returns (rationale, label) as the official rules find them."""
    if ds == "cqa":
        parts = text.split("Q:")[0].rstrip().split("So the answer is")
        if len(parts) != 2:
            return parts[0], ""
        m = re.search(r"\([a-z]\)", parts[1])
        if not m:
            return parts[0], ""
        lab = parts[1][m.end():].strip()
        return parts[0], lab[:-1] if lab.endswith(".") else lab
    if ds == "svamp":
        parts = text.split("Q:")[0].split("The answer is")
        if len(parts) != 2:
            return parts[0], ""
        m = re.search(r"\(.*\)", parts[1])
        return parts[0], m.group(0) if m else ""
    if ds == "esnli":
        rationale = text.split("Answer:")[0]
        try:
            return rationale, text.split("Answer: ")[1].split("Premise")[0].rstrip()
        except IndexError:
            return rationale, ""
    if ds == "anli1":
        parts = text.split("Premise:")[0].split("So the answer is")
        if len(parts) != 2:
            return parts[0], ""
        return parts[0], parts[1].lstrip()[:-1]
    raise SystemExit("unknown dataset %r" % ds)


for line in sys.stdin:
    rec = json.loads(line)
    ds, gold = rec["dataset"], rec["label"]
    rationale, lab = parse(ds, rec["completion"])
    if ds == "svamp":
        a, b = value(lab) if lab else None, value(gold)
        agree = a is not None and b is not None and \
            abs(a - b) <= 1e-6 * max(abs(a), abs(b))
    else:
        agree = lab != "" and lab == gold
    if agree and rationale.strip():
        print(rec["id"], rec.get("sample", 0))
