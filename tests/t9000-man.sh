#!/bin/sh
# SPDX-License-Identifier: MIT
# Every manual page passes mandoc's linter, every tool has a page, and
# for every tool in the Makefile's TOOLS the options agree in three
# places: --help lists each on a line of its own (and its usage line
# names the same ones, less --help and --version), the page's SYNOPSIS
# is the usage line word for word, and the page's option list holds
# exactly the options --help lists.
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
	"$BIN/$t" --help >"$TMP/help" 2>"$TMP/help.err"
	ok $? "$t --help exits 0"
	[ -s "$TMP/help" ] && [ ! -s "$TMP/help.err" ]
	ok $? "$t --help writes to stdout only"
	# The usage block: from the "usage:" line to the first blank line
	# or a line that does not start with the tool's name.
	# A line that starts with blanks and a word or bracket, not an
	# option, continues the form above it.
	awk -v t="$t" 'NR == 1 { print; next }
	    $1 == t { print; next } /^ +[^ -]/ { print; next } { exit }' \
	    "$TMP/help" >"$TMP/usage"
	# The option list: lines that begin with blanks and an option.
	grep -E '^ +(-[a-zA-Z], )?--[a-z]' "$TMP/help" >"$TMP/list"
	opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' '; }
	listed=$(sed -E 's/^ +(-[a-zA-Z], )?(--[a-z][a-z0-9-]*).*/\2/' "$TMP/list" |
	    sort | tr '\n' ' ')
	is "$listed" "$(opts <"$TMP/list")" "$t --help lists one option a line"
	used=$(grep -oE -- '--[a-z][a-z0-9-]*' "$TMP/usage" |
	    { cat; echo --help; echo --version; } | sort -u | tr '\n' ' ')
	is "$listed" "$used" "$t --help lists the options of its usage line"
	syn=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$TMP/page" | sed '1d;$d' |
	    tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
	use=$(sed 's/^usage: //' "$TMP/usage" | tr -s ' \n' '  ' |
	    sed 's/^ //; s/ $//')
	is "$syn" "$use" "$t usage matches the SYNOPSIS word for word"
	# The page's options are the long options of its list items
	# (".It Fl \-cache Ar DIR"), read from the mdoc source so that
	# prose naming an option is not taken for one.
	man=$(grep -E '^\.It Fl' "$page" | tr -d '\\' |
	    grep -oE 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl /-/' |
	    sort | tr '\n' ' ')
	is "$man" "$listed" "$t page lists the options --help lists"
	grep -q "EXIT STATUS" "$TMP/page"
	ok $? "$t page has EXIT STATUS"
	grep -q "EXAMPLES" "$TMP/page"
	ok $? "$t page has EXAMPLES"
done
done_testing
