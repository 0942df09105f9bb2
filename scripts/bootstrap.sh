#!/usr/bin/env bash
# Installs the Debian packages ssai-lab builds and tests with. Idempotent: silent and quick when
# everything is present; otherwise one `apt-get update` and one `apt-get install`.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev            # libFuzzer + sanitizer runtimes
  libboost-dev                        # Boost.Asio (reference server)
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev redis-server         # Redis KV backend: client library + primary/replica for tests
  libjwt-dev                          # JWT HS256 bearer tokens on POST /cue
  wrk nginx-light                     # latency benchmark baseline (nginx serving static playlists)
  ffmpeg                              # real MPEG-TS segments, ffmpeg as a real HLS client
  chromium                            # hls.js in headless Chromium (end-to-end)
  nodejs                              # hls.js, playwright-core, m3u8-parser (tests/js; npm ships with it)
  python3 python3-pytest
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
