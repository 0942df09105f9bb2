#include "world/scenario_parts.h"

#include <nlohmann/json.hpp>

namespace ssai::world {

std::string CueBody(const ApiCueSpec& cue, const std::string& org, const std::string& channel) {
  nlohmann::json body = {{"org", org}, {"channel", channel}};
  if (cue.stop) {
    body["action"] = "stop";
  } else {
    body["duration"] = cue.duration_s;
    if (!cue.pod_id.empty()) body["pod_id"] = cue.pod_id;
  }
  return body.dump();
}

}  // namespace ssai::world
