#!/bin/sh
# SPDX-License-Identifier: MIT
# The promises written down do not drift from the tests that prove them:
# README.md's "Guarantees" and dss(7)'s GUARANTEES name tests as a test
# file (`tNNNN-name.sh`, .Pa tNNNN-name.sh) followed by the descriptions
# of checks in it (“...”, .Dq ...).  Every file named must exist in
# tests/, every description must be found in that file, every promise in
# README.md must name at least one test, and the two documents must name
# the same checks.
. "$(dirname "$0")/lib.sh"

python3 - "$TOP" >"$TMP/report" 2>&1 <<'EOF'
import os, re, sys
top = sys.argv[1]
n = 0
def ok(cond, name, why=""):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond and why:
        print("# " + why)

readme = open(os.path.join(top, "README.md"), encoding="utf-8").read()
parts = readme.split("\n## Guarantees\n", 1)
ok(len(parts) == 2, "README.md has a section 'Guarantees'")
sec = parts[1].split("\n## ", 1)[0] if len(parts) == 2 else ""

def md_pairs(text):
    out, cur = [], None
    for m in re.finditer(r"`(t\d{4}-[a-z0-9-]+\.sh)`|\u201c([^\u201d]+)\u201d", text):
        if m.group(1):
            cur = m.group(1)
        else:
            out.append((cur, " ".join(m.group(2).split())))
    return out

man = open(os.path.join(top, "man", "dss.7"), encoding="utf-8").read()
mparts = man.split("\n.Sh GUARANTEES\n", 1)
ok(len(mparts) == 2, "dss(7) has a section GUARANTEES")
msec = mparts[1].split("\n.Sh ", 1)[0] if len(mparts) == 2 else ""

def mdoc_pairs(text):
    out, cur = [], None
    for line in text.split("\n"):
        words = line.split()
        if not words:
            continue
        if words[0] == ".Pa" and len(words) > 1 and re.match(r"t\d{4}-[a-z0-9-]+\.sh$", words[1]):
            cur = words[1]
        elif words[0] == ".Dq":
            while len(words) > 1 and words[-1] in (",", ";", ".", ":", ")", "("):
                words.pop()
            text = " ".join(words[1:]).replace("\\-", "-").replace("\\&", "")
            out.append((cur, text))
    return out

for name, pairs in (("README.md", md_pairs(sec)), ("dss(7)", mdoc_pairs(msec))):
    ok(len(pairs) >= 20, "%s names at least 20 checks (%d)" % (name, len(pairs)))
    files = {}
    for f, d in pairs:
        if f is None:
            ok(False, "%s: %s follows a test file" % (name, d))
            continue
        if f not in files:
            p = os.path.join(top, "tests", f)
            files[f] = open(p, encoding="utf-8").read() if os.path.exists(p) else None
            ok(files[f] is not None, "%s: tests/%s exists" % (name, f))
        if files[f] is not None:
            ok(d in files[f], "%s: %s holds \u201c%s\u201d" % (name, f, d))

# every promise of README.md names a test
for b in re.split(r"\n- ", sec)[1:]:
    title = re.match(r"\*\*([^*]+)\*\*", b)
    if title:
        ok(re.search(r"`t\d{4}-[a-z0-9-]+\.sh`", b) is not None,
           "README.md: '%s' names a test" % title.group(1))
a, b = set(md_pairs(sec)), set(mdoc_pairs(msec))
ok(a == b, "README.md and dss(7) name the same checks",
   "only in README.md: %s; only in dss(7): %s" % (sorted(a - b)[:3], sorted(b - a)[:3]))
print("1..%d" % n)
EOF
cat "$TMP/report"
grep -q "^not ok" "$TMP/report" && exit 1
exit 0
