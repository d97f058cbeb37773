#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-sample --official: golden tests against every reference value of
# FACTS.md (cqa train, 9,741 rows, at each fraction: sizes and first
# rows; default_rng(0).permutation(n) for 800, 9,741 and 16,946 rows and
# default_rng(1).permutation(10), seen as the rows a subset leaves out),
# the validation cut of cqa and svamp (from their manifests) and its rule
# at fraction 1, other datasets and runs against tests/unit/numpy_pcg64.py,
# and the checks on the split the official code needs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sample.sh"

DB="$TMP/o.db"
ids() { for i in "$@"; do printf '%s-train-%06d\n' "$DS" "$i"; done; }

"$PY" "$TOP/tests/mkexamples.py" cqa 9741 4 >"$TMP/cqa.jsonl"
dss-store "$DB" <"$TMP/cqa.jsonl" 2>/dev/null

# FACTS.md's train rows of cqa: the manifest without its validation cut.
mkdir -p "$TMP/nocut"
grep -v '"sample":' "$TOP/datasets/cqa.json" >"$TMP/nocut/cqa.json"
DS=cqa
expect_ok "official run 0 of cqa, no cut" \
    dss-sample --dataset "$TMP/nocut/cqa.json" --official 0 "$DB"
is "$(cat "$TMP/err")" "dss-sample: cqa: 9741 train examples: 5 subsets created, 0 replaced, 0 updated, 0 unchanged" \
	"the summary names the dataset of the manifest file"
is "$(dss-sample --list --dataset cqa "$DB" | cut -f2,7 | tr '\t\n' ': ')" \
	"official-r0-0.125:1217 official-r0-0.25:2435 official-r0-0.5:4870 official-r0-0.75:7305 official-r0-1:9741 " \
	"sizes 1,217, 2,435, 4,870, 7,305 and 9,741"
check_lead() {
	dss-sample --show "$1" --dataset cqa "$DB" >"$TMP/got"
	shift
	ids "$@" >"$TMP/want"
	head -n $# "$TMP/got" >"$TMP/lead"
	cmp_file "$TMP/lead" "$TMP/want" "official-r0 at its fraction begins $*"
}
check_lead official-r0-0.125 2242 6350 7003 4797 3122 1762 1969 3329
check_lead official-r0-0.25 2500 857 9510 8615 4230 3218 9353 2208
check_lead official-r0-0.5 2133 5684 4488 1441
check_lead official-r0-0.75 8802 2602 1173 3058
dss-sample --show official-r0-1 --dataset cqa "$DB" >"$TMP/got"
ids $(seq 0 9740) >"$TMP/want"
cmp_file "$TMP/got" "$TMP/want" "at fraction 1 nothing is subsampled: every row in order"

# default_rng(0).permutation(9741) begins with the 12 rows a subset of
# 9741 - 12 rows leaves out.
expect_ok "fraction 0.9988 of cqa" \
    dss-sample --dataset "$TMP/nocut/cqa.json" --official 0 --fractions 0.9988 "$DB"
dss-sample --show official-r0-0.9988 --dataset cqa "$DB" | sort >"$TMP/got"
ids 4032 2432 4722 1506 47 8187 9316 8471 1713 485 5439 1500 | sort >"$TMP/left"
ids $(seq 0 9740) | sort | comm -23 - "$TMP/got" >"$TMP/out12"
cmp_file "$TMP/out12" "$TMP/left" "the 12 rows left out are permutation(9741)[:12] of FACTS.md"

# With the manifest's cut (cqa and svamp): the subset keeps the cut's
# train rows, the -valid subset its test rows, each in permuted order.
expect_fail 1 "^dss-sample: subset 'official-r0-0.125' of dataset 'cqa' is stored with other members" \
	"the cut changes the subsets: refused without --replace" dss-sample --dataset cqa --official 0 "$DB"
expect_ok "official run 0 of cqa, with the cut" dss-sample --dataset cqa --official 0 --replace "$DB"
grep -q ': 5 subsets created, 5 replaced, 0 updated, 0 unchanged$' "$TMP/err"
ok $? "five -valid subsets created, five replaced"
is "$(dss-sample --list --dataset cqa "$DB" | grep -v 0.9988 | cut -f2,4,7 | tr '\t\n' ':,')" \
	"official-r0-0.125:train:1095,official-r0-0.25:train:2191,official-r0-0.5:train:4383,official-r0-0.75:train:6574,official-r0-1:train:8766,official-r0-0.125-valid:valid:122,official-r0-0.25-valid:valid:244,official-r0-0.5-valid:valid:487,official-r0-0.75-valid:valid:731,official-r0-1-valid:valid:975," \
	"the 10% cut: 1217 -> 1095 + 122, ..., 9741 -> 8766 + 975"
