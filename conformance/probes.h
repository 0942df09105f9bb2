// The cue API validation probes (api.cue.*): bodies the seed's POST /cue must refuse, the
// substring the error must contain (the field it names) and, over HTTP, the status. Shared by the
// builtin target (ParseCueRequest + Coordinator::Cue in-process) and the HTTP targets.
#ifndef SSAI_CONFORMANCE_PROBES_H_
#define SSAI_CONFORMANCE_PROBES_H_

#include <string>
#include <vector>

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

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_PROBES_H_
