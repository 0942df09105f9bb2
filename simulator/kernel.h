// The event kernel: virtual time in integer microseconds, events run in (time, insertion order),
// no wall clock, no threads. Simulation implements ssai::Scheduler, so the core's coordinator and
// manifest path schedule their timers on it unchanged.
#ifndef SSAI_SIMULATOR_KERNEL_H_
#define SSAI_SIMULATOR_KERNEL_H_

#include <cstdint>
#include <functional>
#include <new>
#include <vector>

#include "reference/ssai/env.h"

namespace ssai::sim {

class Simulation : public Scheduler {
 public:
  explicit Simulation(UnixMicros start = 0);
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

  // Events that are only an index, for one handler: the run loop's cohort reloads (64 k pending
  // at perf-100ch.json's K = 16, ~70 % of a run's events). They run in the same (time, insertion
  // order) as RunAt's, numbered from the same sequence, so moving an event kind here changes no
  // order; but an event costs no std::function and no slot, and the next one's index is in the
  // lane's root when one runs, so the handler can fetch that one's data meanwhile (Warm). Not
  // cancellable.
  class IndexedHandler {
   public:
    virtual ~IndexedHandler() = default;
    virtual void Run(uint32_t index) = 0;
    // The next indexed event's index, told before Run of the one due now: a prefetch hint.
    virtual void Warm(uint32_t index) {}
  };
  void SetIndexedHandler(IndexedHandler* handler) { handler_ = handler; }
  // index < 2^28. A time in the past runs at Now(), as RunAt.
  void RunIndexedAt(UnixMicros when, uint32_t index);

  uint64_t events_run() const { return events_run_; }
  size_t pending() const { return HeapSize() - cancelled_in_heap_ + LaneSize(); }
  // The time of the next event (Now() when none).
  UnixMicros NextTime() {
    DropCancelledTop();
    if (LaneSize() > 0 && (HeapSize() == 0 || Later(Node(0), LaneTop()))) return LaneTop().when;
    return HeapSize() == 0 ? now_ : Node(0).when;
  }
  // Testing: the next insertion sequence number, to reach the renumbering point quickly.
  void SetNextSeqForTesting(uint64_t seq) { next_seq_ = seq; }

 private:
  // 16 bytes, so one cache line holds a node's four children (see heap_).
  struct Entry {
    UnixMicros when;
    uint64_t order;  // (insertion seq << kSlotBits) | slot: ties at one time run first-in first-out
  };
  static constexpr int kSlotBits = 28;  // up to 268 M timers pending at once
  static constexpr uint64_t kMaxSeq = (uint64_t{1} << (64 - kSlotBits)) - 1;
  struct Slot {
    std::function<void()> fn;
    uint32_t generation = 0;
    bool live = false;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.order > b.order;
  }
  // Later() as arithmetic on flags, for selects the compiler can make branch-free.
  static bool LaterNoBranch(const Entry& a, const Entry& b) {
    return (a.when > b.when) | ((a.when == b.when) & (a.order > b.order));
  }
  static uint32_t SlotOf(const Entry& e) { return static_cast<uint32_t>(e.order & ((uint64_t{1} << kSlotBits) - 1)); }
  // std::allocator only promises 16-byte alignment; the heap's storage starts on a cache line.
  template <typename T>
  struct LineAlignedAllocator {
    using value_type = T;
    LineAlignedAllocator() = default;
    template <typename U>
    LineAlignedAllocator(const LineAlignedAllocator<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
    friend bool operator==(const LineAlignedAllocator&, const LineAlignedAllocator&) { return true; }
  };
  // Heap node i (root 0, children 4i+1..4i+4) lives at heap[i + kHeapOffset]: the children of
  // every node then start on a 64-byte boundary and share one cache line.
  static constexpr size_t kHeapOffset = 3;
  using Heap = std::vector<Entry, LineAlignedAllocator<Entry>>;
  size_t HeapSize() const { return heap_.size() - kHeapOffset; }
  Entry& Node(size_t i) { return heap_[i + kHeapOffset]; }
  // The lane: a ring of buckets kLaneBucketUs wide (the bucket of lane_base_ onwards, up to
  // kLaneBuckets of them) and a heap for the rest (earlier than the ring's base, or beyond it).
  // The current bucket is sorted (latest first) when the lane's top is asked for; the others are
  // appended to. A cohort reload lands 0.5-2 target durations ahead, so nearly every one is in
  // the ring: appending to a bucket and reading a sorted one in order miss the cache far less
  // than a 64 k-entry heap's sifts (PopTop was ~10 % of a run).
  static constexpr int kLaneBucketShift = 10;  // 1.024 ms
  static constexpr size_t kLaneBuckets = 16384;  // 16.8 s ahead
  size_t LaneSize() const { return lane_in_ring_ + lane_far_.size() - kHeapOffset; }
  // Lane's earliest entry; LaneSize() > 0.
  const Entry& LaneTop();
  Entry PopLane();
  void PushLane(Entry e);
  // node: a heap's node 0 (its storage + kHeapOffset).
  static void SiftUp(Entry* node, size_t i, Entry e);
  static void Push(Heap& heap, Entry e);
  static Entry PopTop(Heap& heap);
  void DropCancelledTop();
  uint64_t NextOrder(uint32_t slot);
  void Renumber();

  UnixMicros now_;
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  size_t cancelled_in_heap_ = 0;
  Heap heap_;  // 4-ary min-heap on (when, order), kHeapOffset unused entries first
  // RunIndexedAt's entries (the order's low bits are the index, not a slot): LaneSize().
  std::vector<std::vector<Entry>> lane_ring_;
  // Storage of drained buckets, handed to the next bucket that fills (a bucket grown from empty
  // reallocated ~7 times: ~0.6 % of a perf-100ch run); at most kSpareBuckets kept.
  std::vector<std::vector<Entry>> spare_buckets_;
  static constexpr size_t kSpareBuckets = 64;
  int64_t lane_base_ = 0;       // bucket number (when >> kLaneBucketShift) of the ring's first bucket
  bool lane_base_sorted_ = false;
  size_t lane_in_ring_ = 0;
  Heap lane_far_;
  IndexedHandler* handler_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
};

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_KERNEL_H_
