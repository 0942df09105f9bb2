#!/bin/bash
# Heap profile of `ssai serve` under the soak (issue 13): pass this script to soak.py as the
# ssai binary. `serve` runs under heaptrack's preload, writing raw data to $HEAPTRACK_DIR; the
# soak's SIGTERM becomes a SIGKILL, so the profile ends with the live heap (a clean shutdown
# would free it and show nothing). Every other subcommand runs the real binary.
#   SSAI=build/cli/ssai HEAPTRACK_DIR=/tmp/ht /usr/bin/python3 bench/soak/soak.py \
#       bench/soak/heaptrack_serve.sh --duration-s 150 --rate 1000 --out /tmp/ht/short
#   /usr/lib/heaptrack/libexec/heaptrack_interpret < /tmp/ht/raw.PID | gzip -1 > short.gz
#   heaptrack_print -f short.gz --print-leaks 1 --print-peaks 0 --print-allocators 0 \
#       --print-temporary 0 --print-histogram 0    # "leaked" = live when killed
# Two runs of different length, compared site by site, show what grows. Raw data is ~20 MB/s.
set -u
ssai=$(realpath "${SSAI:-build/cli/ssai}")
if [ "${1:-}" = serve ]; then
  dir=${HEAPTRACK_DIR:-/tmp}
  LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so DUMP_HEAPTRACK_OUTPUT="$dir/raw.$$" "$ssai" "$@" &
  child=$!
  trap 'kill -9 $child' TERM
  wait $child
  wait $child
  exit 0
fi
exec "$ssai" "$@"
