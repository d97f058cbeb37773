#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A small hand-written corpus for the dss-export tests: example records of
# esnli, cqa and svamp, triples of three filters (gold, majority and
# none,min-rationale=20) chosen to exercise --pick, --missing, --labels
# and --rationales, prompt records (for the data card's template hashes)
# and subsets, written to DIR as records.jsonl (for dss-store) and
# subsets.sql (for sqlite3: dss-sample writes subsets, not this test).
# Texts carry quotes, backslashes, newlines and non-ASCII characters.
# Python 3 stdlib only.
#
#   export-corpus.py DIR
import hashlib
import json
import os
import sys

TEACHER = "openai:gpt-4o-mini"
OTHER = "anthropic:claude-3-5-haiku"

ESNLI = [
    # premise, hypothesis, label
    ("A man plays a guitar on a stage.", "A man is playing music.", "entailment"),
    ("Two dogs run through \"deep\" snow.", "Animals are outside.", "entailment"),
    ("A woman reads a book in a caf\u00e9.", "The woman is asleep.", "contradiction"),
    ("Kids splash in a pool.", "Children swim in the sea.", "contradiction"),
    ("A chef chops onions.\nThen he cries.", "The chef is cooking dinner.", "neutral"),
]
ESNLI_TEST = [
    ("A cat sleeps on a warm windowsill.", "An animal is resting.", "entailment"),
    ("A boy kicks a red ball.", "The boy is asleep.", "contradiction"),
]
CQA = [
    ("Where would you keep a jar of pickles after opening it?",
     ["pantry shelf", "refrigerator", "garden shed", "mailbox", "bathtub"], 1),
    ("What is a person likely to feel after running a long race?",
     ["lonely", "frozen", "exhausted", "asleep", "forgetful"], 2),
    ("Where do people whisper?",
     ["stadium", "concert", "playground", "library", "parade"], 3),
]
CQA_TEST = [
    ("What do you use to cut paper?",
     ["scissors", "spoon", "pillow", "bucket", "ladder"], 0),
]
SVAMP = [
    ("Nia had 12 shells and gave 5 to Omar.", "How many shells does Nia have now?",
     "( 12.0 - 5.0 )", 7.0, "Subtraction"),
    ("A box holds 6 rows of 4 eggs.", "How many eggs are in the box?",
     "( 6.0 * 4.0 )", 24.0, "Multiplication"),
]

# Triples: (dataset, split, index, filter, sample, teacher, rationale,
# teacher_label, agree, votes)
TRIPLES = [
    ("esnli", "train", 0, "gold", 0, TEACHER, "Playing a guitar is playing music.",
     "entailment", True, None),
    ("esnli", "train", 0, "gold", 2, OTHER,
     "A guitar is an instrument, so playing one on a stage is playing music.",
     "entailment", True, None),
    ("esnli", "train", 0, "gold", 1, TEACHER, "Guitars make music.", "entailment",
     True, None),
    ("esnli", "train", 1, "gold", 0, TEACHER,
     "Dogs are animals, and snow lies outside \\ not indoors.", "entailment", True,
     None),
    ("esnli", "train", 3, "gold", 1, TEACHER, "A pool is not the \"sea\".",
     "contradiction", True, None),
    ("esnli", "train", 0, "majority", 0, TEACHER, "Playing a guitar is playing music.",
     "entailment", True, {"entailment": 2, "neutral": 1}),
    ("esnli", "train", 0, "majority", 1, TEACHER, "Guitars make music.", "entailment",
     True, {"entailment": 2, "neutral": 1}),
    ("esnli", "train", 4, "majority", 0, TEACHER,
     "Chopping onions is a step in cooking a meal.", "entailment", False,
     {"entailment": 2}),
    ("esnli", "train", 0, "none,min-rationale=20", 0, TEACHER,
     "Playing a guitar is playing music.", "entailment", True, None),
    ("esnli", "train", 2, "none,min-rationale=20", 0, TEACHER,
     "Reading is done awake, but she could have nodded off.", "neutral", False, None),
    ("esnli", "train", 4, "none,min-rationale=20", 0, OTHER,
     "Chopping onions is part of making dinner.", "entailment", False, None),
    ("cqa", "train", 0, "gold", 0, TEACHER,
     "Opened pickles must stay cold. Of the above choices, only a refrigerator "
     "keeps food cold.", "refrigerator", True, None),
    ("cqa", "train", 2, "gold", 0, TEACHER,
     "People whisper where noise would disturb readers.", "library", True, None),
    ("svamp", "train", 0, "gold", 0, TEACHER,
     "Nia gave away 5 of her 12 shells, so she has 12 - 5 = 7.", "(12 - 5)", True,
     None),
    ("svamp", "train", 1, "gold", 0, TEACHER, "There are 6 * 4 = 24 eggs.",
     "6 * 4", True, None),
]

