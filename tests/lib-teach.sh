# SPDX-License-Identifier: MIT
# What the dss-teach tests (t03NN-teach-*.sh) share, sourced after
# tests/lib.sh: the fake teacher's path, the Python interpreter, and
# helpers that read records and the fake teacher's statistics, and
# mkprompts (mkanli for anli1), which write prompt records with each
# test's own sentences.  Each
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

# mkprompts N DATASET TEMPLATE LABEL INPUT FIELDS PROMPT [SYSTEM]: N prompt
# records of DATASET, DATASET-train-000000 on, every one labelled LABEL.
# In INPUT, FIELDS (the members of "fields", as JSON text) and PROMPT,
# each %id becomes the record's id and each %d its number; INPUT and
# PROMPT are the insides of JSON strings (a newline is \\n).  SYSTEM,
# when given, is a first chat turn.
mkprompts() {
	MK_DS=$2 MK_TPL=$3 MK_LABEL=$4 MK_IN=$5 MK_FIELDS=$6 MK_PR=$7 \
	MK_SYS=${8:-} awk -v n="$1" '
	function fill(s, i, id) {
		gsub(/%id/, id, s)
		gsub(/%d/, i, s)
		return s
	}
	BEGIN {
	ds = ENVIRON["MK_DS"]
	sys = ENVIRON["MK_SYS"]
	sm = sys == "" ? "" : sprintf("{\"role\":\"system\",\"content\":\"%s\"},", sys)
	for (i = 0; i < n; i++) {
		id = sprintf("%s-train-%06d", ds, i)
		pr = fill(ENVIRON["MK_PR"], i, id)
		printf "{\"dataset\":\"%s\",\"split\":\"train\",\"id\":\"%s\",\"index\":%d,", ds, id, i
		printf "\"input\":\"%s\",\"label\":\"%s\",", fill(ENVIRON["MK_IN"], i, id), ENVIRON["MK_LABEL"]
		printf "\"fields\":{%s},", fill(ENVIRON["MK_FIELDS"], i, id)
		printf "\"prompt\":\"%s\",\"messages\":[%s{\"role\":\"user\",\"content\":\"%s\"}],", pr, sm, pr
		printf "\"template\":\"%s\",\"style\":\"cot\"}\n", ENVIRON["MK_TPL"]
	}}'
}

# mkanli N PREMISE HYPOTHESIS LABEL TEMPLATE [SYSTEM]: N anli1 prompt
# records (mkprompts) with each test's own sentences, in which %d is the
# record's number.
mkanli() {
	mkprompts "$1" anli1 "$5" "$4" "$2</s>$3" \
	    "\"premise\":\"$2\",\"hypothesis\":\"$3\",\"source_id\":\"u%d\",\"reason\":\"\"" \
	    "Premise: $2\\nHypothesis: $3\\nExample %id\\nA:" "${6:-}"
}
