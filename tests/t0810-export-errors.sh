#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-export: every error a user can meet, with its message and exit
# status (2 for usage, 1 for what the database holds or a write that
# fails), --help and --version, and that a failed export creates nothing:
# no database, no card, no release directory.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
python3 "$TOP/tests/export-corpus.py" "$TMP" &&
    dss-store "$TMP/c.db" <"$TMP/records.jsonl" 2>/dev/null &&
    sqlite3 "$TMP/c.db" <"$TMP/subsets.sql" ||
    { echo "Bail out! cannot build the test corpus"; exit 1; }
cd "$TMP" || exit 1
U="^usage: dss-export DB --dataset D --split S"
ES="--dataset esnli --split train"

# --- usage errors: exit 2 ---
expect_fail 2 "$U" "no database" dss-export --dataset esnli --split train
expect_fail 2 "$U" "two databases" dss-export c.db c.db $ES
expect_fail 2 "$U" "an unknown option" dss-export c.db $ES --frobnicate
expect_fail 2 "$U" "an option without its value" dss-export c.db $ES --format
uv() {
	expect_fail 2 "^dss-export: bad --$1 'bogus': want $2$" "unknown --$1" \
	    dss-export c.db $ES "--$1" bogus
	grep -q "$U" "$TMP/err"
	ok $? "  and the usage"
}
uv format "t5, pairs, standard, chat or release"
uv labels "gold or teacher"
uv rationales "agree or all"
uv pick "first, shortest, longest or all"
uv missing "drop or label-only"
expect_fail 2 "^dss-export: --dataset is missing$" "no --dataset" dss-export c.db --split train
expect_fail 2 "^dss-export: --split is missing$" "no --split" dss-export c.db --dataset esnli
expect_fail 2 "^dss-export: --split is not for --format release: it writes every split the official trainer reads$" \
    "--split with release" dss-export c.db $ES --format release --out r
expect_fail 2 "^dss-export: --format release needs --out DIR$" "release without --out" \
    dss-export c.db --dataset esnli --format release
expect_fail 2 "^dss-export: --out is for --format release or with --subset \\(a whole split goes to standard output\\)$" \
    "--out with t5 and no subset" dss-export c.db $ES --out r
expect_fail 2 "^dss-export: --format release is for esnli, anli1, cqa and svamp, not 'mnli'$" \
    "release of a dataset the release does not hold" \
    dss-export c.db --dataset mnli --format release --out r
expect_fail 2 "^dss-export: --labels is not for --format release: " "--labels with release" \
    dss-export c.db --dataset esnli --format release --out r --labels gold
expect_fail 2 "^dss-export: --prefixes is only for --format t5$" "--prefixes with pairs" \
    dss-export c.db $ES --format pairs --prefixes 'a: ,b: '
expect_fail 2 "^dss-export: --pick all is not for --format standard, which writes one record per example$" \
    "--pick all with standard" dss-export c.db $ES --format standard --pick all
expect_fail 2 "^dss-export: --pick all is not for --format release, which writes one record per example$" \
    "--pick all with release" dss-export c.db --dataset esnli --format release --out r --pick all
bp() {
	expect_fail 2 "^dss-export: bad --prefixes '$2': $3$" "bad --prefixes: $1" \
	    dss-export c.db $ES --prefixes "$2"
}
bp "no comma" "predict: " "want two prefixes separated by one comma, as 'predict: ,explain: '"
bp "two commas" "a,b,c" "want two prefixes separated by one comma, as 'predict: ,explain: '"
bp "an empty one" "predict: ," "a prefix is empty"
bp "both empty" "," "a prefix is empty"
bp "the same twice" "x: ,x: " "the two prefixes are the same, so the tasks could not be told apart"
expect_fail 2 "^dss-export: --filter is empty$" "an empty --filter" dss-export c.db $ES --filter ''
[ ! -e r ]
ok $? "no usage error creates the release directory"

expect_ok "--help" dss-export --help
grep -q "$U" "$TMP/out"
ok $? "--help prints the usage to stdout"
for o in card dataset filter format help labels missing out pick prefixes rationales split subset version; do
	grep -q -- "^  .*--$o" "$TMP/out"
	ok $? "  and lists --$o on a line of its own"