SUBSETS = [
    # dataset, name, split, kind, seed, fraction, ids (in the subset's order)
    ("esnli", "nested-s0-0.5", "train", "nested", 0, 0.5, [3, 0]),
    ("esnli", "nested-s0-1", "train", "nested", 0, 1.0, [3, 0, 4, 1, 2]),
    ("cqa", "official-r0-0.75", "train", "official", 0, 0.75, [2, 0]),
]


def example(ds, split, i):
    rec = {"dataset": ds, "split": split, "id": f"{ds}-{split}-{i:06d}", "index": i}
    if ds == "esnli":
        p, h, label = (ESNLI if split == "train" else ESNLI_TEST)[i]
        rec["input"] = p + "</s>" + h
        rec["label"] = label
        rec["fields"] = {"premise": p, "hypothesis": h, "source_id": f"pair-{split}-{i}",
                         "explanations": [f"An explanation of {split} {i}."]}
    elif ds == "cqa":
        q, c, k = (CQA if split == "train" else CQA_TEST)[i]
        rec["input"] = q + "\nAnswer Choices:\n" + "\n".join(
            f"({l}) {t}" for l, t in zip("abcde", c))
        rec["label"] = c[k]
        rec["fields"] = {"question": q, "choices": c, "answer_key": "ABCDE"[k],
                         "source_id": f"{i:032x}", "concept": "thing"}
    else:
        b, q, eq, ans, typ = SVAMP[i]
        rec["input"] = b + "\n" + q
        rec["label"] = eq
        rec["fields"] = {"body": b, "question": q, "equation": eq, "answer": ans,
                         "type": typ, "source_id": f"chal-{i + 1}"}
    return rec


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    examples = {}
    lines = []
    for ds, splits in (("esnli", {"train": 5, "test": 2}), ("cqa", {"train": 3, "test": 1}),
                       ("svamp", {"train": 2})):
        for split, n in splits.items():
            for i in range(n):
                e = example(ds, split, i)
                examples[ds, split, i] = e
                lines.append(e)
    for ds, split, i, flt, sample, teacher, rat, tl, agree, votes in TRIPLES:
        e = examples[ds, split, i]
        req = hashlib.sha256(json.dumps([teacher, ds, split, i, sample]).encode()).hexdigest()
        t = dict(e)
        label = e["label"] if flt == "gold" else tl
        t.pop("label")
        t.update({"teacher": teacher, "sample": sample, "request": req, "filter": flt,
                  "rationale": rat, "teacher_label": tl, "label": label,
                  "gold": e["label"], "agree": agree})
        if votes is not None:
            t["votes"] = votes
        lines.append(t)
    for i in range(3):
        e = dict(examples["esnli", "train", i])
        e.update({"prompt": "Premise: ...\nAnswer:", "messages": [
            {"role": "user", "content": "Premise: ..."}],
            "template": "9f86d081884c7d65", "style": "chat"})
        lines.append(e)
    with open(os.path.join(out, "records.jsonl"), "w") as f:
        for r in lines:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    with open(os.path.join(out, "subsets.sql"), "w") as f:
        for ds, name, split, kind, seed, frac, ids in SUBSETS:
            f.write("INSERT INTO subsets (dataset, name, split, kind, role, seed, "
                    "fraction, size, params) VALUES ('%s', '%s', '%s', '%s', 'train', "
                    "%d, %r, %d, '{\"seed\":%d}');\n" % (ds, name, split, kind, seed, frac,
                                                        len(ids), seed))
            # schemas/migrate-006.sql: JSON arrays of 4,096 ids
            members = ["%s-%s-%06d" % (ds, split, i) for i in ids]
            for c in range(0, len(members), 4096):
                f.write("INSERT INTO subset_chunks (dataset, name, chunk, ids) VALUES "
                        "('%s', '%s', %d, '%s');\n" % (ds, name, c // 4096, json.dumps(
                            members[c:c + 4096], separators=(",", ":"))))


if __name__ == "__main__":
    main()
