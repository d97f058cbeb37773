#!/bin/sh
# SPDX-License-Identifier: MIT
# Input records, the same way in every tool (dss(7), "Input records"):
# bad JSON Lines into dss-store, dss-prompt, dss-teach, dss-filter and
# dss-import -- a line that starts with a NUL byte, garbage after the
# object, \u0000, invalid UTF-8, a lone surrogate, a byte-order mark past
# the first line, a line over the 64 MiB limit, a field given twice
# (readers would take one or the other: Python's json the last) -- each
# named by its true line number (and field), with each tool's policy for
# what comes after;
# a byte-order mark at the start is dropped; and every tool given the
# wrong stage's records says which step makes the ones it reads.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS

# ---- fixtures: three anli1 examples, their prompts, completions, triples ----
python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/ex.jsonl", "w") as ex, open(d + "/rec.jsonl", "w") as rec:
    for i in range(3):
        p = "The river town %d has a bridge." % i
        h = "Town %d has no bridge." % i
        ex.write(json.dumps({"dataset": "anli1", "split": "train",
            "id": "anli1-train-%06d" % i, "index": i, "input": p + "</s>" + h,
            "label": "contradiction", "fields": {"premise": p, "hypothesis": h,
            "source_id": "t%d" % i, "reason": ""}}) + "\n")
        rec.write(json.dumps({"id": "anli1-train-%06d" % i, "completion":
            "The town has a bridge. So the answer is contradiction."}) + "\n")
PY
dss-prompt <"$TMP/ex.jsonl" >"$TMP/pr.jsonl" 2>"$TMP/err"
ok $? "fixture: prompts"
teach() {
	dss-teach --db "$TMP/t.db" --teacher "replay:$TMP/rec.jsonl" --quiet "$@"
}
teach <"$TMP/pr.jsonl" >"$TMP/co.jsonl" 2>"$TMP/err"
ok $? "fixture: completions"
dss-filter --agree none <"$TMP/co.jsonl" >"$TMP/tr.jsonl" 2>"$TMP/err"
ok $? "fixture: triples"
for f in ex pr co tr; do
	is "$(wc -l <"$TMP/$f.jsonl" | tr -d ' ')" 3 "fixture: three records in $f.jsonl"
done

# mkbad KIND IN OUT: IN with its second line made bad in the way KIND says.
mkbad() {
	python3 - "$1" "$2" "$3" <<'PY'
import re, sys
kind, src, dst = sys.argv[1:]
lines = open(src, "rb").read().split(b"\n")[:3]
bad = lines[1]
def into_input(text):
    return re.sub(rb'"input": ?"', lambda m: m.group(0) + text, bad, count=1)
if kind == "nul":
    bad = b"\0" + bad
elif kind == "garbage":
    bad = bad + b" {}"
elif kind == "u0000":
    bad = into_input(b"\\u0000")
elif kind == "utf8":
    bad = into_input(b"caf\xc3\xa9 \xff")
elif kind == "overlong":
    bad = into_input(b"\xc0\xaf")
elif kind == "surrogate":
    bad = into_input(b"\\ud800")
elif kind == "bom":
    bad = b"\xef\xbb\xbf" + bad
elif kind == "dupkey":
    bad = bad[:-1] + b', "input": "another"}'
elif kind == "dupkeyesc":
    bad = bad[:-1] + b', "\\u0069nput": "another"}'
elif kind == "long":
    bad = b'{"input": "' + b"x" * (64 << 20) + b'"}'
assert bad != lines[1]
open(dst, "wb").write(b"\n".join([lines[0], bad, lines[2]]) + b"\n")
PY
}

# The message for each kind, after "line 2: ".
want_nul="invalid JSON near byte 0"
want_garbage="invalid JSON near byte [0-9]+"
want_u0000="field 'input' holds a NUL character \(\\\\u0000 at byte [0-9]+\)"
want_utf8="field 'input' is not valid UTF-8 \(byte 0xff at byte [0-9]+\)"
want_overlong="field 'input' is not valid UTF-8 \(byte 0xc0 at byte [0-9]+\)"
want_surrogate="field 'input' holds a lone surrogate \(\\\\ud800 at byte [0-9]+\)"
want_bom="a byte-order mark \(U\+FEFF\) at byte 0 where JSON should start"
want_long="longer than 67108864 bytes"
want_dupkey="field 'input' is given twice"
want_dupkeyesc="field 'input' is given twice"

