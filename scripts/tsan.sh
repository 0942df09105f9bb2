#!/bin/bash
# ThreadSanitizer over the whole multi-server process (conformance/README.md "ThreadSanitizer"):
# `ssai conform --target serve:kv-hybrid` runs, in one process, the harness's HTTP services and
# viewer threads, a coordinator and one edge per POP (each server its own core and I/O threads)
# over one shared in-process KV, and injects run-time faults from a thread of its own.
#
# usage: scripts/tsan.sh SSAI_BIN [OUT_DIR]     (SSAI_BIN built with -DSSAI_TSAN=ON: `make tsan`)
# Exit 0: no data race reported; 1: TSan reported (its reports in OUT_DIR/tsan.*). A run's own
# check findings do not fail this script (TSan slows the servers; latency checks may fail): they
# are printed, the races are what it looks for. ~5 min of real time.
set -u
bin=${1:?usage: scripts/tsan.sh SSAI_BIN [OUT_DIR]}
out=${2:-reports/tsan}
mkdir -p "$out"
rm -f "$out"/tsan.*
# exitcode 66 marks "TSan reported" apart from ssai conform's own 0/1/2; suppressions: only what
# lives in system libraries (scripts/tsan.supp says why each is there).
export TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1 history_size=4 log_path=$out/tsan suppressions=$(dirname "$0")/tsan.supp"
status=0
# serve_short: two POPs, API cues and probes, a stop, 38 s. kv_propagation_60s: three POPs with
# their own propagation and a kv_propagation fault changing one at run time (the faults thread
# against the edges' KV reads), 200 s.
for scenario in serve_short kv_propagation_60s; do
  "$bin" conform --target serve:kv-hybrid --scenario "fixtures/scenarios/conformance/$scenario.json" \
      --out "$out/$scenario" --quiet
  rc=$?
  echo "tsan: serve:kv-hybrid | $scenario: ssai conform exit $rc"
  if [ "$rc" -eq 66 ]; then status=1; fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 66 ]; then status=1; fi
done
# The per-POP pytest runs (tests/test_conform.py): serve: with far POPs whose edges call the
# coordinator from several pool threads at once, and `--target http` against a coordinator and two
# `ssai serve` edges, every process this binary (TSAN_OPTIONS is inherited, each process logs to
# tsan.PID). A TSan report makes the test fail too (exit 66); races are counted from the logs.
SSAI_BIN=$(realpath "$bin") /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/test_conform.py \
    -k "deploys_each_pop or each_pop_to_its_own_edge" > "$out/pytest.log" 2>&1
echo "tsan: pytest -k each_pop: exit $? ($out/pytest.log)"
if ls "$out"/tsan.* >/dev/null 2>&1; then
  echo "tsan: ThreadSanitizer reported ($(grep -c '^WARNING: ThreadSanitizer' "$out"/tsan.* | awk -F: '{s+=$2} END {print s}') reports): $out/tsan.*"
  status=1
else
  echo "tsan: no ThreadSanitizer report"
fi
exit $status
