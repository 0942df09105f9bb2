#include "reference/ssai/decision_waiter.h"

#include <string>

namespace ssai {

DecisionWaiter::DecisionWaiter(Scheduler* scheduler, DecisionClient* decision, DurationMicros timeout_us,
                               CoordinatorStats* stats)
    : scheduler_(scheduler), decision_(decision), timeout_us_(timeout_us), stats_(stats) {}

void DecisionWaiter::Decide(const DecisionClient::Request& request, std::function<void(AdDecision)> done) {
  const std::string pod = request.pod_id;
  if (!decision_) return done(AdDecision{pod, {}});
  ++stats_->decision_requests;
  auto settled = std::make_shared<bool>(false);
  // The timer goes first: the answer may come before Decide returns.
  auto timer = std::make_shared<Scheduler::TimerId>();
  *timer = scheduler_->RunAt(scheduler_->Now() + timeout_us_, Guard([this, settled, pod, done] {
                               if (*settled) return;
                               *settled = true;
                               ++stats_->decision_timeouts;
                               done(AdDecision{pod, {}});  // slate
                             }));
  decision_->Decide(request, Guard([this, settled, timer, pod, done](Result<AdDecision> d) {
                      if (*settled) return;  // too late: the break already has slate
                      *settled = true;
                      scheduler_->Cancel(*timer);
                      if (!d.ok() || d->items.empty()) {
                        ++stats_->decision_failures;
                        return done(AdDecision{pod, {}});
                      }
                      AdDecision decision = std::move(d).value();
                      if (decision.pod_id.empty()) decision.pod_id = pod;
                      done(std::move(decision));
                    }));
}

}  // namespace ssai
