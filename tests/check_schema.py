#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A small JSON Schema (draft 2020-12) checker for the tests, Python 3
# stdlib only, covering the subset of keywords the schemas in schemas/
# use: type, required, properties, additionalProperties, items, enum,
# pattern and minimum (annotations such as title and description are
# ignored).  It validates JSON Lines records against one schema:
#
#   check_schema.py SCHEMA [FILE...]   validate each record (stdin if no
#                                      FILE); exit 1 if any is invalid
#   check_schema.py --lint SCHEMA...   exit 1 if a schema uses a keyword
#                                      this checker does not implement
#
# Each problem is printed on stderr as "FILE: line N: PATH: message", with
# PATH like $.fields.choices[2].
import json
import re
import sys

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KEYWORDS = {"type", "required", "properties", "additionalProperties", "items",
            "enum", "pattern", "minimum"}
ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "examples"}


def is_type(v, t):
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "null":
        return v is None
    if isinstance(v, bool):
        return False
    if t == "number":
        return isinstance(v, (int, float))
    if t == "integer":
        return isinstance(v, int) or (isinstance(v, float) and v.is_integer())
    raise ValueError(f"unknown type '{t}'")


def same(a, b):
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def show(v):
    return json.dumps(v, ensure_ascii=False)[:60]


def validate(s, v, path, errs):
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in types):
            errs.append(f"{path}: {show(v)} is not of type {' or '.join(types)}")
            return
    if "enum" in s and not any(same(v, e) for e in s["enum"]):
        errs.append(f"{path}: {show(v)} is not one of "
                    f"{', '.join(show(e) for e in s['enum'])}")
    if isinstance(v, str) and "pattern" in s and not re.search(s["pattern"], v):
        errs.append(f"{path}: {show(v)} does not match '{s['pattern']}'")
    if (isinstance(v, (int, float)) and not isinstance(v, bool) and
            "minimum" in s and v < s["minimum"]):
        errs.append(f"{path}: {show(v)} is less than {s['minimum']}")
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: field '{k}' is missing")
        props = s.get("properties", {})
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            if k in props:
                validate(props[k], x, f"{path}.{k}", errs)
            elif extra is False:
                errs.append(f"{path}: field '{k}' is not allowed")
            elif isinstance(extra, dict):
                validate(extra, x, f"{path}.{k}", errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            validate(s["items"], x, f"{path}[{i}]", errs)


def lint(s, path, errs):
    """Keywords this checker would silently ignore make the check a lie."""
    if not isinstance(s, dict):
        errs.append(f"{path}: a schema must be an object")
        return
    for k, x in s.items():
        if k in ANNOTATIONS:
            continue
        if k not in KEYWORDS:
            errs.append(f"{path}: keyword '{k}' is not supported")
        elif k == "properties":
            for name, sub in x.items():
                lint(sub, f"{path}.properties.{name}", errs)
        elif k in ("items", "additionalProperties") and not isinstance(x, bool):
            lint(x, f"{path}.{k}", errs)
        elif k == "pattern":
            try:
                re.compile(x)
            except re.error as e:
                errs.append(f"{path}: bad pattern: {e}")
        elif k == "type":
            for t in x if isinstance(x, list) else [x]:
                try:
                    is_type(None, t)
                except ValueError as e:
                    errs.append(f"{path}: {e}")


def load(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--lint":
        bad = 0
        for p in argv[1:]:
            s = load(p)
            errs = []
            if s.get("$schema") != DRAFT:
                errs.append(f"$: '$schema' is not {DRAFT}")
            lint(s, "$", errs)
            for e in errs:
                print(f"{p}: {e}", file=sys.stderr)
            bad |= bool(errs)
        return 1 if bad else 0
    if not argv or argv[0].startswith("-"):
        print("usage: check_schema.py SCHEMA [FILE...] | --lint SCHEMA...",
              file=sys.stderr)
        return 2
    schema = load(argv[0])
    bad = 0
    for name in argv[1:] or ["-"]:
        f = sys.stdin if name == "-" else open(name)
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                print(f"{name}: line {n}: invalid JSON: {e}", file=sys.stderr)
                bad = 1
                continue
            errs = []
            validate(schema, rec, "$", errs)
            for e in errs:
                print(f"{name}: line {n}: {e}", file=sys.stderr)
            bad |= bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
