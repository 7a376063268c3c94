"""Summarises script/bench/slots-compare's results: per measurement, the median requests per
second of each side, the ratios new/old and busy/new round by round, and the median p99."""
import glob
import json
import os
import statistics
import sys

rows = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.jsonl"))):
    side, round_ = os.path.basename(path)[: -len(".jsonl")].rsplit("-", 1)
    for line in open(path):
        measurement = json.loads(line)
        if "rps" in measurement:
            rows.setdefault((measurement["name"], measurement["concurrency"]), {}).setdefault(side, {})[round_] = measurement


def median(side, key):
    return statistics.median(m[key] for m in side.values()) if side else float("nan")


for (name, concurrency), sides in sorted(rows.items()):
    old, new, busy = (sides.get(s, {}) for s in ("old", "new", "new-busy200"))
    new_old = " ".join("%.2f" % (new[r]["rps"] / old[r]["rps"]) for r in sorted(old) if r in new)
    busy_new = " ".join("%.2f" % (busy[r]["rps"] / new[r]["rps"]) for r in sorted(new) if r in busy)
    print(f"{name:21} c={concurrency:<3} req/s old {median(old, 'rps'):7.0f} new {median(new, 'rps'):7.0f} busy200 {median(busy, 'rps'):7.0f}"
          f"  p99 ms {median(old, 'p99_ms'):.2f}/{median(new, 'p99_ms'):.2f}/{median(busy, 'p99_ms'):.2f}"
          f"  new/old {new_old}  busy/new {busy_new}")
