#include "reference/media/origin/capture.h"

#include <gtest/gtest.h>

namespace ssai::origin {
namespace {

constexpr std::string_view kIndex =
    "{\"format\":\"ssai-capture-1\",\"url\":\"http://127.0.0.1:8081/master.m3u8\","
    "\"started_at\":\"2026-01-15T12:00:12.000Z\",\"duration_ms\":10000,\"speed\":1}\n"
    "{\"offset_ms\":0,\"path\":\"/master.m3u8\",\"status\":200,\"file\":\"000000_master.m3u8\"}\n"
    "{\"offset_ms\":3,\"path\":\"/v720.m3u8\",\"status\":200,\"file\":\"000001_v720.m3u8\"}\n"
    "{\"offset_ms\":2004,\"path\":\"/v720.m3u8\",\"file\":\"000002_v720.m3u8\"}\n"
    "{\"offset_ms\":2004,\"path\":\"/v720.m3u8\",\"status\":200,\"file\":\"000003_v720.m3u8\"}\n"
    "{\"offset_ms\":4010,\"path\":\"/v360.m3u8\",\"status\":404}\n"
    "{\"offset_ms\":6020,\"path\":\"/v360.m3u8\",\"status\":0,\"error\":\"timeout after 2000 ms\"}\n";

Capture ParseOk(std::string_view text) {
  Result<Capture> c = ParseCaptureIndex(text);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : Capture{};
}

std::string ParseError(std::string_view text) {
  Result<Capture> c = ParseCaptureIndex(text);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

constexpr std::string_view kHeader = "{\"format\":\"ssai-capture-1\"}\n";

TEST(CaptureIndexTest, ParsesHeaderAndEntries) {
  Capture c = ParseOk(kIndex);
  EXPECT_EQ(c.header.url, "http://127.0.0.1:8081/master.m3u8");
  EXPECT_EQ(FormatIso8601Millis(c.header.started_at), "2026-01-15T12:00:12.000Z");
  EXPECT_EQ(c.header.duration_ms, 10000);
  EXPECT_EQ(c.header.speed, 1);
  ASSERT_EQ(c.entries.size(), 6u);
  EXPECT_EQ(c.entries[0].path, "/master.m3u8");
  EXPECT_EQ(c.entries[0].line, 2);
  EXPECT_TRUE(c.entries[0].ok());
  EXPECT_EQ(c.entries[2].status, 200);  // default
  EXPECT_EQ(c.entries[4].status, 404);
  EXPECT_FALSE(c.entries[4].ok());
  EXPECT_EQ(c.entries[5].status, 0);
  EXPECT_EQ(c.entries[5].error, "timeout after 2000 ms");
}

TEST(CaptureIndexTest, RoundTrips) {
  Capture c = ParseOk(kIndex);
  const std::string text = SerializeCaptureIndex(c);
  Capture again = ParseOk(text);
  EXPECT_EQ(SerializeCaptureIndex(again), text);
  ASSERT_EQ(again.entries.size(), c.entries.size());
  for (size_t i = 0; i < c.entries.size(); ++i) {
    EXPECT_EQ(again.entries[i].offset_ms, c.entries[i].offset_ms);
    EXPECT_EQ(again.entries[i].path, c.entries[i].path);
    EXPECT_EQ(again.entries[i].status, c.entries[i].status);
    EXPECT_EQ(again.entries[i].file, c.entries[i].file);
    EXPECT_EQ(again.entries[i].error, c.entries[i].error);
  }
  // Invalid UTF-8 in an error text is replaced, never thrown.
  c.entries[5].error = "bad \xff body";
  EXPECT_TRUE(ParseCaptureIndex(SerializeCaptureIndex(c)).ok());
}

TEST(CaptureIndexTest, AcceptsCrlfAndNoFinalNewline) {
  Capture c = ParseOk("{\"format\":\"ssai-capture-1\"}\r\n{\"offset_ms\":5,\"path\":\"/a.m3u8\",\"file\":\"a\"}");
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].offset_ms, 5);
}

TEST(CaptureIndexTest, ErrorsNameLineAndField) {
  EXPECT_EQ(ParseError(""), "line 1: empty index (no header)");
  EXPECT_EQ(ParseError("{\"offset_ms\":0,\"path\":\"/a\",\"file\":\"a\"}\n"),
            "line 1: format: missing: the first line must be the header {\"format\":\"ssai-capture-1\",...}");
  EXPECT_EQ(ParseError("{\"format\":\"ssai-capture-1\",\"offset_ms\":0}\n"), "line 1: offset_ms: unknown field");
  EXPECT_EQ(ParseError("{}\n"),
            "line 1: format: missing: the first line must be the header {\"format\":\"ssai-capture-1\",...}");
  EXPECT_EQ(ParseError("{\"format\":\"ssai-capture-9\"}\n"),
            "line 1: format: 'ssai-capture-9' is not ssai-capture-1");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"/a\",\"file\":\"a\"}\n\n"),
            "line 3: blank line");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"/a\",\"file\":\"a\"\n"),
            "line 2: not valid JSON");
  EXPECT_EQ(ParseError(std::string(kHeader) + "[1]\n"), "line 2: not a JSON object");
  // issue 13: a line is one flat object; deeper nesting is refused before the JSON library walks it.
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":" + std::string(100000, '[') + "}\n"),
            "line 2: JSON nested deeper than 2 levels at byte 23");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"path\":\"/a\",\"file\":\"a\"}\n"), "line 2: offset_ms: missing");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":-1,\"path\":\"/a\",\"file\":\"a\"}\n"),
            "line 2: offset_ms: not a non-negative integer");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"a\",\"file\":\"a\"}\n"),
            "line 2: path: not a string starting with '/'");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"/a\"}\n"),
            "line 2: file: missing for a status 200 entry");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"/a\",\"file\":\"../etc/passwd\"}\n"),
            "line 2: file: not a plain file name in the capture directory");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":1,\"path\":\"/a\",\"status\":\"200\",\"file\":\"a\"}\n"),
            "line 2: status: not an HTTP status (0 for no response)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "{\"offset_ms\":9,\"path\":\"/a\",\"file\":\"a\"}\n"
                                              "{\"offset_ms\":8,\"path\":\"/a\",\"file\":\"a\"}\n"),
            "line 3: offset_ms: 8 is before the previous entry's 9");
  EXPECT_EQ(ParseError("{\"format\":\"ssai-capture-1\",\"speed\":0}\n"), "line 1: speed: not a number in (0, 1000]");
  EXPECT_EQ(ParseError("{\"format\":\"ssai-capture-1\",\"started_at\":\"yesterday\"}\n").substr(0, 20),
            "line 1: started_at: ");
}

