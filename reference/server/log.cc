#include "reference/server/log.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "reference/base/strings.h"

namespace ssai::server {
namespace {

constexpr size_t kMaxThrottleKeys = 1024;

spdlog::level::level_enum SpdLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: break;
  }
  return spdlog::level::off;
}

// A wire value made safe for a line: invalid UTF-8 as \xHH, then JSON string escaping (control
// characters as \uXXXX), so no field can start a new line or forge another field.
std::string JsonString(std::string_view s) { return nlohmann::json(EscapeInvalidUtf8(s)).dump(); }

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

std::string ValueText(const LogValue& v, bool json) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    if (json) return JsonString(*s);
    const std::string safe = EscapeInvalidUtf8(*s);
    return NeedsQuotes(safe) ? JsonString(safe) : safe;
  }
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  const double d = std::get<double>(v);
  if (!std::isfinite(d)) return json ? "null" : "nan";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", d);
  return buf;
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    if (name == LogLevelName(l)) return l;
  }
  return Status::InvalidArgument("log level: must be debug, info, warn, error or off, got '" +
                                 EscapeInvalidUtf8(name.substr(0, 32)) + "'");
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: break;
  }
  return "off";
}

std::string Logger::Format(bool json, LogLevel level, std::string_view event, LogFields fields, int64_t suppressed) {
  std::string line;
  if (json) {
    line = "{\"level\":\"" + std::string(LogLevelName(level)) + "\",\"event\":" + JsonString(event);
    for (const auto& [key, value] : fields) line += "," + JsonString(key) + ":" + ValueText(value, true);
    if (suppressed > 0) line += ",\"suppressed\":" + std::to_string(suppressed);
    return line + "}";
  }
  std::string upper(LogLevelName(level));
  for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
  line = upper + " " + EscapeInvalidUtf8(event);
  for (const auto& [key, value] : fields) line += " " + std::string(key) + "=" + ValueText(value, false);
  if (suppressed > 0) line += " suppressed=" + std::to_string(suppressed);
  return line;
}

Result<std::unique_ptr<Logger>> Logger::Open(const LogOptions& options) {
  std::unique_ptr<Logger> log(new Logger(options));
  if (options.level == LogLevel::kOff) return log;
  spdlog::sink_ptr sink;
  try {
    if (options.path.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.path, /*truncate=*/false);
    }
    auto pool = std::make_shared<spdlog::details::thread_pool>(std::max<size_t>(options.queue_lines, 16), 1);
    auto logger = std::make_shared<spdlog::async_logger>("ssai", sink, pool, spdlog::async_overflow_policy::overrun_oldest);
    // The pool must outlive the logger's queued lines: the logger keeps a weak pointer only.
    log->pool_ = pool;
    logger->set_pattern(options.json ? "{\"ts\":\"%Y-%m-%dT%H:%M:%S.%eZ\",%v" : "%Y-%m-%dT%H:%M:%S.%eZ %v",
                        spdlog::pattern_time_type::utc);
    logger->set_level(SpdLevel(options.level));
    logger->flush_on(spdlog::level::warn);
    log->logger_ = std::move(logger);
  } catch (const spdlog::spdlog_ex& e) {
    return Status::InvalidArgument("log.path: " + EscapeInvalidUtf8(options.path) + ": " + e.what());
  }
  return log;
}

std::unique_ptr<Logger> Logger::Null() {
  LogOptions off;
  off.level = LogLevel::kOff;
  return std::unique_ptr<Logger>(new Logger(off));
}

Logger::~Logger() { Close(); }

void Logger::Close() {
  if (logger_) logger_->flush();
  // The writer thread first: the pool's stop message queues behind every line and the flush, so
  // resetting the pool (its only owner: the logger keeps a weak pointer) joins the thread once all
  // is written. Then the logger and its sinks, on this thread, after the join. In the other order
  // the sinks died with whichever thread dropped the logger's last reference (a queued message
  // holds one), ordered only by shared_ptr's counter inside libspdlog.so, which ThreadSanitizer
  // does not see (it reported the file sink's delete racing the writer's last flush); a join it sees.
  pool_.reset();
  logger_.reset();
}

int64_t Logger::dropped() const { return pool_ ? static_cast<int64_t>(pool_->overrun_counter()) : 0; }

void Logger::Log(LogLevel level, std::string_view event, LogFields fields) {
  if (!logger_ || !Enabled(level)) return;
  std::string line = Format(options_.json, level, event, fields);
  // The JSON pattern opens the object with "ts": the line continues it.
  if (options_.json) line.erase(0, 1);
  logger_->log(SpdLevel(level), std::string_view(line));
}

void Logger::LogThrottled(LogLevel level, std::string_view key, int64_t now_ms, std::string_view event,
                          LogFields fields) {
  if (!logger_ || !Enabled(level)) return;
  int64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(throttle_mu_);
    auto it = throttles_.find(key);
    if (it == throttles_.end()) {
      if (throttles_.size() >= kMaxThrottleKeys) throttles_.clear();  // bounded; keys are per channel
      throttles_.emplace(std::string(key), Throttle{now_ms, 0});
    } else if (now_ms - it->second.last_ms < options_.throttle_interval_ms) {
      ++it->second.suppressed;
      return;
    } else {
      suppressed = it->second.suppressed;
      it->second = Throttle{now_ms, 0};
    }
  }
  std::string line = Format(options_.json, level, event, fields, suppressed);
  if (options_.json) line.erase(0, 1);
  logger_->log(SpdLevel(level), std::string_view(line));
}

void Logger::Flush() {
  if (logger_) logger_->flush();
}

}  // namespace ssai::server
