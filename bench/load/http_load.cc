#include "bench/load/http_load.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

namespace ssai::load {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

constexpr int64_t kCheckIntervalUs = 5'000;  // timeout sweep
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;

// A response is read by Boost.Beast's HTTP/1.1 parser (Content-Length, chunked, and bodies delimited
// by the end of the connection; RFC 9112 §6.3), bounded: a 64 KiB header block, a 64 MiB body.
using ResponseParser = beast::http::response_parser<beast::http::string_body>;
constexpr uint32_t kMaxHeaderBytes = 64 * 1024;

// Beast's parse errors' category (the others are the socket's).
const boost::system::error_category& HttpErrors() {
  return beast::http::make_error_code(beast::http::error::end_of_stream).category();
}

class Runner {
 public:
  Runner(const LoadOptions& options, std::vector<int64_t> schedule)
      : o_(options), schedule_(std::move(schedule)), sched_timer_(io_), check_timer_(io_) {
    result_.options = options;
    result_.scheduled = static_cast<int64_t>(schedule_.size());
    requests_.reserve(o_.paths.size());
    for (const std::string& p : o_.paths) {
      requests_.push_back("GET " + p + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
                          "\r\nUser-Agent: ssai-bench\r\nAccept: */*\r\n\r\n");
    }
  }

  Result<LoadResult> Run() {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(o_.host, std::to_string(o_.port), ec);
    if (ec || endpoints.empty()) {
      return Status::InvalidArgument("target: cannot resolve " + o_.host + ": " + ec.message());
    }
    endpoint_ = endpoints.begin()->endpoint();
    // Open every connection before the clock starts: connection set-up is not what we measure.
    for (int i = 0; i < o_.connections; ++i) {
      auto c = std::make_unique<Conn>(io_);
      c->socket.connect(endpoint_, ec);
      if (ec) {
        return Status::Unavailable("target: cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " +
                                   ec.message());
      }
      c->socket.set_option(tcp::no_delay(true), ec);
      c->connected = true;
      ++result_.connects;
      idle_.push_back(c.get());
      conns_.push_back(std::move(c));
    }
    start_ = Clock::now() + std::chrono::milliseconds(5);
    hard_stop_us_ = static_cast<int64_t>(o_.duration_s * 1e6) + o_.timeout_ms * 1000 + 2'000'000;
    if (!schedule_.empty()) ArmScheduleTimer();
    ArmCheckTimer();
    io_.run();
    for (auto& c : conns_) Close(*c);
    result_.elapsed_s = static_cast<double>(last_completion_us_) / 1e6;
    if (schedule_.empty()) result_.elapsed_s = 0;
    AddWarnings();
    return std::move(result_);
  }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    bool connected = false;
    bool busy = false;
    bool used = false;     // a response came back on this TCP connection
    bool retried = false;  // this request was already resent once after a stale keep-alive
    uint64_t generation = 0;
    size_t request = 0;  // schedule index in flight
    // Bytes read and not yet parsed, and the response being parsed. Both are owned by the read
    // in flight too (shared), so closing a connection mid-read never frees what Beast still uses.
    std::shared_ptr<beast::flat_buffer> buffer = std::make_shared<beast::flat_buffer>();
    std::shared_ptr<ResponseParser> parser;
  };

