// Real-time implementations of the core's Env interfaces (reference/ssai/env.h) for `ssai serve`.
//
// Threading: the core (ManifestPath, Coordinators) runs on ONE thread, the one running the
// io_context. Every class here is called on that thread and completes every callback on it:
// timers are asio::steady_timer; outbound HTTP (origin, decision, remote coordinator) runs on a
// small worker pool (HttpFetcher) with connect/read/write timeouts and a body-size cap, and its
// result is posted back to the io_context.
#ifndef SSAI_REFERENCE_SERVER_ASIO_ENV_H_
#define SSAI_REFERENCE_SERVER_ASIO_ENV_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/origin_cache.h"
#include "reference/server/config.h"
#include "reference/server/journal.h"  // JournalDurableStore, here before it had its own file
#include "reference/ssai/env.h"

namespace ssai::server {

UnixMicros RealNow();  // system_clock, microseconds since the epoch

// Scheduler on an io_context: Now() is the wall clock; RunAt uses steady_timer.
class AsioScheduler : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override;
  UnixMicros Now() const override { return RealNow(); }
  TimerId RunAt(UnixMicros when, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  void CancelAll();
  size_t pending() const { return timers_.size(); }

 private:
  boost::asio::io_context& io_;
  TimerId next_id_ = 1;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

// The `sim` KV backend: one in-process location on the real clock. Absolute expiry, last write
// wins, at most one write per second per key (kResourceExhausted otherwise, as Workers KV), an
// optional propagation delay before a write becomes visible. Reads complete inline; cache_ttl_s
// is not modelled (one location, no POP caches: the simulator has those).
class MemoryKvStore : public KvStore {
 public:
  MemoryKvStore(Scheduler* scheduler, DurationMicros propagation_delay_us)
      : sched_(scheduler), propagation_delay_us_(propagation_delay_us) {}
  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) override;
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  void List(std::string_view prefix, ListCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;
  size_t size() const { return entries_.size(); }
  int64_t gets = 0, hits = 0, puts = 0, rejected_puts = 0, lists = 0, deletes = 0;

 private:
  struct Entry {
    std::string value;
    UnixMicros visible_at = 0;
    UnixMicros expires_at = 0;
  };
  void Sweep(UnixMicros now);
  Scheduler* sched_;
  DurationMicros propagation_delay_us_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, UnixMicros, std::less<>> last_write_;
  int64_t ops_since_sweep_ = 0;
};

// Blocking HTTP client calls on a worker pool, completed on the io_context.
class HttpFetcher {
 public:
  struct Response {
    int http_status = 0;
    std::string body;
  };
  using Callback = std::function<void(Result<Response>)>;
  HttpFetcher(boost::asio::io_context& io, int threads, size_t max_body_bytes);
  ~HttpFetcher();
  // GET (body empty) or POST (content_type set). Errors: kUnavailable (connect/read failures),
  // kDeadlineExceeded (timeouts), kResourceExhausted (body over the cap), kInvalidArgument (URL).
  // `headers` are sent as given (server-side beacons name their session).
  void Fetch(std::string url, std::string post_body, std::string content_type, int64_t timeout_ms,
             Callback done, std::vector<std::pair<std::string, std::string>> headers = {});
  // Stops the pool: queued calls are dropped, running ones finish (bounded by their timeouts).
  void Shutdown();

 private:
  boost::asio::io_context& io_;
  boost::asio::thread_pool pool_;
  size_t max_body_bytes_;
  bool shut_down_ = false;
};

// Splits "http://host:port/path?q" into ("http://host:port", "/path?q"); only http, unless
// allow_https (the capture recorder, whose client speaks TLS: http_client.h).
Status SplitHttpUrl(std::string_view url, std::string* base, std::string* path, bool allow_https = false);

class HttpOriginClient : public OriginClient {
 public:
  HttpOriginClient(HttpFetcher* fetcher, int64_t timeout_ms) : fetcher_(fetcher), timeout_ms_(timeout_ms) {}
  void Fetch(std::string_view url, Callback done) override;
  int64_t fetches = 0, errors = 0;

 private:
  HttpFetcher* fetcher_;
  int64_t timeout_ms_;
};

// CachingOriginClient (the edge's origin micro-cache) lives in reference/ssai/origin_cache.h: the
// simulator's edges use it too (issue 18, `ssai fidelity`).

// POSTs {"channelId","eventId","podId","duration"} to a decision service; expects
// {"podId","items":[{"id","duration","variants":{bitrate: url}}]} (the seed's decision object).
class HttpDecisionClient : public DecisionClient {
 public:
  HttpDecisionClient(HttpFetcher* fetcher, std::string url, int64_t timeout_ms)
      : fetcher_(fetcher), url_(std::move(url)), timeout_ms_(timeout_ms) {}
  void Decide(const Request& request, Callback done) override;

 private:
  HttpFetcher* fetcher_;
  std::string url_;
  int64_t timeout_ms_;
};

// GETs {base}/api/channels/{channelId}/state from a remote coordinator (role edge).
class HttpCoordinatorClient : public CoordinatorClient {
 public:
  HttpCoordinatorClient(HttpFetcher* fetcher, std::string base_url, int64_t timeout_ms)
      : fetcher_(fetcher), base_url_(std::move(base_url)), timeout_ms_(timeout_ms) {}
  void GetChannelState(std::string_view channel_id, StateCallback done) override;

 private:
  HttpFetcher* fetcher_;
  std::string base_url_;
  int64_t timeout_ms_;
};

// Decision JSON <-> AdDecision (the seed's "decision" object).
std::string SerializeDecision(const AdDecision& decision);
Result<AdDecision> ParseDecisionJson(std::string_view json);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_ASIO_ENV_H_
