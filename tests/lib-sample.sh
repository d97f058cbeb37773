# SPDX-License-Identifier: MIT
# Helpers for the dss-sample tests, sourced after lib.sh.
#
#   mkdb DB DATASET N [SEED]     store N made-up train examples of DATASET
#   same_as_python NAME DB DATASET EXPECT
#                                every subset of EXPECT (sample-expect.py's
#                                output) is stored in DB with exactly those
#                                ids in that order
#   subset_names DB DATASET      the stored subset names, one per line
PY=${PYTHON:-python3}

mkdb() {
	"$PY" "$TOP/tests/mkexamples.py" "$2" "$3" "${4:-0}" >"$TMP/mk.jsonl" &&
	    dss-store "$1" <"$TMP/mk.jsonl" 2>/dev/null
}

same_as_python() {
	_bad=0
	_count=0
	while IFS="$(printf '\t')" read -r _name _ids; do
		_count=$((_count + 1))
		_got=$(dss-sample --show "$_name" --dataset "$3" "$2" 2>&1 | tr '\n' ' ')
		if [ "$_got" != "$_ids " ]; then
			_bad=$((_bad + 1))
			echo "# $_name differs: got $(printf '%s' "$_got" | cut -c1-80)..."
			echo "#   want $(printf '%s' "$_ids" | cut -c1-80)..."
		fi
	done <"$4"
	[ "$_bad" -eq 0 ] && [ "$_count" -gt 0 ]
	ok $? "$1 ($_count subsets)"
}

subset_names() {
	dss-sample --list --dataset "$2" "$1" | cut -f2 | sort
}