TEST(CaptureReplayTest, CurrentSnapshotIsLatestAtOrBefore) {
  CaptureReplay replay(ParseOk(kIndex));
  EXPECT_EQ(replay.duration_ms(), 10000);
  EXPECT_EQ(replay.Paths(), (std::vector<std::string>{"/master.m3u8", "/v360.m3u8", "/v720.m3u8"}));
  EXPECT_TRUE(replay.HasPath("/v720.m3u8"));
  EXPECT_FALSE(replay.HasPath("/v1080.m3u8"));
  EXPECT_EQ(replay.At("/v720.m3u8", 2), nullptr);  // first fetch at 3
  EXPECT_EQ(replay.First("/v720.m3u8")->file, "000001_v720.m3u8");
  EXPECT_EQ(replay.At("/v720.m3u8", 3)->file, "000001_v720.m3u8");
  EXPECT_EQ(replay.At("/v720.m3u8", 2003)->file, "000001_v720.m3u8");
  EXPECT_EQ(replay.At("/v720.m3u8", 2004)->file, "000003_v720.m3u8");  // last of equal offsets
  EXPECT_EQ(replay.At("/v720.m3u8", 999999)->file, "000003_v720.m3u8");
  EXPECT_EQ(replay.At("/v360.m3u8", 5000)->status, 404);
  EXPECT_EQ(replay.At("/v360.m3u8", 6020)->status, 0);
  EXPECT_EQ(replay.At("/nope.m3u8", 5000), nullptr);
  EXPECT_EQ(replay.First("/nope.m3u8"), nullptr);
  EXPECT_EQ(replay.EntriesFor("/v720.m3u8").size(), 3u);
  EXPECT_TRUE(replay.EntriesFor("/nope").empty());
}

TEST(CaptureReplayTest, DurationIsAtLeastTheLastOffsetAndLoops) {
  Capture c = ParseOk(kIndex);
  c.header.duration_ms = 0;
  CaptureReplay replay(std::move(c));
  EXPECT_EQ(replay.duration_ms(), 6020);
  EXPECT_EQ(replay.ReplayOffset(7000, /*loop=*/false), 7000);
  EXPECT_EQ(replay.ReplayOffset(6021, /*loop=*/true), 0);
  EXPECT_EQ(replay.ReplayOffset(6021 + 5, /*loop=*/true), 5);
  EXPECT_EQ(replay.ReplayOffset(-5, /*loop=*/true), 0);
}

TEST(CaptureTest, SnapshotFileName) {
  EXPECT_EQ(SnapshotFileName(12, "/v720.m3u8"), "000012_v720.m3u8");
  EXPECT_EQ(SnapshotFileName(3, "/live/ch 1/master.m3u8?token=a"), "000003_live_ch_1_master.m3u8_token_a");
}

TEST(CaptureTest, ReloadDelayFollowsRfc8216Section634) {
  EXPECT_EQ(NextReloadDelayMs(6, /*changed=*/true), 6000);
  EXPECT_EQ(NextReloadDelayMs(6, /*changed=*/false), 3000);
  EXPECT_EQ(NextReloadDelayMs(0, /*changed=*/true), 100);
}

}  // namespace
}  // namespace ssai::origin
