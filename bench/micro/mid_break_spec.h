// The stream both the splicer and the manifest-path benchmarks measure, so their figures are
// comparable: 6 s segments, a 10-segment window, one 30 s break at t = 60 s (event 1001).
#ifndef SSAI_BENCH_MICRO_MID_BREAK_SPEC_H_
#define SSAI_BENCH_MICRO_MID_BREAK_SPEC_H_

#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"

namespace ssai::bench {

inline origin::SyntheticStreamSpec MidBreakSpec() {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 6;
  spec.window_segments = 10;
  spec.start_time = ParseIso8601("2026-01-15T12:00:00Z").value();
  spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"}};
  spec.cue_flavour = origin::CueFlavour::kCueOut;
  spec.breaks = {{spec.start_time + 60 * kMicrosPerSecond, 30, 1001}};
  return spec;
}

}  // namespace ssai::bench

#endif  // SSAI_BENCH_MICRO_MID_BREAK_SPEC_H_