dss-sample --show official-r0-0.125 --dataset cqa "$DB" >"$TMP/t"
dss-sample --show official-r0-0.125-valid --dataset cqa "$DB" >>"$TMP/t"
sort "$TMP/t" >"$TMP/got"
"$PY" "$TOP/tests/unit/numpy_pcg64.py" split 0 9741 0.875 >"$TMP/split"
head -n 1 "$TMP/split" | tr ' ' '\n' |
    while read -r i; do printf 'cqa-train-%06d\n' "$i"; done | sort >"$TMP/want"
cmp_file "$TMP/got" "$TMP/want" "train and valid of 0.125 together are the 1217 rows before the cut"
"$PY" "$TOP/tests/sample-expect.py" official 0 0.1 0.125,0.25,0.5,0.75,1 <"$TMP/cqa.jsonl" >"$TMP/want"
same_as_python "cqa run 0 with the cut equals numpy_pcg64.py" "$DB" cqa "$TMP/want"
is "$(sqlite3 "$DB" "SELECT params FROM subsets WHERE dataset = 'cqa' AND name = 'official-r0-0.5-valid'")" \
	'{"kind":"official","seed":0,"fraction":0.5,"valid":null,"stratify":null,"official_valid":0.1,"train_examples":9741}' \
	"params of a validation cut"
for run in 1 2; do
	expect_ok "cqa run $run" dss-sample --dataset cqa --official "$run" "$DB"
	"$PY" "$TOP/tests/sample-expect.py" official "$run" 0.1 0.125,0.25,0.5,0.75,1 <"$TMP/cqa.jsonl" >"$TMP/want"
	same_as_python "cqa run $run equals numpy_pcg64.py" "$DB" cqa "$TMP/want"
done
dump1=$(sqlite3 "$DB" .dump | sha256sum)
expect_ok "the same run again" dss-sample --dataset cqa --official 2 "$DB"
grep -q ': 0 subsets created, 0 replaced, 0 updated, 10 unchanged$' "$TMP/err"
ok $? "second run: 10 unchanged"
is "$(sqlite3 "$DB" .dump | sha256sum)" "$dump1" "the database is as it was"

# anli1, 16,946 rows: no cut; FACTS.md's permutation(16946)[:12] left out.
DS=anli1
"$PY" "$TOP/tests/mkexamples.py" anli1 16946 5 >"$TMP/anli1.jsonl"
dss-store "$DB" <"$TMP/anli1.jsonl" 2>/dev/null
expect_ok "official run 0 of anli1" dss-sample --dataset anli1 --official 0 --fractions 0.125,0.5,0.9993,1 "$DB"
is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "no warning when the split is whole"
is "$(dss-sample --list --dataset anli1 "$DB" | grep -c valid)" 0 "anli1 gets no validation cut"
dss-sample --show official-r0-0.9993 --dataset anli1 "$DB" | sort >"$TMP/got"
ids 994 11331 485 3037 9435 14708 2752 11042 14204 9084 6801 8031 | sort >"$TMP/left"
ids $(seq 0 16945) | sort | comm -23 - "$TMP/got" >"$TMP/out12"
cmp_file "$TMP/out12" "$TMP/left" "the 12 rows left out are permutation(16946)[:12] of FACTS.md"
"$PY" "$TOP/tests/sample-expect.py" official 0 0 0.125,0.5,0.9993,1 <"$TMP/anli1.jsonl" >"$TMP/want"
same_as_python "anli1 run 0 equals numpy_pcg64.py" "$DB" anli1 "$TMP/want"
expect_ok "official run 4 of anli1" dss-sample --dataset anli1 --official 4 --fractions 0.25,0.75 "$DB"
"$PY" "$TOP/tests/sample-expect.py" official 4 0 0.25,0.75 <"$TMP/anli1.jsonl" >"$TMP/want"
same_as_python "anli1 run 4 equals numpy_pcg64.py" "$DB" anli1 "$TMP/want"

