// A conformance target: something that runs a scenario and reports what it observed.
//
//   builtin:BUILD   any build of reference/ssai/builds.h (defect builds too) in-process on a
//                   virtual clock: the simulator's run of the scenario (builtin_target.h)
//   builtin:all     every correct build, one target each (as `ssai sim --build all`)
//   builtin:all+defects  every build, the defect builds too (their failures are expected:
//                   expectations.h)
//   sim:BUILD       the same runs and build lists, named sim: (as `ssai sim --check` reports)
//   serve:BUILD     our server (reference/server, in-process) with that build on loopback, the
//                   harness serving origin and decision service; real clock (http_target.h)
//   http            a deployment described by a target profile (--target-profile: URL
//                   templates, cue API and its auth); the harness serves origin and decision on
//                   loopback; real clock (http_target.h)
//
// Targets that cannot observe something (KV puts over HTTP) leave it out of Observations and
// the checks that need it are reported as skipped.
#ifndef SSAI_CONFORMANCE_TARGET_H_
#define SSAI_CONFORMANCE_TARGET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/observations.h"
#include "conformance/profile.h"
#include "conformance/scenario.h"
#include "reference/base/status.h"

namespace ssai::conformance {

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;   // "builtin:kv-hybrid"
  virtual bool is_defect() const { return false; }  // a deliberately broken build
  virtual Result<Observations> Run(const Scenario& scenario, const Profile& profile) = 0;
};

// One break judged while an observe run is still watching (issue 16, "Live output: one line per
// break as it is judged"): the break's label and times as the checks know them (checks/truth.h GroundTruth),
// how many viewers were watching, and each check that failed for it with its count (the
// failures_by_break the final report lists for the same break).
struct LiveBreak {
  int index = 0;  // 1-based, in cue order
  std::string label;
  UnixMicros cue_time = 0;  // stream time (PROGRAM-DATE-TIME)
  double duration_s = 0;
  int viewers = 0;
  std::vector<std::pair<std::string, int64_t>> failures;  // check id -> failures in this break
};
// "break 2 origin event 7001 12:03:10Z 8.0 s: 2 viewers, 0 failures" or
// "..., 3 failures: splice.ad_starts_within (2), splice.no_content_in_break (1)".
std::string FormatLiveBreak(const LiveBreak& b);

struct TargetOptions {
  std::string target_profile;  // the http target's profile file
  // observe: called (from the run's judging thread) once per break as soon as it can be judged.
  std::function<void(const LiveBreak&)> live;
};
// "builtin:BUILD", "builtin:a,b", "builtin:all", "builtin:all+defects", "sim:" + the same lists,
// "serve:BUILD", "http" (options.target_profile).
Result<std::vector<std::unique_ptr<Target>>> MakeTargets(std::string_view spec, const TargetOptions& options = {});

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_TARGET_H_
