#!/usr/bin/env python3
"""Summarises script/bench-compare runs (one or more results directories): per measurement, old and new p50, p99 and rate over the
rounds (each round's value, then the median), and the ratio new/old of the medians."""
import glob, json, os, re, statistics, sys

outs = sys.argv[1:]
rows = {}  # (measurement) -> side -> list of (p50, p99, rate)


def add(key, side, p50, p99, rate):
    rows.setdefault(key, {}).setdefault(side, []).append((p50, p99, rate))


def wrk_ms(text, label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


for path in sorted(p for out in outs for p in glob.glob(os.path.join(out, "*-bench.jsonl"))):
    side = os.path.basename(path).split("-")[0]
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        if "concurrency" not in m:
            continue
        add(f"bench {m['name']} c={m['concurrency']}", side, m["p50_ms"], m["p99_ms"], m["rps"])
for kind, name in (("slots", "wrk GET /api/v1/slots c=100"), ("book", "wrk POST /api/v1/bookings c=100")):
    for path in sorted(p for out in outs for p in glob.glob(os.path.join(out, f"*-{kind}.txt"))):
        side = os.path.basename(path).split("-")[0]
        text = open(path).read()
        # wrk's Requests/sec divides by the whole -d even when the thread stops early; its
        # per-thread Req/Sec average is the rate of the requests actually made.
        rate = re.search(r"Req/Sec\s+([\d.]+)(k?)", text)
        rps = float(rate.group(1)) * (1000 if rate.group(2) == "k" else 1) * (2 if kind == "slots" else 1) if rate else None
        add(name, side, wrk_ms(text, "50%"), wrk_ms(text, "99%"), rps)

print(f"{'measurement':40} {'old p50':>9} {'new p50':>9} {'old p99':>9} {'new p99':>9} {'p99 new/old':>11} {'old /s':>9} {'new /s':>9} {'rate new/old':>12}")
for key in rows:
    old, new = rows[key].get("old", []), rows[key].get("new", [])
    def med(values, i):
        vals = [v[i] for v in values if v[i] is not None]
        return statistics.median(vals) if vals else float("nan")
    o50, n50, o99, n99, ors, nrs = med(old, 0), med(new, 0), med(old, 1), med(new, 1), med(old, 2), med(new, 2)
    print(f"{key:40} {o50:9.2f} {n50:9.2f} {o99:9.2f} {n99:9.2f} {n99 / o99 if o99 else float('nan'):11.2f} {ors:9.0f} {nrs:9.0f} {nrs / ors if ors else float('nan'):12.2f}")
    for side, values in (("old", old), ("new", new)):
        print(f"    {side}: " + "; ".join(f"p50 {a:.2f} p99 {b:.2f} {c:.0f}/s" for a, b, c in values if a is not None and b is not None and c is not None))
