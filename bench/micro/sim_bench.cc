// Simulator kernel: the classic hold model (Jones 1986; Brown 1988): N pending events; each event,
// when run, schedules one more at now + a random increment, so the queue size stays N. Reports
// events/s (items_per_second). Goal (issue 5): >= 5 M events/s per core.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "simulator/kernel.h"
#include "simulator/metrics.h"
#include "simulator/random.h"

namespace {

void BM_SimHoldModel(benchmark::State& state) {
  const int64_t pending = state.range(0);
  ssai::sim::Simulation sim(0);
  ssai::sim::Rng rng(1);
  // Increments drawn up front (exponential, mean 1 ms) so the benchmark measures the queue.
  std::vector<int64_t> inc(1 << 16);
  for (int64_t& d : inc) d = static_cast<int64_t>(rng.Exponential(1000.0)) + 1;
  size_t k = 0;
  struct Hold {
    ssai::sim::Simulation* sim;
    std::vector<int64_t>* inc;
    size_t* k;
    void operator()() const {
      sim->RunAfter((*inc)[(*k)++ & 0xffff], *this);
    }
  };
  for (int64_t i = 0; i < pending; ++i) sim.RunAfter(inc[k++ & 0xffff], Hold{&sim, &inc, &k});
  for (auto _ : state) {
    sim.Step();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimHoldModel)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_SimRngLognormal(benchmark::State& state) {
  ssai::sim::Rng rng(3);
  const auto d = ssai::sim::Distribution::Lognormal(41, 0.5);
  for (auto _ : state) benchmark::DoNotOptimize(d.SampleUs(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimRngLognormal);

void BM_SimHistogramRecord(benchmark::State& state) {
  ssai::sim::Histogram h;
  int64_t v = 1;
  for (auto _ : state) {
    h.Record(v, 3);
    v = (v * 1103515245 + 12345) & 0xffffff;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimHistogramRecord);

}  // namespace
