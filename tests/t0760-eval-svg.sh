#!/bin/sh
# SPDX-License-Identifier: MIT
# dss-eval --svg: the chart parses as XML, and its points, read back
# through the axes' ticks, are the accuracies of the --json output: a
# line per method over the percentages of training data, the few-shot
# reference as a horizontal line, one panel per dataset and split; by
# model size when there are no fractions.  The file is replaced whole.
. "$(dirname "$0")/lib.sh"

DSS_DATASETS="$TOP/datasets"
export DSS_DATASETS
cd "$TMP" || exit 1

# Gold: 40 svamp and 30 esnli test examples; predictions of two methods at
# four fractions, right more often with more data, and a few-shot file.
python3 - <<'PY'
import json, random
rng = random.Random(3)
with open("gold.jsonl", "w") as g:
    for i in range(40):
        g.write(json.dumps({"dataset": "svamp", "split": "test", "id": "s%d" % i,
                            "index": i, "input": "x", "label": "( %d.0 + 1.0 )" % i,
                            "fields": {}}) + "\n")
    for i in range(30):
        g.write(json.dumps({"dataset": "esnli", "split": "test", "id": "e%d" % i,
                            "index": i, "input": "x",
                            "label": ["entailment", "neutral", "contradiction"][i % 3],
                            "fields": {}}) + "\n")
for method, bonus in (("dss", 0.1), ("standard", 0.0)):
    for f in (0.125, 0.25, 0.5, 1):
        with open("%s-%s.jsonl" % (method, f), "w") as p:
            for i in range(40):
                right = rng.random() < 0.4 + f * 0.4 + bonus
                p.write(json.dumps({"id": "s%d" % i, "method": method, "fraction": f,
                                    "prediction": "%d + 1" % i if right else "0"}) + "\n")
            for i in range(30):
                lab = ["entailment", "neutral", "contradiction"][i % 3]
                right = rng.random() < 0.5 + f * 0.3 + bonus
                p.write(json.dumps({"id": "e%d" % i, "method": method, "fraction": f,
                                    "prediction": lab if right else "neutral?"}) + "\n")
with open("few-shot.jsonl", "w") as p:
    for i in range(40):
        p.write(json.dumps({"id": "s%d" % i, "prediction": "%d + 1" % i if i % 4 else "1"}) + "\n")
    for i in range(30):
        p.write(json.dumps({"id": "e%d" % i, "prediction": "entailment"}) + "\n")
PY
ok $? "fixtures"

echo "old" >chart.svg
expect_ok "--svg writes a chart" dss-eval --gold gold.jsonl --svg chart.svg \
    --pred dss-*.jsonl standard-*.jsonl few-shot.jsonl
dss-eval --gold gold.jsonl --json --pred dss-*.jsonl standard-*.jsonl \
    few-shot.jsonl >table.json 2>/dev/null
ok $? "the same groups as JSON"
is "$(ls | grep -c 'chart.svg.tmp')" 0 "no temporary file is left behind"

cat >check.py <<'PY'
import json, sys
import xml.etree.ElementTree as ET

svg, table = sys.argv[1], sys.argv[2]
root = ET.parse(svg).getroot()
NS = root.tag[:-len("svg")]    # the SVG namespace, in braces
assert root.tag.endswith("}svg"), root.tag
rows = [json.loads(l) for l in open(table)]


def fit(ticks, coord):
    """A linear map from pixel to value through the axis ticks."""
    pts = [(float(t.get(coord)), float(t.get("data-value"))) for t in ticks]
    assert len(pts) >= 2, "fewer than two ticks"
    (p0, v0), (p1, v1) = pts[0], pts[-1]
    return lambda p: v0 + (p - p0) * (v1 - v0) / (p1 - p0)