nout() {
	wc -l <"$TMP/out" | tr -d ' '
}

for kind in nul garbage u0000 utf8 overlong surrogate bom long dupkey dupkeyesc; do
	eval "want=\$want_$kind"
	mkbad "$kind" "$TMP/ex.jsonl" "$TMP/bad-ex.jsonl"
	mkbad "$kind" "$TMP/pr.jsonl" "$TMP/bad-pr.jsonl"
	mkbad "$kind" "$TMP/co.jsonl" "$TMP/bad-co.jsonl"

	# dss-store: the batch is rolled back and the run stops.
	rm -f "$TMP/s.db"
	expect_fail 1 "^dss-store: line 2: $want$" "$kind: dss-store names line 2" \
	    sh -c "dss-store '$TMP/s.db' < '$TMP/bad-ex.jsonl'"
	is "$(sqlite3 "$TMP/s.db" 'SELECT count(*) FROM examples')" 0 \
	    "$kind: dss-store rolls the batch back"

	# dss-prompt: stops there, after writing what came before.
	expect_fail 1 "^dss-prompt: line 2: $want$" "$kind: dss-prompt names line 2" \
	    sh -c "dss-prompt < '$TMP/bad-ex.jsonl'"
	is "$(nout)" 1 "$kind: dss-prompt wrote line 1 and stopped"

	# dss-teach: skips the line, counts and reports it, reads on, exit 1.
	expect_fail 1 "^dss-teach: line 2: $want$" "$kind: dss-teach names line 2" \
	    sh -c "dss-teach --db '$TMP/t.db' --teacher 'replay:$TMP/rec.jsonl' \
	    --quiet < '$TMP/bad-pr.jsonl'"
	grep -q '^dss-teach: 1 record skipped$' "$TMP/err"
	ok $? "$kind: dss-teach counts the skipped record"
	is "$(python3 -c 'import json, sys
print(" ".join(json.loads(l)["id"][-1] for l in open(sys.argv[1])))' "$TMP/out")" \
	    "0 2" "$kind: dss-teach answered lines 1 and 3"

	# dss-filter: stops there, after writing what came before.
	expect_fail 1 "^dss-filter: line 2: $want$" "$kind: dss-filter names line 2" \
	    dss-filter --agree none "$TMP/bad-co.jsonl"
	is "$(nout)" 1 "$kind: dss-filter wrote what it kept before line 2"
	grep -q '^dss-filter: read [12], kept 1,' "$TMP/err"
	ok $? "$kind: dss-filter's summary counts what it wrote"
done
rm -f "$TMP/bad-ex.jsonl" "$TMP/bad-pr.jsonl" "$TMP/bad-co.jsonl"

# ---- a byte-order mark at the very start is dropped, everywhere ----
bom() {
	printf '\357\273\277' >"$TMP/bom-$1"
	cat "$TMP/$1" >>"$TMP/bom-$1"
}
for f in ex.jsonl pr.jsonl co.jsonl; do bom "$f"; done
rm -f "$TMP/s.db"
expect_ok "a first byte-order mark: dss-store" \
    sh -c "dss-store '$TMP/s.db' < '$TMP/bom-ex.jsonl'"
is "$(sqlite3 "$TMP/s.db" "SELECT count(*) FROM examples WHERE record LIKE '{%'")" 3 \
    "  the stored record text starts at the brace"
dss-prompt <"$TMP/bom-ex.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "a first byte-order mark: dss-prompt"
cmp_file "$TMP/out" "$TMP/pr.jsonl" "  the same prompts"
teach <"$TMP/bom-pr.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "a first byte-order mark: dss-teach"
is "$(nout)" 3 "  three completions"
dss-filter --agree none <"$TMP/bom-co.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "a first byte-order mark: dss-filter"
cmp_file "$TMP/out" "$TMP/tr.jsonl" "  the same triples"

