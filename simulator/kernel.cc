#include "simulator/kernel.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace ssai::sim {

namespace {
constexpr size_t kArity = 4;
}  // namespace

Simulation::Simulation(UnixMicros start)
    : now_(start), heap_(kHeapOffset, Entry{0, 0}), lane_far_(kHeapOffset, Entry{0, 0}) {}

uint64_t Simulation::NextOrder(uint32_t slot) {
  if (next_seq_ > kMaxSeq) Renumber();
  return (next_seq_++ << kSlotBits) | slot;
}

Scheduler::TimerId Simulation::RunAt(UnixMicros when, std::function<void()> fn) {
  if (when < now_) when = now_;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() >= (size_t{1} << kSlotBits)) std::abort();  // 268 M pending timers: a runaway model
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.fn = std::move(fn);
  s.live = true;
  ++s.generation;
  Push(heap_, Entry{when, NextOrder(slot)});
  return (static_cast<uint64_t>(s.generation) << 32) | slot;
}

void Simulation::RunIndexedAt(UnixMicros when, uint32_t index) {
  if (index >= (uint32_t{1} << kSlotBits)) std::abort();  // as RunAt's slot limit
  if (when < now_) when = now_;
  PushLane(Entry{when, NextOrder(index)});
}

void Simulation::PushLane(Entry e) {
  const int64_t bucket = e.when >> kLaneBucketShift;
  if (lane_in_ring_ == 0 && !lane_ring_.empty()) {
    lane_base_ = bucket;  // an empty ring starts where the entry is
    lane_base_sorted_ = false;
  }
  if (lane_ring_.empty()) {
    lane_ring_.resize(kLaneBuckets);
    lane_base_ = bucket;
  }
  if (bucket < lane_base_ || bucket - lane_base_ >= static_cast<int64_t>(kLaneBuckets)) {
    Push(lane_far_, e);
    return;
  }
  std::vector<Entry>& b = lane_ring_[static_cast<size_t>(bucket) & (kLaneBuckets - 1)];
  ++lane_in_ring_;
  if (bucket == lane_base_ && lane_base_sorted_) {
    // The bucket being read: keep it sorted, latest first.
    b.insert(std::upper_bound(b.begin(), b.end(), e, [](const Entry& x, const Entry& y) { return Later(x, y); }), e);
    return;
  }
  if (b.capacity() == 0 && !spare_buckets_.empty()) {
    b.swap(spare_buckets_.back());
    spare_buckets_.pop_back();
  }
  b.push_back(e);
}

const Simulation::Entry& Simulation::LaneTop() {
  const Entry* ring = nullptr;
  if (lane_in_ring_ > 0) {
    std::vector<Entry>* b = &lane_ring_[static_cast<size_t>(lane_base_) & (kLaneBuckets - 1)];
    while (b->empty()) {
      ++lane_base_;
      lane_base_sorted_ = false;
      b = &lane_ring_[static_cast<size_t>(lane_base_) & (kLaneBuckets - 1)];
    }
    if (!lane_base_sorted_) {
      std::sort(b->begin(), b->end(), [](const Entry& x, const Entry& y) { return Later(x, y); });
      lane_base_sorted_ = true;
    }
    ring = &b->back();
  }
  const Entry* far = lane_far_.size() > kHeapOffset ? &lane_far_[kHeapOffset] : nullptr;
  if (ring == nullptr) return *far;
  return far != nullptr && Later(*ring, *far) ? *far : *ring;
}

Simulation::Entry Simulation::PopLane() {
  const Entry& top = LaneTop();
  const bool from_far = lane_far_.size() > kHeapOffset && &top == &lane_far_[kHeapOffset];
  if (from_far) return PopTop(lane_far_);
  std::vector<Entry>& b = lane_ring_[static_cast<size_t>(lane_base_) & (kLaneBuckets - 1)];
  const Entry e = b.back();
  b.pop_back();
  --lane_in_ring_;
  // A drained bucket gives its storage back: the ring's buckets would otherwise each keep their
  // largest size (16 MB at 64 k cohorts) although only the next seconds' ones hold entries. A
  // few drained buckets' storage is kept for the buckets that fill next (spare_buckets_).
  if (b.empty()) {
    if (spare_buckets_.size() < kSpareBuckets) {
      spare_buckets_.push_back(std::move(b));
      b = std::vector<Entry>();  // (a moved-from vector is valid but unspecified)
    } else {
      std::vector<Entry>().swap(b);
    }
  }
  return e;
}

