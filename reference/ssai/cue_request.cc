// The cue API's request body (coordinator.h ParseCueRequest, ValidateCueRequest): the seed's
// POST /cue {"org","channel","duration","pod_id"?}, plus {"action":"stop","event_id"?}. Pure
// parsing and field checks; the coordinator runs ValidateCueRequest on requests built in code.
#include "reference/ssai/coordinator.h"

#include <cmath>
#include <string>

#include "reference/base/strings.h"
#include "reference/ssai/adbreak_state_json.h"

namespace ssai {

using internal::Json;

namespace {

bool IsAllowedCueField(const std::string& key) {
  return key == "org" || key == "channel" || key == "duration" || key == "pod_id" || key == "action" ||
         key == "event_id";
}

constexpr size_t kMaxEventIdLength = 256;

Status CheckEventId(std::string_view id) {
  if (id.size() > kMaxEventIdLength) {
    return internal::FieldError("event_id", "longer than " + std::to_string(kMaxEventIdLength) + " characters (" +
                                                std::to_string(id.size()) + ")");
  }
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return internal::FieldError("event_id", "must be printable ASCII without spaces");
    }
  }
  return Status::Ok();
}

Status CheckName(std::string_view field, std::string_view value) {
  if (value.empty()) return internal::FieldError(field, "must not be empty");
  if (!IsValidName(value)) {
    return internal::FieldError(
        field, "must match [A-Za-z0-9_-]{1,64}, got '" + std::string(value.substr(0, 80)) + "'");
  }
  return Status::Ok();
}

Status CheckDuration(double d) {
  if (!std::isfinite(d) || d <= 0 || d > kMaxBreakDurationS) {
    return internal::FieldError("duration",
                                "must be > 0 and <= 3600 seconds, got " + FormatDouble(d));
  }
  return Status::Ok();
}

Status CheckPodId(std::string_view pod_id) {
  if (pod_id.size() > kMaxPodIdLength) {
    return internal::FieldError("pod_id", "longer than " + std::to_string(kMaxPodIdLength) +
                                              " characters (" + std::to_string(pod_id.size()) +
                                              ")");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateCueRequest(const CueRequest& r) {
  SSAI_RETURN_IF_ERROR(CheckName("org", r.org));
  SSAI_RETURN_IF_ERROR(CheckName("channel", r.channel));
  if (r.action == CueAction::kStop) return CheckEventId(r.event_id);
  SSAI_RETURN_IF_ERROR(CheckDuration(r.duration_s));
  return CheckPodId(r.pod_id);
}

Result<CueRequest> ParseCueRequest(std::string_view body) {
  if (body.size() > kMaxCueBodyBytes) {
    return internal::FieldError("body", "more than " + std::to_string(kMaxCueBodyBytes) + " bytes");
  }
  SSAI_ASSIGN_OR_RETURN(Json j, internal::ParseObject(body, "cue request"));
  // Unknown fields first: "durration" is better reported as itself than as "duration: missing".
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!IsAllowedCueField(it.key())) {
      return Status::InvalidArgument("unknown field '" + it.key().substr(0, 80) +
                                     "' (allowed: org, channel, duration, pod_id, action, event_id)");
    }
  }
  CueRequest r;
  SSAI_ASSIGN_OR_RETURN(r.org, internal::GetString(j, "org", "org"));
  SSAI_RETURN_IF_ERROR(CheckName("org", r.org));
  SSAI_ASSIGN_OR_RETURN(r.channel, internal::GetString(j, "channel", "channel"));
  SSAI_RETURN_IF_ERROR(CheckName("channel", r.channel));
  if (j.contains("action") && !j["action"].is_null()) {
    SSAI_ASSIGN_OR_RETURN(std::string action, internal::GetString(j, "action", "action"));
    if (action == "stop") {
      r.action = CueAction::kStop;
    } else if (action != "start") {
      return internal::FieldError("action", "must be \"start\" or \"stop\", got '" + action.substr(0, 80) + "'");
    }
  }
  if (r.action == CueAction::kStop) {
    for (const char* start_only : {"duration", "pod_id"}) {
      if (j.contains(start_only)) return internal::FieldError(start_only, "not allowed with action \"stop\"");
    }
    if (j.contains("event_id") && !j["event_id"].is_null()) {
      SSAI_ASSIGN_OR_RETURN(r.event_id, internal::GetString(j, "event_id", "event_id"));
      SSAI_RETURN_IF_ERROR(CheckEventId(r.event_id));
    }
    return r;
  }
  if (j.contains("event_id")) return internal::FieldError("event_id", "only with action \"stop\"");
  SSAI_ASSIGN_OR_RETURN(r.duration_s, internal::GetNumber(j, "duration", "duration"));
  SSAI_RETURN_IF_ERROR(CheckDuration(r.duration_s));
  auto pod = j.find("pod_id");
  if (pod != j.end() && !pod->is_null()) {  // optional; null = absent
    SSAI_ASSIGN_OR_RETURN(r.pod_id, internal::GetString(j, "pod_id", "pod_id"));
    SSAI_RETURN_IF_ERROR(CheckPodId(r.pod_id));
  }
  return r;
}

}  // namespace ssai