# ---- what reads cleanly is stored readable by Python's sqlite3 ----
printf '%s\n' '{"dataset":"anli1","split":"train","id":"anli1-train-000009","index":9,"input":"caf\u00e9 \ud83d\ude00 na\u00efve","label":"neutral","fields":{}}' |
    dss-store "$TMP/s.db" 2>"$TMP/err"
ok $? "escapes of UTF-8 and a surrogate pair are taken"
python3 -c 'import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT input, record FROM examples").fetchall()
assert any(r[0] == "caf\u00e9 \U0001f600 na\u00efve" for r in rows), rows' "$TMP/s.db" 2>"$TMP/err"
ok $? "  and read back whole by Python's sqlite3"
diag "$TMP/err"

# ---- record types: the wrong stage's records name the step first ----
expect_fail 1 "^dss-prompt: line 1: a completion record; dss-prompt reads example records, which dss-fetch or dss-import write$" \
    "dss-prompt < completions" sh -c "dss-prompt < '$TMP/co.jsonl'"
is "$(nout)" 0 "  writes nothing"
expect_fail 1 "^dss-prompt: line 1: a triple record; dss-prompt reads example records, which dss-fetch or dss-import write$" \
    "dss-prompt < triples" sh -c "dss-prompt < '$TMP/tr.jsonl'"
dss-prompt <"$TMP/pr.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "dss-prompt < prompts renders them anew"
cmp_file "$TMP/out" "$TMP/pr.jsonl" "  to the same prompts"

expect_fail 1 "^dss-teach: line 1: an example record; dss-teach reads prompt records: run dss-prompt first$" \
    "dss-teach replay: < examples" sh -c "dss-teach --db '$TMP/t2.db' \
    --teacher 'replay:$TMP/rec.jsonl' < '$TMP/ex.jsonl'"
is "$(nout)" 0 "  writes nothing"
is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "  one message"
expect_fail 1 "^dss-teach: line 1: an example record; dss-teach reads prompt records: run dss-prompt first$" \
    "dss-teach openai: < examples" sh -c "dss-teach --db '$TMP/t2.db' \
    --teacher openai:m --base-url http://127.0.0.1:9/v1 --quiet < '$TMP/ex.jsonl'"
is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "  one message, nothing sent"
expect_fail 1 "^dss-teach: line 1: a completion record; dss-teach reads prompt records, which dss-prompt writes$" \
    "dss-teach < completions" sh -c "dss-teach --db '$TMP/t2.db' \
    --teacher 'replay:$TMP/rec.jsonl' < '$TMP/co.jsonl'"
{ head -n 1 "$TMP/pr.jsonl"; sed -n 2p "$TMP/ex.jsonl"; sed -n 3p "$TMP/pr.jsonl"; } >"$TMP/mixed.jsonl"
expect_fail 1 "^dss-teach: line 2: an example record; dss-teach reads prompt records: run dss-prompt first; reading stopped there$" \
    "dss-teach: an example after a prompt stops the reading" \
    sh -c "dss-teach --db '$TMP/t2.db' --teacher 'replay:$TMP/rec.jsonl' \
    --quiet < '$TMP/mixed.jsonl'"
is "$(nout)" 1 "  the prompt before it is answered"

expect_fail 1 "^dss-filter: line 1: a prompt record; dss-filter reads completion records: run dss-teach first$" \
    "dss-filter < prompts" dss-filter "$TMP/pr.jsonl"
expect_fail 1 "^dss-filter: line 1: a triple record; dss-filter reads completion records, which dss-teach or dss-import write$" \
    "dss-filter < triples" dss-filter "$TMP/tr.jsonl"
expect_ok "dss-filter < examples passes over them" dss-filter "$TMP/ex.jsonl"
is "$(cat "$TMP/err")" "dss-filter: read 0, kept 0, rejected 0 (no_answer 0, truncated 0, disagree 0, ambiguous 0, tie 0, empty_rationale 0); passed over 3 example records" \
    "  and counts them"
cat "$TMP/ex.jsonl" "$TMP/co.jsonl" >"$TMP/exco.jsonl"
dss-filter --agree none <"$TMP/exco.jsonl" >"$TMP/out" 2>"$TMP/err"
ok $? "dss-filter < examples and completions"
cmp_file "$TMP/out" "$TMP/tr.jsonl" "  keeps the completions' triples"

