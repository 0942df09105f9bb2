// The coordinator's input gate (the Durable Object's): operations run one at a time, in arrival
// order, so a call that arrives while another waits on I/O never interleaves with it. Sans-I/O.
//
// An operation ends by calling the Done it was given. Completions may arrive synchronously (env.h
// completion rules), so the gate's pump is a trampoline, never recursive. Until Open() only a
// start operation runs (the others wait behind it); after Fail(s) every waiting operation, and
// every later one but a start, fails with s.
#ifndef SSAI_REFERENCE_SSAI_INPUT_GATE_H_
#define SSAI_REFERENCE_SSAI_INPUT_GATE_H_

#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "reference/base/status.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"

namespace ssai {

class InputGate {
 public:
  using Done = std::function<void()>;
  enum class OpKind { kStart, kCue, kGetState, kObserve, kPoll, kHeartbeat };
  struct Op {
    OpKind kind;
    std::function<void(Done)> run;
    std::function<void(Status)> fail;             // the start failed: the op never runs
    CoordinatorClient::StateCallback state_done;  // kGetState: may be answered with the op ahead
  };

  // `stats`: max_queue_depth, and operations for reads answered together (TakeWaitingStateReads).
  explicit InputGate(CoordinatorStats* stats) : stats_(stats) {}

  // Queues `op` (a start goes to the front) and runs what may run.
  void Enqueue(Op op, bool front = false);
  // The start succeeded: every operation may run.
  void Open() {
    failure_.reset();
    open_ = true;
  }
  // The start failed: the waiting operations fail with `s` now, later ones when they arrive.
  void Fail(Status s);
  // A new start is coming: later operations queue behind it again instead of failing.
  void ClearFailure() { failure_.reset(); }

  // The reads (kGetState) queued right behind the running operation, taken out of the queue to
  // be answered with it: they would read the same thing.
  std::vector<CoordinatorClient::StateCallback> TakeWaitingStateReads();

  size_t queued() const { return queue_.size(); }

 private:
  void Pump();

  CoordinatorStats* stats_;
  std::deque<Op> queue_;
  bool busy_ = false;
  bool pumping_ = false;
  bool open_ = false;
  std::optional<Status> failure_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_INPUT_GATE_H_
