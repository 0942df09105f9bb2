#!/usr/bin/python3
"""Rewrites conformance scenarios of the format before issue 18 into the one scenario format.

Since issue 18 a conformance scenario is a simulator scenario plus an `expect` block, read by one
parser (simulator/scenario.h). What changes for a file written before:
  - origin.start_time moves to the top level (start_time);
  - profile and api_probes move into expect (expect.profile, expect.api_probes);
  - the old format's implicit world is written out, because the one format's defaults are the
    simulator's: one channel, no warm-up, a KV that commits and answers in 2 ms and propagates at
    once with fresh lists, each POP 20 ms from the coordinator, a decision service answering in
    20 ms with two 8 s ads (a1, a2).
The result runs exactly as before under `ssai conform`.

  scripts/migrate_conformance_scenario.py FILE...        # rewrites each file in place
  scripts/migrate_conformance_scenario.py - < in > out   # a filter
"""
import json
import sys

OLD_WORLD_KV = {"write_latency_ms": 2, "hot_read_ms": 2, "cold_read_ms": 2, "propagation_ms": 0,
                "list_staleness_s": 0}
OLD_DEFAULT_ADS = [{"id": "a1", "duration_s": 8}, {"id": "a2", "duration_s": 8}]


def migrate(old):
    """The scenario (a dict) in the one format; a scenario already in it is returned unchanged."""
    if not isinstance(old, dict) or "expect" in old or "channels" in old:
        return old
    new = {}
    for key in ("name", "description", "_timing", "comment"):
        if key in old:
            new[key] = old[key]
    if "duration_s" in old:
        new["duration_s"] = old["duration_s"]
    origin = dict(old.get("origin", {}))
    new["start_time"] = origin.pop("start_time", "2026-01-01T00:00:00Z")
    new["channels"] = 1
    new["warmup_s"] = 0
    if "mode" in old:
        new["mode"] = old["mode"]
    new["kv"] = dict(OLD_WORLD_KV)
    new["origin"] = origin
    pops = old.get("pops", [{"name": "pop1"}])
    new["pops"] = [dict({"name": p.get("name")}, coordinator_rtt_ms=p.get("coordinator_rtt_ms", 20),
                        **{k: v for k, v in p.items() if k not in ("name", "coordinator_rtt_ms")})
                   for p in pops]
    new["viewers"] = old.get("viewers", [{"pop": p["name"], "join_s": 0.1} for p in new["pops"]])
    decision = dict(old.get("decision", {}))
    decision.setdefault("latency_ms", 20)
    decision.setdefault("ads", OLD_DEFAULT_ADS)
    new["decision"] = decision
    for key in ("api_cues", "faults"):
        if key in old:
            new[key] = old[key]
    expect = {}
    if "profile" in old:
        expect["profile"] = old["profile"]
    if old.get("api_probes"):
        expect["api_probes"] = True
    if expect:
        new["expect"] = expect
    unknown = set(old) - set(new) - {"profile", "api_probes"}
    if unknown:  # the parser refuses them by name; keep them so it does
        for key in sorted(unknown):
            new[key] = old[key]
    return new


def main(argv):
    if argv == ["-"]:
        json.dump(migrate(json.load(sys.stdin)), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for path in argv:
        with open(path) as f:
            old = json.load(f)
        new = migrate(old)
        if new is not old:
            with open(path, "w") as f:
                json.dump(new, f, indent=2)
                f.write("\n")
            print("migrated", path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
