#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-export on a small hand-written corpus (tests/export-corpus.py):
# golden files of every JSON Lines format, the same records as an
# independent Python reading of the database (tests/export-reference.py)
# for every combination of options that matters, the shape the Hugging
# Face JSON loader needs (tests/hf_shape.py), the JSON Schemas, the data
# card, the summary, and the database left as it was.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
G="$TOP/tests/golden"
CHECK="python3 $TOP/tests/check_schema.py"
SHAPE="python3 $TOP/tests/hf_shape.py"
REF="python3 $TOP/tests/export-reference.py"

python3 "$TOP/tests/export-corpus.py" "$TMP" &&
    dss-store "$TMP/c.db" <"$TMP/records.jsonl" 2>/dev/null &&
    sqlite3 "$TMP/c.db" <"$TMP/subsets.sql" ||
    { echo "Bail out! cannot build the test corpus"; exit 1; }
sqlite3 "$TMP/c.db" .dump >"$TMP/dump.before"
# The tool runs from TMP with a relative database path, so that the card
# it writes is the same wherever the test runs.
cd "$TMP" || exit 1

# --- golden files, one per format ---
golden() {
	_name=$1; shift
	dss-export c.db "$@" >"$TMP/$_name.jsonl" 2>"$TMP/$_name.err"
	ok $? "dss-export $* runs"
	cmp_file "$TMP/$_name.jsonl" "$G/export-$_name.jsonl" "$_name: golden records"
}
golden t5 --dataset esnli --split train
golden t5-all --dataset esnli --split train --pick all --rationales all \
    --filter majority --labels teacher
golden pairs --dataset esnli --split train --format pairs --pick all
golden standard --dataset esnli --split train --format standard --labels teacher \
    --subset nested-s0-1
golden chat --dataset esnli --split train --format chat --pick longest
golden chat-cqa --dataset cqa --split train --format chat
golden chat-svamp --dataset svamp --split train --format chat --labels teacher
golden chat-svamp-gold --dataset svamp --split train --format chat
is "$(cat "$TMP/t5.err")" "dss-export: esnli train: 5 examples: 3 with a rationale, 2 label only, 0 left out; 8 records (predict 5, explain 3)" \
    "t5 summary on stderr"
is "$(cat "$TMP/standard.err")" "dss-export: esnli train: 5 examples: 3 with a rationale, 0 label only, 2 left out; 3 records" \
    "standard summary on stderr"

# --- the same records as an independent reading of the database ---
n=0
while read -r args; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	dss-export c.db $args >"$TMP/got.$n" 2>"$TMP/err.$n"
	st=$?
	# shellcheck disable=SC2086
	$REF c.db $args >"$TMP/want.$n"
	python3 - "$TMP/got.$n" "$TMP/want.$n" <<'EOF'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [json.loads(l) for l in open(sys.argv[2])]
same = got == want and all(list(g) == list(w) for g, w in zip(got, want))
if not same:
    for g, w in zip(got + [None] * len(want), want + [None] * len(got)):
        if g != w or (g and list(g) != list(w)):
            print("# got: ", json.dumps(g)[:200]); print("# want:", json.dumps(w)[:200]); break
sys.exit(0 if same and got else 1)
EOF
	[ $? -eq 0 ] && [ $st -eq 0 ]
	ok $? "as the reference: $args"
	$SHAPE "$TMP/got.$n" 2>"$TMP/shape.err"
	ok $? "  one key set and one type per key (Hugging Face JSON loader)"
	[ -s "$TMP/shape.err" ] && diag "$TMP/shape.err"
	case $args in
	*"--format pairs"*) schema=export-pairs ;;
	*"--format standard"*) schema=export-standard ;;
	*) schema=export ;;
	esac
	$CHECK "$TOP/schemas/$schema.schema.json" "$TMP/got.$n" 2>"$TMP/schema.err"
	ok $? "  matches $schema.schema.json"
	[ -s "$TMP/schema.err" ] && diag "$TMP/schema.err"
