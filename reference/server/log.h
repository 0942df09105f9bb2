// What `ssai serve` says while it runs (issue 19): one line per event, with a level, in text
// ("2026-12-06T06:30:00.123Z INFO cue.accepted org=demo channel=sports ...") or JSON lines
// ({"ts":"...","level":"info","event":"cue.accepted","org":"demo",...}), to stderr or a file.
//
// Built on spdlog (Debian libspdlog-dev) with its asynchronous logger: a line is formatted on the
// caller's thread and written by spdlog's own thread through a bounded queue that drops the
// oldest line when full, so a slow disk or a full pipe never stalls the core thread (the same
// rule as the beacons: bounded and non-blocking). Events that can repeat per request (origin and
// KV errors during an outage) go through LogThrottled: one line per key per interval, carrying how
// many were suppressed.
//
// Event names are stable, dotted and documented (reference/server/README.md "Logs"): a log
// pipeline can match on them. Field values from the wire are escaped: invalid UTF-8 as \xHH
// (base/strings.h), control characters never reach a line raw.
#ifndef SSAI_REFERENCE_SERVER_LOG_H_
#define SSAI_REFERENCE_SERVER_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "reference/base/status.h"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace ssai::server {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };
// "debug", "info", "warn", "error", "off".
Result<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  bool json = false;       // JSON lines instead of text
  std::string path;        // "" = stderr
  bool access_log = false; // one "http.access" line per answered request (info)
  int64_t throttle_interval_ms = 10'000;
  size_t queue_lines = 8192;  // the asynchronous queue; the oldest line goes when it is full
};

using LogValue = std::variant<std::string_view, int64_t, double, bool>;
using LogFields = std::initializer_list<std::pair<std::string_view, LogValue>>;

class Logger {
 public:
  // Opens the sink: a file is created or appended to (errors name the path). Several Loggers may
  // exist in one process (tests): each has its own spdlog logger, none is registered globally.
  static Result<std::unique_ptr<Logger>> Open(const LogOptions& options);
  // A logger that writes nothing (level off): what a server without logging holds.
  static std::unique_ptr<Logger> Null();
  ~Logger();

  bool Enabled(LogLevel level) const { return level >= options_.level && options_.level != LogLevel::kOff; }
  bool access_log() const { return options_.access_log && Enabled(LogLevel::kInfo); }
  void Log(LogLevel level, std::string_view event, LogFields fields);
  // At most one line per `key` per throttle interval; the next one says how many were dropped
  // ("suppressed": n). `now_ms`: the caller's clock (monotonic milliseconds).
  void LogThrottled(LogLevel level, std::string_view key, int64_t now_ms, std::string_view event, LogFields fields);
  // Asks the writer thread to flush what is queued (asynchronous: spdlog's async flush returns
  // before the writer has written).
  void Flush();
  // The last call: writes every queued line, flushes and joins the writer thread before it
  // returns (as the destructor does). Only when no other thread can still log; Log and
  // LogThrottled after Close do nothing. Server::Stop calls it, so a reader of the log file after
  // Stop sees whole lines (server_test read a half-written line under load).
  void Close();
  // Lines dropped because the queue was full.
  int64_t dropped() const;

  // One line's text without time and level (tests; the sinks add those).
  static std::string Format(bool json, LogLevel level, std::string_view event, LogFields fields,
                            int64_t suppressed = 0);

 private:
  explicit Logger(LogOptions options) : options_(std::move(options)) {}
  LogOptions options_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex throttle_mu_;
  struct Throttle {
    int64_t last_ms = 0;
    int64_t suppressed = 0;
  };
  std::map<std::string, Throttle, std::less<>> throttles_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_LOG_H_