panels = root.findall(NS + "g[@class='panel']")
checked = 0
for panel in panels:
    ds, split = panel.get("data-dataset"), panel.get("data-split")
    mine = [r for r in rows if r["dataset"] == ds and r["split"] == split]
    assert mine, (ds, split)
    yv = fit(panel.findall(NS + "line[@class='ytick']"), "y1")
    by = sys.argv[3] if len(sys.argv) > 3 else "fraction"
    xticks = panel.findall(NS + "line[@class='xtick']")
    series = panel.findall(NS + "g[@class='series']")
    refs = panel.findall(NS + "g[@class='reference']")
    want_series = {r["method"] for r in mine if r[by] is not None}
    assert {s.get("data-method") for s in series} == want_series, series
    for s in series:
        m = s.get("data-method")
        want = sorted((r for r in mine if r["method"] == m and r[by] is not None),
                      key=lambda r: r["fraction"] if by == "fraction" else 0)
        line = s.find(NS + "polyline")
        pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(pts) == len(want), (m, pts, want)
        if by == "fraction":
            xv = fit(xticks, "x1")
            for (px, py), r in zip(pts, want):
                assert abs(xv(px) - r["fraction"] * 100) < 0.05, (px, r)
                assert abs(yv(py) - r["accuracy"] * 100) < 0.05, (py, r)
                checked += 1
        else:
            labels = [t.text for t in panel.findall(NS + "text[@class='xtick-label']")]
            xpos = [float(t.get("x1")) for t in xticks]
            for (px, py), r in zip(pts, sorted(want, key=lambda r: labels.index(r["size"]))):
                assert abs(px - xpos[labels.index(r["size"])]) < 0.01, (px, r)
                assert abs(yv(py) - r["accuracy"] * 100) < 0.05, (py, r)
                checked += 1
        for c, r in zip(s.findall(NS + "circle"), want):
            assert abs(float(c.get("data-y")) - r["accuracy"] * 100) < 1e-6, (c.attrib, r)
        cis = s.findall(NS + "line[@class='ci']")
        for ci, r in zip(cis, want):
            lo, hi = sorted((yv(float(ci.get("y1"))), yv(float(ci.get("y2")))))
            assert abs(lo - r["ci95"][0] * 100) < 0.05 and abs(hi - r["ci95"][1] * 100) < 0.05
    want_refs = [r for r in mine if r[by] is None and (by == "size" or r["size"] is None)]
    assert len(refs) == len(want_refs), (refs, want_refs)
    for g, r in zip(refs, want_refs):
        assert g.get("data-method") == r["method"]
        ln = g.find(NS + "line")
        assert ln.get("y1") == ln.get("y2") and ln.get("stroke-dasharray"), ln.attrib
        assert abs(yv(float(ln.get("y1"))) - r["accuracy"] * 100) < 0.05, (ln.attrib, r)
        checked += 1
    legend = [t.text for t in panel.findall(NS + "g[@class='legend']/" + NS + "text")]
    assert legend == sorted(want_series, key=[s.get("data-method") for s in series].index) + \
        [r["method"] for r in want_refs], legend
print("ok %d panels %d points" % (len(panels), checked))
PY
is "$(python3 check.py chart.svg table.json 2>&1)" "ok 2 panels 18 points" \
    "every point, interval and reference line is the table's"

# Names that XML must escape.
sed 's/"method": "dss"/"method": "a<b> \& \\"c\\" \\u0001"/' dss-0.5.jsonl >odd.jsonl
dss-eval --gold gold.jsonl --svg odd.svg --pred odd.jsonl >/dev/null 2>&1
ok $? "odd method names"
python3 -c "import xml.etree.ElementTree as E; E.parse('odd.svg')" 2>err
ok $? "  still make well-formed XML"
grep -q 'data-method="a&lt;b&gt; &amp; &quot;c&quot;  *"' odd.svg
ok $? "  escaped"

# By model size when no group has a fraction.
for s in 11B 220M 770M; do
	sed "s/\"fraction\": 0.5/\"size\": \"$s\"/" dss-0.5.jsonl >"size-$s.jsonl"
done
dss-eval --gold gold.jsonl --svg size.svg --pred size-770M.jsonl size-11B.jsonl \
    size-220M.jsonl >/dev/null 2>&1
ok $? "a chart by model size"
dss-eval --gold gold.jsonl --json --pred size-770M.jsonl size-11B.jsonl \
    size-220M.jsonl >size.json 2>/dev/null
is "$(python3 check.py size.svg size.json size 2>&1)" "ok 2 panels 6 points" \
    "  its points are the table's"
grep -c 'class="xtick-label"' size.svg >n
is "$(cat n)" 6 "  a tick per size"
is "$(grep -o 'class="xtick-label"[^>]*>[^<]*' size.svg | sed 's/.*>//' | head -3 | tr '\n' ' ')" \
    "220M 770M 11B " "  sizes in order"
done_testing
