#!/bin/sh
# SPDX-License-Identifier: MIT
# Compiles the database schema into libdss: the first file (schemas/dss.sql)
# is version 1 and each schemas/migrate-NNN.sql after it takes the schema
# to version NNN.  Prints C defining dss_schema_migrations[] (migration i
# at index i - 1) and dss_schema_version; fails when the NNN do not run
# 2, 3, ... in order, so that a migration can be neither skipped nor
# applied twice.
set -eu
printf '/* Generated from schemas by scripts/embed.sh; do not edit. */\n'
v=0
for f in "$@"; do
	v=$((v + 1))
	if [ "$v" -gt 1 ]; then
		n=$(basename "$f" .sql | sed 's/^migrate-0*//')
		if [ "$n" != "$v" ]; then
			echo "embed.sh: '$f' is not migration $v" >&2
			exit 1
		fi
	fi
	printf 'static const char m%d[] =\n' "$v"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
	printf '\t;\n'
done
printf 'const char *const dss_schema_migrations[] = {\n'
i=0
while [ "$i" -lt "$v" ]; do
	i=$((i + 1))
	printf '\tm%d,\n' "$i"
done
printf '};\nconst int dss_schema_version = %d;\n' "$v"
