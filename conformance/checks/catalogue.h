// The conformance check catalogue: every check the suite can report, each with a stable dotted id,
// the spec section (or seed line) it enforces, a severity and a one-line description.
//
// Families:
//   hls.*       every playlist served passes the single-playlist and reload lint rules
//               (reference/media/hls/lint.h, mapped one to one), and every request is answered
//   variants.*  renditions of a channel agree at the same instant (bis §6.2.4)
//   splice.*    ad placement against the scenario's injected ground truth
//   ttl.*       KV expirationTtl and "no ad after endTime"
//   kv.*        KV documents, write rate, hit rate
//   latency.*   manifest latency (modelled on the virtual clock in the builtin target)
//   api.*       the cue API's validation (POST /cue)
//   beacon.*    server-side tracking beacons per viewer session, from the ad server's log (issue 15)
//   vast.*      VAST wrapper depth and Error URLs, from the ad server's log (issue 15)
// `ssai conform --list` prints it.
#ifndef SSAI_CONFORMANCE_CHECKS_CATALOGUE_H_
#define SSAI_CONFORMANCE_CHECKS_CATALOGUE_H_

#include <string>
#include <string_view>
#include <vector>

namespace ssai::conformance {

enum class Severity { kError, kWarning };
std::string_view SeverityName(Severity severity);  // "error" | "warning"

struct CheckInfo {
  std::string id;           // "splice.ad_starts_within"
  std::string section;      // "RFC 8216 §6.2.1 / bis §6.2.1"
  Severity severity = Severity::kError;
  std::string family;       // "hls", "variants", "splice", "ttl", "kv", "latency", "api"
  std::string description;  // one line
};

// Stable order: the lint rules first (catalogue order of lint.h), then the suite's own checks.
const std::vector<CheckInfo>& Catalogue();
const CheckInfo* FindCheck(std::string_view id);  // nullptr for an unknown id

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_CHECKS_CATALOGUE_H_
