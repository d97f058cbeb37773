#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Builds a small release in the layout of the official Distilling
# Step-by-Step datasets.zip, from made-up examples, for the dss-import
# tests: datasets/DS/DS_SPLIT.json (JSON Lines as the official code writes
# them), datasets/DS/llm/SPLIT_CoT_I.json (JSON arrays of completions, B
# per batch) and datasets/svamp/SVAMP.json, plus things a real archive
# also holds and an importer must skip (__MACOSX/, asdiv, gpt-neox).
# svamp has the real sizes (1,000 problems cut 800/200 by numpy's
# RandomState(0).permutation, done here with a stdlib MT19937), so its
# train split has two batches.  --expect writes the records dss-import
# must print for the whole release, built independently of the C code.
# --break CASE damages the release in one way (see BREAKS); --each-break
# builds every damaged release at once, DIR/CASE and DIR/CASE.zip.
# --from-mirror DIR instead builds the release's example files from the
# upstream-format files of a dss mirror (datasets/mirror), the way the
# official code got them from Hugging Face, so that dss-import's records
# can be set beside dss-fetch's for the same examples.
# Python 3 stdlib only.
import argparse
import csv
import hashlib
import json
import os
import shutil
import sys
import zipfile

BATCH = {"esnli": 5500, "anli1": 5000, "cqa": 1000, "svamp": 500}
SPLITS = {"esnli": ["train", "valid", "test"], "anli1": ["train", "valid", "test"],
          "cqa": ["train", "test"], "svamp": ["train", "test"]}
SIZES = {"esnli": {"train": 7, "valid": 3, "test": 4},
         "anli1": {"train": 5, "valid": 2, "test": 3},
         "cqa": {"train": 6, "test": 5}}
NLI = ["entailment", "neutral", "contradiction"]
BREAKS = ["missing-batch", "short-middle", "count-mismatch", "corrupt-batch",
          "extra-batch", "bad-label", "bad-choices", "bad-json-line",
          "missing-examples", "no-cqa", "no-svamp-json", "not-array",
          "number-in-batch", "no-llm", "svamp-order", "bad-svamp-json"]


