#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: runs every bench/NN-*.sh in order.  Each prints its own
# figures as ratios against a peer measured side by side in the same run.
set -u
cd "$(dirname "$0")/.."
st=0
for b in bench/[0-9]*.sh; do
	[ -e "$b" ] || continue
	echo "== $b"
	sh "$b" || st=1
done
exit $st
