#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes s3.amazonaws.com/commensenseqa/{train,dev}_rand_split.jsonl for the
bundled mirror: our own questions in the CommonsenseQA v1.11 layout
(answerKey, id, question.question_concept, question.choices[5] with label
A-E and text, question.stem).  One train row has an answerKey that names
no choice, so it has no usable label.  Deterministic.

  python3 datasets/mirror/make-cqa.py
"""
import hashlib
import json
import os
import random

ITEMS = [
    ("umbrella", "Where would you leave a wet umbrella before entering a house?",
     "porch", ["kitchen sink", "bed", "porch", "oven", "bookshelf"]),
    ("kettle", "What do you usually fill a kettle with?",
     "water", ["sand", "water", "paper", "soup", "coins"]),
    ("library", "Where can you borrow a book for free?",
     "library", ["bakery", "garage", "library", "stadium", "pharmacy"]),
    ("candle", "What does a candle give off when it is lit?",
     "light", ["light", "music", "water", "cold", "smell of rain"]),
    ("bicycle", "What part of a bicycle do you push with your feet?",
     "pedal", ["saddle", "bell", "chain", "pedal", "mirror"]),
    ("winter", "Which clothing helps most to keep warm in winter?",
     "wool coat", ["swimsuit", "sandals", "wool coat", "sun hat", "tank top"]),
    ("bread", "Where is fresh bread usually baked?",
     "oven", ["fridge", "oven", "freezer", "cupboard", "dishwasher"]),
    ("garden", "What does a garden need so that plants grow, \"besides\" soil?",
     "water and sunlight", ["darkness", "water and sunlight", "salt", "snow", "plastic"]),
    ("piano", "Where would you most likely find a grand piano?",
     "concert hall", ["bus", "concert hall", "bathtub", "tent", "mailbox"]),
    ("map", "What would you look at to find your way in a strange city?",
     "map", ["map", "menu", "mirror", "calendar", "receipt"]),
]


def rows(r, n, start, bad=None):
    out = []
    for i in range(n):
        concept, stem, answer, choices = ITEMS[(start + i) % len(ITEMS)]
        choices = choices[:]
        r.shuffle(choices)
        key = "ABCDE"[choices.index(answer)]
        ident = hashlib.md5(("%d:%d:%s" % (start, i, stem)).encode()).hexdigest()
        if i == bad:
            key = "F"
        out.append({"answerKey": key, "id": ident,
                    "question": {"question_concept": concept,
                                 "choices": [{"label": "ABCDE"[k], "text": t}
                                             for k, t in enumerate(choices)],
                                 "stem": stem}})
    return out


def write(path, rs):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for x in rs:
            f.write(json.dumps(x) + "\n")
    os.replace(path + ".tmp", path)


def main():
    r = random.Random(2019)
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "s3.amazonaws.com", "commensenseqa")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "train_rand_split.jsonl"), rows(r, 25, 0, bad=6))
    write(os.path.join(d, "dev_rand_split.jsonl"), rows(r, 12, 3))


if __name__ == "__main__":
    main()
