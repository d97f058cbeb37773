# SPDX-License-Identifier: MIT
# Shared helpers for the shell tests (after git's t/test-lib.sh).  Each
# test script sources this, calls its checks, and ends with "done_testing".
# Output is TAP, read by prove.
#
#   ok COND-STATUS NAME          record a result from the last command
#   expect_ok NAME CMD...        CMD must exit 0
#   expect_fail STATUS RE NAME CMD...
#                                CMD must exit STATUS and print a stderr line
#                                matching the extended regex RE
#   is GOT WANT NAME             string equality
#   cmp_file GOT WANT NAME       file equality, with a diff on failure
#   skip REASON                  record a test not run, and why (TAP skip)
#   start_server OUTVAR CMD...   start a loopback server that prints its
#                                port on its first stdout line; it is killed
#                                when the test exits
#   mkcorpus DB SAMPLES          the demo corpus, made and stored in DB
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
# The tools under test: bin/, or bin-asan/ for the sanitizer run.
BIN=${DSS_TEST_BIN:-$TOP/bin}
# ASAN is set when the tools are the ASan+UBSan builds: their memory use
# and their allocation failures are the sanitizer's, not dss's, so tests
# of those skip.
case $BIN in */bin-asan) ASAN=1 ;; *) ASAN= ;; esac
SHARED="$TOP/../shared"
PATH="$BIN:$PATH"
export PATH
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dss-test.XXXXXX")
export DSS_CACHE="$TMP/cache"
unset DSS_MIRROR OPENAI_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY
# Never let a test reach beyond loopback, even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
_n=0
_failed=0
_pids=""

cleanup() {
	for p in $_pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}

skip() {
	_n=$((_n + 1))
	echo "ok $_n # skip $1"
}

diag() {
	sed 's/^/# /' "$@"
}

expect_ok() {
	_name=$1; shift
	if "$@" >"$TMP/out" 2>"$TMP/err"; then
		ok 0 "$_name"
	else
		ok 1 "$_name"
		echo "# exit status $?, stderr:"
		diag "$TMP/err"
	fi
}

expect_fail() {
	_want=$1 _re=$2 _name=$3; shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	_st=$?
	if [ "$_st" -eq "$_want" ] && grep -Eq -- "$_re" "$TMP/err"; then
		ok 0 "$_name"
	else
		ok 1 "$_name"
		echo "# exit status $_st (want $_want), stderr (want /$_re/):"
		diag "$TMP/err"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}

cmp_file() {
	if cmp -s "$1" "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diff -u "$2" "$1" | head -40 | sed 's/^/# /'
	fi
}

start_server() {
	_var=$1; shift
	_fifo="$TMP/server.$$.$_n.port"
	"$@" >"$_fifo" 2>"$TMP/server.$_n.log" &
	_pids="$_pids $!"
	_i=0
	while [ ! -s "$_fifo" ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	_port=$(head -n 1 "$_fifo")
	[ -n "$_port" ] || { echo "Bail out! server did not start: $*"; cat "$TMP/server.$_n.log"; exit 1; }
	eval "$_var=\$_port"
}

# mkcorpus DB SAMPLES: the demo svamp corpus, made in the current
# directory: ex.jsonl (its examples; the test split also in test.jsonl),
# prompts.jsonl, replay.jsonl (SAMPLES right answers for each example),
# pred.jsonl (right predictions of the test split), completions.jsonl
# and triples.jsonl, all stored in the database DB with the nested
# subsets.  Bails out when a step fails.
mkcorpus() {
	_demo="$TOP/datasets/demo/svamp.json"
	dss-fetch --mirror "file://$TOP/datasets/mirror" "$_demo" >ex.jsonl \
	    2>/dev/null &&
	    grep '"split":"test"' ex.jsonl >test.jsonl &&
	    dss-prompt <ex.jsonl >prompts.jsonl 2>/dev/null &&
	    python3 - "$2" <<'EOF' &&
import json, sys
with open("ex.jsonl") as f, open("replay.jsonl", "w") as out:
    for line in f:
        r = json.loads(line)
        for s in range(int(sys.argv[1])):
            out.write(json.dumps({"id": r["id"], "sample": s,
                "completion": "We work it out step by step. The answer is %s." % r["label"]}) + "\n")
with open("test.jsonl") as f, open("pred.jsonl", "w") as out:
    for line in f:
        r = json.loads(line)
        out.write(json.dumps({"id": r["id"], "prediction": r["label"], "method": "m"}) + "\n")
EOF
	    dss-teach --db "$1" --teacher replay:replay.jsonl --samples "$2" \
		--quiet <prompts.jsonl >completions.jsonl &&
	    dss-filter <completions.jsonl >triples.jsonl 2>/dev/null &&
	    dss-store "$1" <ex.jsonl 2>/dev/null &&
	    dss-store "$1" <triples.jsonl 2>/dev/null &&
	    dss-sample --dataset "$_demo" "$1" 2>/dev/null ||
	    { echo "Bail out! cannot make the demo corpus"; exit 1; }
}

done_testing() {
	echo "1..$_n"
	[ $_failed -eq 0 ]
	exit $?
}
