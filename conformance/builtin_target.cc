#include "conformance/builtin_target.h"

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "conformance/http_target.h"
#include "conformance/pop_stats.h"
#include "conformance/probes.h"
#include "simulator/models.h"
#include "simulator/run.h"
#include "simulator/scenario.h"

namespace ssai::conformance {

std::function<DecisionClient*(Scheduler*)> VastDecisionService(const Scenario& scenario, const BuildSpec& build,
                                                               std::unique_ptr<HarnessVastDecision>* holder) {
  if (scenario.decision.vast.tag.empty()) return {};
  return [&scenario, &build, holder](Scheduler* scheduler) -> DecisionClient* {
    *holder = std::make_unique<HarnessVastDecision>(scheduler, &scenario, &build, sim::SimOrigin::AdPlaylistUrl);
    return holder->get();
  };
}

Result<Observations> BuiltinTarget::Run(const Scenario& scenario, const Profile& /*profile*/) {
  if (!scenario.world) {
    return Status::InvalidArgument("scenario '" + scenario.name + "' was not read from a scenario file (" + name() +
                                   " runs the simulator's scenario)");
  }
  Observations obs;
  sim::RunOptions options;
  options.observations = &obs;
  options.progress = progress_;
  options.check_sample = check_sample_;
  std::unique_ptr<HarnessVastDecision> vast;
  options.decision_service = VastDecisionService(scenario, build_, &vast);
  if (scenario.api_probes) {
    options.operator_calls = [&obs](const sim::RunOptions::CueApi& cue) {
      RunCueProbesInProcess(sim::kSimOrg, sim::SimChannelName(0), cue, &obs);
    };
  }
  Result<nlohmann::json> report = sim::RunBuild(*scenario.world, build_, seed_, options);
  if (!report.ok()) return report.status();
  if (vast) vast->Collect(&obs, scenario.origin.start_time);
  last_report_ = std::move(report).value();
  AddPopStats(scenario.origin.start_time, &obs);
  obs.target = name();
  obs.scenario = scenario.name;
  return obs;
}

Result<std::vector<std::unique_ptr<Target>>> MakeTargets(std::string_view spec, const TargetOptions& options) {
  std::vector<std::unique_ptr<Target>> out;
  // builtin:BUILDS and sim:BUILDS are the same simulator runs under two names (builtin_target.h).
  const bool simulated = spec.rfind("sim:", 0) == 0;
  if (spec.rfind("builtin:", 0) == 0 || simulated) {
    auto make = [simulated](const BuildSpec& b) -> std::unique_ptr<Target> {
      return std::make_unique<BuiltinTarget>(b, simulated ? "sim" : "builtin");
    };
    const std::string_view build = spec.substr(simulated ? 4 : 8);
    // A comma-separated list: builtin:kv-hybrid,defect-ignore-end. "all" is the correct builds
    // (as in `ssai sim`), "all+defects" every build, defect builds too.
    size_t start = 0;
    while (start <= build.size()) {
      size_t comma = build.find(',', start);
      if (comma == std::string_view::npos) comma = build.size();
      const std::string_view name = build.substr(start, comma - start);
      start = comma + 1;
      if (name == "all" || name == "all+defects") {
        for (const BuildSpec& b : AllBuilds()) {
          if (!b.is_defect() || name == "all+defects") out.push_back(make(b));
        }
        continue;
      }
      const BuildSpec* b = FindBuild(name);
      if (b == nullptr) {
        return Status::NotFound("unknown build '" + std::string(name) +
                                "' (see `ssai conform --list-builds`, or builtin:all, builtin:all+defects, sim:all)");
      }
      out.push_back(make(*b));
    }
    return out;
  }
  if (spec.rfind("serve:", 0) == 0) {
    Result<std::unique_ptr<Target>> t = MakeServeTarget(spec.substr(6));
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  if (spec == "http") {
    Result<std::unique_ptr<Target>> t = MakeHttpTarget(options.target_profile);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  if (spec == "observe") {
    Result<std::unique_ptr<Target>> t = MakeObserveTarget(options.target_profile, options.live);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
    return out;
  }
  return Status::InvalidArgument("target '" + std::string(spec) +
                                 "': expected builtin:BUILD, builtin:all, builtin:all+defects, sim:BUILD (the same lists), "
                                 "serve:BUILD, http or "
                                 "observe (with --target-profile)");
}

}  // namespace ssai::conformance
