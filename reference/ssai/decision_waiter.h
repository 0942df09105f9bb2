// Asks the decision service (env.h DecisionClient) for a break's pod, with a deadline, sans-I/O.
//
// The answer always comes, exactly once: the pod, or slate (an AdDecision with the requested
// pod id and no items) when the service fails, answers with an empty pod, or has not answered by
// the timeout. A late answer after the timeout is dropped (the break already has slate).
#ifndef SSAI_REFERENCE_SSAI_DECISION_WAITER_H_
#define SSAI_REFERENCE_SSAI_DECISION_WAITER_H_

#include <functional>
#include <memory>
#include <utility>

#include "reference/base/lifetime.h"
#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"

namespace ssai {

class DecisionWaiter {
 public:
  // `decision` may be null: every break gets slate at once, and nothing is counted.
  // `stats`: decision_requests, decision_timeouts and decision_failures are counted there.
  DecisionWaiter(Scheduler* scheduler, DecisionClient* decision, DurationMicros timeout_us, CoordinatorStats* stats);
  DecisionWaiter(const DecisionWaiter&) = delete;
  DecisionWaiter& operator=(const DecisionWaiter&) = delete;

  // `done` gets the pod (its pod id defaulting to request.pod_id) or slate. Once this object is
  // gone, `done` is never called.
  void Decide(const DecisionClient::Request& request, std::function<void(AdDecision)> done);

 private:
  // Callbacks that run only while this object lives (reference/base/lifetime.h).
  template <typename F>
  auto Guard(F f) { return lifetime_.Guard(std::move(f)); }
  Scheduler* scheduler_;
  DecisionClient* decision_;
  DurationMicros timeout_us_;
  CoordinatorStats* stats_;
  LifetimeToken lifetime_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_DECISION_WAITER_H_
