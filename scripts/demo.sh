#!/usr/bin/env bash
# The main job on the embedded default: runs the committed fixtures through the CLI and writes
# what it found under reports/latest/. (When the simulator lands it runs the default scenario.)
set -euo pipefail
ssai=${1:?usage: demo.sh PATH_TO_SSAI}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/reports/latest"
rm -rf "$out"
mkdir -p "$out"
cd "$root"

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
output:    $out/
           scte35_decoded.jsonl  cues_<stream>.jsonl  lint.txt
SUMMARY