done <<'EOF'
--dataset esnli --split train
--dataset esnli --split train --pick shortest
--dataset esnli --split train --pick longest
--dataset esnli --split train --pick all
--dataset esnli --split train --missing drop
--dataset esnli --split train --labels teacher
--dataset esnli --split train --labels teacher --pick all
--dataset esnli --split train --filter majority
--dataset esnli --split train --filter majority --rationales all --pick all
--dataset esnli --split train --filter none,min-rationale=20 --rationales all
--dataset esnli --split train --filter none,min-rationale=20 --rationales all --labels teacher --pick longest
--dataset esnli --split train --subset nested-s0-0.5
--dataset esnli --split train --subset nested-s0-1 --pick all --missing drop
--dataset esnli --split train --prefixes Predict:,Explain:
--dataset esnli --split test
--dataset cqa --split train --subset official-r0-0.75
--dataset svamp --split train --labels teacher
--dataset esnli --split train --format pairs
--dataset esnli --split train --format pairs --pick all --rationales all --filter majority
--dataset esnli --split train --format pairs --labels teacher --missing drop
--dataset esnli --split train --format standard
--dataset esnli --split train --format standard --missing drop
--dataset esnli --split train --format standard --labels teacher --subset nested-s0-1
--dataset esnli --split test --format standard
EOF

# Every format's file has the loader's shape and its schema; chat records
# are nothing but messages, user then assistant.
for f in t5 t5-all pairs standard chat chat-cqa chat-svamp chat-svamp-gold; do
	$SHAPE "$TMP/$f.jsonl" 2>"$TMP/shape.err"
	ok $? "$f: one key set and one type per key"
done
for f in chat chat-cqa chat-svamp chat-svamp-gold; do
	$CHECK "$TOP/schemas/export-chat.schema.json" "$TMP/$f.jsonl"
	ok $? "$f matches export-chat.schema.json"
done
$CHECK "$TOP/schemas/export.schema.json" "$TMP/t5-all.jsonl"
ok $? "t5-all matches export.schema.json"
python3 - "$TMP/chat-cqa.jsonl" "$TMP/chat-svamp-gold.jsonl" <<'EOF'
import json, sys
ok = True
for p in sys.argv[1:]:
    for l in open(p):
        m = json.loads(l)["messages"]
        ok &= [x["role"] for x in m] == ["user", "assistant"]
cqa = [json.loads(l)["messages"][1]["content"] for l in open(sys.argv[1])]
ok &= cqa[0].endswith("So the answer is (b) refrigerator.") and cqa[1] == "So the answer is (c) exhausted."
sv = [json.loads(l)["messages"][1]["content"] for l in open(sys.argv[2])]
ok &= sv[0].endswith(" The answer is ( 12.0 - 5.0 ).")
sys.exit(0 if ok else 1)
EOF
ok $? "chat: user then assistant; cqa letters; a parenthesised equation is not wrapped twice"

# A t5 file loads with the real loader when the datasets package is here.
if python3 -c 'import datasets' 2>/dev/null; then
	python3 -c 'import datasets, sys; d = datasets.load_dataset("json", data_files=sys.argv[1])["train"]; sys.exit(0 if len(d) == 8 else 1)' \
	    "$TMP/t5.jsonl" >/dev/null 2>&1
	ok $? "the datasets JSON loader reads the t5 file"
else
	echo "ok $((_n + 1)) # SKIP the datasets package is not installed"
	_n=$((_n + 1))
fi

# --- the data card ---
dss-export c.db --dataset esnli --split train --subset nested-s0-0.5 \
    --pick longest --card card.md >/dev/null 2>&1
ok $? "--card runs"
cmp_file "$TMP/card.md" "$G/export-card.md" "the data card"
ls "$TMP" | grep -q '^card\.md\.tmp'
ok $((! $?)) "no temporary card left behind"
dss-export c.db --dataset esnli --split train --format standard --card card2.md \
    >/dev/null 2>&1
grep -q '^| Filter | not used: this export has no rationales |$' card2.md
ok $? "the card of an export that needs no triples says so"
grep -q '^| Teachers | none (no rationale was exported) |$' card2.md
ok $? "  and names no teacher"
grep -q "^dss-export c.db --dataset esnli --split train --format standard --card card2.md$" card2.md
ok $? "  and gives the command line"
dss-export c.db --dataset esnli --split train --prefixes 'Q: ,Why: ' --card "card 3.md" \
    >/dev/null 2>&1
grep -q "^dss-export c.db --dataset esnli --split train --prefixes 'Q: ,Why: ' --card 'card 3.md'$" "card 3.md"
ok $? "  quoted as a shell would need it"
grep -q "^| \`--prefixes\` | \`Q: ,Why: \` | set |$" "card 3.md"
ok $? "  with the options that are not defaults marked"

# --- nothing in the database changed, nothing created ---
sqlite3 c.db .dump >"$TMP/dump.after"
cmp_file "$TMP/dump.after" "$TMP/dump.before" "the database is unchanged"
ls "$TMP" | grep -q '^c\.db-wal$' && [ -s c.db-wal ]
ok $((! $?)) "no WAL written to"
done_testing
