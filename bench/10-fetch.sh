#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: dss-fetch of an e-SNLI-sized training split (549,367 rows in
# the real column layout, two CSV files) from a file:// mirror, against a
# Python standard-library peer doing the same work, measured side by side
# in the same run.  Cold: an empty cache, so both copy, hash and fsync the
# files, then normalize.  Warm: a second run, so both re-hash the cached
# files against the recorded hashes, then normalize.  Timed runs write to
# /dev/null, so that writing 300 MB of output to disk is not what is
# measured; an untimed run of each then checks that both outputs are
# identical.  Targets: at least 10x the peer's wall-clock speed and a peak
# RSS under 32 MiB.  CPU time (user + system) is printed too, since on a
# loaded machine it is the steadier figure.
set -u
cd "$(dirname "$0")/.."
N=${DSS_BENCH_FETCH_N:-549367}
D=build/bench/fetch
MIRROR="$D/mirror"
mkdir -p "$D"

if [ ! -s "$D/rows" ] || [ "$(cat "$D/rows")" != "$N" ]; then
	echo "generating $N rows"
	rm -f "$D/rows"
	python3 bench/gen-esnli.py "$MIRROR" "$N" || exit 1
	echo "$N" >"$D/rows"
fi
cat >"$D/esnli-bench.json" <<'JSON'
{
  "name": "esnli",
  "format": "csv",
  "sources": {
    "train_1": { "url": "https://bench.example/esnli/esnli_train_1.csv" },
    "train_2": { "url": "https://bench.example/esnli/esnli_train_2.csv" }
  },
  "splits": { "train": { "sources": ["train_1", "train_2"] } },
  "fields": {
    "premise": "Sentence1",
    "hypothesis": "Sentence2",
    "source_id": "pairID",
    "explanations": ["Explanation_1", "Explanation_2", "Explanation_3"]
  },
  "label": {
    "from": "gold_label",
    "map": { "entailment": "entailment", "neutral": "neutral", "contradiction": "contradiction" }
  },
  "input": "{premise}</s>{hypothesis}"
}
JSON

now() { date +%s.%N; }

# run PHASE: times dss-fetch, then the peer; appends a line to $D/results.
run() {
	t0=$(now)
	/usr/bin/time -f '%U %S %M' -o "$D/time-dss" ./bin/dss-fetch --cache "$D/cache-dss" \
	    --mirror "file://$PWD/$MIRROR" "$D/esnli-bench.json" >/dev/null 2>"$D/err-dss" ||
	    { cat "$D/err-dss"; exit 1; }
	t1=$(now)
	/usr/bin/time -f '%U %S %M' -o "$D/time-py" \
	    python3 bench/peer-fetch.py "$MIRROR" "$D/cache-py" >/dev/null 2>"$D/err-py" ||
	    { cat "$D/err-py"; exit 1; }
	t2=$(now)
	echo "$1 $t0 $t1 $t2 $(tail -n 1 "$D/time-dss") $(tail -n 1 "$D/time-py")" >>"$D/results"
}

rm -rf "$D/cache-dss" "$D/cache-py" "$D/results"
run cold
run warm
./bin/dss-fetch --offline --cache "$D/cache-dss" --mirror "file://$PWD/$MIRROR" "$D/esnli-bench.json" >"$D/out-dss.jsonl" 2>/dev/null &&
    python3 bench/peer-fetch.py "$MIRROR" "$D/cache-py" >"$D/out-py.jsonl" 2>/dev/null || exit 1
if ! cmp -s "$D/out-dss.jsonl" "$D/out-py.jsonl"; then
	echo "FAIL: dss-fetch and the Python peer disagree"
	cmp "$D/out-dss.jsonl" "$D/out-py.jsonl"
	exit 1
fi
rm -f "$D/out-dss.jsonl" "$D/out-py.jsonl"
python3 - "$N" "$D/results" <<'PY'
import sys
n = int(sys.argv[1])
good = True
print("rows: %d, identical output from dss-fetch and the Python peer" % n)
for line in open(sys.argv[2]):
    phase, t0, t1, t2, du, ds, rss, pu, ps, prss = line.split()
    dss, py = float(t1) - float(t0), float(t2) - float(t1)
    dcpu, pcpu = float(du) + float(ds), float(pu) + float(ps)
    ratio, rss = py / dss, int(rss)
    ok = ratio >= 10 and rss < 32 * 1024
    good = good and ok
    print("%s: dss-fetch %.2f s wall (%.2f s CPU, %.0f rows/s, max RSS %.1f MiB); "
          "python peer %.2f s wall (%.2f s CPU); speedup %.1fx wall, %.1fx CPU  %s" %
          (phase, dss, dcpu, n / dss, rss / 1024, py, pcpu, ratio, pcpu / dcpu,
           "ok" if ok else "MISSED (targets: >= 10x wall, < 32 MiB)"))
sys.exit(0 if good else 1)
PY
