#include "conformance/sim_target.h"

#include "conformance/probes.h"
#include "simulator/models.h"
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

Result<Observations> SimTarget::Run(const Scenario& scenario, const Profile& /*profile*/) {
  if (!scenario.world) {
    return Status::InvalidArgument("scenario '" + scenario.name + "' was not read from a scenario file (sim:" +
                                   build_.name + " runs the simulator's scenario)");
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
  obs.target = name();
  obs.scenario = scenario.name;
  return obs;
}

}  // namespace ssai::conformance
