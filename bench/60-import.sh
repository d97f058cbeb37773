#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: dss-import of a release zip in the official layout holding an
# e-SNLI training split of N examples (110,000 by default, 20 batch files
# of 5,500 completions; DSS_BENCH_IMPORT_N=549367 for the real size),
# against bench/peer-import.py, a Python standard-library peer doing the
# same checks and writing the same records, measured side by side in the
# same run.  Timed runs write to /dev/null; an untimed run of each then
# checks that both outputs are identical.  Printed: wall and CPU time,
# records per second, peak RSS, and the ratios.  Target: a peak RSS under
# 32 MiB whatever N (memory must not grow with the release).
set -u
cd "$(dirname "$0")/.."
N=${DSS_BENCH_IMPORT_N:-110000}
D=build/bench/import
mkdir -p "$D"

if [ ! -s "$D/rows" ] || [ "$(cat "$D/rows")" != "$N" ]; then
	echo "generating a release of $N esnli examples"
	rm -rf "$D/rel" "$D/rows" "$D/release.zip"
	python3 - "$D/rel" "$D/release.zip" "$N" <<'PY' || exit 1
import json, os, sys, zipfile
root, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
B = 5500
d = os.path.join(root, "datasets", "esnli")
os.makedirs(os.path.join(d, "llm"))
def split(name, n):
    with open(os.path.join(d, f"esnli_{name}.json"), "w") as f:
        for i in range(n):
            f.write(json.dumps({
                "premise": f"A cyclist in a yellow jacket rides along the canal path near lock {i}.",
                "hypothesis": f"Someone is riding a bike outdoors ({i}).",
                "label": i % 3,
                "explanation_1": f"A cyclist riding along a canal path is someone riding a bike outdoors, case {i}.",
                "explanation_2": "", "explanation_3": ""}) + "\n")
    for b in range(0, n, B):
        with open(os.path.join(d, "llm", f"{name}_CoT_{b // B}.json"), "w") as f:
            json.dump([f"A cyclist riding along a canal path is outdoors on a bike, so the "
                       f"hypothesis follows from the premise for item {i}.\nAnswer: entailment"
                       f"\n\nPremise: A child builds a sandcastle on the beach.\nHypothesis: "
                       f"A child is at the seaside." for i in range(b, min(n, b + B))], f)
split("train", n)
split("valid", 2000)
split("test", 2000)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, files in sorted(os.walk(os.path.join(root, "datasets"))):
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            z.write(p, os.path.relpath(p, root))
PY
	rm -rf "$D/rel"
	echo "$N" >"$D/rows"
fi
ZIP="$D/release.zip"
RECORDS=$(( (N + 4000) * 2 ))

now() { date +%s.%N; }

t0=$(now)
/usr/bin/time -f '%U %S %M' -o "$D/time-dss" ./bin/dss-import "$ZIP" >/dev/null 2>"$D/err-dss" ||
    { cat "$D/err-dss"; exit 1; }
t1=$(now)
/usr/bin/time -f '%U %S %M' -o "$D/time-py" python3 bench/peer-import.py "$ZIP" >/dev/null 2>"$D/err-py" ||
    { cat "$D/err-py"; exit 1; }
t2=$(now)

./bin/dss-import "$ZIP" >"$D/out-dss.jsonl" && python3 bench/peer-import.py "$ZIP" >"$D/out-py.jsonl" || exit 1
if ! cmp -s "$D/out-dss.jsonl" "$D/out-py.jsonl"; then
	echo "FAIL: dss-import and the Python peer disagree"
	cmp "$D/out-dss.jsonl" "$D/out-py.jsonl"
	exit 1
fi
rm -f "$D/out-dss.jsonl" "$D/out-py.jsonl"

python3 - "$N" "$RECORDS" "$t0" "$t1" "$t2" $(tail -n 1 "$D/time-dss") $(tail -n 1 "$D/time-py") <<'PY'
import sys
n, recs = int(sys.argv[1]), int(sys.argv[2])
t0, t1, t2, du, ds, rss, pu, ps, prss = map(float, sys.argv[3:12])
dss, py = t1 - t0, t2 - t1
dcpu, pcpu = du + ds, pu + ps
ok = rss < 32 * 1024
print("esnli train %d examples (+2,000 valid, +2,000 test): %d records, identical output "
      "from dss-import and the Python peer" % (n, recs))
print("dss-import %.2f s wall (%.2f s CPU, %.0f records/s, max RSS %.1f MiB); python peer "
      "%.2f s wall (%.2f s CPU, max RSS %.1f MiB); speedup %.1fx wall, %.1fx CPU  %s" %
      (dss, dcpu, recs / dss, rss / 1024, py, pcpu, prss / 1024, py / dss, pcpu / dcpu,
       "ok" if ok else "MISSED (target: max RSS < 32 MiB)"))
sys.exit(0 if ok else 1)
PY
