#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-filter --agree gold against the official parsing rules
# (tests/official-rules.py) on our own teacher completions
# (tests/fixtures), on the real ones of the shared samples when they are
# beside the tree, and on our filter fixtures: it keeps every rationale the official rules
# keep, except those whose answer is not truly stated (a choice letter
# that names another choice than the text), and it keeps answers the
# official rules lose (unparenthesized or unbalanced-looking equations,
# an anli1 answer followed by a blank line, which the official rule
# reads with the newline, and the like).
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
# to_records FILE: teacher completions ({"dataset", "official_example",
# "completion"}) as completion records, gold labels from their examples.
to_records() {
	python3 - "$1" <<'PY'
import json, sys
nli = ["entailment", "neutral", "contradiction"]
for n, line in enumerate(open(sys.argv[1])):
    s = json.loads(line)
    ds, ex = s["dataset"], s["official_example"]
    rec = {"dataset": ds, "split": "test", "id": "%s-test-%06d" % (ds, n),
           "index": n, "teacher": "palm-540b", "sample": 0,
           "completion": s["completion"], "finish_reason": s.get("finish_reason")}
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
}

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

# Our own completions in the forms real teachers write.
to_records "$TOP/tests/fixtures/teacher-completions.jsonl" >"$TMP/ours.jsonl"
is "$(wc -l <"$TMP/ours.jsonl" | tr -d ' ')" 24 "24 completions of our own"
compare ours "$TMP/ours.jsonl"
is "$(wc -l <"$TMP/ours.official" | tr -d ' ')" 5 "ours: the official rules keep 5"
is "$(wc -l <"$TMP/ours.dss" | tr -d ' ')" 16 "ours: dss-filter keeps 16"
is "$(cat "$TMP/ours.lost")" "cqa-test-000013 0" \
    "ours: only '(b) kitchen' with (b) garage is lost"
grep '"id":"cqa-test-000013"' "$TMP/ours.rej" | grep -q '"reason":"ambiguous"'
ok $? "ours: and it is rejected as ambiguous"
is "$(grep -c '^anli1' "$TMP/ours.gained")" 6 \
    "ours: anli1 answers as 'Answer: neutral', ', so the answer is', synonyms, and before a new block"
is "$(grep '^cqa' "$TMP/ours.gained" | tr '\n' ' ')" "cqa-test-000009 0 cqa-test-000010 0 cqa-test-000014 0 " \
    "ours: cqa answers by letter alone, text alone, and 'Answer: (a) sunlight'"
is "$(grep '^svamp' "$TMP/ours.gained" | tr '\n' ' ')" "svamp-test-000002 0 svamp-test-000003 0 svamp-test-000007 0 " \
    "ours: '(30 - 6) + 9', '510,875' and 'Answer: (25 - 7) + 4'"
for id in cqa-test-000011 cqa-test-000012 anli1-test-000021 svamp-test-000005 cqa-test-000015; do
	grep -q "\"id\":\"$id\"" "$TMP/ours.dss" "$TMP/ours.out"
	is $? 1 "ours: $id (several answers named, or cut off) is not kept"
done

# The real teacher completions of the shared samples, when they are beside the tree.
samples="$SHARED/samples/teacher_completions.sample.jsonl"
if [ -r "$samples" ]; then
	to_records "$samples" >"$TMP/samples.jsonl"
	is "$(wc -l <"$TMP/samples.jsonl" | tr -d ' ')" 24 "24 sample completions"
	compare samples "$TMP/samples.jsonl"
	is "$(wc -l <"$TMP/samples.official" | tr -d ' ')" 12 \
	    "samples: the official rules keep 12"
	is "$(wc -l <"$TMP/samples.dss" | tr -d ' ')" 17 "samples: dss-filter keeps 17"
	is "$(cat "$TMP/samples.lost")" "" "samples: nothing the official rules keep is lost"
	grep -q "^svamp-test-000004 0$" "$TMP/samples.gained"
	ok $? "samples: '(12 - 2) - 7' is kept, the official rules misread it"
	is "$(grep -c '^anli1' "$TMP/samples.gained")" 4 \
	    "samples: anli1 answers followed by a blank line are kept"
else
	for t in "24 sample completions" "samples: dss-filter runs" "samples: official keeps 12" \
	    "samples: dss-filter keeps 17" "samples: nothing lost" "samples: '(12 - 2) - 7' kept" \
	    "samples: anli1 answers before a blank line kept"; do
		skip "$t: no '$samples' beside the tree"
	done
fi

compare fixtures "$TOP/tests/golden/filter-completions.jsonl"
is "$(cat "$TMP/fixtures.lost")" "cqa-test-000003 0" \
    "fixtures: only a letter naming another choice than its text is lost"
grep '"id":"cqa-test-000003"' "$TMP/fixtures.rej" | grep -q '"reason":"ambiguous"'
ok $? "fixtures: and it is rejected as ambiguous"
is "$(cat "$TMP/fixtures.gained" | tr '\n' ' ')" \
    "anli1-test-000000 0 svamp-test-000000 0 svamp-test-000001 0 " \
    "fixtures: gains a run-on anli1 answer, '(12 - 2) - 7', '322,775'"
done_testing
