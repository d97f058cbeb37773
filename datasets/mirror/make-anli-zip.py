#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes dl.fbaipublicfiles.com/anli/anli_v1.0.zip for the bundled mirror:
our own premises and hypotheses in the upstream layout (members
anli_v1.0/R1/{train,dev,test}.jsonl, an R2 member dss-fetch must ignore,
directory entries, JSON Lines with uid, context, hypothesis, label e/n/c,
model_label, emturk, genre, reason, tag).  One R1 train row has no usable
label.  Deterministic: fixed member timestamps and order.

  python3 datasets/mirror/make-anli-zip.py
"""
import json
import os
import random
import uuid
import zipfile

FACTS = [
    ("Marrowby is a market town in the north of England. It received its charter in 1284 "
     "and is known for its wool trade and its stone bridge over the river Lune.",
     ["Marrowby received a charter in the 13th century.",
      "Marrowby's bridge was built before its charter.",
      "Marrowby is in Scotland."]),
    ("The Kestrel Quartet is a string quartet founded in Lyon in 1997. Its members studied "
     "together at the conservatoire, and it has recorded all of Bartók's quartets.",
     ["The quartet was formed in France.",
      "The quartet has toured Japan.",
      "The quartet was founded in the 1980s."]),
    ("Haldor Vik (born 3 May 1961) is a Norwegian former cross-country skier who won two "
     "World Cup races, both in Lahti, Finland.",
     ["Vik won races in Finland.",
      "Vik competed in the Olympics.",
      "Vik was born in June."]),
    ("\"Saltwater Road\" is a 2004 novel by the Irish writer Nora Feeney, set on a fishing "
     "island; it was shortlisted for a national prize, but did not win.",
     ["Saltwater Road did not win the prize it was shortlisted for.",
      "Feeney wrote Saltwater Road in Galway.",
      "Saltwater Road won the prize."]),
    ("Lake Orwen is a reservoir in Wales with a surface area of 4.2 km². Its dam, completed "
     "in 1952, supplies water to three towns.",
     ["The dam was finished in the 1950s.",
      "The reservoir is used for sailing.",
      "Lake Orwen is a natural lake with no dam."]),
]

REASON = {
    "e": "The statement follows from the text.",
    "n": "The text doesn't say; the model probably guessed.",
    "c": "The text says the opposite\nof this statement.",
}


def rows(r, n, start, bad=None):
    out = []
    for i in range(n):
        k = (start + i) % len(FACTS)
        ctx, hyps = FACTS[k]
        label = "enc"[i % 3]
        u = str(uuid.UUID(int=r.getrandbits(128), version=4))
        row = {"uid": u, "context": ctx, "hypothesis": hyps[i % 3], "label": label,
               "model_label": r.choice("enc"), "emturk": r.random() < 0.2,
               "genre": "wiki", "reason": REASON[label], "tag": "%d" % (i % 4)}
        if i == bad:
            row["label"] = "x"
        out.append(row)
    return out


def text(rs):
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rs).encode("utf-8")


def main():
    r = random.Random(2020)
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "dl.fbaipublicfiles.com", "anli", "anli_v1.0.zip")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    members = [
        ("anli_v1.0/", None),
        ("anli_v1.0/R1/", None),
        ("anli_v1.0/R1/dev.jsonl", text(rows(r, 12, 1))),
        ("anli_v1.0/R1/test.jsonl", text(rows(r, 12, 2))),
        ("anli_v1.0/R1/train.jsonl", text(rows(r, 31, 0, bad=10))),
        ("anli_v1.0/R2/", None),
        ("anli_v1.0/R2/dev.jsonl", text(rows(r, 6, 3))),
    ]
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2019, 11, 5, 12, 0, 0))
            info.external_attr = (0o40755 << 16) | 0x10 if data is None else 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data or b"")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