# svamp, 800 rows, with the cut; FACTS.md's permutation(800)[:12] left
# out of train and valid together.
DS=svamp
"$PY" "$TOP/tests/mkexamples.py" svamp 800 6 >"$TMP/svamp.jsonl"
dss-store "$DB" <"$TMP/svamp.jsonl" 2>/dev/null
expect_ok "official run 0 of svamp" dss-sample --dataset svamp --official 0 --fractions 0.125,0.25,0.5,0.75,0.986,1 "$DB"
dss-sample --show official-r0-0.986 --dataset svamp "$DB" >"$TMP/t"
dss-sample --show official-r0-0.986-valid --dataset svamp "$DB" >>"$TMP/t"
sort "$TMP/t" >"$TMP/got"
ids 759 697 2 105 672 620 201 711 696 449 126 406 | sort >"$TMP/left"
ids $(seq 0 799) | sort | comm -23 - "$TMP/got" >"$TMP/out12"
cmp_file "$TMP/out12" "$TMP/left" "the 12 rows left out are permutation(800)[:12] of FACTS.md"
"$PY" "$TOP/tests/sample-expect.py" official 0 0.1 0.125,0.25,0.5,0.75,0.986,1 <"$TMP/svamp.jsonl" >"$TMP/want"
same_as_python "svamp run 0 with the cut equals numpy_pcg64.py" "$DB" svamp "$TMP/want"
dss-sample --show official-r0-1-valid --dataset svamp "$DB" >"$TMP/all"
head -n 3 "$TMP/all" >"$TMP/got"
"$PY" "$TOP/tests/unit/numpy_pcg64.py" perm 0 800 | tr ' ' '\n' >"$TMP/perm"
head -n 3 "$TMP/perm" |
    while read -r i; do printf 'svamp-train-%06d\n' "$i"; done >"$TMP/want"
cmp_file "$TMP/got" "$TMP/want" "at fraction 1 the cut's valid rows begin as permutation(800)"
is "$(dss-sample --list --dataset svamp "$DB" | grep 'official-r0-1' | cut -f7 | tr '\n' ' ')" "720 80 " \
	"at fraction 1: 720 train, 80 valid"
expect_ok "the demo manifest cuts svamp too" \
    dss-sample --dataset "$TOP/datasets/demo/svamp.json" --official 0 --fractions 1 "$DB"
grep -q ': 0 subsets created, 0 replaced, 0 updated, 2 unchanged$' "$TMP/err"
ok $? "... to the same subsets"

# esnli (no cut), a made-up split of 5,000 rows, run 3.
"$PY" "$TOP/tests/mkexamples.py" esnli 5000 7 >"$TMP/esnli.jsonl"
dss-store "$TMP/e.db" <"$TMP/esnli.jsonl" 2>/dev/null
expect_ok "official run 3 of esnli" dss-sample --dataset esnli --official 3 "$TMP/e.db"
grep -q "^dss-sample: warning: dataset 'esnli' has 5000 train examples where the official split has 549367" "$TMP/err"
ok $? "... warned of as not the official split"
"$PY" "$TOP/tests/sample-expect.py" official 3 0 0.125,0.25,0.5,0.75,1 <"$TMP/esnli.jsonl" >"$TMP/want"
same_as_python "esnli run 3 equals numpy_pcg64.py" "$TMP/e.db" esnli "$TMP/want"

# default_rng(1).permutation(10) through a split of 10 rows, run 1: the
# train rows at 0.9 are the permutation without its first row.
DS=anli1
mkdb "$TMP/ten.db" anli1 10
expect_ok "ten rows, run 1" dss-sample --dataset anli1 --official 1 --fractions 0.9 "$TMP/ten.db"
grep -q "^dss-sample: warning: dataset 'anli1' has 10 train examples where the official split has 16946; these subsets are not the official ones$" "$TMP/err"
ok $? "a split of another size is warned about"
dss-sample --show official-r1-0.9 --dataset anli1 "$TMP/ten.db" >"$TMP/got"
ids 4 7 0 1 2 5 9 6 3 >"$TMP/want"
cmp_file "$TMP/got" "$TMP/want" "default_rng(1).permutation(10)[1:] is 4 7 0 1 2 5 9 6 3"

# The official code needs the whole split in its order.
sqlite3 "$TMP/ten.db" "DELETE FROM examples WHERE id = 'anli1-train-000004'"
dump1=$(sqlite3 "$TMP/ten.db" .dump | sha256sum)
expect_fail 1 "^dss-sample: the train examples of dataset 'anli1' are not the whole split in its official order \(example 'anli1-train-000005' has index 5, not 4\); --official needs indices 0 to 8$" \
	"a gap in the indices" dss-sample --dataset anli1 --official 0 "$TMP/ten.db"
is "$(sqlite3 "$TMP/ten.db" .dump | sha256sum)" "$dump1" "... writes nothing"
mkdb "$TMP/one.db" anli1 1
expect_fail 1 "^dss-sample: fraction 0.5 of 1 examples leaves the train set empty$" \
	"a fraction leaving nothing, as train_test_split refuses" dss-sample --dataset anli1 --official 0 --fractions 0.5 "$TMP/one.db"
mkdb "$TMP/one.db" svamp 1
expect_fail 1 "^dss-sample: the validation cut of 0.1 of 1 examples leaves the train set empty$" \
	"a cut leaving nothing" dss-sample --dataset svamp --official 0 --fractions 1 "$TMP/one.db"

done_testing
