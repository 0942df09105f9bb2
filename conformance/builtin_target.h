// The builtin target: one build of reference/ssai/builds.h (correct or defect) deployed
// in-process on a virtual clock, the way manifest_path_test.cc's Deployment does it, generalised:
//
//   the simulator's clock (sim::Simulation) and world models (issue 18, "One world"):
//   synthetic origin (+ the scenario's post-processing)  --  every edge and the coordinator fetch it
//   sim::KvCluster: one location per POP with the scenario's fixed propagation, latency, cacheTtl
//   Coordinator on a sim::SimDurableStore (a restart builds a new one on the same store)
//   the scenario's decision service behind a recorder (answer / fail / hang on a schedule)
//   one ManifestPath edge per POP, reached over a fixed-RTT link (the POP's coordinator_rtt_ms)
//   viewers that load their renditions together every target duration (RFC 8216 §6.3.4)
//
// A whole scenario runs in well under a second of wall time. Manifest latency is measured from
// request to response on the virtual clock, so it is the modelled RTT + KV latency + queueing in
// the coordinator (e.g. behind a hung decision).
#ifndef SSAI_CONFORMANCE_BUILTIN_TARGET_H_
#define SSAI_CONFORMANCE_BUILTIN_TARGET_H_

#include <string>

#include "conformance/target.h"
#include "reference/ssai/builds.h"

namespace ssai::conformance {

// URIs the builtin deployment uses (evidence shows them).
inline constexpr char kBuiltinOriginBase[] = "http://origin.conformance.test/live/";
inline constexpr char kBuiltinAdBase[] = "http://ads.conformance.test/";
inline constexpr char kBuiltinOrg[] = "conf";
inline constexpr char kBuiltinChannel[] = "ch1";

class BuiltinTarget : public Target {
 public:
  explicit BuiltinTarget(BuildSpec build) : build_(std::move(build)) {}
  std::string name() const override { return "builtin:" + build_.name; }
  bool is_defect() const override { return build_.is_defect(); }
  Result<Observations> Run(const Scenario& scenario, const Profile& profile) override;
  const BuildSpec& build() const { return build_; }

 private:
  BuildSpec build_;
};

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_BUILTIN_TARGET_H_
