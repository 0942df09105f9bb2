#include "world/faults.h"

namespace ssai::world {

Status ScheduleFaults(Scheduler* sched, UnixMicros t0, const std::vector<FaultSpec>& faults,
                      const std::vector<std::string>& pop_names, FaultSink* sink) {
  // Check every fault before scheduling any: a bad one leaves nothing half-scheduled.
  std::vector<int> pops;
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultSpec& f = faults[i];
    const std::string where = "scenario.faults[" + std::to_string(i) + "]";
    int pop = -1;
    if (f.kind == "kv_propagation" || f.kind == "coordinator_rtt") {
      for (size_t p = 0; p < pop_names.size(); ++p) {
        if (pop_names[p] == f.pop) pop = static_cast<int>(p);
      }
      if (pop < 0) return Status::InvalidArgument(where + ".pop: unknown pop '" + f.pop + "'");
    } else if (f.kind != "coordinator_restart" && f.kind != "decision") {
      return Status::InvalidArgument(where + ".kind: must be coordinator_restart, decision, kv_propagation or "
                                     "coordinator_rtt, got \"" + f.kind + "\"");
    }
    pops.push_back(pop);
  }
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultSpec f = faults[i];
    const int pop = pops[i];
    sched->RunAt(t0 + SecondsToMicros(f.at_s), [sink, f, pop] {
      if (f.kind == "coordinator_restart") {
        sink->RestartCoordinator();
      } else if (f.kind == "decision") {
        sink->SetDecisionBehaviour(f.behaviour);
      } else if (f.kind == "kv_propagation") {
        sink->SetKvPropagation(pop, f.value);
      } else {
        sink->SetCoordinatorRtt(pop, f.value);
      }
    });
  }
  return Status::Ok();
}

}  // namespace ssai::world