  int64_t NowUs() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
  }

  void ArmScheduleTimer() {
    sched_timer_.expires_at(start_ + std::chrono::microseconds(schedule_[next_]));
    sched_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const int64_t now = NowUs();
      while (next_ < schedule_.size() && schedule_[next_] <= now) {
        result_.send_lag_us.Record(now - schedule_[next_]);
        queue_.push_back(next_++);
      }
      Dispatch();
      if (next_ < schedule_.size()) ArmScheduleTimer();
      MaybeFinish();
    });
  }

  void ArmCheckTimer() {
    check_timer_.expires_after(std::chrono::microseconds(kCheckIntervalUs));
    check_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const int64_t now = NowUs();
      const int64_t timeout_us = o_.timeout_ms * 1000;
      while (!queue_.empty() && now - schedule_[queue_.front()] >= timeout_us) {
        queue_.pop_front();
        Fail("timeout", timeout_us);
      }
      for (auto& c : conns_) {
        if (c->busy && now - schedule_[c->request] >= timeout_us) {
          Close(*c);  // HTTP/1.1 cannot cancel one request: drop the connection
          c->busy = false;
          Fail("timeout", timeout_us);
          idle_.push_back(c.get());
        }
      }
      Dispatch();
      if (now >= hard_stop_us_) {
        result_.warnings.push_back("stopped at the hard bound (duration + timeout + 2 s) with requests in flight");
        Stop();
        return;
      }
      if (!MaybeFinish()) ArmCheckTimer();
    });
  }

  bool MaybeFinish() {
    if (next_ < schedule_.size() || !queue_.empty()) return false;
    for (auto& c : conns_) {
      if (c->busy) return false;
    }
    Stop();
    return true;
  }

  void Stop() {
    sched_timer_.cancel();
    check_timer_.cancel();
    for (auto& c : conns_) Close(*c);
    io_.stop();
  }

  void Close(Conn& c) {
    ++c.generation;  // callbacks of the old socket are ignored
    boost::system::error_code ignored;
    if (c.socket.is_open()) c.socket.close(ignored);
    c.connected = false;
    c.used = false;
    c.buffer = std::make_shared<beast::flat_buffer>();
    c.parser.reset();
  }

  void Fail(const std::string& kind, int64_t latency_us) {
    ++result_.errors[kind];
    if (kind == "timeout") result_.latency_us.Record(latency_us);
    last_completion_us_ = std::max(last_completion_us_, NowUs());
  }

  void Dispatch() {
    while (!queue_.empty() && !idle_.empty()) {
      Conn* c = idle_.back();
      idle_.pop_back();
      const size_t req = queue_.front();
      queue_.pop_front();
      Send(*c, req, /*retry=*/false);
    }
  }

  void Send(Conn& c, size_t req, bool retry) {
    c.busy = true;
    c.request = req;
    c.retried = retry;
    c.parser.reset();
    if (!retry) result_.queue_wait_us.Record(NowUs() - schedule_[req]);
    if (!c.connected) {
      Close(c);
      const uint64_t gen = c.generation;
      c.socket.async_connect(endpoint_, [this, &c, gen](const boost::system::error_code& ec) {
        if (gen != c.generation) return;
        if (ec) {
          Close(c);
          return Finish(c, "connect");
        }
        boost::system::error_code ignored;
        c.socket.set_option(tcp::no_delay(true), ignored);
        c.connected = true;
        ++result_.connects;
        Write(c);
      });
      return;
    }
    Write(c);
  }

  void Write(Conn& c) {
    const std::string& bytes = requests_[c.request % requests_.size()];
    if (!c.retried) ++result_.sent;
    const uint64_t gen = c.generation;
    asio::async_write(c.socket, asio::buffer(bytes), [this, &c, gen](const boost::system::error_code& ec, size_t) {
      if (gen != c.generation) return;
      if (ec) return OnIoError(c);
      Read(c);
    });
  }

  void Read(Conn& c) {
    const uint64_t gen = c.generation;
    c.parser = std::make_shared<ResponseParser>();
    c.parser->header_limit(kMaxHeaderBytes);
    c.parser->body_limit(kMaxResponseBytes);
    beast::http::async_read(
        c.socket, *c.buffer, *c.parser,
        [this, &c, gen, buffer = c.buffer, parser = c.parser](const boost::system::error_code& ec, size_t) {
          if (gen != c.generation) return;
          if (!ec) return Complete(c);
          // The connection ended or broke (before a response: maybe an idle keep-alive connection the
          // server closed, retried once; mid-response: `io`); anything else is a response we
          // cannot read (`protocol`: malformed, or over a limit).
          if (ec == beast::http::error::end_of_stream || ec == beast::http::error::partial_message ||
              ec.category() != HttpErrors()) {
            return OnIoError(c);
          }
          Protocol(c);
        });
  }

  void OnIoError(Conn& c) {
    // A keep-alive connection the server closed while idle: resend once on a fresh one.
    const bool stale = c.used && !(c.parser && c.parser->got_some()) && !c.retried;
    Close(c);
    if (stale) return Send(c, c.request, /*retry=*/true);
    Finish(c, "io");
  }

  void Protocol(Conn& c) {
    Close(c);
    Finish(c, "protocol");
  }

  // The request on `c` ended without a response.
  void Finish(Conn& c, const std::string& kind) {
    c.busy = false;
    Fail(kind, 0);
    Next(c);
  }

  void Complete(Conn& c) {
    const int64_t now = NowUs();
    const auto& response = c.parser->get();
    const int status = response.result_int();
    result_.latency_us.Record(now - schedule_[c.request]);
    last_completion_us_ = std::max(last_completion_us_, now);
    ++result_.completed;
    ++result_.status_counts[status];
    if (status >= 200 && status < 300) {
      ++result_.ok;
    } else {
      ++result_.errors["http_" + std::to_string(status)];
      std::string& sample = result_.error_samples[status];
      if (sample.empty()) sample = response.body().substr(0, 300);
    }
    if (!o_.count_header.empty()) {
      const auto counted = response.find(o_.count_header);
      ++result_.header_counts[counted == response.end() ? std::string("(absent)") : std::string(counted->value())];
    }
    c.busy = false;
    if (!response.keep_alive() || c.parser->need_eof()) {
      Close(c);
    } else {
      c.used = true;
    }
    Next(c);
  }

  void Next(Conn& c) {
    if (!queue_.empty()) {
      const size_t req = queue_.front();
      queue_.pop_front();
      Send(c, req, false);
      return;
    }
    idle_.push_back(&c);
    MaybeFinish();
  }

  void AddWarnings() {
    const sim::Histogram& lag = result_.send_lag_us;
    if (lag.count() > 0 && (lag.Percentile(50) > 1000 || lag.max() > 100'000)) {
      char text[256];
      std::snprintf(text, sizeof text,
                    "the generator fell behind its schedule (send lag median %.2f ms, max %.1f ms): the machine "
                    "is overloaded; latencies include this lag",
                    static_cast<double>(lag.Percentile(50)) / 1000, static_cast<double>(lag.max()) / 1000);
      result_.warnings.push_back(text);
    }
    const sim::Histogram& wait = result_.queue_wait_us;
    if (wait.count() > 0 && wait.Percentile(99) > 10'000) {
      char text[256];
      std::snprintf(text, sizeof text,
                    "requests waited for a free connection (p99 %.1f ms): all %d connections were busy; the wait "
                    "is counted in the latency",
                    static_cast<double>(wait.Percentile(99)) / 1000, o_.connections);
      result_.warnings.push_back(text);
    }
  }

  LoadOptions o_;
  std::vector<int64_t> schedule_;
  std::vector<std::string> requests_;
  asio::io_context io_;
  asio::steady_timer sched_timer_;
  asio::steady_timer check_timer_;
  tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<size_t> queue_;
  size_t next_ = 0;
  Clock::time_point start_;
  int64_t hard_stop_us_ = 0;
  int64_t last_completion_us_ = 0;
  LoadResult result_;
};

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

