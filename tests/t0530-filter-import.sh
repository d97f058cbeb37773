#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual's first example, dss-import | dss-filter, on a small release
# in the official layout (tests/make-release.py): for every dataset the
# kept triples are exactly those whose stated answer is the gold label,
# every one the official parsing rules keep is kept, and the rationales
# carry no answer statement and no run-on block.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
python3 "$TOP/tests/make-release.py" "$TMP/rel" --zip "$TMP/rel.zip" \
    >/dev/null 2>&1 || { echo "Bail out! cannot build the test release"; exit 1; }

for ds in esnli anli1 cqa svamp; do
	dss-import --completions-only --dataset "$ds" "$TMP/rel.zip" \
	    >"$TMP/$ds.completions" 2>"$TMP/$ds.import.err"
	ok $? "$ds: dss-import --completions-only"
	dss-import --completions-only --dataset "$ds" "$TMP/rel.zip" 2>/dev/null |
	    dss-filter --rejects "$TMP/$ds.rej" >"$TMP/$ds.triples" 2>"$TMP/$ds.err"
	ok $? "$ds: dss-import | dss-filter"
	python3 - "$ds" "$TMP/$ds.completions" "$TMP/$ds.triples" \
	    "$TMP/$ds.rej" >"$TMP/$ds.check" <<'PY'
import json, re, sys
ds, comp, trip, rej = sys.argv[1:]
def value(e):
    return eval(e, {"__builtins__": {}}) if re.fullmatch(r"[\d\s.+\-*/()]+", e) else None
recs = [json.loads(l) for l in open(comp)]
kept = [json.loads(l) for l in open(trip)]
rejs = [json.loads(l) for l in open(rej)]
want = []
for r in recs:
    c = r["completion"]
    if ds == "svamp":
        said = re.search(r"The answer is \((\d+) \+ 1\)", c).group(1)
        good = abs(int(said) + 1 - value(r["label"])) < 1e-9
    elif ds == "cqa":
        good = r["fields"]["choices"][0] == r["label"]
    elif ds == "anli1":
        good = r["label"] == "neutral"
    else:
        good = r["label"] == "entailment"
    if good:
        want.append(r["id"])
got = [t["id"] for t in kept]
print("kept-as-expected", got == want)
# The made-up svamp labels never match the completions: all disagree.
print("some-kept-some-rejected", ds == "svamp" or 0 < len(got) < len(recs))
print("answers-read", all(r.get("teacher_label") for r in rejs))
print("all-read", len(kept) + len(rejs) == len(recs))
print("rejects-disagree", all(r["reason"] == "disagree" for r in rejs))
bad = [t for t in kept if "answer is" in t["rationale"] or "Answer:" in t["rationale"]
       or "Premise" in t["rationale"] or "Q:" in t["rationale"]]
print("clean-rationales", not bad)
src = {r["id"]: r for r in recs}
print("gold-labels", all(t["label"] == src[t["id"]]["label"] and t["agree"] is True for t in kept))
PY
	for what in kept-as-expected some-kept-some-rejected answers-read all-read rejects-disagree clean-rationales gold-labels; do
		grep -q "^$what True$" "$TMP/$ds.check"
		ok $? "$ds: $what"
	done
	python3 "$TOP/tests/official-rules.py" <"$TMP/$ds.completions" |
	    cut -d ' ' -f 1 | sort >"$TMP/$ds.official"
	sed 's/.*"id":"\([^"]*\)".*/\1/' "$TMP/$ds.triples" | sort >"$TMP/$ds.kept"
	is "$(comm -23 "$TMP/$ds.official" "$TMP/$ds.kept")" "" \
	    "$ds: keeps all the official rules keep"
done
done_testing
