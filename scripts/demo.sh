#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: the whole pipeline on the bundled SVAMP mirror, offline.
# fetch -> store -> prompt -> teach -> filter (gold and majority) -> store,
# then a summary from the database.  With DSS_DEMO_LIVE=1 and
# OPENAI_API_KEY set, the teacher is a real model on the first 10 prompts.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
OUT="$TOP/demo-out"
PATH="$TOP/bin:$PATH"
export DSS_CACHE="$OUT/cache"
rm -rf "$OUT"
mkdir -p "$OUT"
DB="$OUT/dss.db"
MIRROR="file://$TOP/datasets/mirror"

step() { printf '\n== %s\n' "$*" >&2; }

step "dss-fetch: SVAMP from the bundled mirror, official 800/200 split"
dss-fetch --mirror "$MIRROR" datasets/demo/svamp.json > "$OUT/examples.jsonl"
dss-store "$DB" < "$OUT/examples.jsonl"
grep '"split":"train"' "$OUT/examples.jsonl" > "$OUT/train.jsonl"

step "dss-prompt: 7-shot chain-of-thought prompts"
dss-prompt --shots 7 < "$OUT/train.jsonl" > "$OUT/prompts.jsonl"
dss-store "$DB" < "$OUT/prompts.jsonl"

if [ "${DSS_DEMO_LIVE:-0}" = 1 ] && [ -n "${OPENAI_API_KEY:-}" ]; then
	step "dss-teach: a real teacher, 10 prompts, 3 samples each"
	head -n 10 "$OUT/prompts.jsonl" |
	    dss-teach --db "$DB" --teacher openai:gpt-4o-mini --samples 3 \
	    --temperature 0.7 --max-tokens 256 --stop 'Q:' --max-cost 0.05 \
	    --price 0.15,0.60 > "$OUT/completions.jsonl"
else
	step "dss-teach: replaying a scripted stand-in teacher (offline), 3 samples each"
	python3 scripts/demo-teacher.py 3 < "$OUT/train.jsonl" > "$OUT/replay.jsonl"
	dss-teach --db "$DB" --teacher "replay:$OUT/replay.jsonl" --samples 3 \
	    < "$OUT/prompts.jsonl" > "$OUT/completions.jsonl"
fi
dss-store "$DB" < "$OUT/completions.jsonl"

step "dss-teach again: every response comes from the cache"
dss-teach --db "$DB" --teacher "replay:$OUT/replay.jsonl" --samples 3 \
    < "$OUT/prompts.jsonl" > "$OUT/completions2.jsonl"
cmp -s "$OUT/completions.jsonl" "$OUT/completions2.jsonl" &&
    echo "second run identical: $(wc -l < "$OUT/completions2.jsonl") completions" >&2

step "dss-filter --agree gold: keep rationales whose answer equals the gold equation"
dss-filter --agree gold --rejects "$OUT/rejects-gold.jsonl" \
    < "$OUT/completions.jsonl" > "$OUT/triples-gold.jsonl"

step "dss-filter --agree majority: self-consistency over 3 samples, no gold labels"
dss-filter --agree majority --rejects "$OUT/rejects-majority.jsonl" \
    < "$OUT/completions.jsonl" > "$OUT/triples-majority.jsonl"
dss-store "$DB" < "$OUT/triples-gold.jsonl"

step "summary"
sqlite3 "$DB" "SELECT 'examples', count(*) FROM examples
	UNION ALL SELECT 'prompts', count(*) FROM prompts
	UNION ALL SELECT 'completions', count(*) FROM completions
	UNION ALL SELECT 'cached responses', count(*) FROM teach_cache
	UNION ALL SELECT 'triples (gold)', count(*) FROM triples;" |
    sed 's/|/: /' >&2
echo "a kept triple:" >&2
head -n 1 "$OUT/triples-gold.jsonl" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("  input:     " + r["input"].replace("\n", " ")); print("  rationale: " + r["rationale"]); print("  label:     " + r["label"])' >&2
echo "outputs in $OUT" >&2
