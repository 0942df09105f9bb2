#!/usr/bin/env bash
# The main job on the embedded default: simulates the default scenario on every read-path build
# (reports/latest/index.html, report.json), then runs the committed media fixtures through the
# CLI (reports/latest/media/).
set -euo pipefail
ssai=${1:?usage: demo.sh PATH_TO_SSAI}
root=$(cd "$(dirname "$0")/.." && pwd)
latest="$root/reports/latest"
out="$latest/media"
rm -rf "$latest"
mkdir -p "$out"
cd "$root"

# 0. The simulator: every correct build on fixtures/scenarios/default.json, seed 1.
"$ssai" sim fixtures/scenarios/default.json --build all --seed 1 --out "$latest"

# 1. Every published SCTE-35 test vector, decoded to threefive-style JSON (one per line).
/usr/bin/python3 -c 'import json,sys; [print(v["base64"]) for v in json.load(open(sys.argv[1])) if v.get("valid")]' \
  fixtures/scte35/vectors.json >"$out/scte35_cues.txt"
"$ssai" scte35 decode - <"$out/scte35_cues.txt" >"$out/scte35_decoded.jsonl"

# 2. Each fixture stream: cue events across its reloads, and lint findings (single + reload rules).
: >"$out/lint.txt"
streams=0
findings=0
for dir in fixtures/streams/*/; do
  name=$(basename "$dir")
  "$ssai" hls cues "$dir" >"$out/cues_$name.jsonl" 2>>"$out/cues_warnings.txt"
  rc=0
  "$ssai" hls lint "$dir" >>"$out/lint.txt" 2>&1 || rc=$?
  [[ $rc -gt 1 ]] && { echo "demo: lint failed on $dir" >&2; exit 1; }
  streams=$((streams + 1))
done
findings=$(grep -c . "$out/lint.txt" || true)
events=$(cat "$out"/cues_*.jsonl | grep -c . || true)

cat <<SUMMARY
ssai demo: $(grep -c . "$out/scte35_decoded.jsonl") SCTE-35 vectors decoded, $streams fixture streams,
           $events cue events, $findings lint findings (expected ones: the messy streams).
output:    $latest/index.html   (simulation report; report.json beside it)
           $out/   (scte35_decoded.jsonl  cues_<stream>.jsonl  lint.txt)
SUMMARY
