#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the four e-SNLI CSV files of the bundled mirror under
raw.githubusercontent.com/OanaMariaCamburu/e-SNLI/master/dataset/: our own
sentences and explanations in the upstream column layout (train files with
one explanation, dev and test with three, each with its _marked and
_Highlighted columns), minimal RFC 4180 quoting, LF line ends.  Includes
commas, doubled quotes, an embedded newline, non-ASCII text and rows with
gold_label "-" (which dss-fetch skips).  Deterministic.

  python3 datasets/mirror/make-esnli.py
"""
import csv
import os
import random

SCENES = [
    ("A woman in a red coat is walking a small dog along the beach.",
     "A woman is outside with a dog.", "The woman is walking her dog to the vet.",
     "The woman is sleeping in her bed."),
    ("Two boys kick a ball across a muddy field, laughing.",
     "Children are playing with a ball.", "The boys are brothers.",
     "The boys are reading in a library."),
    ("An old man sells roasted chestnuts from a cart on a snowy street.",
     "Someone is selling food.", "The man sells chestnuts every winter.",
     "The man is swimming in a warm lake."),
    ("A cyclist in a yellow jersey climbs a steep mountain road.",
     "A person is riding a bike uphill.", "The cyclist is in a race.",
     "The cyclist is riding down a flat road."),
    ("A girl holds up a sign saying \"Free hugs\" in a crowded square.",
     "A girl is holding a sign.", "The girl is raising money.",
     "The girl is alone in an empty room."),
    ("Three musicians play violins under a bridge, at dusk.",
     "People are playing instruments.", "The musicians are paid for this.",
     "The musicians are asleep."),
    ("A chef tosses vegetables in a wok over a high flame.",
     "Someone is cooking.", "The chef works at a famous restaurant.",
     "The chef is washing a car."),
    ("A toddler in rain boots jumps into a puddle.",
     "A child is outdoors.", "The toddler's mother is watching.",
     "The toddler is taking a bath indoors."),
    ("A man repairs the engine of a blue tractor in a barn.",
     "A man is fixing a vehicle.", "The tractor broke down this morning.",
     "The man is painting a portrait."),
    ("Tourists photograph a café façade covered in ivy.",
     "People are taking pictures.", "The tourists are on a guided tour.",
     "The tourists are photographing a desert."),
    ("A dancer balances on one foot on a wooden stage.",
     "A person is on a stage.", "The dancer is rehearsing for a show.",
     "The dancer is lying on the floor."),
    ("Four friends share a pizza at a picnic table, in the shade.",
     "People are eating.", "The friends are celebrating a birthday.",
     "The friends are fasting."),
]

EXPLAIN = {
    "entailment": ["If {p} then {h}", "{h} restates part of the first sentence.",
                   "Saying \"{h}\" is a shorter way to describe the scene."],
    "neutral": ["Not every scene like this means {h}", "The first sentence does not say whether {h}",
                "There is no way to know that {h}"],
    "contradiction": ["One cannot be in both situations at once.",
                      "The second sentence describes something else,\nnot what the first shows.",
                      "{h} cannot be true while the first sentence is."],
}

LABELS = ["entailment", "neutral", "contradiction"]


def lower(s):
    return s[0].lower() + s[1:].rstrip(".")


def mark(r, sentence):
    words = sentence.split(" ")
    picked = sorted(r.sample(range(len(words)), k=min(len(words), r.randint(0, 3))))
    if not picked:
        return sentence, "{}"
    out = ["*%s*" % w if i in picked else w for i, w in enumerate(words)]
    lead = " " if r.random() < 0.5 else ""
    return lead + " ".join(out), ",".join(str(i) for i in picked)


def rows(r, n, nexp, prefix, dash_at):
    out = []
    for i in range(n):
        scene = SCENES[(i // 3 + prefix) % len(SCENES)]
        label = LABELS[i % 3]
        premise = scene[0]
        hyp = scene[1 + i % 3]
        pair = "%d.jpg#%dr1%s" % (1000000000 + prefix * 7919 + i // 3, i % 5, label[0])
        gold = "-" if i in dash_at else label
        row = [pair, gold, premise, hyp]
        for k in range(nexp):
            text = EXPLAIN[label][(i + k) % 3].format(p=lower(premise), h=lower(hyp))
            s1, h1 = mark(r, premise)
            s2, h2 = mark(r, hyp)
            row += [text, s1, s2, h1, h2]
        out.append(row)
    return out


def header(nexp):
    h = ["pairID", "gold_label", "Sentence1", "Sentence2"]
    for k in range(1, nexp + 1):
        h += ["Explanation_%d" % k, "Sentence1_marked_%d" % k, "Sentence2_marked_%d" % k,
              "Sentence1_Highlighted_%d" % k, "Sentence2_Highlighted_%d" % k]
    return h


def write(path, nexp, body):
    with open(path + ".tmp", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header(nexp))
        w.writerows(body)
    os.replace(path + ".tmp", path)


def main():
    r = random.Random(2018)
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "raw.githubusercontent.com", "OanaMariaCamburu", "e-SNLI", "master", "dataset")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "esnli_train_1.csv"), 1, rows(r, 30, 1, 0, {7}))
    write(os.path.join(d, "esnli_train_2.csv"), 1, rows(r, 24, 1, 5, set()))
    write(os.path.join(d, "esnli_dev.csv"), 3, rows(r, 21, 3, 2, {4}))
    write(os.path.join(d, "esnli_test.csv"), 3, rows(r, 18, 3, 9, set()))


if __name__ == "__main__":
    main()
