#!/usr/bin/env python3
"""Cohort aggregation convergence (simulator/README.md "Aggregation"): runs `ssai sim` on a
scenario at several viewers.cohorts_per_group values and seeds, and prints per K the mean over
seeds (and the seeds' min..max) of the metrics aggregation can bias: ad-visibility lag P50/P95
(mean over POPs; the first viewer of the POP, and every viewer), KV hit rate, latency P95, coordinator calls, missed/ghost ad viewer-seconds.

  scripts/cohort_convergence.py SCENARIO [--ks 1,2,4,8,16,32] [--seeds 1,2,3] [--build B]
                                [--set path=value ...] [--ssai build/cli/ssai] [--json OUT]

Each run's report.json goes to a temporary directory; --json writes the table's data.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def metrics(build):
    pops = build["pops"]
    lag50 = [p["ad_visibility_lag_s"]["p50"] for p in pops if p["ad_visibility_lag_s"]["count"] > 0]
    lag95 = [p["ad_visibility_lag_s"]["p95"] for p in pops if p["ad_visibility_lag_s"]["count"] > 0]
    vlag = [p["viewer_ad_visibility_lag_s"] for p in pops if p["viewer_ad_visibility_lag_s"]["count"] > 0]
    return {
        "lag_p50_s": statistics.mean(lag50) if lag50 else None,
        "lag_p95_s": statistics.mean(lag95) if lag95 else None,
        "viewer_lag_p50_s": statistics.mean(v["p50"] for v in vlag) if vlag else None,
        "viewer_lag_p95_s": statistics.mean(v["p95"] for v in vlag) if vlag else None,
        "kv_hit_rate": build["kv"]["hit_rate"],
        "latency_p95_ms": build["latency_ms"]["p95"],
        "coordinator_calls": build["coordinator"]["calls"],
        "missed_fraction": build["ads"]["missed_fraction"],
        "ghost_ad_viewer_s": build["ads"]["ghost_ad_viewer_s"],
        "cohort_requests": build["requests"]["cohort_requests"],
        # answered from the group's last answer (simulator/README.md "Answer reuse"); absent before it
        "reused_cohort_requests": build["requests"].get("reused_cohort_requests", 0),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--ks", default="1,2,4,8,16,32")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--build", default="kv-channel-state")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--ssai", default=os.environ.get("SSAI_BIN", "build/cli/ssai"))
    ap.add_argument("--json")
    a = ap.parse_args()
    ks = [int(k) for k in a.ks.split(",")]
    seeds = [int(s) for s in a.seeds.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in ks:
            for s in seeds:
                out = os.path.join(tmp, f"k{k}s{s}")
                cmd = [a.ssai, "sim", a.scenario, "--build", a.build, "--seed", str(s), "--quiet", "--out", out,
                       "--set", f"viewers.cohorts_per_group={k}"]
                for x in a.set:
                    cmd += ["--set", x]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")
                with open(os.path.join(out, "report.json")) as f:
                    rep = json.load(f)
                rows.setdefault(k, []).append(metrics(rep["builds"][0]))
                print(f"K={k} seed={s} {rows[k][-1]}", file=sys.stderr, flush=True)
    names = ["lag_p50_s", "lag_p95_s", "viewer_lag_p50_s", "viewer_lag_p95_s", "kv_hit_rate", "latency_p95_ms",
             "coordinator_calls", "missed_fraction", "ghost_ad_viewer_s", "cohort_requests", "reused_cohort_requests"]
    summary = {}
    print("| K | " + " | ".join(names) + " |")
    print("| ---: | " + " | ".join("---:" for _ in names) + " |")
    for k in ks:
        cells = []
        summary[k] = {}
        for n in names:
            vals = [r[n] for r in rows[k] if r[n] is not None]
            if not vals:
                cells.append("–")
                continue
            m = statistics.mean(vals)
            summary[k][n] = {"mean": m, "min": min(vals), "max": max(vals)}
            fmt = (lambda v: f"{v:.0f}") if abs(m) >= 100 else (lambda v: f"{v:.3f}")
            cells.append(f"{fmt(m)} ({fmt(min(vals))}–{fmt(max(vals))})" if len(vals) > 1 else fmt(m))
        print(f"| {k} | " + " | ".join(cells) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"scenario": a.scenario, "build": a.build, "seeds": seeds, "set": a.set,
                       "by_k": summary, "runs": rows}, f, indent=1)


if __name__ == "__main__":
    main()
