#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-eval on SVAMP equations, prediction by prediction, against
# independent references in Python: the official rule against Python's
# own eval() (as the official code scores: a failure is never equal,
# values equal exactly), the folded rule against a restatement with the
# ast module (+ - * / only, thousands separators, tolerance 1e-6 of
# max(1, |gold|), leading zeros and white space anywhere allowed).
# Hand-picked edge cases and 400 random expressions, each prediction a
# group of its own.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
cd "$TMP" || exit 1

cat >make.py <<'PY'
import json, random
rng = random.Random(11)
edge = [
    ("( 84.0 / 2.0 )", "( 84.0 / 2.0 )"), ("84 / 2", "( 84.0 / 2.0 )"),
    ("42", "( 84.0 / 2.0 )"), ("0.3", "( 0.1 + 0.2 )"), ("0.1+0.2", "( 0.1 + 0.2 )"),
    ("1,234", "( 1000.0 + 234.0 )"), ("1234", "( 1000.0 + 234.0 )"),
    ("1_234", "( 1000.0 + 234.0 )"), ("05", "5"), ("5.", "5"), (".5", "0.5"),
    ("2**3", "8"), ("2 ** -1", "0.5"), ("-2**2", "-4"), ("(-2)**2", "4"),
    ("2**3**2", "512"), ("7//2", "3"), ("-7//2", "-4"), ("7.5 // 2", "3"),
    ("-7 % 3", "2"), ("7 % -3", "-2"), ("5 % 0", "5"), ("5 // 0", "5"),
    ("1 / 0", "1"), ("0 ** -1", "0"), ("1e3", "1000"), ("1E-3", "0.001"),
    ("1e", "1"), ("(1\n+ 2)", "3"), ("1\n+ 2", "3"), (" 3 ", "3"), ("\n3\n", "3"),
    ("The answer is 3", "3"), ("3 apples", "3"), ("(3", "3"), ("3)", "3"),
    ("", "3"), ("--3", "3"), ("+3", "3"), ("3 + + 3", "6"), ("1__0", "10"),
    ("10_", "10"), ("3.0000001", "3"), ("1000000.5", "1000000"),
    ("( 12.0 - ( 3.0 * 2.0 ) )", "6"), ("(((((6)))))", "6"), ("6 *", "6"),
    ("0.30000000000000004", "( 0.1 + 0.2 )"), ("1.0", "1"), ("2 ** 0.5", "1.4142135623730951"),
]
ops = ["+", "-", "*", "/", "//", "%", "**"]
def num():
    r = rng.random()
    if r < 0.6:
        return str(rng.randint(0, 60))
    if r < 0.9:
        return "%d.%d" % (rng.randint(0, 60), rng.randint(0, 99))
    return "1,%03d" % rng.randint(0, 999)
def expr(d):
    if d == 0 or rng.random() < 0.3:
        s = num()
    else:
        op = rng.choice(ops)
        left, right = expr(d - 1), expr(d - 1)
        if op == "**":
            left, right = str(rng.randint(0, 4)), rng.choice(["2", "3", "-1", "0.5"])
        s = left + rng.choice([" ", ""]) + op + rng.choice([" ", ""]) + right
    if rng.random() < 0.2:
        s = "-" + s if rng.random() < 0.5 else "( " + s + " )"
    return s
cases = list(edge)
for _ in range(400):
    e = expr(3)
    try:
        v = eval(e)
        gold = repr(float(v)) if rng.random() < 0.6 else expr(2)
    except Exception:
        gold = expr(2)
    cases.append((e, gold))
with open("gold.jsonl", "w") as g, open("pred.jsonl", "w") as p:
    for i, (pred, gold) in enumerate(cases):
        g.write(json.dumps({"dataset": "svamp", "split": "test", "id": "q%d" % i,
                            "index": i, "input": "x", "label": gold, "fields": {}}) + "\n")
        p.write(json.dumps({"id": "q%d" % i, "prediction": pred, "method": "m%d" % i}) + "\n")
