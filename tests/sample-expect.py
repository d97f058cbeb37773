# SPDX-License-Identifier: MIT
# The subsets dss-sample should make, computed again in plain Python from
# the definitions in man/dss-sample.1, for the tests to compare with what
# the tool stored.  Reads example records (JSON Lines) on stdin, keeps the
# train split in index order, and prints one line per subset:
# NAME, a tab, and its ids separated by spaces, in the subset's order.
#
#   sample-expect.py nested SEED VALID FRACTIONS [STRATUM]
#   sample-expect.py official RUN CUT FRACTIONS
#
# VALID and CUT are shares (0 for none), FRACTIONS a comma-separated list.
# STRATUM is "label" or a field of "fields" ("type"): with it, the subsets
# are the stratified ones.  The script checks on its own output that every
# stratified prefix holds each stratum's share within one example.
import hashlib
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit"))
import numpy_pcg64  # noqa: E402


def fname(f):
    s = repr(float(f))
    return s[:-2] if s.endswith(".0") else s


def size(n, f):
    return n - math.ceil((1.0 - f) * n)


def rank(seed, ids):
    def key(i):
        return (hashlib.sha256(("%d:%s" % (seed, i)).encode()).digest()[:8], i.encode())
    return sorted(ids, key=key)


def interleave(order, stratum):
    # Earliest deadline first: member j (from 1) of a stratum of c in n is
    # released at floor((j - 1) n / c) + 1 and due at ceil(j n / c).
    n = len(order)
    members = {}
    for i in order:
        members.setdefault(stratum[i], []).append(i)
    names = sorted(members, key=lambda s: s.encode())
    taken = {s: 0 for s in names}
    out = []
    for k in range(1, n + 1):
        best = None
        for idx, s in enumerate(names):
            c = len(members[s])
            j = taken[s] + 1
            if j > c or (j - 1) * n // c + 1 > k:
                continue
            due = -(-(j * n) // c)
            if best is None or (due, idx) < best[0]:
                best = ((due, idx), s)
        assert best is not None and best[0][0] >= k
        s = best[1]
        out.append(members[s][taken[s]])
        taken[s] += 1
    check_quota(out, stratum)
    return out


def check_quota(out, stratum):
    n = len(out)
    total = {}
    for i in out:
        total[stratum[i]] = total.get(stratum[i], 0) + 1
    got = {s: 0 for s in total}
    for k, i in enumerate(out, 1):
        got[stratum[i]] += 1
        for s, c in total.items():
            if abs(got[s] * n - k * c) >= n:
                sys.exit("sample-expect.py: quota broken at %d for %s" % (k, s))


def emit(name, ids):
    print("%s\t%s" % (name, " ".join(ids)))


def nested(train, seed, valid, fractions, stratum_key):
    ids = [r["id"] for r in train]
    strat = stratum_key is not None
    pre = "nested-strat" if strat else "nested"
    if strat:
        if stratum_key == "label":
            stratum = {r["id"]: r["label"] for r in train}
        else:
            stratum = {r["id"]: r["fields"][stratum_key] for r in train}
    order = rank(seed, ids)
    seq = interleave(order, stratum) if strat else order
    n = len(seq)
    if valid > 0:
        nv = math.ceil(valid * n)
        emit("%s-s%d-valid" % (pre, seed), seq[:nv])
        if strat:
            gone = set(seq[:nv])
            seq = interleave([i for i in order if i not in gone], stratum)
        else:
            seq = seq[nv:]
    for f in fractions:
        emit("%s-s%d-%s" % (pre, seed, fname(f)), seq[:size(len(seq), f)])


def official(train, run, cut, fractions):
    ids = [r["id"] for r in train]
    n = len(ids)
    for f in fractions:
        if f < 1:
            rows, _ = numpy_pcg64.train_test_split(run, n, 1.0 - f)
        else:
            rows = list(range(n))
        name = "official-r%d-%s" % (run, fname(f))
        if cut > 0:
            tr, va = numpy_pcg64.train_test_split(0, len(rows), cut)
            emit(name, [ids[rows[i]] for i in tr])
            emit(name + "-valid", [ids[rows[i]] for i in va])
        else:
            emit(name, [ids[i] for i in rows])


def main(argv):
    recs = [json.loads(line) for line in sys.stdin if line.strip()]
    train = sorted((r for r in recs if r["split"] == "train"),
                   key=lambda r: (r["index"], r["id"]))
    fractions = sorted(float(x) for x in argv[4].split(","))
    if argv[1] == "nested":
        nested(train, int(argv[2]), float(argv[3]), fractions,
               argv[5] if len(argv) > 5 else None)
    else:
        official(train, int(argv[2]), float(argv[3]), fractions)


if __name__ == "__main__":
    main(sys.argv)
