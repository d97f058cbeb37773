#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: dss-fetch of an e-SNLI-sized training split (549,367 rows in
# the real column layout, two CSV files) from a file:// mirror into a fresh
# cache (copy, SHA-256, lock file) and out as example records, against a
# Python standard-library peer doing the same copy, hash, fsync and
# normalization, measured side by side in the same run.  Wall time is the
# figure; CPU time (user + system) is printed too, since on a loaded
# machine it is the steadier one.  Targets: at least 10x the peer's
# speed and a peak RSS under 32 MiB.  Both outputs must be identical.
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

now() { python3 -c 'import time; print("%.6f" % time.monotonic())'; }

rm -rf "$D/cache-dss" "$D/cache-py"
t0=$(now)
/usr/bin/time -f '%U %S %M' -o "$D/time-dss" ./bin/dss-fetch --cache "$D/cache-dss" \
    --mirror "file://$PWD/$MIRROR" "$D/esnli-bench.json" >"$D/out-dss.jsonl" 2>"$D/err-dss" ||
    { cat "$D/err-dss"; exit 1; }
t1=$(now)
/usr/bin/time -f '%U %S %M' -o "$D/time-py" \
    python3 bench/peer-fetch.py "$MIRROR" "$D/cache-py" >"$D/out-py.jsonl" 2>"$D/err-py" ||
    { cat "$D/err-py"; exit 1; }
t2=$(now)

if ! cmp -s "$D/out-dss.jsonl" "$D/out-py.jsonl"; then
	echo "FAIL: dss-fetch and the Python peer disagree"
	cmp "$D/out-dss.jsonl" "$D/out-py.jsonl"
	exit 1
fi
python3 - "$N" "$t0" "$t1" "$t2" "$(tail -n 1 "$D/time-dss")" "$(tail -n 1 "$D/time-py")" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:5])
du, ds, rss = sys.argv[5].split()
pu, ps, prss = sys.argv[6].split()
rss = int(rss)
dss, py = t1 - t0, t2 - t1
dcpu, pcpu = float(du) + float(ds), float(pu) + float(ps)
ratio = py / dss
print("rows:             %d (identical output from both)" % n)
print("dss-fetch:        %.3f s wall, %.2f s CPU  (%.0f rows/s)" % (dss, dcpu, n / dss))
print("python peer:      %.3f s wall, %.2f s CPU  (%.0f rows/s)" % (py, pcpu, n / py))
print("speedup:          %.1fx wall (target >= 10x)  %s;  %.1fx CPU" %
      (ratio, "ok" if ratio >= 10 else "MISSED", pcpu / dcpu))
print("dss-fetch maxRSS: %.1f MiB (target < 32 MiB) %s" % (rss / 1024, "ok" if rss < 32 * 1024 else "MISSED"))
sys.exit(0 if ratio >= 10 and rss < 32 * 1024 else 1)
PY