// After 2^36 insertions: give the pending entries of both heaps sequence numbers 0..n-1 in their
// common (when, seq) order. A sorted array is a valid heap, and the order of events does not
// change.
void Simulation::Renumber() {
  struct Ref {
    Entry* e;
  };
  std::vector<Ref> all;
  for (Heap* h : {&heap_, &lane_far_}) {
    for (auto e = h->begin() + kHeapOffset; e != h->end(); ++e) all.push_back({&*e});
  }
  for (std::vector<Entry>& b : lane_ring_) {
    for (Entry& e : b) all.push_back({&e});
  }
  std::sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return Later(*b.e, *a.e); });
  uint64_t seq = 0;
  for (Ref& r : all) r.e->order = (seq++ << kSlotBits) | SlotOf(*r.e);
  next_seq_ = seq;
  for (Heap* h : {&heap_, &lane_far_}) {
    std::sort(h->begin() + kHeapOffset, h->end(), [](const Entry& a, const Entry& b) { return Later(b, a); });
  }
  lane_base_sorted_ = false;  // (a bucket's order is (when, seq), which renumbering keeps; sorted again anyway)
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

void Simulation::SiftUp(Entry* node, size_t i, Entry e) {
  while (i > 0) {
    const size_t parent = (i - 1) / kArity;
    if (!Later(node[parent], e)) break;
    node[i] = node[parent];
    i = parent;
  }
  node[i] = e;
}

void Simulation::Push(Heap& heap, Entry e) {
  heap.push_back(e);
  SiftUp(heap.data() + kHeapOffset, heap.size() - kHeapOffset - 1, e);
}

// Floyd's bottom-up deletion: move the hole at the root down to a leaf along the smaller
// children (no comparison against the moved element on the way), then sift the last element up
// from there. The last element is usually a late event that belongs near the leaves, so this
// saves most of the comparisons of a top-down sift (the hold model: ~1.3x at 100k pending).
Simulation::Entry Simulation::PopTop(Heap& heap) {
  Entry* const node = heap.data() + kHeapOffset;
  auto Node = [node](size_t i) -> Entry& { return node[i]; };
  const Entry top = Node(0);
  const Entry last = Node(heap.size() - kHeapOffset - 1);
  heap.pop_back();
  const size_t n = heap.size() - kHeapOffset;
  if (n == 0) return top;
  size_t i = 0;
  while (true) {
    const size_t first = i * kArity + 1;
    if (first >= n) break;
    // The grandchildren (16 entries, 4 cache lines) are the next level's loads whichever child
    // wins: fetch them while this level compares. Below 100 k pending entries the heap stays in
    // cache and this costs nothing; above, it hides most of each level's cache miss.
    const size_t grandchildren = first * kArity + 1;
    if (grandchildren < n) {
      const char* line = reinterpret_cast<const char*>(&Node(grandchildren));
      __builtin_prefetch(line);
      __builtin_prefetch(line + 64);
      __builtin_prefetch(line + 128);
      __builtin_prefetch(line + 192);
    }
    size_t best;
    if (first + kArity <= n) {
      // All four children: a branch-free tournament (random keys make these branches a coin toss).
      const size_t a = first + static_cast<size_t>(LaterNoBranch(Node(first), Node(first + 1)));
      const size_t b = first + 2 + static_cast<size_t>(LaterNoBranch(Node(first + 2), Node(first + 3)));
      best = LaterNoBranch(Node(a), Node(b)) ? b : a;
    } else {
      best = first;
      for (size_t c = first + 1; c < n; ++c) {
        if (Later(Node(best), Node(c))) best = c;
      }
    }
    Node(i) = Node(best);
    i = best;
  }
  SiftUp(node, i, last);
  return top;
}

bool Simulation::Step() {
  while (HeapSize() > 0 || LaneSize() > 0) {
    if (LaneSize() > 0 && (HeapSize() == 0 || Later(Node(0), LaneTop()))) {
      const Entry e = PopLane();
      now_ = e.when;
      ++events_run_;
      if (LaneSize() > 0) handler_->Warm(SlotOf(LaneTop()));
      handler_->Run(SlotOf(e));
      return true;
    }
    const Entry e = PopTop(heap_);
    const uint32_t slot = SlotOf(e);
    Slot& s = slots_[slot];
    if (!s.live) {  // cancelled
      --cancelled_in_heap_;
      free_slots_.push_back(slot);
      continue;
    }
    now_ = e.when;
    std::function<void()> fn = std::move(s.fn);
    s.fn = nullptr;
    s.live = false;
    free_slots_.push_back(slot);
    ++events_run_;
    // The next event's slot is a cache miss (slots_ is large and visited in time order, not
    // memory order): fetch it while this event runs. At 64 k cohorts that miss was ~5 % of a run.
    if (HeapSize() > 0) __builtin_prefetch(&slots_[SlotOf(Node(0))]);
    fn();
    return true;
  }
  return false;
}

void Simulation::DropCancelledTop() {
  while (HeapSize() > 0 && !slots_[SlotOf(Node(0))].live) {
    const Entry e = PopTop(heap_);
    --cancelled_in_heap_;
    free_slots_.push_back(SlotOf(e));
  }
}

void Simulation::RunUntil(UnixMicros t) {
  while (true) {
    if (pending() == 0 || NextTime() > t) break;
    Step();
  }
  if (t > now_) now_ = t;
}

void Simulation::Run() {
  while (Step()) {
  }
}

}  // namespace ssai::sim
