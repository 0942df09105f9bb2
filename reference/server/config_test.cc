// config.h: the serve config's per-rendition fields and the errors that name them. (The rest of
// the config is covered by server_test.cc's ConfigTest), and a removed field.
#include "reference/server/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/media/origin/synthetic_origin.h"

namespace ssai::server {
namespace {

// One channel with one rendition whose fields are `rendition_fields` (JSON members, no braces).
std::string WithRendition(std::string_view rendition_fields) {
  return R"({"listen": "127.0.0.1:0", "auth": {"token": "t"},
    "channels": [{"org": "demo", "channel": "sports", "origin_base_url": "http://127.0.0.1:8081",
                  "renditions": [{"name": "v720", "bandwidth_bps": 2500000},
                                 {"name": "v360", "bandwidth_bps": 800000, )" +
         std::string(rendition_fields) + "}]}]}";
}

std::string Error(std::string_view json) {
  Result<ServerConfig> c = ParseServerConfig(json);
  return c.ok() ? "(parsed)" : c.status().message();
}

// With a top-level member added (JSON text, no braces).
std::string WithTop(std::string_view member) {
  std::string j = WithRendition(R"("codecs": "avc1.42c01e")");
  return "{" + std::string(member) + ", " + j.substr(1);
}

// An edge outwaits the coordinator's decision timeout plus a far POP's round trip by default: the
// coordinator answers a break whose decision hangs only when decision_ms runs out (issue 18).
TEST(ConfigDefaultsTest, EdgeOutwaitsTheDecisionTimeout) {
  const ServerConfig c;
  EXPECT_GE(c.coordinator_timeout_ms, c.decision_timeout_ms + 500);
}

TEST(ConfigLogTest, LevelFormatPathAndAccessLog) {
  Result<ServerConfig> c = ParseServerConfig(
      WithTop(R"("log": {"level": "warn", "format": "json", "path": "serve.log", "access_log": true})"), "/var/x");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log.level, LogLevel::kWarn);
  EXPECT_TRUE(c->log.json);
  EXPECT_EQ(c->log.path, "/var/x/serve.log");  // relative to the config file, as journal_path
  EXPECT_TRUE(c->log.access_log);
  Result<ServerConfig> d = ParseServerConfig(WithRendition(R"("codecs": "avc1.42c01e")"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->log.level, LogLevel::kInfo);  // `ssai serve` logs by default
  EXPECT_EQ(d->log.path, "");                // to stderr
  EXPECT_EQ(Error(WithTop(R"("log": {"level": "verbose"})")), "log.level: must be debug, info, warn, error or off");
  EXPECT_EQ(Error(WithTop(R"("log": {"format": "xml"})")), "log.format: must be text or json");
  EXPECT_NE(Error(WithTop(R"("log": {"colour": true})")).find("colour"), std::string::npos);
}

// Issue 14: demuxed audio and subtitle renditions of a channel, spliced in lockstep by `ssai serve`.
TEST(ConfigChannelTest, DemuxedAlternates) {
  const std::string alts = R"("alternates": [
      {"name": "aud_en", "type": "audio", "language": "en", "default": true,
       "slate": {"uri": "http://127.0.0.1:8081/slate_audio.m4s", "duration_s": 2, "init_uri": "http://127.0.0.1:8081/slate_audio_init.mp4"}},
      {"name": "sub_en", "type": "subtitles", "group_id": "subs", "language": "en",
       "origin_url": "http://127.0.0.1:8081/sub_en.m3u8", "slate": {"uri": "http://127.0.0.1:8081/blank.vtt", "duration_s": 2}}],
    )";
  std::string j = WithRendition(R"("codecs": "avc1.42c01e")");
  j.insert(j.find("\"renditions\""), alts);
  Result<ServerConfig> c = ParseServerConfig(j);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::vector<RenditionConfig>& a = c->channels[0].alternates;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].kind, RenditionKind::kAudio);
  EXPECT_EQ(a[0].group_id, "aud");
  EXPECT_TRUE(a[0].is_default);
  EXPECT_EQ(a[0].origin_url, "http://127.0.0.1:8081/aud_en.m3u8");  // from origin_base_url
  EXPECT_EQ(a[0].slate.media.map, "URI=\"http://127.0.0.1:8081/slate_audio_init.mp4\"");
  EXPECT_EQ(a[1].kind, RenditionKind::kSubtitles);
  EXPECT_EQ(a[1].group_id, "subs");
  EXPECT_EQ(c->channels[0].FindRendition("sub_en"), &a[1]);
  std::string bad = j;
  bad.replace(bad.find("\"subtitles\""), 11, "\"video\"");
  EXPECT_EQ(Error(bad), "channels[0].alternates[1].type: must be \"audio\" or \"subtitles\"");
  std::string clash = j;
  clash.replace(clash.find("\"aud_en\""), 8, "\"v720\"");
  EXPECT_EQ(Error(clash), "channels[0].alternates[0].name: duplicate rendition v720");
  std::string no_slate = WithRendition(R"("codecs": "avc1.42c01e")");
  no_slate.insert(no_slate.find("\"renditions\""), R"("alternates": [{"name": "aud_en", "type": "audio"}], )");
  EXPECT_EQ(Error(no_slate), "channels[0].alternates[0].slate: must be an object: what this rendition plays where "
                             "ads have no media for it");
}

TEST(ConfigRenditionTest, CodecsAndResolution) {
  Result<ServerConfig> c = ParseServerConfig(WithRendition(R"("codecs": "avc1.42c01e,mp4a.40.2",
                                                                  "resolution": "640x360")"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const RenditionConfig& set = c->channels[0].renditions[1];
  EXPECT_EQ(set.codecs, "avc1.42c01e,mp4a.40.2");
  EXPECT_EQ(set.resolution, "640x360");
  // Both optional: absent means not written into the multivariant playlist.
  const RenditionConfig& unset = c->channels[0].renditions[0];
  EXPECT_EQ(unset.codecs, "");
  EXPECT_EQ(unset.resolution, "");
  // Audio only: CODECS without RESOLUTION.
  Result<ServerConfig> audio = ParseServerConfig(WithRendition(R"("codecs": "mp4a.40.2")"));
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_EQ(audio->channels[0].renditions[1].resolution, "");
}

TEST(ConfigRenditionTest, BadResolutionNamesTheField) {
  EXPECT_EQ(Error(WithRendition(R"("resolution": "abc")")),
            "channels[0].renditions[1].resolution: expected WIDTHxHEIGHT, got 'abc'");
  for (const char* bad : {"1280X720", "1280x", "x720", "0x720", "1280x0", "-1x2", "1280x720x3", " 1280x720",
                          "1280 x720", "+1280x720", "123456x1", "1280,720", ""}) {
    EXPECT_EQ(Error(WithRendition(std::string(R"("resolution": ")") + bad + "\"")),
              std::string("channels[0].renditions[1].resolution: expected WIDTHxHEIGHT, got '") + bad + "'")
        << bad;
  }
  EXPECT_EQ(Error(WithRendition(R"("resolution": 720)")), "channels[0].renditions[1].resolution: must be a string, got 720");
  // Large but plausible sizes pass.
  EXPECT_EQ(Error(WithRendition(R"("resolution": "7680x4320")")), "(parsed)");
}

TEST(ConfigRenditionTest, BadCodecsNamesTheField) {
  for (const char* bad : {"", "avc1\\\"x", "avc1,,mp4a.40.2", ",mp4a.40.2", "avc1.64001f,", "avc1\\n"}) {
    const std::string e = Error(WithRendition(std::string(R"("codecs": ")") + bad + "\""));
    EXPECT_EQ(e.rfind("channels[0].renditions[1].codecs: expected a comma-separated codec list", 0), 0u)
        << bad << " -> " << e;
  }
  EXPECT_EQ(Error(WithRendition(R"("codecs": ["avc1"])")), "channels[0].renditions[1].codecs: must be a string, got array");
}

TEST(ConfigRenditionTest, UnknownRenditionFieldIsAnError) {
  EXPECT_EQ(Error(WithRendition(R"("codec": "avc1.64001f")")), "channels[0].renditions[1].codec: unknown key (allowed: name, bandwidth_bps, origin_url, codecs, resolution)");
}

TEST(ConfigChannelTest, Fmp4SlateInitUri) {
  auto with_slate = [](std::string_view slate) {
    return R"({"listen": "127.0.0.1:0", "auth": {"token": "t"},
      "channels": [{"org": "demo", "channel": "sports", "origin_base_url": "http://127.0.0.1:8081",
                    "renditions": [{"name": "v720", "bandwidth_bps": 2500000}], "slate": )" +
           std::string(slate) + "}]}";
  };
  Result<ServerConfig> c = ParseServerConfig(
      with_slate(R"({"uri": "http://ads/slate.m4s", "duration_s": 2, "init_uri": "http://ads/slate_init.mp4"})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->channels[0].slate.media.map, "URI=\"http://ads/slate_init.mp4\"");
  Result<ServerConfig> ts = ParseServerConfig(with_slate(R"({"uri": "http://ads/slate.ts", "duration_s": 2})"));
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->channels[0].slate.media.map, "");
  EXPECT_NE(Error(with_slate(R"({"uri": "s", "duration_s": 2, "init_uri": "a\"b"})")).find("slate.init_uri: must not contain"),
            std::string::npos);
}

TEST(ConfigLimitsTest, RemovedHttpThreadsSaysWhy) {
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "limits": {"http_threads": 8}, "channels": []})"),
            "limits.http_threads: no longer exists: HTTP is served on the core thread (remove it)");
}

TEST(ConfigLimitsTest, JournalTuningDefaultsAndBounds) {
  Result<ServerConfig> defaults = ParseServerConfig(R"({"auth": {"token": "t"}, "channels": []})");
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->journal_compact_after_records, 1000);
  EXPECT_EQ(defaults->journal_max_group_records, 4096u);
  Result<ServerConfig> set = ParseServerConfig(
      R"({"auth": {"token": "t"}, "limits": {"journal_compact_after_records": 50, "journal_max_group_records": 8},
          "channels": []})");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->journal_compact_after_records, 50);
  EXPECT_EQ(set->journal_max_group_records, 8u);
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "limits": {"journal_max_group_records": 0}, "channels": []})"),
            "limits.journal_max_group_records: must be in [1, 1000000], got 0");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "limits": {"journal_compact_after_records": "x"}, "channels": []})"),
            "limits.journal_compact_after_records: must be an integer, got string");
}

