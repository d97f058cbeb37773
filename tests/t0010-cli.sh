#!/bin/sh
# SPDX-License-Identifier: MIT
# The command-line contract every dss tool keeps: --help to stdout with
# exit 0, --version, a usage error (exit 2, usage on stderr) for an
# unknown option, and a failed write to stdout reported as an error.
. "$(dirname "$0")/lib.sh"

tools=$(sed -n 's/^TOOLS = //p' "$TOP/Makefile")
[ -n "$tools" ] || { echo "Bail out! no TOOLS in Makefile"; exit 1; }
for t in $tools; do
	expect_ok "$t --help exits 0" "$BIN/$t" --help
	grep -q "^usage: $t" "$TMP/out"
	ok $? "$t --help prints usage to stdout"
	expect_ok "$t --version exits 0" "$BIN/$t" --version
	grep -Eq "^$t [0-9]+\.[0-9]+" "$TMP/out"
	ok $? "$t --version names the tool and version"
	expect_fail 2 "^usage: $t" "$t rejects an unknown option with usage" \
	    "$BIN/$t" --no-such-option
	if [ -w /dev/full ]; then
		expect_fail 1 "^$t: cannot write" "$t reports a full stdout" \
		    sh -c "\"$BIN/$t\" --help > /dev/full"
	fi
done
done_testing
