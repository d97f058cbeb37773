#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Checks that JSON Lines files have the shape the Hugging Face datasets
# JSON loader needs to build one Arrow table from them, Python 3 stdlib
# only: every line is a JSON object, every record has the same keys, and
# every key holds values of one JSON type across the file (null is a type
# of its own, and an integer is not a string), looking into arrays and
# objects the same way (the items of an array are of one type; objects at
# one path have the same keys).
#
#   hf_shape.py FILE...   exit 1, naming the file, line and path, if not
import json
import sys


def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def walk(v, path, seen, where, errs):
    k = kind(v)
    if path in seen and seen[path][0] != k:
        errs.append(f"{where}: {path} is {k}, but {seen[path][0]} at {seen[path][1]}")
        return
    seen.setdefault(path, (k, where))
    if k == "object":
        keys = sorted(v)
        kp = path + "{}"
        if kp in seen and seen[kp][0] != keys:
            errs.append(f"{where}: {path} has keys {keys}, but {seen[kp][0]} at {seen[kp][1]}")
            return
        seen.setdefault(kp, (keys, where))
        for key in keys:
            walk(v[key], f"{path}.{key}", seen, where, errs)
    elif k == "array":
        for x in v:
            walk(x, path + "[]", seen, where, errs)


def main(paths):
    bad = 0
    for p in paths:
        seen, errs, n = {}, [], 0
        with open(p, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                where = f"line {i}"
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    errs.append(f"{where}: invalid JSON: {e}")
                    continue
                if not isinstance(rec, dict):
                    errs.append(f"{where}: not a JSON object")
                    continue
                n += 1
                walk(rec, "$", seen, where, errs)
        if n == 0:
            errs.append("no records")
        for e in errs[:10]:
            print(f"{p}: {e}", file=sys.stderr)
        bad |= bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    if not sys.argv[1:]:
        print("usage: hf_shape.py FILE...", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
