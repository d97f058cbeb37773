#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes N completion records shaped like dss-import's e-SNLI ones (the
# teacher's answer on an "Answer:" line, then a run-on few-shot block, as
# the real PaLM completions do) to stdout, for bench/40-filter.sh.  Most
# answers agree with the gold label; some disagree, change case or
# punctuation, are cut off by the token limit or never answer.  The
# sentences are generated from small word lists; deterministic.
import json
import random
import sys

n = int(sys.argv[1])
rng = random.Random(42)
subj = ["A man", "A woman", "Two children", "An old dog", "A group of people",
        "A young girl", "The boy", "A worker", "Three friends", "A musician"]
verb = ["is walking", "is sitting", "is running", "is playing", "is eating",
        "is reading", "is singing", "is painting", "is cooking", "is sleeping"]
place = ["in a park", "on a bench", "near the river", "at the market",
         "in a small kitchen", "on a busy street", "inside a library",
         "under a tree", "on the beach", "in a crowded room"]
labels = ["entailment", "neutral", "contradiction"]
why = {
    "entailment": "If {s} {v} {p}, then {s2} {v} somewhere.",
    "neutral": "Not every person who {v2} {p} is doing it for fun.",
    "contradiction": "{s} cannot be {v3} and sleeping at the same time.",
}
out = sys.stdout
w = out.write
for i in range(n):
    s, v, p = rng.choice(subj), rng.choice(verb), rng.choice(place)
    gold = labels[i % 3]
    premise = "%s %s %s while the sun sets slowly." % (s, v, p)
    hyp = {"entailment": "%s %s outside." % (s, v),
           "neutral": "%s %s for fun." % (s, v),
           "contradiction": "%s is sleeping at home." % s}[gold]
    expl = why[gold].format(s=s, s2=s.lower(), v=v, p=p, v2=v[3:],
                            v3=v[3:])
    roll = rng.random()
    said = gold
    if roll < 0.10:
        said = labels[(i + 1) % 3]
    elif roll < 0.12:
        said = gold.capitalize() + "."
    ns, nv, np = rng.choice(subj), rng.choice(verb), rng.choice(place)
    runon = ("\n\nPremise: %s %s %s.\nHypothesis: %s %s.\nAnswer: %s %s" %
             (ns, nv, np, ns, nv, ns, nv))
    if roll > 0.97:
        comp = expl[:len(expl) // 2]
    elif roll > 0.96:
        comp = expl + runon
    else:
        comp = expl + "\nAnswer: " + said + runon
    rec = {
        "dataset": "esnli", "split": "train",
        "id": "esnli-train-%06d" % i, "index": i,
        "input": premise + "</s>" + hyp, "label": gold,
        "fields": {"premise": premise, "hypothesis": hyp,
                   "source_id": "%d.jpg#%dr1%s" % (2000000 + i, i % 5, gold[0]),
                   "explanations": [expl]},
        "teacher": "palm-540b", "sample": 0, "completion": comp,
        "finish_reason": None, "usage": None, "latency_ms": None,
        "request": "%064x" % rng.getrandbits(256),
    }
    w(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    w("\n")
