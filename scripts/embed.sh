#!/bin/sh
# SPDX-License-Identifier: MIT
# Turns standard input into a C string constant named $1, for compiling
# text files (the SQL schema) into libdss.
printf '/* Generated from schemas by scripts/embed.sh; do not edit. */\n'
printf 'const char %s[] =\n' "$1"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/'
printf '\t;\n'
