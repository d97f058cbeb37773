#!/bin/sh
# SPDX-License-Identifier: MIT
# A database that cannot be written: the tools that only read it (dss-export,
# dss-stats, dss-eval --gold DB, dss-sample --list, dss-store --merge of a
# shard) read it, whether the
# file is read-only or its directory is (a WAL database there has no -shm
# to make, and SQLite refuses it unless told the file will not change); the
# tools that write it (dss-store, dss-store --merge, dss-teach, dss-sample)
# fail with exit 1, naming the database and no line, and dss-teach before
# it sends a paid request whose answer it could not keep.  Root writes anyway,
# so as root the runs are made as nobody (setpriv), or skipped.
. "$(dirname "$0")/lib.sh"

as=""
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	else
		skip "root without setpriv cannot meet a read-only database"
		done_testing
	fi
fi
cd "$TMP" || exit 1
chmod 755 "$TMP"
# The clone may sit in a directory only root can enter (CI's is mktemp -d,
# mode 0700): give the unprivileged runs a readable copy of the manifests.
cp -R "$TOP/datasets" "$TMP/datasets" && chmod -R a+rX "$TMP/datasets"
DSS_DATASETS="$TMP/datasets"
export DSS_DATASETS
DEMO="$TMP/datasets/demo/svamp.json"
mkcorpus db 1
head -n 5 prompts.jsonl | sed 's/How many/And how many/g' >new-prompts.jsonl
mkdir src merged && cp db src/db && chmod 777 src merged
chmod 644 ./*.jsonl

# runs WHERE: every tool against WHERE/db as the unprivileged user.
runs() {
	_w=$1
	expect_ok "$_w: dss-export reads it" \
	    sh -c "$as '$BIN/dss-export' $_w/db --dataset svamp --split train"
	is "$(wc -l <"$TMP/out" | tr -d ' ')" 1600 "$_w: dss-export writes every record"
	expect_ok "$_w: dss-stats reads it" sh -c "$as '$BIN/dss-stats' $_w/db"
	grep -q "svamp" "$TMP/out"
	ok $? "$_w: dss-stats reports on it"
	expect_ok "$_w: dss-eval reads gold from it" \
	    sh -c "$as '$BIN/dss-eval' --gold $_w/db --split test --pred pred.jsonl"
	rm -f merged/m.db*
	expect_ok "$_w: dss-store --merge reads it as a shard" \
	    sh -c "$as '$BIN/dss-store' --merge merged/m.db $_w/db"
	is "$(sqlite3 merged/m.db 'SELECT count(*) FROM examples')" 1000 \
	    "$_w: dss-store --merge takes its records"
	expect_ok "$_w: dss-sample --list reads it" sh -c "$as '$BIN/dss-sample' --list $_w/db"
	is "$(wc -l <"$TMP/out" | tr -d ' ')" 5 "$_w: dss-sample --list lists its subsets"
	expect_fail 1 "^dss-store: database '[^']*$_w/db': attempt to write a readonly database$" \
	    "$_w: dss-store fails, naming the database" \
	    sh -c "$as '$BIN/dss-store' $_w/db < test.jsonl"
	grep -q "line " "$TMP/err"
	ok $((! $?)) "$_w: dss-store names no line"
	expect_fail 1 "^dss-store: (merging 'src/db': )?database '[^']*$_w/db': attempt to write a readonly database$" \
	    "$_w: dss-store --merge into it fails" \
	    sh -c "$as '$BIN/dss-store' --merge $_w/db src/db"
	rm -f teacher.log
	expect_fail 1 "^dss-teach: database '[^']*$_w/db': attempt to write a readonly database$" \
	    "$_w: dss-teach with new prompts fails" \
	    sh -c "$as '$BIN/dss-teach' --db $_w/db --teacher openai:m --base-url http://127.0.0.1:$port/v1 --quiet < new-prompts.jsonl"
	is "$(cat teacher.log 2>/dev/null | wc -l | tr -d ' ')" 0 "$_w: dss-teach sent nothing it could not keep"
	expect_fail 1 "^dss-sample: database '[^']*$_w/db': attempt to write a readonly database$" \
	    "$_w: dss-sample fails" sh -c "$as '$BIN/dss-sample' --dataset '$DEMO' --seed 9 $_w/db"
	is "$(sqlite3 -readonly "file:$_w/db?immutable=1" 'SELECT count(*) FROM subsets')" 5 \
	    "$_w: nothing was written"
}

start_server port python3 "$TOP/tests/servers/fake_teacher.py" --lifetime 120 \
    --log "$TMP/teacher.log"

# The file read-only, in a directory where -wal and -shm can be made.
mkdir rofile && cp db rofile/db && chmod 444 rofile/db && chmod 777 rofile
runs rofile
# The directory read-only: no -shm can be made.
mkdir rodir && cp db rodir/db && chmod 444 rodir/db && chmod 555 rodir
runs rodir
chmod 755 rodir rofile
done_testing
