#!/usr/bin/python3
"""Compares two `ssai conform` report.json files run by run.

    scripts/compare_conform.py BEFORE/report.json AFTER/report.json [--errors-only] [--show N]

Runs are matched by (build, scenario): the target's kind is dropped, so `builtin:kv-hybrid` and
`sim:kv-hybrid` (or `serve:kv-hybrid`) compare. Full mode compares every check's outcome,
failures, evaluated count and evidence, and every stat but wall-clock ones; --errors-only
compares the set of error-severity checks each run failed (what a verdict depends on). Prints
each differing run (up to --show) and a summary line; exit 0 when none differ, 1 when some do,
2 on unreadable input.
"""
import argparse
import json
import sys


# A conform report of the 39 fixtures x 21 builds is ~25 MB; anything past this is not one.
MAX_REPORT_BYTES = 1 << 30


def load(path):
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_REPORT_BYTES + 1)
        if len(data) > MAX_REPORT_BYTES:
            raise ValueError(f"larger than {MAX_REPORT_BYTES >> 20} MiB")
        report = json.loads(data.decode("utf-8"))
        runs = report["runs"]
        return {(r["target"].split(":", 1)[-1], r["scenario"]): r for r in runs}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"compare_conform: {path}: not an ssai conform report.json ({e})", file=sys.stderr)
        sys.exit(2)


def error_failures(run):
    return sorted(c["id"] for c in run.get("checks", [])
                  if c.get("outcome") == "fail" and c.get("severity") == "error")


def full(run):
    checks = {c["id"]: (c.get("outcome"), c.get("failures"), c.get("evaluated"), c.get("evidence"))
              for c in run.get("checks", [])}
    stats = {k: v for k, v in run.get("stats", {}).items() if "wall" not in k and "time" not in k}
    return checks, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--errors-only", action="store_true", help="compare failing error-check sets only")
    ap.add_argument("--show", type=int, default=10, help="differing runs to print (default 10)")
    a = ap.parse_args()
    before, after = load(a.before), load(a.after)
    only_before = sorted(set(before) - set(after))
    only_after = sorted(set(after) - set(before))
    differ = 0
    for key in sorted(set(before) & set(after)):
        rb, ra = before[key], after[key]
        if a.errors_only:
            eb, ea = error_failures(rb), error_failures(ra)
            if eb == ea:
                continue
            differ += 1
            if differ <= a.show:
                print(f"{key[0]} | {key[1]}: only before {sorted(set(eb) - set(ea))}, only after {sorted(set(ea) - set(eb))}")
            continue
        (cb, sb), (ca, sa) = full(rb), full(ra)
        if cb == ca and sb == sa:
            continue
        differ += 1
        if differ > a.show:
            continue
        print(f"{key[0]} | {key[1]}")
        for cid in sorted(set(cb) | set(ca)):
            if cb.get(cid) != ca.get(cid):
                print(f"  check {cid}: {(cb.get(cid) or (None,))[:3]} -> {(ca.get(cid) or (None,))[:3]}")
        for s in sorted(set(sb) | set(sa)):
            if sb.get(s) != sa.get(s):
                print(f"  stat {s}: {sb.get(s)} -> {sa.get(s)}")
    for key in only_before:
        print(f"only in {a.before}: {key[0]} | {key[1]}")
    for key in only_after:
        print(f"only in {a.after}: {key[0]} | {key[1]}")
    common = len(set(before) & set(after))
    print(f"{common} runs in both: {common - differ} equal, {differ} differ"
          f"{' (failing error checks)' if a.errors_only else ''}; "
          f"{len(only_before)} only before, {len(only_after)} only after")
    return 1 if differ or only_before or only_after else 0


if __name__ == "__main__":
    sys.exit(main())
