#include "conformance/profile.h"

#include "conformance/scenario.h"
#include "reference/base/json_input.h"
#include "reference/io/files.h"

namespace ssai::conformance {

nlohmann::json ProfileToJson(const Profile& p) {
  return nlohmann::json{{"name", p.name},
                        {"splice_tolerance_s", p.splice_tolerance_s},
                        {"sgai_start_tolerance_s", p.sgai_start_tolerance_s},
                        {"ad_seconds_tolerance_segments", p.ad_seconds_tolerance_segments},
                        {"kv_hit_rate_min", p.kv_hit_rate_min},
                        {"latency_p95_max_ms", p.latency_p95_max_ms},
                        {"latency_max_ms", p.latency_max_ms},
                        {"api_cue_lead_max_s", p.api_cue_lead_max_s},
                        {"max_evidence_per_check", p.max_evidence_per_check},
                        {"excerpt_lines", p.excerpt_lines}};
}

Result<Profile> ApplyProfileOverrides(const Profile& base, const nlohmann::json& overrides) {
  if (!overrides.is_object()) return Status::InvalidArgument("profile: must be a JSON object");
  Profile p = base;
  const JsonFields fields(overrides, "profile");
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string& k = it.key();
    // Tolerances and thresholds are >= 0 and at most `max` (a fraction 1, seconds an hour,
    // milliseconds ten minutes): a larger one is a typo that would pass every check.
    auto number = [&](double* out, double max) { return fields.Number(k, out, {.min = 0, .max = max}); };
    auto integer = [&](int* out) { return fields.Integer(k, out, {.min = 0, .max = 1000}); };
    Status s = Status::Ok();
    if (k == "name") {
      s = fields.String("name", &p.name);
    } else if (k == "splice_tolerance_s") {
      s = number(&p.splice_tolerance_s, 3600);
    } else if (k == "sgai_start_tolerance_s") {
      s = number(&p.sgai_start_tolerance_s, 3600);
    } else if (k == "ad_seconds_tolerance_segments") {
      s = number(&p.ad_seconds_tolerance_segments, 1000);
    } else if (k == "kv_hit_rate_min") {
      s = number(&p.kv_hit_rate_min, 1);
    } else if (k == "latency_p95_max_ms") {
      s = number(&p.latency_p95_max_ms, 600000);
    } else if (k == "latency_max_ms") {
      s = number(&p.latency_max_ms, 600000);
    } else if (k == "api_cue_lead_max_s") {
      s = number(&p.api_cue_lead_max_s, 3600);
    } else if (k == "max_evidence_per_check") {
      s = integer(&p.max_evidence_per_check);
    } else if (k == "excerpt_lines") {
      s = integer(&p.excerpt_lines);
    } else if (k.rfind("_", 0) == 0 || k == "comment") {
      // "_doc" keys and "comment": documentation, ignored.
    } else {
      // The same message as every other JSON input (json_input.h CheckKnownKeys).
      return CheckKnownKeys(nlohmann::json{{k, it.value()}}, "profile",
                            {"name", "splice_tolerance_s", "sgai_start_tolerance_s", "ad_seconds_tolerance_segments",
                             "kv_hit_rate_min", "latency_p95_max_ms", "latency_max_ms", "api_cue_lead_max_s",
                             "max_evidence_per_check", "excerpt_lines"});
    }
    SSAI_RETURN_IF_ERROR(s);
  }
  return p;
}

Result<Profile> ParseProfile(std::string_view json_text) {
  SSAI_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonInput(json_text, "profile"));  // bounded nesting
  return CatchJsonErrors("profile", [&] { return ApplyProfileOverrides(Profile{}, j); });
}

Result<Profile> LoadProfile(const std::string& path) {
  Result<std::string> text = io::ReadFileToString(path, kMaxConformanceFileBytes);
  if (!text.ok()) return text.status().WithContext("profile");  // "profile: PATH: cannot read: ..."
  Result<Profile> p = ParseProfile(*text);
  if (!p.ok()) return Status::InvalidArgument(path + ": " + p.status().message());
  return p;
}

}  // namespace ssai::conformance