# dss-import datasets.zip | dss-filter, the obvious pipe.
python3 "$TOP/tests/make-release.py" "$TMP/rel" --zip "$TMP/rel.zip" \
    >/dev/null 2>&1 || { echo "Bail out! cannot build the test release"; exit 1; }
dss-import --dataset esnli "$TMP/rel.zip" 2>"$TMP/err" |
    dss-filter >"$TMP/out" 2>"$TMP/ferr"
ok $? "dss-import datasets.zip | dss-filter"
diag "$TMP/ferr"
grep -q '^dss-filter: read 14, kept [0-9]*, .*; passed over 14 example records$' "$TMP/ferr"
ok $? "  reads the 14 completions, passes over the 14 examples"

# ---- dss-import: a NUL-first line is an error, not a shifted index ----
cp -R "$TMP/rel" "$TMP/rel2"
python3 - "$TMP/rel2/datasets/anli1/anli1_train.json" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
lines[1] = b"\0" + lines[1]
open(p, "wb").write(b"\n".join(lines))
PY
expect_fail 1 "^dss-import: 'datasets/anli1/anli1_train.json': line 2: invalid JSON near byte 0$" \
    "dss-import: a line that starts with NUL is named" \
    dss-import --examples-only --dataset anli1 --split train "$TMP/rel2"
is "$(nout)" 0 "  and nothing is written"

# ---- teacher text is repaired, counted, never cut short ----
# The official release's completions: a byte that is not UTF-8.
cp -R "$TMP/rel" "$TMP/rel3"
python3 - "$TMP/rel3/datasets/anli1/llm/train_CoT_0.json" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.index(b'"', 1) + 1
open(p, "wb").write(b[:i] + b"\xff\\u0000" + b[i:])
PY
dss-import --completions-only --dataset anli1 --split train "$TMP/rel3" \
    >"$TMP/out" 2>"$TMP/err"
ok $? "dss-import: a completion with a bad byte and \\u0000 is taken"
is "$(cat "$TMP/err")" "dss-import: 1 completion held text that is not valid UTF-8 (or \\u0000, or a lone surrogate): replaced with U+FFFD" \
    "  and counted"
python3 -c 'import json, sys
c = json.loads(open(sys.argv[1]).readline())["completion"]
sys.exit(0 if c.startswith("\ufffd\ufffd") and len(c) > 10 else 1)' "$TMP/out"
ok $? "  as two U+FFFD, the rest kept"

# A live teacher's response: \u0000, a lone surrogate and a stray byte.
cat >"$TMP/server.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
BODY = (b'{"id":"x","object":"chat.completion","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"A\\u0000B \\ud800 C\xff D. '
        b'So the answer is contradiction."},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":5,"completion_tokens":7}}')
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
s = HTTPServer(("127.0.0.1", 0), H)
s.timeout = 30
print(s.server_address[1], flush=True)
for _ in range(20):
    s.handle_request()
PY
start_server port python3 "$TMP/server.py"
head -n 1 "$TMP/pr.jsonl" >"$TMP/one.jsonl"
dss-teach --db "$TMP/live.db" --teacher openai:m \
    --base-url "http://127.0.0.1:$port/v1" --quiet <"$TMP/one.jsonl" \
    >"$TMP/out" 2>"$TMP/err"
ok $? "a response with bad text is answered"
diag "$TMP/err"
is "$(cat "$TMP/err")" "dss-teach: 1 response held text that is not valid UTF-8 (or \\u0000, or a lone surrogate): replaced with U+FFFD" \
    "  and counted"
is "$(python3 -c 'import json, sys
print(json.loads(open(sys.argv[1]).readline())["completion"])' "$TMP/out")" \
    "$(printf 'A\357\277\275B \357\277\275 C\357\277\275 D. So the answer is contradiction.')" \
    "  U+FFFD for each, nothing cut"
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
c, r = db.execute("SELECT completion, response FROM teach_cache").fetchone()
assert c.endswith("contradiction.") and "\\ufffd" in r, (c, r)' "$TMP/live.db" 2>"$TMP/err"
ok $? "  the cache row reads back in Python's sqlite3"
diag "$TMP/err"

done_testing
