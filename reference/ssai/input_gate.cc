#include "reference/ssai/input_gate.h"

#include <algorithm>
#include <utility>

namespace ssai {

void InputGate::Enqueue(Op op, bool front) {
  if (failure_ && op.kind != OpKind::kStart) {
    op.fail(*failure_);
    return;
  }
  if (front) {
    queue_.push_front(std::move(op));
  } else {
    queue_.push_back(std::move(op));
  }
  if (busy_ || !open_) {
    stats_->max_queue_depth = std::max<int64_t>(stats_->max_queue_depth, static_cast<int64_t>(queue_.size()));
  }
  Pump();
}

void InputGate::Pump() {
  if (pumping_) return;
  pumping_ = true;
  while (!busy_ && !queue_.empty() && (open_ || queue_.front().kind == OpKind::kStart)) {
    Op op = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    op.run([this] {
      busy_ = false;
      Pump();  // re-entry returns at once while the loop above is active
    });
  }
  pumping_ = false;
}

void InputGate::Fail(Status s) {
  failure_ = s;
  std::deque<Op> waiting;
  waiting.swap(queue_);
  for (Op& op : waiting) op.fail(s);
}

std::vector<CoordinatorClient::StateCallback> InputGate::TakeWaitingStateReads() {
  std::vector<CoordinatorClient::StateCallback> cbs;
  while (!queue_.empty() && queue_.front().kind == OpKind::kGetState) {
    cbs.push_back(std::move(queue_.front().state_done));
    queue_.pop_front();
    ++stats_->operations;
  }
  return cbs;
}

}  // namespace ssai
