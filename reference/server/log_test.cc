#include "reference/server/log.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ssai::server {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

LogOptions Options(LogLevel level, bool json, const std::string& path) {
  LogOptions o;
  o.level = level;
  o.json = json;
  o.path = path;
  return o;
}

std::string TempPath(const std::string& name) {
  const std::string p = (std::filesystem::temp_directory_path() / ("ssai_log_test_" + name)).string();
  std::filesystem::remove(p);
  return p;
}

TEST(LogTest, TextLineQuotesWhatWouldBreakIt) {
  const std::string line = Logger::Format(false, LogLevel::kWarn, "cue.refused",
                                          {{"status", int64_t{401}}, {"reason", "auth: missing token"},
                                           {"channel", "sports"}, {"ok", false}, {"lag_s", 1.5}});
  EXPECT_EQ(line, "WARN cue.refused status=401 reason=\"auth: missing token\" channel=sports ok=false lag_s=1.5");
  // A value from the wire cannot start a line of its own or forge a field.
  const std::string forged = Logger::Format(false, LogLevel::kInfo, "x", {{"path", "/a\nINFO cue.accepted x=1"}});
  EXPECT_EQ(forged.find('\n'), std::string::npos) << forged;
  EXPECT_EQ(Logger::Format(false, LogLevel::kInfo, "x", {{"v", ""}}), "INFO x v=\"\"");
  EXPECT_EQ(Logger::Format(false, LogLevel::kInfo, "x", {{"v", "a=b"}}), "INFO x v=\"a=b\"");
}

TEST(LogTest, JsonLineIsOneObjectAlsoForInvalidUtf8) {
  const std::string line = Logger::Format(true, LogLevel::kInfo, "cue.accepted",
                                          {{"org", "demo"}, {"bytes", "\xff\xfe\n"}, {"n", int64_t{3}}}, 2);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["event"], "cue.accepted");
  EXPECT_EQ(j["org"], "demo");
  EXPECT_EQ(j["bytes"], "\\xFF\\xFE\n");
  EXPECT_EQ(j["n"], 3);
  EXPECT_EQ(j["suppressed"], 2);
}

TEST(LogTest, LevelsFilterAndFileGetsJsonLinesWithTime) {
  const std::string path = TempPath("levels.jsonl");
  {
    Result<std::unique_ptr<Logger>> log = Logger::Open(Options(LogLevel::kInfo, true, path));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    (*log)->Log(LogLevel::kDebug, "hidden", {});
    (*log)->Log(LogLevel::kInfo, "shown", {{"a", int64_t{1}}});
    (*log)->Log(LogLevel::kError, "also", {});
  }  // the destructor writes what is queued
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["event"], "shown");
  EXPECT_EQ(first["a"], 1);
  ASSERT_TRUE(first["ts"].is_string());
  EXPECT_EQ(first["ts"].get<std::string>().size(), 24u) << first["ts"];  // 2026-12-06T06:30:00.123Z
  EXPECT_EQ(first["ts"].get<std::string>().back(), 'Z');
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "error");
}

TEST(LogTest, ThrottledEventsSayHowManyWereSuppressed) {
  const std::string path = TempPath("throttle.log");
  {
    LogOptions o = Options(LogLevel::kInfo, false, path);
    o.throttle_interval_ms = 1000;
    Result<std::unique_ptr<Logger>> log = Logger::Open(o);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 5; ++i) (*log)->LogThrottled(LogLevel::kWarn, "origin/ch1", 100 + i, "origin.error", {});
    (*log)->LogThrottled(LogLevel::kWarn, "origin/ch2", 105, "origin.error", {});  // another key
    (*log)->LogThrottled(LogLevel::kWarn, "origin/ch1", 1200, "origin.error", {});
  }
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("WARN origin.error"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("suppressed"), std::string::npos);
  EXPECT_NE(lines[2].find("suppressed=4"), std::string::npos) << lines[2];
}

TEST(LogTest, BadPathAndLevelAreNamed) {
  // Under a regular file: no directory can be made there (spdlog makes missing directories).
  const std::string file = TempPath("notadir");
  std::ofstream(file) << "x";
  const std::string bad = file + "/serve.log";
  Result<std::unique_ptr<Logger>> log = Logger::Open(Options(LogLevel::kInfo, false, bad));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find(bad), std::string::npos) << log.status().ToString();
  Result<LogLevel> l = ParseLogLevel("verbose");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("verbose"), std::string::npos);
  EXPECT_EQ(*ParseLogLevel("warn"), LogLevel::kWarn);
}

TEST(LogTest, AFullQueueDropsLinesInsteadOfBlocking) {
  const std::string path = TempPath("full.log");
  int64_t dropped = 0;
  {
    LogOptions o = Options(LogLevel::kInfo, false, path);
    o.queue_lines = 16;
    Result<std::unique_ptr<Logger>> log = Logger::Open(o);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 20000; ++i) (*log)->Log(LogLevel::kInfo, "burst", {{"i", int64_t{i}}});
    dropped = (*log)->dropped();
  }
  // Every call returned (no blocking on the writer); what the queue could not hold was dropped.
  EXPECT_GT(dropped, 0);
  EXPECT_LT(Lines(path).size(), 20000u);
}

}  // namespace
}  // namespace ssai::server
