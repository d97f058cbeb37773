#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The benchmark peer of dss-eval: the same scoring in the Python standard
# library.  Reads gold example records (a JSON Lines file, or a dss
# database with --db) and prediction files, scores every prediction by
# the folded rule (labels: case and white space folded; equations: value
# within 1e-6 of the gold value) and the official rule (exact strings;
# Python eval() of equations, exact float equality), counts unparsable
# predictions and gold examples without a prediction, draws a 95%
# bootstrap interval per group (1000 resamples, each a binomial draw, by
# inversion from the mode as dss-eval does), and prints one JSON object
# per (dataset, split, method, fraction, size) group.  Folding here uses
# Python's str.split and str.lower, the same as dss-eval's rule on ASCII
# text.  The answer kind of a dataset comes from its manifest.
#
#   peer-eval.py [--db] [--seed N] DATASETS_DIR GOLD PRED...
import ast
import json
import math
import operator
import os
import random
import re
import sqlite3
import sys

args = sys.argv[1:]
use_db = "--db" in args
if use_db:
    args.remove("--db")
seed = 0
if "--seed" in args:
    i = args.index("--seed")
    seed = int(args[i + 1])
    del args[i:i + 2]
mdir, gold_path, preds = args[0], args[1], args[2:]

kinds, valid_f, valid_r = {}, {}, {}


def dataset(name):
    if name not in kinds:
        with open(os.path.join(mdir, name + ".json"), encoding="utf-8") as f:
            m = json.load(f)
        kinds[name] = m["answer"]["kind"]
        lm = m.get("label", {}).get("map") if kinds[name] == "nli" else None
        valid_r[name] = set(lm.values()) if lm else None
        valid_f[name] = {fold(v) for v in lm.values()} if lm else None
    return kinds[name]


def fold(s):
    return " ".join(s.split()).lower()


SEP = re.compile(r"(?<![\d,])(\d{1,3}(?:,\d{3})+)(?![\d,])")
OPS = {ast.Add: operator.add, ast.Sub: operator.sub,
       ast.Mult: operator.mul, ast.Div: operator.truediv}


def plain(s):
    """The folded rule's equation value, or None."""
    s = SEP.sub(lambda m: m.group(1).replace(",", ""), s.strip())
    if "," in s or "_" in s or "e" in s or "E" in s:
        return None
    try:
        node = ast.parse(s, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None

    def ev(n):
        if isinstance(n, ast.Constant) and type(n.value) in (int, float):
            return float(n.value)
        if isinstance(n, ast.BinOp) and type(n.op) in OPS:
            return OPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        raise ValueError
    try:
        v = ev(node)
    except (ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    return v if math.isfinite(v) else None


def official(s):
    try:
        v = eval(s, {"__builtins__": {}}, {})
    except Exception:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# gold: id -> (dataset, split, label, choices)
gold, sets = {}, {}
if use_db:
    db = sqlite3.connect("file:%s?mode=ro" % gold_path, uri=True)
    for (ds,) in db.execute("SELECT DISTINCT dataset FROM examples").fetchall():
        rows = db.execute("SELECT split, id, label, CASE WHEN ? THEN "
                          "json_extract(record, '$.fields.choices') END "
                          "FROM examples WHERE dataset = ?",
                          (dataset(ds) == "choice", ds))
        for split, i, label, ch in rows:
            gold[i] = (ds, split, label, json.loads(ch) if ch else None)
            sets[ds, split] = sets.get((ds, split), 0) + 1
else:
    with open(gold_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            for k in ("dataset", "split", "id", "label"):
                if not isinstance(r.get(k), str):
                    sys.exit("%s: line %d: field '%s' is not a string" % (gold_path, n, k))
            ds = r["dataset"]
            ch = r["fields"].get("choices") if dataset(ds) == "choice" else None
            if r["id"] in gold:
                sys.exit("%s: line %d: duplicate id" % (gold_path, n))
            gold[r["id"]] = (ds, r["split"], r["label"], ch)
            sets[ds, r["split"]] = sets.get((ds, r["split"]), 0) + 1

values, folded = {}, {}
groups = {}
extra = 0
for path in preds:
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            i, p = r.get("id"), r.get("prediction")
            if not isinstance(i, str) or not isinstance(p, str):
                sys.exit("%s: line %d: bad id or prediction" % (path, n))
            g = gold.get(i)
            if g is None:
                extra += 1
                continue
            ds, split, label, ch = g
            key = (ds, split, r.get("method") or stem, r.get("fraction"), r.get("size"))
            st = groups.get(key)
            if st is None:
                st = groups[key] = [set(), 0, 0, 0, 0, 0]
            if i in st[0]:
                sys.exit("%s: line %d: duplicate id" % (path, n))
            st[0].add(i)
            kind = kinds[ds]
            if kind == "equation":
                if label not in values:
                    values[label] = (plain(label), official(label))
                gp, go = values[label]
                a, b = plain(p), official(p)
                fr = a is not None and gp is not None and abs(a - gp) <= 1e-6 * max(1.0, abs(gp))
                orr = b is not None and go is not None and b == go
                fu, ou = a is None, b is None
            else:
                fp = fold(p)
                fl = folded.get(label)
                if fl is None:
                    fl = folded[label] = fold(label)
                fr = fp == fl
                orr = p == label
                if kind == "nli":
                    okf, okr = valid_f[ds], valid_r[ds]
                else:
                    okf = {fold(c) for c in ch} if ch else None
                    okr = set(ch) if ch else None
                fu = okf is not None and not fr and fp not in okf
                ou = okr is not None and not orr and p not in okr
            st[1] += 1
            st[2] += fr
            st[3] += orr
            st[4] += fu
            st[5] += ou


def binomial(rng, n, p):
    if p <= 0:
        return 0
    if p >= 1:
        return n
    q = 1 - p
    r = p / q
    mode = min(n, int(math.floor((n + 1) * p)))
    pm = math.exp(math.lgamma(n + 1) - math.lgamma(mode + 1) - math.lgamma(n - mode + 1)
                  + mode * math.log(p) + (n - mode) * math.log(q))
    u = rng.random() - pm
    if u < 0:
        return mode
    pu = pd = pm
    ku = kd = mode
    while ku < n or kd > 0:
        if ku < n:
            pu *= (n - ku) / (ku + 1) * r
            ku += 1
            u -= pu
            if u < 0:
                return ku
        if kd > 0:
            pd *= kd / (n - kd + 1) / r
            kd -= 1
            u -= pd
            if u < 0:
                return kd
    return mode


def quantile(v, q):
    h = (len(v) - 1) * q
    i = int(math.floor(h))
    if i + 1 >= len(v):
        return v[-1]
    return v[i] + (h - i) * (v[i + 1] - v[i])


out = sys.stdout
for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3] or 0, str(k[4]))):
    ids, n, fr, orr, fu, ou = groups[key]
    rng = random.Random(seed)
    acc = sorted(binomial(rng, n, fr / n) / n for _ in range(1000))
    out.write(json.dumps({
        "dataset": key[0], "split": key[1], "method": key[2], "fraction": key[3],
        "size": key[4], "rule": "folded", "n": n, "correct": fr,
        "accuracy": fr / n, "ci95": [quantile(acc, 0.025), quantile(acc, 0.975)],
        "unparsable": fu, "official_accuracy": orr / n, "folded_accuracy": fr / n,
        "missing": sets[key[0], key[1]] - n}) + "\n")
if extra:
    sys.stderr.write("peer: %d predictions not in gold\n" % extra)
