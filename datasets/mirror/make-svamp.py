#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json: 1,000
word problems of our own, generated from templates, in the layout of the
upstream SVAMP.json (one JSON array, 4-space indent, keys ID, Body,
Question, Equation, Answer, Type).  Deterministic: the same file every run.

  python3 datasets/mirror/make-svamp.py
"""
import json
import os
import random

NAMES = ["Ana", "Bilal", "Chen", "Dara", "Emeka", "Fatima", "Goran", "Hana",
         "Ivo", "Jia", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"]
THINGS = [("marbles", "bag"), ("stickers", "sheet"), ("apples", "basket"),
          ("pencils", "box"), ("stamps", "album"), ("shells", "bucket"),
          ("cards", "deck"), ("beads", "jar"), ("books", "shelf"),
          ("eggs", "carton")]
PLURAL = {"box": "boxes", "shelf": "shelves"}
PLACES = ["the library", "the market", "the school fair", "the park",
          "the harbour", "the museum shop"]


def units(unit):
    return PLURAL.get(unit, unit + "s")


def num(v):
    return "%s.0" % v


def add(r, name, thing, place):
    a, b = r.randint(2, 90), r.randint(2, 90)
    forms = [
        ("%s had %d %s. At %s %s found %d more %s." % (name, a, thing, place, "they", b, thing),
         "How many %s does %s have now?" % (thing, name)),
        ("There were %d %s in the first room and %d %s in the second room." % (a, thing, b, thing),
         "How many %s were there in both rooms?" % thing),
        ("%s collected %d %s on Monday. On Tuesday %s collected %d %s." % (name, a, thing, name, b, thing),
         "How many %s did %s collect altogether?" % (thing, name)),
    ]
    body, q = r.choice(forms)
    return body, q, "( %s + %s )" % (num(a), num(b)), float(a + b), "Addition"


def sub(r, name, thing, place):
    b = r.randint(2, 60)
    a = b + r.randint(1, 60)
    forms = [
        ("%s had %d %s. %s gave %d of them to a friend at %s." % (name, a, thing, name, b, place),
         "How many %s does %s have left?" % (thing, name)),
        ("A shop at %s had %d %s. After a busy morning it had %d %s left." % (place, a, thing, b, thing),
         "How many %s were sold in the morning?" % thing),
        ("%s has %d %s and %d fewer %s than a cousin." % (name, b, thing, a - b, thing),
         "How many %s does the cousin have?" % thing),
    ]
    i = r.randrange(len(forms))
    body, q = forms[i]
    if i == 2:
        return body, q, "( %s + %s )" % (num(b), num(a - b)), float(a), "Addition"
    return body, q, "( %s - %s )" % (num(a), num(b)), float(a - b), "Subtraction"


def mul(r, name, thing, place):
    thing, unit = r.choice(THINGS)
    a, b = r.randint(2, 15), r.randint(2, 25)
    forms = [
        ("%s bought %d %s at %s. Each %s holds %d %s." % (name, a, units(unit), place, unit, b, thing),
         "How many %s did %s buy?" % (thing, name)),
        ("Every %s has %d %s in it. There are %d %s on the table." % (unit, b, thing, a, units(unit)),
         "How many %s are on the table?" % thing),
    ]
    body, q = r.choice(forms)
    return body, q, "( %s * %s )" % (num(a), num(b)), float(a * b), "Multiplication"


def div(r, name, thing, place):
    thing, unit = r.choice(THINGS)
    b = r.randint(2, 12)
    a = b * r.randint(2, 20)
    forms = [
        ("%s has %d %s and wants to put them into %s of %d each." % (name, a, thing, units(unit), b),
         "How many %s will %s fill?" % (units(unit), name)),
        ("%d %s were shared equally among %d friends at %s." % (a, thing, b, place),
         "How many %s did each friend get?" % thing),
    ]
    body, q = r.choice(forms)
    return body, q, "( %s / %s )" % (num(a), num(b)), float(a // b), "Common-Division"


def two_step(r, name, thing, place):
    a, b, c = r.randint(10, 80), r.randint(2, 40), r.randint(2, 9)
    body = ("%s had %d %s and found %d more at %s. Then %s lost %d of them." %
            (name, a, thing, b, place, name, c))
    q = "How many %s does %s have now?" % (thing, name)
    return body, q, "( ( %s + %s ) - %s )" % (num(a), num(b), num(c)), float(a + b - c), "Subtraction"


def main():
    r = random.Random(20230502)
    makers = [add, sub, mul, div, two_step]
    out = []
    for i in range(1, 1001):
        name = r.choice(NAMES)
        thing, _ = r.choice(THINGS)
        place = r.choice(PLACES)
        body, q, eq, ans, typ = r.choice(makers)(r, name, thing, place)
        if i % 97 == 0:
            body += ' The note said "keep \\ count" twice.'
        out.append({"ID": "chal-%d" % i, "Body": body, "Question": q,
                    "Equation": eq, "Answer": ans, "Type": typ})
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "raw.githubusercontent.com", "arkilpatel", "SVAMP", "main", "SVAMP.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, indent=4, ensure_ascii=False)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
