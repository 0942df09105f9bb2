// The event kernel: virtual time in integer microseconds, events run in (time, insertion order),
// no wall clock, no threads. Simulation implements ssai::Scheduler, so the core's coordinator and
// manifest path schedule their timers on it unchanged.
#ifndef SSAI_SIMULATOR_KERNEL_H_
#define SSAI_SIMULATOR_KERNEL_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "reference/ssai/env.h"

namespace ssai::sim {

class Simulation : public Scheduler {
 public:
  explicit Simulation(UnixMicros start = 0) : now_(start) {}
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  UnixMicros Now() const override { return now_; }
  // A time in the past runs at Now() (after everything already due now).
  TimerId RunAt(UnixMicros when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  TimerId RunAfter(DurationMicros delay, std::function<void()> fn) {
    return RunAt(now_ + delay, std::move(fn));
  }

  // Runs the next event; false when there is none.
  bool Step();
  // Runs every event with time <= t (including ones they schedule), then sets Now() = t.
  void RunUntil(UnixMicros t);
  // Runs until no events remain.
  void Run();

  uint64_t events_run() const { return events_run_; }
  size_t pending() const { return heap_.size() - cancelled_in_heap_; }
  // The time of the next event (Now() when none).
  UnixMicros NextTime() {
    DropCancelledTop();
    return heap_.empty() ? now_ : heap_.front().when;
  }

 private:
  struct Entry {
    UnixMicros when;
    uint64_t seq;   // insertion order: ties at the same time run first-in first-out
    uint32_t slot;
  };
  struct Slot {
    std::function<void()> fn;
    uint32_t generation = 0;
    bool live = false;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  Entry PopTop();
  void DropCancelledTop();

  UnixMicros now_;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  size_t cancelled_in_heap_ = 0;
  std::vector<Entry> heap_;  // 4-ary min-heap on (when, seq)
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
};

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_KERNEL_H_
