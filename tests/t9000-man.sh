#!/bin/sh
# SPDX-License-Identifier: MIT
# Every manual page passes mandoc's linter, every tool has a page, and
# every long option a tool's --help lists is documented in its page.
. "$(dirname "$0")/lib.sh"

for m in "$TOP"/man/*.[1-9]; do
	mandoc -Tlint -W warning "$m" >"$TMP/lint" 2>&1
	st=$?
	[ $st -eq 0 ] && [ ! -s "$TMP/lint" ]
	ok $? "mandoc -Tlint is clean for $(basename "$m")"
	[ -s "$TMP/lint" ] && diag "$TMP/lint"
done
for page in dss.7 dss-manifest.5; do
	[ -f "$TOP/man/$page" ]
	ok $? "man/$page exists"
done
tools=$(sed -n 's/^TOOLS = //p' "$TOP/Makefile")
for t in $tools; do
	page="$TOP/man/$t.1"
	[ -f "$page" ]
	ok $? "$t has a manual page"
	[ -f "$page" ] || continue
	mandoc -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g' >"$TMP/page"
	missing=""
	for o in $("$BIN/$t" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -q -- "$o" "$TMP/page" || missing="$missing $o"
	done
	is "$missing" "" "every option of $t --help is in its page"
	grep -q "EXIT STATUS" "$TMP/page"
	ok $? "$t page has EXIT STATUS"
	grep -q "EXAMPLES" "$TMP/page"
	ok $? "$t page has EXAMPLES"
done
done_testing
