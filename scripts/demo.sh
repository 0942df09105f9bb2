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
echo "demo: [3/4] simulating fixtures/scenarios/default.json on every read-path build (seed 1)"
"$ssai" sim fixtures/scenarios/default.json --build all --seed 1 --out "$latest"

echo "demo: [4/4] decoding the published SCTE-35 cues, reading and linting the fixture streams"
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
findings=$(grep -vc "^summary: " "$out/lint.txt" || true)
events=$(cat "$out"/cues_*.jsonl | grep -c . || true)

cat <<SUMMARY
ssai demo: $(grep -c . "$out/scte35_decoded.jsonl") SCTE-35 vectors decoded, $streams fixture streams,
           $events cue events, $findings lint findings (expected ones: the messy streams).
output:    $latest/index.html   (simulation report; report.json beside it)
           $out/   (scte35_decoded.jsonl  cues_<stream>.jsonl  lint.txt)

Next, three things to try:
  1. The reference SSAI server on loopback, then a break (reference/server/README.md):
       $ssai origin --synthetic fixtures/serve/origin.json --listen 127.0.0.1:8081 &
       SSAI_CUE_TOKEN=dev $ssai serve --config fixtures/serve/demo.json &
       curl -s -X POST localhost:8080/cue -H 'Authorization: Bearer dev' -H 'Content-Type: application/json' \\
            -d '{"org":"demo","channel":"sports","duration":30}'
       curl -s localhost:8080/demo/sports/v720.m3u8
  2. The conformance suite on every correct build (JUnit, JSON and HTML in reports/conform):
       $ssai conform --target builtin:all --scenario fixtures/scenarios/conformance --out reports/conform
  3. make test: installs the test toolchain (ffmpeg, chromium, redis, nginx, clang) and runs every test.
SUMMARY
