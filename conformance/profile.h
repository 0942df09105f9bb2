// Thresholds and tolerances of a conformance run (conformance/profiles/default.json documents each
// default). A scenario may override any of them for itself ("profile": {...}).
#ifndef SSAI_CONFORMANCE_PROFILE_H_
#define SSAI_CONFORMANCE_PROFILE_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"

namespace ssai::conformance {

struct Profile {
  std::string name = "default";
  // A cue is due on the first slot starting at or after (cue - splice_tolerance_s): the splicer's
  // kSpliceToleranceUs, which absorbs millisecond PDT rounding.
  double splice_tolerance_s = 0.25;
  // SGAI: the interstitial's START-DATE may differ from the cue by this much.
  double sgai_start_tolerance_s = 0.5;
  // splice.ad_seconds_match_break: |ad seconds shown - break duration| <= this many segments.
  double ad_seconds_tolerance_segments = 1;
  // kv.hit_rate.min: KV hits / requests that read KV, per POP.
  double kv_hit_rate_min = 0.5;
  // latency.p95.max and latency.max, manifest request to response.
  double latency_p95_max_ms = 500;
  double latency_max_ms = 2500;
  // api.cue.start_announced: a target may announce an API cue's break ahead (an SCTE-35
  // splice_insert's pre-roll); its acknowledged startTime is at most this long after receipt.
  double api_cue_lead_max_s = 10;
  // Report size: evidence items kept per check and scenario, playlist lines per excerpt.
  int max_evidence_per_check = 5;
  int excerpt_lines = 16;
};

// Unknown keys and wrong types are errors naming the key.
Result<Profile> ParseProfile(std::string_view json_text);
Result<Profile> LoadProfile(const std::string& path);
// `overrides` (a JSON object) applied on top of `base`.
Result<Profile> ApplyProfileOverrides(const Profile& base, const nlohmann::json& overrides);
nlohmann::json ProfileToJson(const Profile& profile);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_PROFILE_H_
