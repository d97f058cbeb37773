#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole job on the bundled SVAMP mirror, offline, as a user
# runs it with a real teacher and a real student:
#   fetch -> store -> prompt -> teach -> filter (gold, majority) -> store
#   -> sample (nested, stratified, official) -> export (t5 at every
#   fraction, the two baselines, a data card) -> stats (with a chart)
#   -> eval of a student's predictions (the ablation table and figure).
# The teacher is a scripted stand-in answering from a replay file
# (scripts/demo-teacher.py) and the student a scripted stand-in
# (scripts/demo-student.py); with DSS_DEMO_LIVE=1 and OPENAI_API_KEY set,
# the first 10 train prompts go to a real teacher instead.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
# DSS_DEMO_OUT and DSS_DEMO_BIN let tests/t0900-demo.sh run it elsewhere.
OUT=${DSS_DEMO_OUT:-$TOP/demo-out}
PATH="${DSS_DEMO_BIN:-$TOP/bin}:$PATH"
export DSS_CACHE="$OUT/cache"
rm -rf "$OUT"
mkdir -p "$OUT/export" "$OUT/predictions"
DB="$OUT/dss.db"
MIRROR="file://$TOP/datasets/mirror"
# The bundled mirror holds our own toy SVAMP, which the real manifest's
# checksum rejects; datasets/demo/svamp.json pins it.
MANIFEST=datasets/demo/svamp.json
START=$(date +%s)

step() { printf '\n== %s\n' "$*" >&2; }

step "dss-fetch: SVAMP from the bundled mirror, the official 800/200 split"
dss-fetch --mirror "$MIRROR" "$MANIFEST" > "$OUT/examples.jsonl"
dss-store "$DB" < "$OUT/examples.jsonl"
grep '"split":"test"' "$OUT/examples.jsonl" > "$OUT/test.jsonl"

step "dss-prompt: 7-shot chain-of-thought prompts for train and test"
dss-prompt --shots 7 < "$OUT/examples.jsonl" > "$OUT/prompts.jsonl"
dss-store "$DB" < "$OUT/prompts.jsonl"

step "dss-teach: a scripted stand-in teacher (offline), 3 samples a prompt"
python3 scripts/demo-teacher.py 3 < "$OUT/examples.jsonl" > "$OUT/replay.jsonl"
TEACHER="replay:$OUT/replay.jsonl"
if [ "${DSS_DEMO_LIVE:-0}" = 1 ] && [ -n "${OPENAI_API_KEY:-}" ]; then
	step "dss-teach: a real teacher for the first 10 train prompts"
	head -n 10 "$OUT/prompts.jsonl" |
	    dss-teach --db "$DB" --teacher openai:gpt-4o-mini --samples 3 \
	    --temperature 0.7 --max-tokens 256 --stop 'Q:' --max-cost 0.05 \
	    --price 0.15,0.60 > "$OUT/live-completions.jsonl"
	dss-store "$DB" < "$OUT/live-completions.jsonl"
fi
dss-teach --db "$DB" --teacher "$TEACHER" --samples 3 \
    < "$OUT/prompts.jsonl" > "$OUT/completions.jsonl"
dss-store "$DB" < "$OUT/completions.jsonl"

step "dss-teach again: every response comes from the cache"
dss-teach --db "$DB" --teacher "$TEACHER" --samples 3 \
    < "$OUT/prompts.jsonl" > "$OUT/completions2.jsonl"
cmp "$OUT/completions.jsonl" "$OUT/completions2.jsonl"
echo "second run identical: $(wc -l < "$OUT/completions2.jsonl") completions" >&2

step "dss-filter: keep rationales whose answer equals gold, or the majority of 3"
dss-filter --agree gold --rejects "$OUT/rejects-gold.jsonl" \
    < "$OUT/completions.jsonl" > "$OUT/triples-gold.jsonl"
dss-filter --agree majority --rejects "$OUT/rejects-majority.jsonl" \
    < "$OUT/completions.jsonl" > "$OUT/triples-majority.jsonl"
cat "$OUT/triples-gold.jsonl" "$OUT/rejects-gold.jsonl" \
    "$OUT/triples-majority.jsonl" "$OUT/rejects-majority.jsonl" | dss-store "$DB"

step "dss-sample: nested 12.5-100% fractions, stratified ones, and the official code's"
dss-sample --dataset "$MANIFEST" "$DB"
dss-sample --dataset "$MANIFEST" --stratify "$DB"
dss-sample --dataset "$MANIFEST" --official 0 "$DB"
dss-sample --list --dataset svamp "$DB" >&2

step "dss-export: training files (t5 at every fraction, the two baselines) and a data card"
for f in 0.125 0.25 0.5 0.75 1; do
	dss-export "$DB" --dataset svamp --split train --subset "nested-s0-$f" \
	    > "$OUT/export/t5-$f.jsonl"
done
dss-export "$DB" --dataset svamp --split train --card "$OUT/export/card.md" \
    > "$OUT/export/t5-all.jsonl"
dss-export "$DB" --dataset svamp --split train --format standard --labels gold \
    > "$OUT/export/standard-gold.jsonl"
dss-export "$DB" --dataset svamp --split train --format standard --labels teacher \
    > "$OUT/export/standard-teacher.jsonl"
dss-export "$DB" --dataset svamp --split test > "$OUT/export/t5-test.jsonl"
wc -l "$OUT"/export/*.jsonl | sed "s|$OUT/||" >&2

step "dss-stats: what the corpus holds"
dss-stats "$DB" --svg "$OUT/stats.svg" > "$OUT/stats.txt"
sed -n '1,12p' "$OUT/stats.txt" >&2

step "dss-eval: a stand-in student's predictions on test, and the teacher's own answers"
# The student is trained outside dss; here a scripted stand-in writes the
# prediction files a real one would (scripts/demo-student.py says how).
python3 scripts/demo-student.py "$OUT/predictions" < "$OUT/test.jsonl"
# The teacher's few-shot accuracy: its first sample on each test prompt,
# read by dss-filter (an unreadable answer is a wrong prediction).
grep '"split":"test"' "$OUT/completions.jsonl" | grep '"sample":0' |
    dss-filter --agree none --rejects "$OUT/rejects-test.jsonl" \
    > "$OUT/triples-test.jsonl"
python3 -c 'import json, sys
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        print(json.dumps({"id": r["id"], "prediction": r.get("teacher_label") or "",
                          "method": "few-shot CoT (teacher)"}))' \
    "$OUT/triples-test.jsonl" "$OUT/rejects-test.jsonl" > "$OUT/predictions/few-shot.jsonl"
dss-eval --gold "$DB" --split test --pred "$OUT"/predictions/*.jsonl \
    --svg "$OUT/ablation.svg" > "$OUT/ablation.txt"
cat "$OUT/ablation.txt" >&2

step "done in $(($(date +%s) - START)) s; the outputs"
cat >&2 <<MSG
  database            $OUT/dss.db
  completions         $OUT/completions.jsonl
  kept rationales     $OUT/triples-gold.jsonl, $OUT/triples-majority.jsonl
  training files      $OUT/export/ (t5-<fraction>.jsonl, standard-*.jsonl)
  data card           $OUT/export/card.md
  corpus statistics   $OUT/stats.txt, $OUT/stats.svg
  ablation            $OUT/ablation.txt, $OUT/ablation.svg
MSG