// What the harnesses write into a config for an origin rendition parses back as that rendition.
TEST(ConfigTest, RenditionConfigJsonParsesBack) {
  origin::Rendition full;
  full.name = "v720";
  full.bandwidth_bps = 2'500'000;
  full.codecs = "avc1.64001f,mp4a.40.2";
  full.resolution = "1280x720";
  origin::Rendition bare;
  bare.name = "v360";
  bare.bandwidth_bps = 800'000;
  bare.codecs.clear();
  bare.resolution.clear();
  EXPECT_EQ(RenditionConfigJson(bare), nlohmann::json::parse(R"({"name": "v360", "bandwidth_bps": 800000})"));
  nlohmann::json config = {
      {"auth", {{"token", "t"}}},
      {"channels",
       {{{"org", "o"}, {"channel", "c"}, {"origin_base_url", "http://127.0.0.1:8081"},
         {"renditions", {RenditionConfigJson(full), RenditionConfigJson(bare)}}}}}};
  Result<ServerConfig> parsed = ParseServerConfig(config.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->channels[0].renditions.size(), 2u);
  EXPECT_EQ(parsed->channels[0].renditions[0].name, "v720");
  EXPECT_EQ(parsed->channels[0].renditions[0].bandwidth_bps, 2'500'000);
  EXPECT_EQ(parsed->channels[0].renditions[0].codecs, "avc1.64001f,mp4a.40.2");
  EXPECT_EQ(parsed->channels[0].renditions[0].resolution, "1280x720");
  EXPECT_EQ(parsed->channels[0].renditions[1].codecs, "");
}

