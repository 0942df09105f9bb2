// An open-loop HTTP/1.1 load generator (`ssai bench`). The send schedule is fixed before the run
// (schedule.h); each request's latency is measured from its INTENDED send time, so when all
// keep-alive connections are busy the wait for a free one counts (no coordinated omission: a
// closed-loop client would stop sending exactly while the server stalls). One single-threaded
// Boost.Asio io_context drives every connection.
#ifndef SSAI_BENCH_LOAD_HTTP_LOAD_H_
#define SSAI_BENCH_LOAD_HTTP_LOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/load/schedule.h"
#include "reference/base/status.h"
#include "simulator/metrics.h"

namespace ssai::load {

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 80;
  std::vector<std::string> paths = {"/"};  // requests cycle through them in order
  double rate_per_s = 100;
  double duration_s = 5;
  int connections = 16;  // keep-alive connections (opened before the run starts)
  Arrival arrival = Arrival::kConstant;
  uint64_t seed = 1;
  int64_t timeout_ms = 2000;  // from the intended send time; a timed-out request is a failure
  // Responses are also counted by this header's value (e.g. X-SSAI-State-Source); "" = off.
  std::string count_header;
};

// "http://host:port[/path]" -> host, port, path ("/" when absent). http only.
Status ParseHttpUrl(std::string_view url, std::string* host, int* port, std::string* path);

struct LoadResult {
  LoadOptions options;
  int64_t scheduled = 0;  // requests in the schedule
  int64_t sent = 0;       // written to a connection
  int64_t completed = 0;  // a whole HTTP response came back (any status)
  int64_t ok = 0;         // 2xx
  std::map<int, int64_t> status_counts;          // every status seen
  std::map<std::string, int64_t> errors;         // "timeout", "connect", "io", "protocol", "http_503", ...
  std::map<std::string, int64_t> header_counts;  // count_header value -> responses
  std::map<int, std::string> error_samples;      // the first body (<= 300 bytes) of each non-2xx status
  // Completion minus intended send time, microseconds, every completed response plus every
  // timeout (recorded at the timeout: a lower bound of its real latency).
  sim::Histogram latency_us;
  // How late the generator itself queued each request (timer wake-up minus intended time).
  sim::Histogram send_lag_us;
  // Intended send time to the request being written (the wait for a free connection + lag).
  sim::Histogram queue_wait_us;
  int64_t connects = 0;  // TCP connections opened (the first `connections` + reconnects)
  double elapsed_s = 0;  // first intended send to last completion
  std::vector<std::string> warnings;  // e.g. the generator fell behind its schedule

  double achieved_rate_per_s() const { return elapsed_s > 0 ? static_cast<double>(completed) / elapsed_s : 0; }
  int64_t failed() const;  // scheduled - ok
  nlohmann::json ToJson() const;
  std::string Summary() const;  // the terminal summary
};

// Runs one load test. Fails only if the target cannot be reached at all before the run (no
// connection opens); failures during the run are counted in the result.
Result<LoadResult> RunLoad(const LoadOptions& options);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_HTTP_LOAD_H_
