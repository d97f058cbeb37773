#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-export of subsets, one or several in one pass (lib/export_subsets.c):
# on a corpus of 12,000 examples (three buckets of positions and a
# temporary file), each subset is written in its order, record for record
# as tests/export-reference.py reads the database; several subsets with
# --out DIR give DIR/NAME.jsonl and DIR/NAME.card.md, each file the same
# as the subset exported alone, whether or not the subsets begin one
# another (nested fractions, official ones); buckets read back example by
# example give the same; a failure leaves no file; usage errors.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
REF="python3 $TOP/tests/export-reference.py"
cd "$TMP" || exit 1
python3 "$TOP/bench/gen-export.py" 12000 c.db 2>/dev/null ||
    { echo "Bail out! cannot build the test corpus"; exit 1; }
dss-sample --dataset esnli c.db 2>/dev/null &&
    dss-sample --dataset esnli --official 0 --fractions 0.25,0.5 c.db 2>/dev/null ||
    { echo "Bail out! cannot sample the test corpus"; exit 1; }
NESTED="nested-s0-0.125 nested-s0-0.25 nested-s0-0.5 nested-s0-0.75 nested-s0-1"
ALL="$NESTED official-r0-0.25 official-r0-0.5"
ES="--dataset esnli --split train"

# One subset to standard output, against the reference reading.
for s in nested-s0-0.25 nested-s0-1 official-r0-0.5; do
	dss-export c.db $ES --subset $s >"one-$s.jsonl" 2>/dev/null
	ok $? "$s alone runs"
	$REF c.db $ES --subset $s >"ref-$s.jsonl"
	cmp_file "one-$s.jsonl" "ref-$s.jsonl" "$s: the reference's records, in the subset's order"
done
dss-export c.db $ES --subset nested-s0-0.5 --format pairs --pick all --missing drop \
    >one-pairs.jsonl 2>/dev/null
$REF c.db $ES --subset nested-s0-0.5 --format pairs --pick all --missing drop >ref-pairs.jsonl
cmp_file one-pairs.jsonl ref-pairs.jsonl "pairs, --pick all, --missing drop: the reference's records"

# Every subset in one pass.
args=""
for s in $ALL; do args="$args --subset $s"; done
expect_ok "seven subsets with --out in one run" dss-export c.db $ES $args --out o
for s in $ALL; do
	[ -f "one-$s.jsonl" ] || dss-export c.db $ES --subset $s >"one-$s.jsonl" 2>/dev/null
	cmp_file "o/$s.jsonl" "one-$s.jsonl" "$s: the same file as alone"
	grep -q "^| Subset | \`$s\`" "o/$s.card.md"
	ok $? "$s: its data card names it"
done
is "$(grep -c "^dss-export: esnli train to 'o/" "$TMP/err")" 7 "one summary line per subset"
grep -q "^dss-export: esnli train to 'o/nested-s0-1.jsonl': 12000 examples: " "$TMP/err"
ok $? "  with its counts"
is "$(ls o | grep -c tmp)" 0 "no temporary file left"

# Buckets too large to read whole: each example read by itself.
DSS_EXPORT_LOAD_MAX=1 dss-export c.db $ES --subset nested-s0-0.5 --subset official-r0-0.5 \
    --out big 2>/dev/null
ok $? "buckets read example by example"
cmp_file big/nested-s0-0.5.jsonl one-nested-s0-0.5.jsonl "  give the same nested file"
cmp_file big/official-r0-0.5.jsonl one-official-r0-0.5.jsonl "  and the same official one"

# Ids that JSON escapes (a quote, a backslash, a control character) and
# ids beyond ASCII: chunks hold them escaped, and every subset still
# gets its members, in its order.
python3 - <<'PY' >odd.jsonl
import json
ids = ['q"%d' % i for i in range(5)] + ['b\\%d' % i for i in range(5)] + \
      ['t\t%d' % i for i in range(5)] + ['\u00e9t\u00e9-%d' % i for i in range(5)]
for i, id_ in enumerate(ids):
    print(json.dumps({"dataset": "esnli", "split": "train", "id": id_, "index": i,
                      "input": "premise %d</s>hypothesis" % i, "label": "neutral",
                      "fields": {"premise": "premise %d" % i, "hypothesis": "hypothesis",
                                 "source_id": "x", "explanations": ["e"]}}))
PY
dss-store odd.db <odd.jsonl 2>/dev/null && dss-sample --dataset esnli odd.db 2>/dev/null
ok $? "a corpus of odd ids, sampled"
args=""
for s in $NESTED; do args="$args --subset $s"; done
expect_ok "its five subsets in one run" dss-export odd.db $ES --format standard $args --out odd
for s in $NESTED; do
	$REF odd.db $ES --format standard --subset $s >"ref-odd-$s.jsonl"
	cmp_file "odd/$s.jsonl" "ref-odd-$s.jsonl" "odd ids, $s: the reference's records"
done

# Failures leave nothing.
mkdir fail
expect_fail 1 "^dss-export: cannot make a temporary file in '$TMP/nowhere': No such file or directory$" \
    "no temporary directory" env TMPDIR="$TMP/nowhere" dss-export c.db $ES \
    --subset nested-s0-1 --subset nested-s0-0.5 --out fail
is "$(ls fail | wc -l | tr -d ' ')" 0 "  leaves no file"
expect_fail 1 "^dss-export: unknown subset 'nested-s9-1' of dataset 'esnli' \(subsets: " \
    "an unknown subset among several" dss-export c.db $ES --subset nested-s0-1 \
    --subset nested-s9-1 --out fail
is "$(ls fail | wc -l | tr -d ' ')" 0 "  leaves no file"
expect_fail 1 "^dss-export: subset 'nested-s0-1' is given twice$" "a subset given twice" \
    dss-export c.db $ES --subset nested-s0-1 --subset nested-s0-1 --out fail
expect_fail 1 "^dss-export: cannot create '$TMP/no/dir': No such file or directory$" \
    "--out under a missing directory" dss-export c.db $ES --subset nested-s0-1 \
    --out "$TMP/no/dir"
expect_fail 2 "^dss-export: several subsets need --out DIR \(each is written to DIR/NAME.jsonl\)$" \
    "several subsets without --out" dss-export c.db $ES --subset nested-s0-1 \
    --subset nested-s0-0.5
expect_fail 2 "^dss-export: --card is not for --out with --subset: each subset's card is written to DIR/NAME.card.md$" \
    "--card with --out and subsets" dss-export c.db $ES --subset nested-s0-1 --out fail \
    --card c.md
expect_fail 2 "^dss-export: --format release takes one --subset$" "release with two subsets" \
    dss-export c.db --dataset esnli --format release --out r --subset nested-s0-1 \
    --subset nested-s0-0.5
expect_fail 2 "^dss-export: --out is for --format release or with --subset \(a whole split goes to standard output\)$" \
    "--out without a subset" dss-export c.db $ES --out fail
done_testing
