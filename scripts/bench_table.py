#!/usr/bin/python3
"""Turns Google Benchmark JSON (aggregates) into the markdown table in bench/README.md:
mean CPU time per benchmark, its target, and its ratio to the baseline run in the same binary."""
import json
import sys

# benchmark -> (target_ns or None, baseline benchmark or None)
TARGETS = {
    "BM_ParseMedia10": (5000, "BM_BaselineSplitLinesMedia10"),
    "BM_SerializeMedia10": (3000, "BM_BaselineSplitLinesMedia10"),
    "BM_ParseMaster": (None, "BM_BaselineSplitLinesMedia10"),
    "BM_DecodeTimeSignalSegmentation": (1000, "BM_BaselineCrc32TimeSignal"),
    "BM_DecodeSpliceInsert": (None, "BM_BaselineCrc32TimeSignal"),
    "BM_Encode": (None, "BM_BaselineCrc32TimeSignal"),
    "BM_Splice": (5000, "BM_SerializeMedia10"),
    "BM_SpliceParseSerialize": (None, "BM_ParseMedia10"),
    "BM_ManifestKvHit/kv_channel_state": (20000, "BM_SpliceParseSerialize"),
    "BM_ManifestKvHit/kv_hybrid": (20000, "BM_SpliceParseSerialize"),
}


def main(path):
    data = json.load(open(path))
    mean = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "mean":
            mean[b["run_name"]] = b["cpu_time"] if b["time_unit"] == "ns" else None
    print("| benchmark | mean CPU ns | target ns | vs baseline |")
    print("| --- | ---: | ---: | --- |")
    for name, ns in mean.items():
        target, base = TARGETS.get(name, (None, None))
        ok = "" if target is None else (f"{target} ({'met' if ns <= target else 'MISSED'})")
        ratio = f"{ns / mean[base]:.2f}× {base}" if base in mean else ""
        print(f"| {name} | {ns:,.0f} | {ok} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1])
