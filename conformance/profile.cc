#include "conformance/profile.h"

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
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    auto number = [&](double* out) -> Status {
      if (!v.is_number()) return Status::InvalidArgument("profile." + k + ": must be a number");
      *out = v.get<double>();
      if (*out < 0) return Status::InvalidArgument("profile." + k + ": must be >= 0");
      return Status::Ok();
    };
    auto integer = [&](int* out) -> Status {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1000) {
        return Status::InvalidArgument("profile." + k + ": must be an integer in [0, 1000]");
      }
      *out = v.get<int>();
      return Status::Ok();
    };
    Status s = Status::Ok();
    if (k == "name") {
      if (!v.is_string()) return Status::InvalidArgument("profile.name: must be a string");
      p.name = v.get<std::string>();
    } else if (k == "splice_tolerance_s") {
      s = number(&p.splice_tolerance_s);
    } else if (k == "sgai_start_tolerance_s") {
      s = number(&p.sgai_start_tolerance_s);
    } else if (k == "ad_seconds_tolerance_segments") {
      s = number(&p.ad_seconds_tolerance_segments);
    } else if (k == "kv_hit_rate_min") {
      s = number(&p.kv_hit_rate_min);
    } else if (k == "latency_p95_max_ms") {
      s = number(&p.latency_p95_max_ms);
    } else if (k == "latency_max_ms") {
      s = number(&p.latency_max_ms);
    } else if (k == "api_cue_lead_max_s") {
      s = number(&p.api_cue_lead_max_s);
    } else if (k == "max_evidence_per_check") {
      s = integer(&p.max_evidence_per_check);
    } else if (k == "excerpt_lines") {
      s = integer(&p.excerpt_lines);
    } else if (k.rfind("_", 0) == 0 || k == "comment") {
      // "_doc" keys and "comment": documentation, ignored.
    } else {
      return Status::InvalidArgument("profile: unknown key '" + k + "'");
    }
    SSAI_RETURN_IF_ERROR(s);
  }
  return p;
}

Result<Profile> ParseProfile(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("profile: not valid JSON");
  return ApplyProfileOverrides(Profile{}, j);
}

Result<Profile> LoadProfile(const std::string& path) {
  Result<std::string> text = io::ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("profile");  // "profile: PATH: cannot read: ..."
  Result<Profile> p = ParseProfile(*text);
  if (!p.ok()) return Status::InvalidArgument(path + ": " + p.status().message());
  return p;
}

}  // namespace ssai::conformance