done
expect_ok "--version" dss-export --version
grep -Eq '^dss-export [0-9]' "$TMP/out"
ok $? "--version prints the version"
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-export: cannot write 'stdout'" "--help to a full disk" \
	    sh -c 'dss-export --help >/dev/full'
fi

# --- the database: exit 1 ---
expect_fail 1 "^dss-export: cannot open database 'none.db': No such file or directory$" \
    "no such database" dss-export none.db $ES
[ ! -e none.db ]
ok $? "  and none is created"
mkdir adir.db
expect_fail 1 "^dss-export: cannot open database 'adir.db': it is a directory$" \
    "a directory" dss-export adir.db $ES
printf 'not a database, just some text that is long enough for sqlite\n' >text.db
expect_fail 1 "^dss-export: cannot read database 'text.db': file is not a database$" \
    "a file that is not a database" dss-export text.db $ES
sqlite3 other.db "CREATE TABLE x (a)"
expect_fail 1 "^dss-export: 'other.db' is not a dss database$" "a database of another program" \
    dss-export other.db $ES
sqlite3 old.db "CREATE TABLE examples (a); PRAGMA user_version = 2"
expect_fail 1 "^dss-export: database 'old.db' has the older schema version 2; open it with this dss first \\(dss-store 'old.db' </dev/null\\)$" \
    "an older schema" dss-export old.db $ES
is "$(sqlite3 old.db 'PRAGMA user_version')" 2 "  which is left as it was"
sqlite3 new.db "CREATE TABLE examples (a); PRAGMA user_version = 99"
expect_fail 1 "^dss-export: database 'new.db' has schema version 99, newer than this dss \\([0-9]+\\)$" \
    "a newer schema" dss-export new.db $ES
dss-store empty.db </dev/null 2>/dev/null
expect_fail 1 "^dss-export: unknown dataset 'esnli' \\(the database 'empty.db' holds no examples\\)$" \
    "a database without examples" dss-export empty.db $ES
expect_fail 1 "^dss-export: unknown dataset 'mnli' \\(datasets in 'c.db': cqa, esnli, svamp\\)$" \
    "an unknown dataset" dss-export c.db --dataset mnli --split train
expect_fail 1 "^dss-export: dataset 'esnli' has no split 'valid' \\(splits: test, train\\)$" \
    "an unknown split" dss-export c.db --dataset esnli --split valid
expect_fail 1 "^dss-export: unknown subset 'nested-s1-0.5' of dataset 'esnli' \\(subsets: nested-s0-0.5, nested-s0-1\\)$" \
    "an unknown subset" dss-export c.db $ES --subset nested-s1-0.5
expect_fail 1 "^dss-export: unknown subset 'x': dataset 'svamp' has no subsets \\(make them with dss-sample\\)$" \
    "a dataset without subsets" dss-export c.db --dataset svamp --split train --subset x
expect_fail 1 "^dss-export: subset 'nested-s0-0.5' of dataset 'esnli' is drawn from split 'train', not 'test'$" \
    "a subset of another split" dss-export c.db --dataset esnli --split test --subset nested-s0-0.5
expect_fail 1 "^dss-export: no triples of dataset 'esnli' from filter 'gold,min-rationale=5' in 'c.db' \\(filters with triples: gold, majority, none,min-rationale=20\\); make them with dss-filter --agree gold and store them with dss-store$" \
    "no triples of the filter" dss-export c.db $ES --filter gold,min-rationale=5
# A dataset with examples and no triples at all.
sed -n 1p "$TMP/records.jsonl" | sed 's/"esnli"/"mnli"/; s/esnli-train/mnli-train/' |
    dss-store c2.db 2>/dev/null
expect_fail 1 "^dss-export: no triples of dataset 'mnli' from filter 'gold' in 'c2.db' \\(it holds no triples of the dataset\\); make them" \
    "a dataset without triples" dss-export c2.db --dataset mnli --split train
expect_ok "standard gold labels need no triples" \
    dss-export c2.db --dataset mnli --split train --format standard
