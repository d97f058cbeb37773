#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-filter --agree gold against the official parsing rules
# (tests/official-rules.py) on the real teacher completions of the shared
# samples and on our fixtures: it keeps every rationale the official rules
# keep, except those whose answer is not truly stated (a choice letter
# that names another choice than the text), and it keeps answers the
# official rules lose (unparenthesized or unbalanced-looking equations,
# an anli1 answer followed by a blank line, which the official rule
# reads with the newline, and the like).
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
samples="$SHARED/samples/teacher_completions.sample.jsonl"
[ -r "$samples" ] || { echo "Bail out! cannot read '$samples'"; exit 1; }

# The samples as completion records, gold labels from their examples.
python3 - "$samples" >"$TMP/samples.jsonl" <<'PY'
import json, sys
nli = ["entailment", "neutral", "contradiction"]
for n, line in enumerate(open(sys.argv[1])):
    s = json.loads(line)
    ds, ex = s["dataset"], s["official_example"]
    rec = {"dataset": ds, "split": "test", "id": "%s-test-%06d" % (ds, n),
           "index": n, "teacher": "palm-540b", "sample": 0,
           "completion": s["completion"], "finish_reason": None}
    if ds == "cqa":
        rec["label"] = ex["answer"]
        rec["fields"] = {"question": ex["question"], "choices": ex["choices"]}
    elif ds == "anli1":
        rec["label"] = nli[ex["label"]]
        rec["fields"] = {"premise": ex["premise"], "hypothesis": ex["hypothesis"]}
    else:
        rec["label"] = ex["label"]
        rec["fields"] = {}
    print(json.dumps(rec))
PY
is "$(wc -l <"$TMP/samples.jsonl" | tr -d ' ')" 24 "24 sample completions"

compare() {
	name=$1 in=$2
	python3 "$TOP/tests/official-rules.py" <"$in" | sort >"$TMP/$name.official"
	dss-filter --rejects "$TMP/$name.rej" "$in" >"$TMP/$name.out" 2>/dev/null
	ok $? "$name: dss-filter runs"
	python3 - "$TMP/$name.out" "$TMP/$name.rej" <<'PY' | sort >"$TMP/$name.dss"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["id"], r["sample"])
PY
	comm -23 "$TMP/$name.official" "$TMP/$name.dss" >"$TMP/$name.lost"
	comm -13 "$TMP/$name.official" "$TMP/$name.dss" >"$TMP/$name.gained"
}

compare samples "$TMP/samples.jsonl"
is "$(wc -l <"$TMP/samples.official" | tr -d ' ')" 12 \
    "samples: the official rules keep 12"
is "$(wc -l <"$TMP/samples.dss" | tr -d ' ')" 17 "samples: dss-filter keeps 17"
is "$(cat "$TMP/samples.lost")" "" "samples: nothing the official rules keep is lost"
grep -q "^svamp-test-000004 0$" "$TMP/samples.gained"
ok $? "samples: '(12 - 2) - 7' is kept, the official rules misread it"
is "$(grep -c '^anli1' "$TMP/samples.gained")" 4 \
    "samples: anli1 answers followed by a blank line are kept"

compare fixtures "$TOP/tests/golden/filter-completions.jsonl"
is "$(cat "$TMP/fixtures.lost")" "cqa-test-000003 0" \
    "fixtures: only a letter naming another choice than its text is lost"
grep '"id":"cqa-test-000003"' "$TMP/fixtures.rej" | grep -q '"reason":"ambiguous"'
ok $? "fixtures: and it is rejected as ambiguous"
is "$(cat "$TMP/fixtures.gained" | tr '\n' ' ')" \
    "anli1-test-000000 0 svamp-test-000000 0 svamp-test-000001 0 " \
    "fixtures: gains a run-on anli1 answer, '(12 - 2) - 7', '322,775'"
done_testing
