#!/usr/bin/env bash
# Installs the Debian packages ssai-lab builds and tests with. Idempotent: silent and quick when
# everything is present; otherwise one `apt-get update` and one `apt-get install`.
#   bootstrap.sh        everything `make test` needs (compilers, test tools, browsers, npm packages)
#   bootstrap.sh demo   only what `make demo` needs: the packages the `ssai` binary builds with
set -euo pipefail
mode=${1:-all}

# What the `ssai` binary builds and links with (the demo needs no more).
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev                        # Boost.Asio (reference server)
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev
  libhiredis-dev                      # Redis KV backend client
  libjwt-dev                          # JWT HS256 bearer tokens on POST /cue
  zlib1g-dev                          # CRC-32 of each journal record (reference/server/journal.h)
  libssl-dev                          # AES-128 segments, OpenSSL EVP (reference/server/media_library.h)
  libpugixml-dev                      # VAST XML (reference/media/vast)
  libspdlog-dev                       # `ssai serve` logs (reference/server/log.h)
  python3
)
# What the tests, fuzzers and benchmarks add.
TEST_PACKAGES=(
  clang libclang-rt-14-dev            # libFuzzer + sanitizer runtimes
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server                        # primary/replica for the Redis tests
  wrk nginx-light                     # latency benchmark baseline (nginx serving static playlists)
  ffmpeg                              # real MPEG-TS segments, ffmpeg as a real HLS client
  chromium                            # hls.js in headless Chromium (end-to-end)
  nodejs                              # hls.js, playwright-core, m3u8-parser (tests/js; npm ships with it)
  python3-pytest
)
case "$mode" in
  demo) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  all) PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: bootstrap.sh [demo|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm packages for the end-to-end clients (tests/js/package-lock.json pins them).
install_js() {
  local dir tests_js
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  tests_js="$dir/tests/js"
  if [[ ! -d "$tests_js/node_modules" || "$tests_js/package-lock.json" -nt "$tests_js/node_modules" ]]; then
    echo "bootstrap: npm ci in tests/js" >&2
    (cd "$tests_js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
  fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
  [[ $mode == all ]] && install_js
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} Debian packages (apt-get, quiet): ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# apt's chatter (including debconf's "delaying package configuration") goes to a log that is
# shown only if a step fails.
apt_log=$(mktemp)
trap 'rm -f "$apt_log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$apt_log" 2>&1; then
  cat "$apt_log" >&2
  echo "bootstrap: apt-get failed (output above)" >&2
  exit 1
fi
[[ $mode == all ]] && install_js
exit 0
