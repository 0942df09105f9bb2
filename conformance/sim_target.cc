#include "conformance/sim_target.h"

#include "simulator/scenario.h"

namespace ssai::conformance {

Result<Observations> SimTarget::Run(const Scenario& scenario, const Profile& /*profile*/) {
  if (!scenario.world) {
    return Status::InvalidArgument("scenario '" + scenario.name + "' was not read from a scenario file (sim:" +
                                   build_.name + " runs the simulator's scenario)");
  }
  Observations obs;
  sim::RunOptions options;
  options.observations = &obs;
  options.progress = progress_;
  Result<nlohmann::json> report = sim::RunBuild(*scenario.world, build_, seed_, options);
  if (!report.ok()) return report.status();
  last_report_ = std::move(report).value();
  obs.target = name();
  obs.scenario = scenario.name;
  return obs;
}

}  // namespace ssai::conformance
