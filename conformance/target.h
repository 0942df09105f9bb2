// A conformance target: something that runs a scenario and reports what it observed.
//
//   builtin:BUILD   any build of reference/ssai/builds.h (defect builds too) in-process on a
//                   virtual clock (builtin_target.h)                                [implemented]
//   builtin:all     every correct build, one target each (as `ssai sim --build all`)
//   builtin:all+defects  every build, the defect builds too (their failures are expected:
//                   expectations.h)
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

#include <memory>
#include <string>
#include <string_view>
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

struct TargetOptions {
  std::string target_profile;  // the http target's profile file
};
// "builtin:BUILD", "builtin:a,b", "builtin:all", "builtin:all+defects", "serve:BUILD", "http" (options.target_profile).
Result<std::vector<std::unique_ptr<Target>>> MakeTargets(std::string_view spec, const TargetOptions& options = {});

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_TARGET_H_
