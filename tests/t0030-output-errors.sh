#!/bin/sh
# SPDX-License-Identifier: MIT
# A failed write of the records is said once, with its true cause, and
# the exit status is 1, for every tool that writes records or a report to
# standard output: stdout on a full disk (/dev/full), and stdout a pipe
# closed by its reader ("| head -c 1").  Each run must print exactly one
# "cannot write" line and it must name the cause (No space left on
# device, Broken pipe): a second line with a stale errno ("Bad file
# descriptor", "Input/output error") is a message that misleads.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
DEMO="$TOP/datasets/demo/svamp.json"
MIRROR="file://$TOP/datasets/mirror"
mkcorpus run.db 3
python3 "$TOP/tests/make-release.py" rel --zip rel.zip >/dev/null 2>&1 ||
    { echo "Bail out! cannot make the inputs"; exit 1; }

# runs NAME BIG COMMAND: COMMAND (a shell command) with stdout on a full
# disk, and when BIG (its output is larger than a pipe holds) into a pipe
# closed after one byte.
runs() {
	_name=$1 _big=$2 _cmd=$3
	if [ -w /dev/full ]; then
		sh -c "$_cmd" >/dev/full 2>err
		st=$?
		is "$st" 1 "$_name, stdout on a full disk: exit 1"
		is "$(grep -c 'cannot write' err)" 1 "$_name, stdout on a full disk: said once"
		grep -q "cannot write.*: No space left on device$" err
		_st=$?
		ok $_st "$_name, stdout on a full disk: the cause named"
		[ $_st -eq 0 ] || diag err
	else
		skip "/dev/full is not writable"
	fi
	[ "$_big" = big ] || return 0
	sh -c "$_cmd; echo \$? >st" 2>err | head -c 1 >/dev/null
	is "$(cat st)" 1 "$_name, a closed pipe: exit 1"
	is "$(grep -c 'cannot write' err)" 1 "$_name, a closed pipe: said once"
	grep -q "cannot write.*: Broken pipe$" err
	_st=$?
	ok $_st "$_name, a closed pipe: the cause named"
	[ $_st -eq 0 ] || diag err
}

rm -rf c && mkdir c
runs dss-fetch big "DSS_CACHE=$TMP/c dss-fetch --mirror '$MIRROR' '$DEMO'"
runs dss-prompt big "dss-prompt <ex.jsonl"
runs dss-teach big "dss-teach --db run.db --teacher replay:replay.jsonl --samples 3 --quiet <prompts.jsonl"
runs dss-filter big "dss-filter <completions.jsonl"
runs dss-import big "dss-import rel.zip"
runs dss-export big "dss-export run.db --dataset svamp --split train"
runs "dss-sample --show" small "dss-sample --show nested-s0-1 --dataset svamp run.db"
runs "dss-sample --list" small "dss-sample --list run.db"
runs dss-stats small "dss-stats run.db"
runs dss-eval small "dss-eval --gold test.jsonl --pred pred.jsonl"
done_testing