is "$(wc -l <"$TMP/out" | tr -d ' ')" 1 "  and write every example"
expect_fail 1 "^dss-export: no triples of dataset 'mnli'" "standard --missing drop needs them" \
    dss-export c2.db --dataset mnli --split train --format standard --missing drop

# chat needs the dataset's answer sentence.
mkdir nodata
expect_fail 1 "^dss-export: --format chat takes the answer sentence of dataset 'esnli' from its exemplars: cannot open '$TMP/nodata/exemplars/esnli.json': No such file or directory$" \
    "chat without an exemplar file" env DSS_DATASETS="$TMP/nodata" dss-export c.db $ES --format chat
# A teacher label that is none of the example's choices.
cp c.db c3.db
sqlite3 c3.db "UPDATE triples SET teacher_label = 'a cellar' WHERE dataset = 'cqa' AND id = 'cqa-train-000000'"
expect_fail 1 "^dss-export: example 'cqa-train-000000': label 'a cellar' is not one of its choices$" \
    "chat: a teacher label that is not a choice" \
    dss-export c3.db --dataset cqa --split train --format chat --labels teacher
sqlite3 c3.db "UPDATE examples SET record = '{\"id\":' WHERE id = 'esnli-train-000001'"
expect_fail 1 "^dss-export: example 'esnli-train-000001': its stored record is not JSON$" \
    "chat: a stored record that is not JSON" dss-export c3.db $ES --format chat
is "$(wc -l <"$TMP/out" | tr -d ' ')" 1 "  after the records before it"

# --- writing: exit 1 ---
if [ -w /dev/full ]; then
	expect_fail 1 "^dss-export: cannot write 'stdout': No space left on device$" \
	    "stdout on a full disk" sh -c "dss-export c.db $ES >/dev/full"
fi
expect_fail 1 "^dss-export: cannot create 'nodir/card.md': No such file or directory$" \
    "a card in a missing directory" dss-export c.db $ES --card nodir/card.md
is "$(wc -l <"$TMP/out" | tr -d ' ')" 8 "  the records are written all the same"

# --- release: the directory is complete or absent ---
expect_fail 1 "^dss-export: dataset 'esnli' has no 'valid' examples in 'c.db'; the official trainer reads its train, valid and test splits$" \
    "release of a dataset without a split the trainer reads" \
    dss-export c.db --dataset esnli --format release --out r
[ ! -e r ]
ok $? "  creates nothing"
mkdir -p r/datasets/cqa
expect_fail 1 "^dss-export: 'r/datasets/cqa' exists; remove it or export to another --out$" \
    "release over an existing directory" dss-export c.db --dataset cqa --format release --out r
rmdir r/datasets/cqa
: >afile
expect_fail 1 "^dss-export: cannot create directory 'afile': File exists$" \
    "release into a file" dss-export c.db --dataset cqa --format release --out afile
# A cqa example without 5 choices fails the release half-way: nothing
# of it is left, not even the temporary directory.
cp c.db c4.db
sqlite3 c4.db "UPDATE examples SET record = json_set(record, '\$.fields.choices', json('[\"a\",\"b\"]')) WHERE id = 'cqa-train-000001'"
expect_fail 1 "^dss-export: example 'cqa-train-000001': field 'fields.choices' is not an array of 5 strings$" \
    "release: an example without its 5 choices" \
    dss-export c4.db --dataset cqa --format release --out r
is "$(ls -A r/datasets)" "" "  leaves nothing in r/datasets"
sqlite3 c4.db "UPDATE examples SET label = 'maybe', record = json_set(record, '\$.label', 'maybe') WHERE id = 'esnli-train-000002'"
sqlite3 c4.db "INSERT INTO examples SELECT dataset, replace(id, 'test', 'valid'), 'valid', idx, input, label, record FROM examples WHERE dataset = 'esnli' AND split = 'test'"
expect_fail 1 "^dss-export: example 'esnli-train-000002': field 'label' is not entailment, neutral or contradiction$" \
    "release: an NLI label that is not one of the three" \
    dss-export c4.db --dataset esnli --format release --out r
is "$(ls -A r/datasets)" "" "  leaves nothing in r/datasets"
done_testing