json.dump(cases, open("cases.json", "w"))
PY
python3 make.py
ok $? "$(python3 -c 'import json; print(len(json.load(open("cases.json"))))') cases"

dss-eval --gold gold.jsonl --pred pred.jsonl --json --partial >out.json 2>err
ok $? "dss-eval scores them"
is "$(grep -c 'no prediction (first' err)" 10 "ten groups are warned of one by one"
is "$(tail -n 1 err)" "dss-eval: and 440 more groups without a prediction for some gold examples" \
    "  the rest in one line"

cat >check.py <<'PY'
import ast, json, math, operator, re, sys
cases = json.load(open("cases.json"))
got = {int(r["method"][1:]): r for r in map(json.loads, open("out.json"))}

def official(s):
    """The official code: eval(), a failure never equal."""
    try:
        v = eval(s, {"__builtins__": {}}, {})
    except Exception:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None          # tuples, complex numbers
    v = float(v)
    return v if math.isfinite(v) else None

SEP = re.compile(r"(?<![\d,.])(\d{1,3}(?:,\d{3})+)(?![\d,])")
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
       ast.Div: operator.truediv}
def folded(s):
    # lib/expr reads "05" as 5 and any white space as a blank
    s = re.sub(r"[\t\n\r]", " ", s.strip(" \t\n\r\f\v"))
    s = SEP.sub(lambda m: m.group(1).replace(",", ""), s)
    s = re.sub(r"(?<![\d.,])0+(?=\d)", "", s)
    if re.search(r"[,_eE]", s):
        return None
    def ev(n):
        if isinstance(n, ast.Constant) and type(n.value) in (int, float):
            return float(n.value)
        if isinstance(n, ast.BinOp) and type(n.op) in OPS:
            return OPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            return -ev(n.operand) if isinstance(n.op, ast.USub) else ev(n.operand)
        raise ValueError
    try:
        v = ev(ast.parse(s, mode="eval").body)
    except Exception:
        return None
    return v if math.isfinite(v) else None

bad = 0
for i, (pred, gold) in enumerate(cases):
    r = got[i]
    o, og = official(pred), official(gold)
    want_o = o is not None and og is not None and o == og
    f, fg = folded(pred), folded(gold)
    want_f = f is not None and fg is not None and abs(f - fg) <= 1e-6 * max(1.0, abs(fg))
    have_o = r["official_accuracy"] == 1
    have_f = r["folded_accuracy"] == 1
    if (have_o, have_f, r["unparsable"]) != (want_o, want_f, int(f is None)):
        bad += 1
        print("# %r against %r: official %s (python %s), folded %s (ast %s), unparsable %d (want %d)"
              % (pred, gold, have_o, want_o, have_f, want_f, r["unparsable"], f is None))
print("mismatches %d of %d" % (bad, len(cases)))
PY
python3 check.py >result 2>&1
is "$(tail -n 1 result)" "mismatches 0 of $(python3 -c 'import json; print(len(json.load(open("cases.json"))))')" \
    "every verdict is Python's"
grep '^#' result | head -20

# The official rule's unparsable count is eval()'s failures.
dss-eval --gold gold.jsonl --pred pred.jsonl --json --official --partial >off.json 2>/dev/null
python3 - <<'PY' >result2 2>&1
import json, math
cases = json.load(open("cases.json"))
rows = {int(r["method"][1:]): r for r in map(json.loads, open("off.json"))}
def fails(s):
    try:
        v = eval(s, {"__builtins__": {}}, {})
    except Exception:
        return True
    return isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v))
bad = [c for i, c in enumerate(cases) if rows[i]["unparsable"] != int(fails(c[0]))]
print("mismatches %d" % len(bad), bad[:5])
PY
is "$(cat result2)" "mismatches 0 []" "--official: unparsable where eval() fails"
done_testing
