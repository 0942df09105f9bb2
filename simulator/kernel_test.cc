#include "simulator/kernel.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ssai::sim {
namespace {

TEST(SimulationTest, RunsInTimeThenInsertionOrder) {
  Simulation sim(1000);
  std::vector<int> order;
  sim.RunAt(3000, [&] { order.push_back(3); });
  sim.RunAt(2000, [&] { order.push_back(1); });
  sim.RunAt(2000, [&] { order.push_back(2); });
  sim.RunAt(500, [&] { order.push_back(0); });  // in the past: runs now
  sim.Run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(sim.Now(), 3000);
  EXPECT_EQ(sim.events_run(), 4u);
}

TEST(SimulationTest, CancelAndNestedScheduling) {
  Simulation sim(0);
  std::vector<UnixMicros> at;
  auto id = sim.RunAt(10, [&] { at.push_back(-1); });
  sim.RunAt(5, [&] {
    at.push_back(sim.Now());
    sim.RunAfter(0, [&] { at.push_back(sim.Now()); });
    sim.RunAfter(100, [&] { at.push_back(sim.Now()); });
  });
  sim.Cancel(id);
  sim.Cancel(id);  // twice: no-op
  EXPECT_EQ(sim.pending(), 1u);
  sim.RunUntil(50);
  EXPECT_EQ(at, (std::vector<UnixMicros>{5, 5}));
  EXPECT_EQ(sim.Now(), 50);
  sim.Run();
  EXPECT_EQ(at, (std::vector<UnixMicros>{5, 5, 105}));
  // A stale id (slot reused) does not cancel the new timer.
  bool ran = false;
  sim.RunAfter(1, [&] { ran = true; });
  sim.Cancel(id);
  sim.Run();
  EXPECT_TRUE(ran);
}

TEST(SimulationTest, ManyEventsStayOrdered) {
  Simulation sim(0);
  UnixMicros last = -1;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 10000; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    sim.RunAt(static_cast<UnixMicros>(x % 100000), [&] {
      EXPECT_GE(sim.Now(), last);
      last = sim.Now();
    });
  }
  sim.Run();
  EXPECT_EQ(sim.events_run(), 10000u);
}

TEST(SimulationTest, RenumberingKeepsTimeThenInsertionOrder) {
  // Sequence numbers have 36 bits; just before they run out the pending entries are renumbered.
  // Ties at one time must still run in insertion order across the renumbering.
  Simulation sim(0);
  sim.SetNextSeqForTesting((uint64_t{1} << 36) - 20);
  std::vector<int> order;
  for (int i = 0; i < 60; ++i) sim.RunAt(100 + (i % 3) * 10, [&order, i] { order.push_back(i); });
  sim.Cancel(sim.RunAt(105, [&order] { order.push_back(-1); }));
  std::vector<int> expected;
  for (int t = 0; t < 3; ++t) {
    for (int i = t; i < 60; i += 3) expected.push_back(i);
  }
  sim.Run();
  EXPECT_EQ(order, expected);
  EXPECT_EQ(sim.events_run(), 60u);
  EXPECT_EQ(sim.pending(), 0u);
}

TEST(SimulationTest, ManyTiesRunInTimeThenInsertionOrder) {
  // 5000 events on 1000 distinct times: every tie must run in insertion order.
  Simulation sim(0);
  std::vector<std::pair<UnixMicros, int>> ran;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&x] {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return static_cast<UnixMicros>(x % 1000);
  };
  int id = 0;
  for (int i = 0; i < 5000; ++i) {
    const int my = id++;
    sim.RunAt(next(), [&, my] { ran.emplace_back(sim.Now(), my); });
  }
  sim.Run();
  ASSERT_EQ(ran.size(), 5000u);
  for (size_t i = 1; i < ran.size(); ++i) {
    ASSERT_TRUE(ran[i - 1].first < ran[i].first ||
                (ran[i - 1].first == ran[i].first && ran[i - 1].second < ran[i].second))
        << i;
  }
}

// Indexed events (RunIndexedAt) share the sequence with RunAt's: the merged order is (time,
// insertion order) as if every event were a RunAt, across a renumbering too; the handler is told
// the next indexed event's index before each one runs.
class Recorder : public Simulation::IndexedHandler {
 public:
  explicit Recorder(std::vector<int>* order) : order_(order) {}
  void Run(uint32_t index) override { order_->push_back(1000 + static_cast<int>(index)); }
  void Warm(uint32_t index) override { warmed.push_back(index); }
  std::vector<uint32_t> warmed;

 private:
  std::vector<int>* order_;
};

