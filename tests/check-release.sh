#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks dss-filter --agree gold against the official parsing rules on a
# release of the official layout (the real datasets.zip of
# google-research/distilling-step-by-step, or one built by
# tests/make-release.py), for every dataset and split:
#
#   sh tests/check-release.sh datasets.zip
#
# For each it prints how many agreeing rationales the official rules keep
# (tests/official-rules.py), how many dss-filter keeps, and the ones the
# official rules keep that dss-filter does not, with dss-filter's reason;
# those should only be answers not truly stated (a choice letter naming
# another choice than its text, an empty rationale).  Exits 1 when any
# other is lost.  Not part of the test suite: the release is not in the
# repository.
set -u
[ $# -eq 1 ] || { echo "usage: sh tests/check-release.sh release.zip|dir" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH="$TOP/bin:$PATH"
DSS_DATASETS=${DSS_DATASETS:-$TOP/datasets}
export DSS_DATASETS
T=$(mktemp -d "${TMPDIR:-/tmp}/dss-check.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
st=0
for ds in esnli anli1 cqa svamp; do
	for split in train valid test; do
		dss-import --completions-only --dataset "$ds" --split "$split" "$1" \
		    >"$T/c" 2>"$T/err" || continue
		[ -s "$T/c" ] || continue
		python3 "$TOP/tests/official-rules.py" <"$T/c" | sort >"$T/off"
		dss-filter --rejects "$T/rej" "$T/c" 2>/dev/null |
		    sed 's/.*"id":"\([^"]*\)".*"sample":\([0-9]*\).*/\1 \2/' |
		    sort >"$T/dss"
		comm -23 "$T/off" "$T/dss" >"$T/lost"
		printf '%-6s %-5s completions %7d  official %7d  dss-filter %7d  lost %d\n' \
		    "$ds" "$split" "$(wc -l <"$T/c")" "$(wc -l <"$T/off")" \
		    "$(wc -l <"$T/dss")" "$(wc -l <"$T/lost")"
		[ -s "$T/lost" ] || continue
		python3 - "$T/lost" "$T/rej" <<'PY' || st=1
import json, sys
lost = set(tuple(l.split()) for l in open(sys.argv[1]))
bad = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    if (r["id"], str(r.get("sample", 0))) in lost:
        ok = r["reason"] == "empty_rationale" or (
            r["reason"] == "ambiguous" and ("but the text says" in r["detail"]
                                            or "but the letter is" in r["detail"]))
        bad += not ok
        print("  %s %s: %s (%s)" % (r["id"], "ok" if ok else "LOST", r["reason"], r["detail"]))
sys.exit(1 if bad else 0)
PY
	done
done
exit $st
