// Faults on a schedule (a scenario's "faults", world::FaultSpec): one scheduler for every harness
// that plays them (issue 18, "one world"): the simulator's run (simulator/run.cc), which is also
// the conformance builtin target's. What a fault does is the harness's own models' (FaultSink);
// when it happens and to which POP is decided here, once.
#ifndef SSAI_WORLD_FAULTS_H_
#define SSAI_WORLD_FAULTS_H_

#include <string>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/env.h"
#include "world/scenario_parts.h"

namespace ssai::world {

// What the faults do to a harness's world.
class FaultSink {
 public:
  virtual ~FaultSink() = default;
  // "coordinator_restart": the coordinator object is destroyed and a new one recovers from the
  // same durable storage (a Durable Object evicted and re-created).
  virtual void RestartCoordinator() = 0;
  // "decision": the ad server answers, fails every decision or never answers from now on.
  virtual void SetDecisionBehaviour(DecisionBehaviour behaviour) = 0;
  // "kv_propagation": writes from now on reach POP `pop` (index in the scenario's pops) after `delay_s`.
  virtual void SetKvPropagation(int pop, double delay_s) = 0;
  // "coordinator_rtt": POP `pop`'s round trip to the coordinator is `rtt_ms` from now on.
  virtual void SetCoordinatorRtt(int pop, double rtt_ms) = 0;
};

// Schedules each fault at t0 + at_s on `sched` (in the list's order, so two at one instant apply
// in that order), its POP resolved by name among `pop_names`. Refuses, naming the fault, an
// unknown kind or POP (the scenario parser refuses them first; this guards a scenario built in code).
Status ScheduleFaults(Scheduler* sched, UnixMicros t0, const std::vector<FaultSpec>& faults,
                      const std::vector<std::string>& pop_names, FaultSink* sink);

}  // namespace ssai::world

#endif  // SSAI_WORLD_FAULTS_H_
