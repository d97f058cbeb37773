# SPDX-License-Identifier: MIT
# What the dss-teach tests (t03NN-teach-*.sh) share, sourced after
# tests/lib.sh: the fake teacher's path, the Python interpreter, and
# helpers that read records and the fake teacher's statistics, and mkanli,
# which writes anli1 prompt records with each test's own sentences.  Each
# test keeps its own way of running dss-teach.

FAKE="$TOP/tests/servers/fake_teacher.py"
# The interpreter itself, not a version-manager shim that costs a second.
PY=$(python3 -c 'import sys; print(sys.executable)')

# jsonq FILE EXPR: evaluates the Python expression EXPR over R, the list
# of JSON records in FILE, and prints the result (strings bare, else JSON).
jsonq() {
	"$PY" -c 'import json, re, sys
R = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True))' "$1" "$2"
}

# stat FIELD: one figure from the running fake teacher's /stats ($port).
stat() {
	"$PY" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/stats" % sys.argv[1]))[sys.argv[2]])' "$port" "$1"
}

# status_is STATUS NAME: asserts the last run's status $st, showing
# $TMP/err when it differs.
status_is() {
	is "$st" "$1" "$2"
	[ "$st" = "$1" ] || diag "$TMP/err"
}

# nrec: the number of records in $TMP/out.
nrec() {
	wc -l < "$TMP/out" | tr -d ' '
}

# mkanli N PREMISE HYPOTHESIS LABEL TEMPLATE [SYSTEM]: N anli1 prompt
# records, anli1-train-000000 on; each %d in PREMISE and HYPOTHESIS becomes
# the record's number, and SYSTEM, when given, is a first chat turn.
mkanli() {
	awk -v n="$1" -v p="$2" -v h="$3" -v label="$4" -v tpl="$5" -v sys="${6:-}" 'BEGIN {
	for (i = 0; i < n; i++) {
		id = sprintf("anli1-train-%06d", i)
		pi = sprintf(p, i)
		hi = sprintf(h, i)
		pr = sprintf("Premise: %s\\nHypothesis: %s\\nExample %s\\nA:", pi, hi, id)
		sm = sys == "" ? "" : sprintf("{\"role\":\"system\",\"content\":\"%s\"},", sys)
		printf "{\"dataset\":\"anli1\",\"split\":\"train\",\"id\":\"%s\",\"index\":%d,", id, i
		printf "\"input\":\"%s</s>%s\",\"label\":\"%s\",", pi, hi, label
		printf "\"fields\":{\"premise\":\"%s\",\"hypothesis\":\"%s\",\"source_id\":\"u%d\",\"reason\":\"\"},", pi, hi, i
		printf "\"prompt\":\"%s\",\"messages\":[%s{\"role\":\"user\",\"content\":\"%s\"}],", pr, sm, pr
		printf "\"template\":\"%s\",\"style\":\"cot\"}\n", tpl
	}}'
}