TEST(SimulationTest, IndexedEventsKeepTimeThenInsertionOrder) {
  for (const bool renumber : {false, true}) {
    Simulation sim(0);
    if (renumber) sim.SetNextSeqForTesting((uint64_t{1} << 36) - 30);
    std::vector<int> order;
    Recorder recorder(&order);
    sim.SetIndexedHandler(&recorder);
    std::vector<std::pair<UnixMicros, int>> expected;  // (time, id) in insertion order
    for (int i = 0; i < 60; ++i) {
      const UnixMicros t = 100 + (i % 4) * 10;
      if (i % 3 == 0) {
        sim.RunIndexedAt(t, static_cast<uint32_t>(i));
        expected.emplace_back(t, 1000 + i);
      } else {
        sim.RunAt(t, [&order, i] { order.push_back(i); });
        expected.emplace_back(t, i);
      }
    }
    sim.Cancel(sim.RunAt(105, [&order] { order.push_back(-1); }));
    sim.RunIndexedAt(-5, 7);  // in the past: runs now, after what is due now
    expected.emplace_back(0, 1007);
    EXPECT_EQ(sim.pending(), 61u);
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<int> want;
    for (const auto& [t, id] : expected) want.push_back(id);
    EXPECT_EQ(sim.NextTime(), 0);
    sim.Run();
    EXPECT_EQ(order, want) << "renumber " << renumber;
    EXPECT_EQ(sim.events_run(), 61u);
    EXPECT_EQ(sim.pending(), 0u);
    // Warm saw each indexed event but the first before it ran, in run order.
    std::vector<uint32_t> indexed;
    for (int id : want) {
      if (id >= 1000) indexed.push_back(static_cast<uint32_t>(id - 1000));
    }
    EXPECT_EQ(recorder.warmed, std::vector<uint32_t>(indexed.begin() + 1, indexed.end()));
  }
}

TEST(SimulationTest, RunUntilStopsBeforeLaterIndexedEvents) {
  Simulation sim(0);
  std::vector<int> order;
  Recorder recorder(&order);
  sim.SetIndexedHandler(&recorder);
  sim.RunIndexedAt(10, 1);
  sim.RunAt(20, [&order] { order.push_back(2); });
  sim.RunIndexedAt(30, 3);
  sim.RunUntil(25);
  EXPECT_EQ(order, (std::vector<int>{1001, 2}));
  EXPECT_EQ(sim.Now(), 25);
  EXPECT_EQ(sim.NextTime(), 30);
  sim.Run();
  EXPECT_EQ(order, (std::vector<int>{1001, 2, 1003}));
}

TEST(SimulationTest, ManyIndexedAndTimedEventsStayInOneOrder) {
  // Indexed events scheduled from running events at random delays — now, within the lane's
  // buckets, beyond them, and before the bucket being read — mixed with RunAt's: the run order is
  // (time, insertion order) over both, as one heap would give.
  struct Chain : Simulation::IndexedHandler {
    Simulation* sim = nullptr;
    uint64_t x = 88172645463325252ULL;
    int left = 20000;
    std::vector<std::pair<UnixMicros, uint64_t>> ran;  // (time, insertion number)
    std::vector<uint64_t> number;                     // index -> insertion number
    uint64_t inserted = 0;
    uint64_t Next() {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    }
    void Schedule() {
      const uint64_t r = Next();
      static constexpr DurationMicros kDelays[] = {0, 700, 1024, 500'000, 2'000'000, 40'000'000};
      const DurationMicros delay = kDelays[r % 6] + static_cast<DurationMicros>((r >> 8) % 3000);
      const uint32_t index = static_cast<uint32_t>(number.size());
      number.push_back(inserted++);
      if ((r >> 20) % 4 == 0) {
        const uint64_t n = number.back();
        sim->RunAt(sim->Now() + delay, [this, n] { Ran(n); });
      } else {
        sim->RunIndexedAt(sim->Now() + delay, index);
      }
    }
    void Ran(uint64_t n) {
      ran.emplace_back(sim->Now(), n);
      if (left-- > 0) {
        Schedule();
        if (Next() % 3 == 0) Schedule();
      }
    }
    void Run(uint32_t index) override { Ran(number[index]); }
  };
  Simulation sim(1'000'000);
  Chain chain;
  chain.sim = &sim;
  sim.SetIndexedHandler(&chain);
  for (int i = 0; i < 64; ++i) chain.Schedule();
  sim.Run();
  ASSERT_GT(chain.ran.size(), 20000u);
  for (size_t i = 1; i < chain.ran.size(); ++i) {
    const auto& [t0, n0] = chain.ran[i - 1];
    const auto& [t1, n1] = chain.ran[i];
    ASSERT_TRUE(t0 < t1 || (t0 == t1 && n0 < n1)) << i;
  }
  EXPECT_EQ(sim.pending(), 0u);
}

}  // namespace
}  // namespace ssai::sim
