// The parts of a scenario every harness plays the same way (issue 18, "one world"): listed
// viewers, cue API calls, the ad server's pod and its behaviour, faults on a schedule. One
// definition for the simulator (simulator/scenario.h parses a scenario file into them) and the
// conformance targets (conformance/scenario.h takes them from the parsed scenario).
#ifndef SSAI_WORLD_SCENARIO_PARTS_H_
#define SSAI_WORLD_SCENARIO_PARTS_H_

#include <optional>
#include <string>
#include <vector>

#include "reference/ssai/splicer.h"

namespace ssai::world {

// One listed viewer ("viewers" as an array): a player the harness runs one by one.
struct ListedViewer {
  std::string pop;
  double join_s = 0;                    // from the stream start
  std::optional<double> leave_s;        // default: the end of the run
  std::vector<std::string> renditions;  // loaded together at every reload; empty = all
  std::optional<InsertionMode> mode;    // default: the scenario's
  int count = 1;                        // copies, joining 0.37 s apart

  // When copy k (0-based) joins, in seconds from the stream start: every harness joins the copies
  // of a listed viewer 0.37 s apart (so they do not reload in lockstep).
  double JoinOfCopyS(int k) const { return join_s + 0.37 * k; }
};

struct ApiCueSpec {
  double at_s = 0;
  double duration_s = 0;
  std::string pod_id;
  bool expect_duplicate = false;  // a repeat of an earlier cue inside its break
  // "action": "stop" (issue 16): end the break playing then (the target says when it takes
  // effect in its acknowledgement's endTime; else at the time sent), or cancel the next one.
  bool stop = false;
};

// The POST /cue body a harness sends for `cue` to channel `org`/`channel` (the seed's JSON:
// {"org", "channel", "duration", "pod_id"} or {"org", "channel", "action": "stop"}): what the
// conformance targets send over HTTP and the builtin target and the simulator hand to
// ssai::ParseCueRequest, so the cue API's own validation applies to every harness's calls.
std::string CueBody(const ApiCueSpec& cue, const std::string& org, const std::string& channel);

struct AdSpec {
  std::string id;
  double duration_s = 0;
  // > 0: a creative with its own timeline segmented at this duration (a pod of creatives,
  // splicer.h); 0: the seed's model (conditioned to the channel's segment duration). All ads of a
  // scenario set it or none does.
  double segment_duration_s = 0;
  // Demuxed audio (issue 14): the languages the ad has audio in, its default first; empty = every
  // audio language of the origin (in the origin's order). An ad with one language is heard in it
  // on every audio rendition.
  std::vector<std::string> audio_languages = {};
};

enum class DecisionBehaviour { kAnswer, kFail, kHang };

// Issue 15: decisions from the harness's VAST ad server (reference/server/services.h, VAST mode,
// serving the scenario's ads as its default pod) instead of the seed's JSON.
struct VastSpec {
  // The ad tag, a path under /vast/ of the harness's ad server: "pod/default.xml",
  // "wrapper/{n}/default.xml", "empty.xml", "malformed.xml", "mp4/default.xml", "loop.xml", ...
  // Empty: JSON decisions.
  std::string tag;
  int wrappers = 0;           // n of a "wrapper/{n}/..." tag
  int max_wrapper_depth = 5;  // VAST 4.3 §2.3.5.1 (what a correct target follows)
  // > 0: the decision fails, the break is slate, and an Error URL fires with this code.
  int expect_error_code = 0;
};

// kind: "coordinator_restart" | "decision" (behaviour) | "kv_propagation" (pop, delay_s) |
//       "coordinator_rtt" (pop, rtt_ms)
struct FaultSpec {
  double at_s = 0;
  std::string kind;
  std::string pop;
  double value = 0;  // delay_s or rtt_ms
  DecisionBehaviour behaviour = DecisionBehaviour::kAnswer;
};

}  // namespace ssai::world

#endif  // SSAI_WORLD_SCENARIO_PARTS_H_
