// The cue API validation probes (api.cue.*): bodies the seed's POST /cue must refuse, the
// substring the error must contain (the field it names) and, over HTTP, the status. Shared by the
// builtin target (the simulator's run: RunCueProbesInProcess) and the HTTP targets.
#ifndef SSAI_CONFORMANCE_PROBES_H_
#define SSAI_CONFORMANCE_PROBES_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/observations.h"
#include "reference/ssai/coordinator.h"

namespace ssai::conformance {

struct ProbeCase {
  const char* check_id;
  std::string body;
  const char* expected;     // substring of the error
  int expected_status = 400;  // over HTTP
};

inline std::vector<ProbeCase> CueProbeCases(const std::string& org, const std::string& ch) {
  const std::string head = R"({"org":")" + org + R"(","channel":")" + ch + R"(",)";
  return {
      {"api.cue.invalid_json", R"({"org":")" + org + R"(",)", "cue request JSON"},
      {"api.cue.invalid_json", R"([")" + org + R"("])", "must be an object"},
      {"api.cue.missing_field", R"({"channel":")" + ch + R"(","duration":30})", "org: missing"},
      {"api.cue.missing_field", head.substr(0, head.size() - 1) + "}", "duration: missing"},
      {"api.cue.wrong_type", head + R"("duration":"30"})", "duration: must be a number"},
      {"api.cue.duration_range", head + R"("duration":0})", "duration: must be > 0 and <= 3600"},
      {"api.cue.duration_range", head + R"("duration":3600.5})", "duration: must be > 0 and <= 3600"},
      {"api.cue.unknown_field", head + R"("durration":30})", "unknown field 'durration'"},
      {"api.cue.invalid_name", R"({"org":"co/nf","channel":")" + ch + R"(","duration":30})", "org: must match"},
      {"api.cue.invalid_name", R"({"org":")" + org + R"(","channel":"../x","duration":30})", "channel: must match"},
      {"api.cue.pod_id_length", head + R"("duration":30,"pod_id":")" + std::string(129, 'p') + "\"}",
       "pod_id: longer than 128"},
      {"api.cue.body_size", head + R"("duration":30,"pod_id":")" + std::string(70'000, ' ') + "\"}",
       "body: more than 65536 bytes", 413},
      {"api.cue.unknown_channel", R"({"org":")" + org + R"(","channel":"nope","duration":30})", "channel", 404},
  };
}

// A coordinator's cue API reached in-process: a parsed request and its answer.
using InProcessCueApi = std::function<void(const CueRequest&, std::function<void(Result<CueResult>)>)>;

// The probes sent in-process (the builtin target: the simulator's run): each body through the cue
// API's own validation (ParseCueRequest), then into the coordinator through `cue`; refused or
// accepted, recorded in obs->api_probes (an answer arrives later: `obs` must outlive it).
inline void RunCueProbesInProcess(const std::string& org, const std::string& channel, const InProcessCueApi& cue,
                                  Observations* obs) {
  for (const ProbeCase& c : CueProbeCases(org, channel)) {
    ApiProbeRecord rec;
    rec.check_id = c.check_id;
    rec.body = c.body.size() > 160 ? c.body.substr(0, 150) + "... (" + std::to_string(c.body.size()) + " bytes)" : c.body;
    rec.expected = c.expected;
    Result<CueRequest> parsed = ParseCueRequest(c.body);
    if (!parsed.ok()) {
      rec.refused = true;
      rec.error = parsed.status().message();
      obs->api_probes.push_back(std::move(rec));
      continue;
    }
    const size_t index = obs->api_probes.size();
    obs->api_probes.push_back(std::move(rec));
    cue(*parsed, [obs, index](Result<CueResult> r) {
      ApiProbeRecord& out = obs->api_probes[index];
      out.refused = !r.ok();
      out.error = r.ok() ? "accepted (event " + r->state.event_id + ")" : r.status().message();
    });
  }
}

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_PROBES_H_
