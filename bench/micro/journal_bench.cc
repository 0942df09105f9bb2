// The cue journal (reference/server/asio_env.h JournalDurableStore): a burst of `burst` records
// (cues arriving together) submitted from the "core thread", timed until the last one is
// acknowledged. max_group_records = 1 is the baseline: one write+fdatasync per record, what the
// journal did before group commit (then on the core thread itself). Reports records/s, syncs per
// burst, and the core thread's time inside Put (µs per record). On the file system of $TMPDIR
// (or /tmp): fdatasync costs what that disk costs, so compare the two rows of one run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "reference/server/asio_env.h"

namespace {

namespace asio = boost::asio;

void BM_JournalBurst(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  const size_t max_group = static_cast<size_t>(state.range(1));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ssai-journal-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  ssai::server::JournalDurableStore::Options options;
  options.max_group_records = max_group;
  options.compact_after_records = 1 << 30;  // measure appends, not compaction
  auto store = ssai::server::JournalDurableStore::Open(
      (dir / "journal.jsonl").string(), [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); }, options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  const std::string value(200, 'x');  // about a break record's size
  double core_s = 0;
  int64_t key = 0;
  for (auto _ : state) {
    int pending = burst;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < burst; ++i) {
      (*store)->Put("break/" + std::to_string(key++), value, [&pending](ssai::Status) { --pending; });
    }
    core_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    while (pending > 0) io.run_one();
  }
  const double records = static_cast<double>(state.iterations()) * burst;
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.counters["syncs_per_burst"] = static_cast<double>((*store)->syncs()) / static_cast<double>(state.iterations());
  state.counters["core_us_per_put"] = core_s * 1e6 / records;
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_JournalBurst)
    ->ArgNames({"burst", "max_group"})
    ->Args({1, 4096})
    ->Args({64, 1})
    ->Args({64, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