class MT19937:
    """numpy's legacy RandomState generator, integer seed."""

    def __init__(self, seed):
        self.mt = [0] * 624
        self.mt[0] = seed & 0xFFFFFFFF
        for i in range(1, 624):
            prev = self.mt[i - 1]
            self.mt[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
        self.pos = 624

    def next32(self):
        if self.pos >= 624:
            mt = self.mt
            for i in range(624):
                y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
                v = mt[(i + 397) % 624] ^ (y >> 1)
                if y & 1:
                    v ^= 0x9908B0DF
                mt[i] = v
            self.pos = 0
        y = self.mt[self.pos]
        self.pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    def interval(self, mx):
        if mx == 0:
            return 0
        mask = mx
        for s in (1, 2, 4, 8, 16):
            mask |= mask >> s
        while True:
            v = self.next32() & mask
            if v <= mx:
                return v


def permutation(seed, n):
    rng = MT19937(seed)
    a = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.interval(i)
        a[i], a[j] = a[j], a[i]
    return a


# Completion texts exercise the decoder: quotes, backslashes, newlines,
# accents and a character outside the BMP (a surrogate pair in JSON).
def completion(ds, split, i):
    tail = ["", " Caf\u00e9 \"quoted\" text.", " A\\B path.", " Smile \U0001F600."][i % 4]
    if ds == "svamp":
        return f"Step one for {split} {i}. The answer is ({i} + 1).{tail}\n\nQ: next"
    if ds == "cqa":
        return f"Reasoning {split} {i}.{tail} So the answer is (a) choice {i}.\n\nQ: next"
    if ds == "anli1":
        return f"Thinking about {split} {i}.{tail} So the answer is neutral.\n\nPremise: next"
    return f"Because {split} {i}.{tail}\nAnswer: entailment\n\nPremise: next"


def rows_for(ds, split, n):
    rows = []
    for i in range(n):
        if ds == "esnli":
            ex = [f"Explanation one of {split} {i}.",
                  "" if split == "train" else f"Explanation two of {split} {i}.",
                  "" if split == "train" else f"Explanation three of {split} {i}."]
            rows.append({"premise": f"A person in scene {i} of {split} walks a dog.",
                         "hypothesis": f"Someone is outside ({i}).",
                         "label": i % 3,
                         "explanation_1": ex[0], "explanation_2": ex[1],
                         "explanation_3": ex[2]})
        elif ds == "anli1":
            rows.append({"uid": f"uid-{split}-{i:04d}",
                         "premise": f"The town of Example{i} lies by a river.",
                         "hypothesis": f"Example{i} has no river \u2014 or does it?",
                         "label": (i + 1) % 3,
                         "reason": "" if i % 2 else f"Reason {i}."})
        elif ds == "cqa":
            choices = [f"choice {i}", f"place {i}", f"thing {i}", f"room {i}", f"shop {i}"]
            rows.append({"id": f"{i:032x}",
                         "question": f"Where would you keep item {i}?",
                         "choices": choices,
                         "answer": choices[i % 5],
                         "abstractive_explanation": f"Items go in place {i}.",
                         "extractive_explanation": f"keep item {i}"})
    return rows


def svamp_problems():
    probs = []
    for k in range(1000):
        a, b = 3 + k % 17, 2 + k % 11
        op = ["+", "-", "*"][k % 3]
        val = {"+": a + b, "-": a - b, "*": a * b}[op]
        probs.append({"ID": f"chal-{k + 1}",
                      "Body": f"Basket {k} has {a} apples. Another has {b} apples",
                      "Question": f"What is {a} {op} {b} for basket {k}?",
                      "Equation": f"( {a}.0 {op} {b}.0 )",
                      "Answer": float(val),
                      "Type": {"+": "Addition", "-": "Subtraction", "*": "Multiplication"}[op]})
    return probs


def request(ds, split, i):
    key = json.dumps(["palm-540b", ds, split, i, 0], separators=(",", ":"))
    return hashlib.sha256(key.encode()).hexdigest()


def example_record(ds, split, i, row, svamp_src):
    rec = {"dataset": ds, "split": split, "id": f"{ds}-{split}-{i:06d}", "index": i}
    if ds in ("esnli", "anli1"):
        rec["input"] = row["premise"] + "</s>" + row["hypothesis"]
        rec["label"] = NLI[row["label"]]
        f = {"premise": row["premise"], "hypothesis": row["hypothesis"]}
        if ds == "esnli":
            f["explanations"] = [row[k] for k in ("explanation_1", "explanation_2",
                                                  "explanation_3") if row[k]]
        else:
            f["source_id"] = row["uid"]
            f["reason"] = row["reason"]
    elif ds == "cqa":
        c = row["choices"]
        rec["input"] = (row["question"] + "\nAnswer Choices:\n" +
                        "\n".join(f"({l}) {t}" for l, t in zip("abcde", c)))
        rec["label"] = row["answer"]
        f = {"question": row["question"], "choices": c,
             "answer_key": "ABCDE"[c.index(row["answer"])], "source_id": row["id"]}
    else:
        rec["input"] = row["input"]
        rec["label"] = row["label"]
        body, question = row["input"].rsplit("\n", 1)
        f = {"body": body, "question": question, "equation": row["label"]}
        if svamp_src is not None:
            f["answer"] = svamp_src["Answer"]
            f["type"] = svamp_src["Type"]
            f["source_id"] = svamp_src["ID"]
    rec["fields"] = f
    return rec


def completion_record(ex, text):
    rec = dict(ex)
    rec.update({"teacher": "palm-540b", "sample": 0, "completion": text,
                "finish_reason": None, "usage": None, "latency_ms": None,
                "request": request(ex["dataset"], ex["split"], ex["index"])})
    return rec


def mirror_rows(mirror):
    """Release rows per (dataset, split) from upstream files, dropping the
    rows without a usable label as Hugging Face's copies have none."""
    def path(*p):
        return os.path.join(mirror, *p)
    esnli = path("raw.githubusercontent.com", "OanaMariaCamburu", "e-SNLI", "master", "dataset")
    out = {}
    for split, files in [("train", ["esnli_train_1.csv", "esnli_train_2.csv"]),
                         ("valid", ["esnli_dev.csv"]), ("test", ["esnli_test.csv"])]:
        rows = []
        for fn in files:
            with open(os.path.join(esnli, fn), newline="") as f:
                for r in csv.DictReader(f):
                    if r["gold_label"] not in NLI:
                        continue
                    rows.append({"premise": r["Sentence1"], "hypothesis": r["Sentence2"],
                                 "label": NLI.index(r["gold_label"]),
                                 "explanation_1": r.get("Explanation_1", ""),
                                 "explanation_2": r.get("Explanation_2", ""),
                                 "explanation_3": r.get("Explanation_3", "")})
        out["esnli", split] = rows
    with zipfile.ZipFile(path("dl.fbaipublicfiles.com", "anli", "anli_v1.0.zip")) as z:
        for split, member in [("train", "train"), ("valid", "dev"), ("test", "test")]:
            rows = []
            for line in z.read(f"anli_v1.0/R1/{member}.jsonl").decode().splitlines():
                if not line.strip():
                    continue
                r = json.loads(line)
                if r["label"] not in ("e", "n", "c"):
                    continue
                rows.append({"uid": r["uid"], "premise": r["context"],
                             "hypothesis": r["hypothesis"],
                             "label": "enc".index(r["label"]), "reason": r["reason"]})
            out["anli1", split] = rows
    for split, fn in [("train", "train_rand_split.jsonl"), ("test", "dev_rand_split.jsonl")]:
        rows = []
        with open(path("s3.amazonaws.com", "commensenseqa", fn)) as f:
            for line in f:
                r = json.loads(line)
                c = r["question"]["choices"]
                answer = [x["text"] for x in c if x["label"] == r["answerKey"]]
                if not answer:
                    continue
                rows.append({"id": r["id"], "question": r["question"]["stem"],
                             "choices": [x["text"] for x in c], "answer": answer[0],
                             "abstractive_explanation": "", "extractive_explanation": ""})
        out["cqa", split] = rows
    with open(path("raw.githubusercontent.com", "arkilpatel", "SVAMP", "main", "SVAMP.json")) as f:
        probs = json.load(f)
    return out, probs


def build_from_mirror(root, mirror):
    if os.path.exists(root):
        shutil.rmtree(root)
    rows, probs = mirror_rows(mirror)
    perm = permutation(0, len(probs))
    cut = {"train": perm[:800], "test": perm[800:]}
    for ds in ["esnli", "anli1", "cqa", "svamp"]:
        d = os.path.join(root, "datasets", ds)
        os.makedirs(os.path.join(d, "llm"))
        if ds == "svamp":
            with open(os.path.join(d, "SVAMP.json"), "w") as f:
                json.dump(probs, f)
        for split in SPLITS[ds]:
            if ds == "svamp":
                r = [{"input": probs[k]["Body"] + "\n" + probs[k]["Question"],
                      "label": probs[k]["Equation"]} for k in cut[split]]
            else:
                r = rows[ds, split]
            write_jsonl(os.path.join(d, f"{ds}_{split}.json"), r)
            write_batches(os.path.join(d, "llm"), ds, split,
                          [completion(ds, split, i) for i in range(len(r))])


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def write_batches(d, ds, split, texts):
    b = BATCH[ds]
    for k in range(0, max(len(texts), 1), b):
        if k >= len(texts):
            break
        with open(os.path.join(d, f"{split}_CoT_{k // b}.json"), "w") as f:
            json.dump(texts[k:k + b], f)


def build(root, breaks):
    top = os.path.join(root, "datasets")
    if os.path.exists(root):
        shutil.rmtree(root)
    expect = []
    probs = svamp_problems()
    perm = permutation(0, 1000)
    svamp_rows = {"train": [probs[k] for k in perm[:800]],
                  "test": [probs[k] for k in perm[800:]]}
    for ds in ["esnli", "anli1", "cqa", "svamp"]:
        if ds == "cqa" and "no-cqa" in breaks:
            continue
        d = os.path.join(top, ds)
        os.makedirs(os.path.join(d, "llm"))
        if ds == "svamp" and "no-svamp-json" not in breaks:
            with open(os.path.join(d, "SVAMP.json"), "w") as f:
                if "bad-svamp-json" in breaks:
                    f.write('[{"ID": "chal-1", ')
                else:
                    json.dump(probs, f, indent=4)
        for split in SPLITS[ds]:
            if ds == "svamp":
                src = svamp_rows[split]
                rows = [{"input": p["Body"] + "\n" + p["Question"], "label": p["Equation"]}
                        for p in src]
            else:
                src = None
                rows = rows_for(ds, split, SIZES[ds][split])
            if "svamp-order" in breaks and (ds, split) == ("svamp", "train"):
                rows[0], rows[1] = rows[1], rows[0]
            texts = [completion(ds, split, i) for i in range(len(rows))]
            for i, row in enumerate(rows):
                s = src[i] if src is not None and "no-svamp-json" not in breaks else None
                ex = example_record(ds, split, i, row, s)
                expect.append(ex)
                expect.append(completion_record(ex, texts[i]))
            if "bad-label" in breaks and (ds, split) == ("esnli", "valid"):
                rows[1]["label"] = 7
            if "bad-choices" in breaks and (ds, split) == ("cqa", "train"):
                rows[2]["choices"] = rows[2]["choices"][:4]
            if "missing-examples" in breaks and (ds, split) == ("esnli", "valid"):
                pass
            else:
                write_jsonl(os.path.join(d, f"{ds}_{split}.json"), rows)
            if "bad-json-line" in breaks and (ds, split) == ("anli1", "test"):
                with open(os.path.join(d, f"{ds}_{split}.json"), "a") as f:
                    f.write('{"premise": "cut off\n')
            if "no-llm" in breaks:
                continue
            if "short-middle" in breaks and (ds, split) == ("svamp", "train"):
                # 499 + 301: the total is right, the batch boundary is not
                with open(os.path.join(d, "llm", "train_CoT_0.json"), "w") as f:
                    json.dump(texts[:499], f)
                with open(os.path.join(d, "llm", "train_CoT_1.json"), "w") as f:
                    json.dump(texts[499:], f)
                continue
            if "count-mismatch" in breaks and (ds, split) == ("cqa", "test"):
                texts = texts[:-1]
            write_batches(os.path.join(d, "llm"), ds, split, texts)
            if "missing-batch" in breaks and (ds, split) == ("svamp", "train"):
                os.remove(os.path.join(d, "llm", "train_CoT_1.json"))
            if "extra-batch" in breaks and (ds, split) == ("svamp", "test"):
                with open(os.path.join(d, "llm", "test_CoT_1.json"), "w") as f:
                    json.dump(["x", "y", "z"], f)
            if "corrupt-batch" in breaks and (ds, split) == ("anli1", "valid"):
                p = os.path.join(d, "llm", "valid_CoT_0.json")
                with open(p) as f:
                    s = f.read()
                with open(p, "w") as f:
                    f.write(s[:40])
            if "not-array" in breaks and (ds, split) == ("esnli", "test"):
                with open(os.path.join(d, "llm", "test_CoT_0.json"), "w") as f:
                    json.dump({"outputs": texts}, f)
            if "number-in-batch" in breaks and (ds, split) == ("esnli", "train"):
                with open(os.path.join(d, "llm", "train_CoT_0.json"), "w") as f:
                    f.write('["a", 12, "c"]')
    # What a real archive also carries: to be ignored.
    os.makedirs(os.path.join(top, "asdiv", "llm"))
    write_jsonl(os.path.join(top, "asdiv", "asdiv_train.json"), [{"Body": "b", "Question": "q"}])
    with open(os.path.join(top, "asdiv", "llm", "train_CoT_0.json"), "w") as f:
        json.dump(["ignored"], f)
    os.makedirs(os.path.join(top, "gpt-neox", "cqa"))
    with open(os.path.join(top, "gpt-neox", "cqa", "train.json"), "w") as f:
        json.dump(["ignored"], f)
    os.makedirs(os.path.join(root, "__MACOSX", "datasets", "esnli", "llm"))
    for junk in ("._esnli_train.json", "llm/._train_CoT_0.json"):
        with open(os.path.join(root, "__MACOSX", "datasets", "esnli", junk), "wb") as f:
            f.write(b"\0\5\26\7junk")
    return expect


def make_zip(root, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for base in ("datasets", "__MACOSX"):
            for dirpath, dirnames, filenames in os.walk(os.path.join(root, base)):
                dirnames.sort()
                rel = os.path.relpath(dirpath, root)
                z.write(dirpath, rel + "/")
                for fn in sorted(filenames):
                    z.write(os.path.join(dirpath, fn), os.path.join(rel, fn))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", help="directory to build the release in (replaced)")
    ap.add_argument("--zip", help="also pack it into this zip file")
    ap.add_argument("--expect", help="write the expected records here")
    ap.add_argument("--break", dest="breaks", action="append", default=[],
                    choices=BREAKS)
    ap.add_argument("--from-mirror", metavar="DIR",
                    help="build the examples from the upstream files of a dss mirror")
    ap.add_argument("--each-break", action="store_true",
                    help="build DIR/CASE and DIR/CASE.zip for every case of --break")
    ap.add_argument("--perm", type=int, metavar="N",
                    help="print the first N of RandomState(0).permutation(1000) and exit")
    a = ap.parse_args()
    if a.perm:
        print(" ".join(str(x) for x in permutation(0, 1000)[:a.perm]))
        return 0
    if a.each_break:
        os.makedirs(a.dir, exist_ok=True)
        for case in BREAKS:
            d = os.path.join(a.dir, case)
            build(d, {case})
            make_zip(d, d + ".zip")
        return 0
    if a.from_mirror:
        build_from_mirror(a.dir, a.from_mirror)
        expect = []
    else:
        expect = build(a.dir, set(a.breaks))
    if a.zip:
        make_zip(a.dir, a.zip)
    if a.expect:
        write_jsonl(a.expect, expect)
    return 0


if __name__ == "__main__":
    sys.exit(main())
