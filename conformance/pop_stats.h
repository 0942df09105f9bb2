// Per-POP figures of a run, from its fetches alone, the same for every target so a `builtin:`
// run and a `serve:` or `http` run of one scenario compare key by key (report.json `stats`).
#ifndef SSAI_CONFORMANCE_POP_STATS_H_
#define SSAI_CONFORMANCE_POP_STATS_H_

#include "conformance/observations.h"
#include "reference/base/time.h"

namespace ssai::conformance {

// Per POP: "fetches.POP", "kv_hits.POP" (state source kv-hit), "latency_p50_us.POP" and
// "latency_max_us.POP" (request to answer, as the viewer saw it; the run's own latency_p50_us is
// over every POP), "first_kv_hit_ms.POP" (from `start`, the scenario's start on the run's clock;
// absent when none).
void AddPopStats(UnixMicros start, Observations* obs);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_POP_STATS_H_
