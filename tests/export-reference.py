#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# An independent reading of what dss-export writes in the t5, pairs and
# standard formats, from the database with Python's sqlite3 module, for
# the tests to set beside the C code's output record by record.  It
# follows dss-export(1): the examples of the split in index order (or of
# the subset in its order), the triples of the filter (agreeing only,
# unless --rationales all), picked by sample index or length in
# characters, --missing and --labels as documented.
#
#   export-reference.py DB --dataset D --split S [dss-export options]
import argparse
import json
import sqlite3
import sys

ap = argparse.ArgumentParser()
ap.add_argument("db")
ap.add_argument("--dataset", required=True)
ap.add_argument("--split", required=True)
ap.add_argument("--subset")
ap.add_argument("--format", default="t5")
ap.add_argument("--labels", default="gold")
ap.add_argument("--rationales", default="agree")
ap.add_argument("--filter", default="gold")
ap.add_argument("--pick", default="first")
ap.add_argument("--missing", default="label-only")
ap.add_argument("--prefixes", default="predict: ,explain: ")
a = ap.parse_args()
pre, exp = a.prefixes.split(",")

db = sqlite3.connect(a.db)
if a.subset:
    rows = db.execute("SELECT e.id, e.input, e.label FROM subset_members m CROSS JOIN examples e "
                      "ON e.dataset = m.dataset AND e.id = m.id WHERE m.dataset = ? AND "
                      "m.name = ? ORDER BY m.pos", (a.dataset, a.subset)).fetchall()
else:
    rows = db.execute("SELECT id, input, label FROM examples WHERE dataset = ? AND split = ? "
                      "ORDER BY idx", (a.dataset, a.split)).fetchall()
kept = {}
for id_, sample, request, rat, tl, agree in db.execute(
        "SELECT id, sample, request, rationale, teacher_label, agree FROM triples "
        "WHERE filter = ? AND dataset = ?", (a.filter, a.dataset)):
    if a.rationales == "agree" and agree != 1:
        continue
    if tl is None and a.labels == "teacher":
        continue
    kept.setdefault(id_, []).append((sample, request, rat, tl or ""))


def where(id_):
    return {"dataset": a.dataset, "split": a.split, "id": id_}


out = []
for id_, inp, gold in rows:
    ts = sorted(kept.get(id_, []))
    if a.pick == "shortest" and ts:
        ts = [min(ts, key=lambda t: len(t[2]))]    # min/max keep the first of equals
    elif a.pick == "longest" and ts:
        ts = [max(ts, key=lambda t: len(t[2]))]
    elif a.pick == "first":
        ts = ts[:1]
    if not ts and (a.missing == "drop" or a.labels == "teacher"):
        continue
    label = ts[0][3] if a.labels == "teacher" else gold
    if a.format == "t5":
        out.append({"task": "predict", "input": pre + inp, "target": label, **where(id_)})
        for t in ts:
            out.append({"task": "explain", "input": exp + inp, "target": t[2], **where(id_)})
    elif a.format == "pairs":
        for t in ts or [(0, "", "", "")]:
            lab = t[3] if a.labels == "teacher" else gold
            out.append({"input": inp, "label": lab, "rationale": t[2], "teacher_label": t[3],
                        **where(id_)})
    else:
        out.append({"input": inp, "label": label, **where(id_)})
for r in out:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