TEST(ConfigTest, DecisionFormatVast) {
  Result<ServerConfig> vast = ParseServerConfig(
      R"({"auth": {"token": "t"}, "decision": {"format": "vast", "url": "http://127.0.0.1:8082/vast/pod/{pod}.xml"}, "channels": []})",
      "");
  ASSERT_TRUE(vast.ok()) << vast.status().message();
  EXPECT_EQ(vast->decision.format, "vast");
  EXPECT_EQ(vast->decision.device_ip_from, "peer");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "decision": {"device_ip_from": "x-real-ip"}, "channels": []})"),
            "decision.device_ip_from: must be peer or x-forwarded-for, got 'x-real-ip'");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "decision": {"format": "vmap", "url": "http://a/"}, "channels": []})"),
            "decision.format: must be json or vast, got 'vmap'");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "decision": {"format": "vast"}, "channels": []})"),
            "decision.format: vast needs decision.url (the ad tag)");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "decision": {"catalogue": {"pods": {"p": {"items": [
      {"id": "a", "duration": 4, "segmentDuration": 2, "variants": {"1": "http://a/a.m3u8"}},
      {"id": "b", "duration": 4, "variants": {"1": "http://a/b.m3u8"}}]}}}}, "channels": []})"),
            "decision.catalogue.pods.p.items: segmentDuration must be given on every item or on none");
}

