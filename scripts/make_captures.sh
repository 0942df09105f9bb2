#!/usr/bin/env bash
# Regenerates the committed origin captures (fixtures/captures/NAME/index.jsonl and snapshots) by
# recording `ssai origin --synthetic NAME/spec.json` with `ssai capture`, both at --speed 10 (one
# minute of stream in ~6 s). spec.json, expected.json and README files are kept. Read the diff of
# what the captures contain (and tests/test_captures.py) before committing.
#
#   scripts/make_captures.sh [NAME...]        (SSAI_BIN=build/cli/ssai by default)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SSAI="${SSAI_BIN:-$ROOT/build/cli/ssai}"
SPEED=10
DURATION_S=60
DEFAULT_FROM="2026-01-15T12:00:10Z"   # 5 segments published when the capture starts
# Captures that start elsewhere on the stream's clock.
declare -A FROM=([cue_out_cont_only]="2026-01-15T12:00:30Z")  # joins 16 s into a 30 s break

[[ -x "$SSAI" ]] || { echo "make_captures: $SSAI not built (set SSAI_BIN)" >&2; exit 2; }
TMP="$(mktemp -d)"
ORIGIN_PID=""
cleanup() {
  if [[ -n "$ORIGIN_PID" ]] && kill -0 "$ORIGIN_PID" 2>/dev/null; then kill "$ORIGIN_PID"; wait "$ORIGIN_PID" || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for d in "$ROOT"/fixtures/captures/*/; do [[ -f "$d/spec.json" ]] && names+=("$(basename "$d")"); done
fi

for name in "${names[@]}"; do
  dir="$ROOT/fixtures/captures/$name"
  [[ -f "$dir/spec.json" ]] || { echo "make_captures: $dir/spec.json missing" >&2; exit 2; }
  from="${FROM[$name]:-$DEFAULT_FROM}"
  "$SSAI" origin --synthetic "$dir/spec.json" --listen 127.0.0.1:0 --speed "$SPEED" --from "$from" \
    >"$TMP/origin.out" 2>"$TMP/origin.err" &
  ORIGIN_PID=$!
  url=""
  for _ in $(seq 1 100); do  # up to 10 s
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$TMP/origin.out" | head -1 || true)"
    [[ -n "$url" ]] && break
    kill -0 "$ORIGIN_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$url" ]] || { echo "make_captures: origin for $name did not start: $(cat "$TMP/origin.err")" >&2; exit 1; }
  "$SSAI" capture "$url/master.m3u8" --duration "$DURATION_S" --speed "$SPEED" --out "$TMP/$name"
  kill "$ORIGIN_PID"; wait "$ORIGIN_PID" || true; ORIGIN_PID=""
  # The capture's URL names a random port: keep the path only, so regenerating gives a small diff.
  sed -i -E '1s#"url":"http://127\.0\.0\.1:[0-9]+#"url":"http://127.0.0.1:PORT#' "$TMP/$name/index.jsonl"
  find "$dir" -maxdepth 1 -type f \( -name 'index.jsonl' -o -regex '.*/[0-9]+_.*' \) -delete
  cp "$TMP/$name"/* "$dir/"
  echo "make_captures: $name from $from: $(($(wc -l <"$dir/index.jsonl") - 1)) fetches"
done