Json HistogramSummaryMs(const sim::Histogram& h) {
  return Json{{"count", h.count()},        {"p50_ms", Ms(h.Percentile(50))},   {"p90_ms", Ms(h.Percentile(90))},
              {"p95_ms", Ms(h.Percentile(95))}, {"p99_ms", Ms(h.Percentile(99))}, {"p999_ms", Ms(h.Percentile(99.9))},
              {"max_ms", Ms(h.max())},     {"mean_ms", h.mean() / 1000.0}};
}

}  // namespace

Status ParseHttpUrl(std::string_view url, std::string* host, int* port, std::string* path) {
  if (!url.starts_with("http://")) {
    return Status::InvalidArgument("target: must be an http:// URL, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  *path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  std::string_view h = colon == std::string_view::npos ? authority : authority.substr(0, colon);
  if (h.empty()) return Status::InvalidArgument("target: no host in '" + std::string(url) + "'");
  int p = 80;
  if (colon != std::string_view::npos) {
    std::string_view ps = authority.substr(colon + 1);
    p = 0;
    if (ps.empty() || ps.size() > 5) p = -1;
    for (char c : ps) {
      if (c < '0' || c > '9' || p < 0) {
        p = -1;
        break;
      }
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return Status::InvalidArgument("target: bad port in '" + std::string(url) + "'");
  }
  *host = std::string(h);
  *port = p;
  return Status::Ok();
}

int64_t LoadResult::failed() const { return scheduled - ok; }

Json LoadResult::ToJson() const {
  Json statuses = Json::object();
  for (const auto& [s, n] : status_counts) statuses[std::to_string(s)] = n;
  Json headers = Json::object();
  for (const auto& [v, n] : header_counts) headers[v] = n;
  Json samples = Json::object();
  for (const auto& [st, body] : error_samples) samples[std::to_string(st)] = body;
  return Json{{"target", {{"host", options.host}, {"port", options.port}, {"paths", options.paths}}},
              {"arrival", ArrivalName(options.arrival)},
              {"rate_per_s", options.rate_per_s},
              {"duration_s", options.duration_s},
              {"connections", options.connections},
              {"seed", options.seed},
              {"timeout_ms", options.timeout_ms},
              {"scheduled", scheduled},
              {"sent", sent},
              {"completed", completed},
              {"ok", ok},
              {"failed", failed()},
              {"errors", errors},
              {"status_counts", statuses},
              {"count_header", options.count_header},
              {"header_counts", headers},
              {"error_samples", samples},
              {"connects", connects},
              {"elapsed_s", elapsed_s},
              {"achieved_rate_per_s", achieved_rate_per_s()},
              {"latency", HistogramSummaryMs(latency_us)},
              {"send_lag", HistogramSummaryMs(send_lag_us)},
              {"queue_wait", HistogramSummaryMs(queue_wait_us)},
              {"latency_histogram_us", latency_us.ToJson()},
              {"warnings", warnings}};
}

std::string LoadResult::Summary() const {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "target http://%s:%d  paths %zu  arrival %s  rate %.0f/s  duration %.1f s  connections %d\n",
                options.host.c_str(), options.port, options.paths.size(), std::string(ArrivalName(options.arrival)).c_str(),
                options.rate_per_s, options.duration_s, options.connections);
  out << line;
  out << "sent " << sent << " of " << scheduled << "  ok " << ok << "  failed " << failed();
  if (!errors.empty()) {
    out << "  (";
    bool first = true;
    for (const auto& [k, n] : errors) {
      out << (first ? "" : ", ") << k << " " << n;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  std::snprintf(line, sizeof line, "achieved %.1f responses/s (offered %.1f/s)\n", achieved_rate_per_s(),
                options.rate_per_s);
  out << line;
  const sim::Histogram& h = latency_us;
  std::snprintf(line, sizeof line,
                "latency from intended send, ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%lld)\n",
                Ms(h.Percentile(50)), Ms(h.Percentile(90)), Ms(h.Percentile(99)), Ms(h.Percentile(99.9)), Ms(h.max()),
                static_cast<long long>(h.count()));
  out << line;
  std::snprintf(line, sizeof line, "send lag ms: p50 %.3f  max %.3f   wait for a connection ms: p99 %.3f  max %.3f\n",
                Ms(send_lag_us.Percentile(50)), Ms(send_lag_us.max()), Ms(queue_wait_us.Percentile(99)),
                Ms(queue_wait_us.max()));
  out << line;
  if (!options.count_header.empty() && !header_counts.empty()) {
    out << options.count_header << ":";
    for (const auto& [v, n] : header_counts) out << " " << v << "=" << n;
    out << "\n";
  }
  for (const auto& [st, body] : error_samples) out << "first HTTP " << st << " body: " << body << "\n";
  for (const std::string& w : warnings) out << "WARNING: " << w << "\n";
  return out.str();
}

Result<LoadResult> RunLoad(const LoadOptions& options) {
  if (options.connections < 1 || options.connections > 10'000) {
    return Status::InvalidArgument("connections: must be in [1, 10000], got " + std::to_string(options.connections));
  }
  if (options.timeout_ms < 1) return Status::InvalidArgument("timeout_ms: must be >= 1");
  if (options.paths.empty()) return Status::InvalidArgument("paths: at least one path");
  for (const std::string& p : options.paths) {
    if (p.empty() || p.front() != '/') return Status::InvalidArgument("path: must start with '/', got '" + p + "'");
    for (char c : p) {
      if (c <= ' ' || c == 0x7f) return Status::InvalidArgument("path: no spaces or control characters: '" + p + "'");
    }
  }
  SSAI_ASSIGN_OR_RETURN(std::vector<int64_t> schedule,
                        MakeSchedule(options.arrival, options.rate_per_s, options.duration_s, options.seed));
  Runner runner(options, std::move(schedule));
  return runner.Run();
}

}  // namespace ssai::load
