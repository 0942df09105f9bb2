#include "simulator/kernel.h"

#include <utility>

namespace ssai::sim {

namespace {
constexpr size_t kArity = 4;
}

Scheduler::TimerId Simulation::RunAt(UnixMicros when, std::function<void()> fn) {
  if (when < now_) when = now_;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.fn = std::move(fn);
  s.live = true;
  ++s.generation;
  heap_.push_back(Entry{when, next_seq_++, slot});
  SiftUp(heap_.size() - 1);
  return (static_cast<uint64_t>(s.generation) << 32) | slot;
}

void Simulation::Cancel(TimerId id) {
  const uint32_t slot = static_cast<uint32_t>(id & 0xffffffffu);
  const uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return;
  s.live = false;
  s.fn = nullptr;
  ++cancelled_in_heap_;
}

void Simulation::SiftUp(size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / kArity;
    if (!Later(heap_[parent], e)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void Simulation::SiftDown(size_t i) {
  const size_t n = heap_.size();
  Entry e = heap_[i];
  while (true) {
    const size_t first = i * kArity + 1;
    if (first >= n) break;
    size_t best = first;
    const size_t last = first + kArity < n ? first + kArity : n;
    for (size_t c = first + 1; c < last; ++c) {
      if (Later(heap_[best], heap_[c])) best = c;
    }
    if (!Later(e, heap_[best])) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

Simulation::Entry Simulation::PopTop() {
  Entry top = heap_.front();
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0);
  return top;
}

bool Simulation::Step() {
  while (!heap_.empty()) {
    const Entry e = PopTop();
    Slot& s = slots_[e.slot];
    if (!s.live) {  // cancelled
      --cancelled_in_heap_;
      free_slots_.push_back(e.slot);
      continue;
    }
    now_ = e.when;
    std::function<void()> fn = std::move(s.fn);
    s.fn = nullptr;
    s.live = false;
    free_slots_.push_back(e.slot);
    ++events_run_;
    fn();
    return true;
  }
  return false;
}

void Simulation::DropCancelledTop() {
  while (!heap_.empty() && !slots_[heap_.front().slot].live) {
    const Entry e = PopTop();
    --cancelled_in_heap_;
    free_slots_.push_back(e.slot);
  }
}

void Simulation::RunUntil(UnixMicros t) {
  while (true) {
    DropCancelledTop();
    if (heap_.empty() || heap_.front().when > t) break;
    Step();
  }
  if (t > now_) now_ = t;
}

void Simulation::Run() {
  while (Step()) {
  }
}

}  // namespace ssai::sim