TEST(ConfigFileTest, ReadErrorsNameThePathAndTheReason) {
  Result<ServerConfig> missing = LoadServerConfig("fixtures/serve/no-such-config.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "fixtures/serve/no-such-config.json: cannot read: No such file or directory");
  Result<ServerConfig> catalogue = ParseServerConfig(
      R"({"auth": {"token": "t"}, "decision": {"catalogue_file": "no-such-catalogue.json"}})", "fixtures/serve");
  ASSERT_FALSE(catalogue.ok());
  EXPECT_EQ(catalogue.status().message(),
            "decision.catalogue_file: fixtures/serve/no-such-catalogue.json: cannot read: No such file or directory");
}

// issue 13: bounded nesting, a size cap applied while reading, and no library exception escapes.
TEST(ConfigFileTest, NestingSizeAndTypesAreChecked) {
  EXPECT_EQ(Error(R"({"comment": )" + std::string(100000, '[') + std::string(100000, ']') + "}"),
            "config: JSON nested deeper than 64 levels at byte 75");
  Result<ServerConfig> zero = LoadServerConfig("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "/dev/zero: larger than 1 MiB");
  EXPECT_EQ(ParseDecisionCatalogue(std::string(100, '[')).status().message(),
            "catalogue: JSON nested deeper than 64 levels at byte 64");
  EXPECT_EQ(Error(R"({"auth": {"token": "t"}, "limits": {"worker_threads": 18446744073709551615}})"),
            "limits.worker_threads: must be in [1, 256], got 18446744073709551615");
}

// The committed serve configs parse, with CODECS and RESOLUTION on every rendition (the
// multivariant playlist then satisfies the linter's hls.master.codecs_present).
TEST(ConfigFileTest, FixturesDeclareCodecsAndResolution) {
  // redis-coordinator.json takes its JWT secret from the environment (checked at parse time).
  ::setenv("SSAI_JWT_SECRET", "config-test-secret", /*overwrite=*/0);
  for (const char* path : {"fixtures/serve/demo.json", "fixtures/serve/redis-coordinator.json",
                           "fixtures/serve/redis-edge.json", "fixtures/targets/ssai-serve.config.json"}) {
    Result<ServerConfig> c = LoadServerConfig(path);
    ASSERT_TRUE(c.ok()) << path << ": " << c.status().ToString();
    for (const ChannelConfig& ch : c->channels) {
      for (const RenditionConfig& r : ch.renditions) {
        EXPECT_FALSE(r.codecs.empty()) << path << " " << ch.channel << "/" << r.name;
        EXPECT_FALSE(r.resolution.empty()) << path << " " << ch.channel << "/" << r.name;
      }
    }
  }
}

}  // namespace
}  // namespace ssai::server
