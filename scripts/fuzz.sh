#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, seeded from fixtures/corpus/<area>/ (and
# fixtures/corpus/<area>.dict when present)
# (area = the fuzzer's name up to the first '_'). New inputs go to a temp dir, never the repo.
# Fails on the first crash, leak, timeout or round-trip mismatch the fuzzer reports.
set -euo pipefail
build_dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t fuzzers < <(find "$build_dir" -type f -name '*_fuzzer' -perm -u+x | sort)
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  echo "fuzz: no fuzzers built in $build_dir" >&2
  exit 1
fi
passed=0
failed=0
for f in "${fuzzers[@]}"; do
  name=$(basename "$f")
  area=${name%%_*}
  corpus="$work/$name"
  mkdir -p "$corpus" "$work/artifacts-$name"
  if [[ -d "$root/fixtures/corpus/$area" ]]; then cp -r "$root/fixtures/corpus/$area/." "$corpus/"; fi
  dict=()  # fixtures/corpus/<area>.dict: libFuzzer dictionary (tokens of the format)
  if [[ -f "$root/fixtures/corpus/$area.dict" ]]; then dict=(-dict="$root/fixtures/corpus/$area.dict"); fi
  if "$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$work/artifacts-$name/" "$corpus" >"$work/$name.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $name ok ($runs inputs in ${seconds}s)"
    passed=$((passed + 1))
  else
    echo "fuzz: $name FAILED; last lines of its log:" >&2
    tail -n 40 "$work/$name.log" >&2
    mkdir -p "$root/build-fuzz-artifacts"
    cp -r "$work/artifacts-$name/." "$root/build-fuzz-artifacts/" 2>/dev/null || true
    echo "fuzz: reproducer saved under build-fuzz-artifacts/" >&2
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
