#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The benchmark peer of dss-filter: reads e-SNLI completion records and
# applies the official parsing rules of the Distilling Step-by-Step code
# (rationale: the text before "Answer:"; label: the text after "Answer: "
# up to "Premise", right-stripped), keeps the ones whose label equals the
# gold label, and writes triple records like dss-filter's.  Standard
# library only.
import json
import sys

dumps = json.dumps
loads = json.loads
out = sys.stdout
kept = read = 0
for line in sys.stdin:
    rec = loads(line)
    read += 1
    text = rec["completion"]
    parts = text.split("Answer:")
    rationale = parts[0].strip()
    try:
        label = text.split("Answer: ")[1].split("Premise")[0].rstrip()
    except IndexError:
        label = ""
    if label != rec["label"]:
        continue
    kept += 1
    out.write(dumps({
        "dataset": rec["dataset"], "split": rec["split"], "id": rec["id"],
        "index": rec["index"], "input": rec["input"], "fields": rec["fields"],
        "teacher": rec["teacher"], "sample": rec["sample"],
        "request": rec["request"], "rationale": rationale,
        "teacher_label": label, "label": rec["label"], "gold": rec["label"],
        "agree": True,
    }, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")
sys.stderr.write("peer: read %d, kept %d\n" % (read, kept))
