#!/bin/sh
# SPDX-License-Identifier: MIT
# dss, the front door: "dss CMD ARGS" runs dss-CMD with its arguments,
# standard streams and exit status; "dss help" lists every tool that is
# built; unknown commands and names that could be paths are refused.
. "$(dirname "$0")/lib.sh"

tools=$(sed -n 's/^TOOLS = //p' "$TOP/Makefile")
expect_ok "dss help" dss help
for t in $tools; do
	[ "$t" = dss ] && continue
	grep -Eq "^  ${t#dss-} +[a-z]" "$TMP/out"
	ok $? "dss help lists ${t#dss-}"
done
is "$(grep -c '^  [a-z]' "$TMP/out")" "$(($(echo $tools | wc -w) - 1))" \
	"dss help lists exactly the tools that are built"
dss --help >"$TMP/h2"
cmp_file "$TMP/h2" "$TMP/out" "dss --help is dss help"

dss store --version >"$TMP/v1"
dss-store --version >"$TMP/v2"
cmp_file "$TMP/v1" "$TMP/v2" "dss store runs dss-store"
dss help store >"$TMP/h1"
dss-store --help >"$TMP/h2"
cmp_file "$TMP/h1" "$TMP/h2" "dss help store is dss-store --help"

# Arguments, standard input and output, and the exit status pass through.
printf '{"dataset":"svamp","split":"train","id":"s-1","index":0,"input":"a\\nb","label":"( 1 + 2 )","fields":{}}\n' >"$TMP/ex.jsonl"
expect_ok "dss store reads stdin" sh -c "dss store '$TMP/a.db' < '$TMP/ex.jsonl'"
is "$(sqlite3 "$TMP/a.db" 'SELECT id FROM examples')" "s-1" "into the database it was given"
expect_fail 2 "^usage: dss-store" "a command's usage error keeps its status" dss store
expect_fail 1 "^dss-store: " "and a runtime error its status" \
	dss store --merge "$TMP/a.db" "$TMP/missing.db"

# The tools beside dss win over PATH, so a build tree runs its own.
mkdir "$TMP/path"
printf '#!/bin/sh\necho impostor\n' >"$TMP/path/dss-store"
chmod +x "$TMP/path/dss-store"
is "$(PATH="$TMP/path:$PATH" dss store --version)" "$(dss-store --version)" \
	"the dss-store beside dss runs, not the one first on PATH"
# A copy of dss alone finds its tools on PATH.
cp "$BIN/dss" "$TMP/path/dss"
is "$(PATH="$TMP/path:/usr/bin:/bin" "$TMP/path/dss" store --version)" "impostor" \
	"without tools beside it, dss looks them up on PATH"

expect_fail 2 "^dss: 'nosuch' is not a dss command; see 'dss help'$" \
	"an unknown command" dss nosuch
expect_fail 2 "^dss: '\.\./dss-store' is not a dss command" \
	"a path is not a command" dss ../dss-store
expect_fail 2 "^dss: 'Store' is not a dss command" \
	"commands are lowercase" dss Store
expect_fail 2 "^usage: dss COMMAND" "no command" dss
expect_fail 2 "^usage: dss COMMAND" "help takes one command" dss help a b
done_testing
