// Unit tests of the suite's parts: catalogue, profile and scenario parsing, the multi-POP fakes,
// report escaping, and one scenario end to end.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "conformance/builtin_target.h"
#include "conformance/checks/catalogue.h"
#include "conformance/checks/evaluate.h"
#include "conformance/checks/truth.h"
#include "conformance/cue_template.h"
#include "conformance/expectations.h"
#include "conformance/http_target.h"
#include "conformance/report.h"
#include "conformance/runner.h"
#include "conformance/sgai_assets.h"
#include "reference/io/files.h"
#include "reference/media/hls/lint.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/server/config.h"
#include "reference/server/http_frontend.h"
#include "simulator/run.h"
#include "simulator/scenario.h"
#include "world/ground_truth.h"

namespace ssai::conformance {
namespace {

TEST(CatalogueTest, AtLeastFortyUniqueChecksWithSections) {
  const std::vector<CheckInfo>& c = Catalogue();
  EXPECT_GE(c.size(), 40u);
  std::set<std::string> ids;
  std::set<std::string> families;
  for (const CheckInfo& info : c) {
    EXPECT_TRUE(ids.insert(info.id).second) << info.id;
    EXPECT_FALSE(info.section.empty()) << info.id;
    EXPECT_FALSE(info.description.empty()) << info.id;
    EXPECT_EQ(info.id.substr(0, info.id.find('.')), info.family) << info.id;
    families.insert(info.family);
  }
  EXPECT_EQ(families,
            (std::set<std::string>{"hls", "variants", "splice", "ttl", "kv", "latency", "api", "beacon", "vast"}));
  for (const hls::RuleInfo& r : hls::LintRules()) EXPECT_NE(FindCheck(r.id), nullptr) << r.id;
}

TEST(FilesTest, UnreadableFilesNameThePathAndTheReason) {
  Result<Profile> p = LoadProfile("conformance/profiles/nope.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(p.status().message(), "profile: conformance/profiles/nope.json: cannot read: No such file or directory");
  Result<TargetProfile> t = LoadTargetProfile("fixtures/targets/nope.json");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "target profile: fixtures/targets/nope.json: cannot read: No such file or directory");
  Result<std::vector<Scenario>> s = LoadScenarios("fixtures/scenarios/conformance/nope.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "scenario: fixtures/scenarios/conformance/nope.json: cannot read: No such file or directory");
}

TEST(ProfileTest, DefaultFileMatchesBuiltInDefaults) {
  Result<Profile> p = LoadProfile("conformance/profiles/default.json");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(ProfileToJson(*p), ProfileToJson(Profile{}));
  Result<Profile> bad = ParseProfile(R"({"latency_p95_max": 3})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("profile.latency_p95_max: unknown key (allowed: name, "), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParseProfile(R"({"kv_hit_rate_min": "high"})").ok());
  // issue 13: ranges, nesting, and no library exception escapes.
  EXPECT_EQ(ParseProfile(R"({"kv_hit_rate_min": 5})").status().message(),
            "profile.kv_hit_rate_min: must be in [0, 1], got 5");
  EXPECT_EQ(ParseProfile(std::string(100, '[') + std::string(100, ']')).status().message(),
            "profile: JSON nested deeper than 64 levels at byte 64");
}

TEST(ScenarioTest, ErrorsNameTheField) {
  const std::string origin =
      R"("origin":{"segment_duration_s":2,"renditions":[{"name":"v1","bandwidth_bps":1000000}]})";
  // One format (issue 18): the simulator's scenario; a conformance run plays one channel and listed viewers.
  const std::string head = R"({"name":"x","channels":1,)";
  EXPECT_TRUE(ParseScenario(head + origin + R"(,"viewers":[]})").ok());
  Result<Scenario> s = ParseScenario(head + origin + R"(,"viewers":[{"pop":"mars"}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("viewers[0].pop: unknown pop 'mars'"), std::string::npos) << s.status().message();
  s = ParseScenario(head + origin + R"(,"faults":[{"at_s":1,"kind":"meteor"}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("faults[0].kind"), std::string::npos);
  s = ParseScenario(head + origin + R"(,"colour":1})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("scenario.colour: unknown key (allowed: "), std::string::npos)
      << s.status().message();
  // What the targets cannot play is refused by name; the old format's keys say where they went.
  EXPECT_EQ(ParseScenario(R"({"name":"x",)" + origin + R"(,"viewers":[]})").status().message(),
            "scenario.channels: the conformance targets run one channel, got 2 (give \"channels\": 1)");
  EXPECT_EQ(ParseScenario(head + origin + "}").status().message().rfind("scenario.viewers: the conformance targets play listed viewers", 0), 0u);
  EXPECT_EQ(ParseScenario(head + origin + R"(,"viewers":[],"api_probes":true})").status().message(),
            "scenario.api_probes: belongs in the scenario's expect block (expect.profile, expect.api_probes)");
  EXPECT_EQ(ParseScenario(head + origin + R"(,"viewers":[],"expect":{"profil":{}}})").status().message().rfind(
                "scenario.expect.profil: unknown key", 0),
            0u);
  EXPECT_EQ(ParseScenario(head + origin + R"(,"viewers":[],"kv":{"outages":[{"start_s":1,"end_s":2}]}})").status().message(),
            "scenario.kv.outages: the simulator's fault windows; a conformance scenario's faults are `faults`");
  // Where a target needs one value and the scenario gives a distribution, it takes the median.
  Result<Scenario> medians = ParseScenario(head + origin + R"(,"viewers":[],"pops":[{"name":"p",
      "coordinator_rtt_ms":{"kind":"uniform","min_ms":70,"max_ms":90}}],"decision":{"latency_ms":{"kind":"lognormal","median_ms":150,"sigma":0.5}}})");
  ASSERT_TRUE(medians.ok()) << medians.status().message();
  EXPECT_EQ(medians->pops[0].coordinator_rtt_ms, 80);
  EXPECT_EQ(medians->decision.latency_ms, 150);
  EXPECT_EQ(medians->pops[0].kv_latency_ms, 2);  // the default hot read's median (the POP caches)
  // ads_per_pod x ad_duration_s: ad0, ad1, ad2 of 15 s, as the simulator's decision model names them.
  EXPECT_EQ(medians->decision.ads.size(), 3u);
  EXPECT_EQ(medians->decision.ads[2].id, "ad2");
}

// `ssai sim --check` on a population scenario (issue 18): ScenarioOf(..., population_sample) takes
// a population and several channels, judging channel 0 (its breaks); what else the targets do not
// play is still refused.
TEST(ScenarioTest, APopulationSampleJudgesChannelZero) {
  Result<sim::Scenario> in = sim::ParseScenario(R"({"name":"pop","channels":3,"duration_s":600,
      "origin":{"breaks":{"first_s":60,"every_s":200,"duration_s":30,"stagger_s":20}},
      "viewers":{"viewers_per_channel":100}})");
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(ScenarioOf(*in).status().message().rfind("scenario.channels: the conformance targets run one channel", 0), 0u);
  Result<Scenario> s = ScenarioOf(*in, "", /*population_sample=*/true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->viewers.empty());
  const std::vector<origin::ScheduledBreak> ch0 = sim::ChannelBreaks(*in, 0);
  ASSERT_EQ(s->origin.breaks.size(), ch0.size());
  ASSERT_FALSE(ch0.empty());
  EXPECT_EQ(s->origin.breaks[0].start_time, ch0[0].start_time);
  EXPECT_NE(sim::ChannelBreaks(*in, 1)[0].start_time, ch0[0].start_time);  // staggered: not channel 1's
  sim::Scenario faulty = *in;
  faulty.origin.not_found.push_back({5, 9});
  EXPECT_EQ(ScenarioOf(faulty, "", true).status().message().rfind("scenario.origin.not_found: the simulator's fault windows", 0), 0u);
}

// issue 13: a typo in the origin block (passed on to the synthetic origin) was silently ignored,
// turning a failure scenario into a green run.
TEST(ScenarioTest, UnknownOriginKeysAreRefusedWithTheirPath) {
  const std::string head = R"({"name":"x","channels":1,"viewers":[],"origin":{"segment_duration_s":2,"renditions":[{"name":"v1","bandwidth_bps":1000000)";
  Result<Scenario> s = ParseScenario(head + R"(}],"omit_cue_ins":true}})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("scenario.origin.omit_cue_ins: unknown key (allowed: ", 0), 0u)
      << s.status().message();
  s = ParseScenario(head + R"(}],"cue_flavor":"daterange"}})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("scenario.origin.cue_flavor: unknown key", 0), 0u) << s.status().message();
  s = ParseScenario(head + R"(,"codec":"x"}]}})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("scenario.origin.renditions[0].codec: unknown key", 0), 0u)
      << s.status().message();
  s = ParseScenario(head + R"(}],"breaks":[{"at_s":10,"duration_s":8,"event_id":1,"cancel":true}]}})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("scenario.origin.breaks[0].cancel: unknown key", 0), 0u)
      << s.status().message();
  // Documentation keys stay allowed, as elsewhere in the scenario.
  EXPECT_TRUE(ParseScenario(head + R"(}],"_why":"doc"}})").ok());
}

TEST(ScenarioTest, NumbersNestingAndTypesAreChecked) {
  const std::string origin =
      R"("origin":{"segment_duration_s":2,"renditions":[{"name":"v1","bandwidth_bps":1000000}]})";
  auto err = [&](const std::string& rest) {
    Result<Scenario> s = ParseScenario(R"({"name":"x","channels":1,)" + origin + rest + "}");
    return s.ok() ? std::string("(accepted)") : s.status().message();
  };
  EXPECT_EQ(err(R"(,"viewers":[],"pops":[{"name":"p","coordinator_rtt_ms":-5}])"),
            "scenario.pops[0].coordinator_rtt_ms: distribution: a fixed delay must be in [0, 1e9] ms, got -5");
  EXPECT_EQ(err(R"(,"viewers":[],"api_cues":[{"at_s":1e300,"duration_s":10}])"),
            "scenario.api_cues[0].at_s: must be in [0, 604800], got 1e+300");
  EXPECT_EQ(err(R"(,"viewers":[{"pop":"near","count":4294967297}])"),
            "scenario.viewers[0].count: must be in [1, 1000], got 4294967297");
  EXPECT_EQ(err(R"(,"viewers":[],"duration_s":-1)"), "scenario.duration_s: must be in [1, 604800], got -1");
  EXPECT_EQ(err(R"(,"viewers":[],"duration_s":30000)"), "scenario.duration_s: the conformance targets run at most 21600 s");
  EXPECT_EQ(ParseScenario(std::string(100000, '[') + std::string(100000, ']')).status().message(),
            "scenario: JSON nested deeper than 64 levels at byte 64");
}

TEST(ScenarioTest, EarlyCueInRewritesTheAnnouncedDuration) {
  Result<Scenario> s = ParseScenario(R"({"name":"early","channels":1,"viewers":[],"origin":{"segment_duration_s":2,"cue_flavour":"cue_out",
      "renditions":[{"name":"v1","bandwidth_bps":1000000}],
      "breaks":[{"at_s":20,"duration_s":10,"planned_duration_s":30,"event_id":7}]}})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string text = OriginPlaylistAt(*s, s->origin.renditions[0], s->At(24));
  EXPECT_NE(text.find("#EXT-X-CUE-OUT:DURATION=30\n"), std::string::npos) << text;
  text = OriginPlaylistAt(*s, s->origin.renditions[0], s->At(34));
  EXPECT_NE(text.find(",Duration=30\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#EXT-X-CUE-IN\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:30.000Z"), std::string::npos) << text;
  const std::vector<TruthBreak> truth = GroundTruth(*s, Profile{});
  ASSERT_EQ(truth.size(), 1u);
  EXPECT_EQ(truth[0].end_time, s->At(30));
  EXPECT_EQ(truth[0].planned_duration_s, 30);
}

TEST(ScenarioTest, OriginTsTakesItsBreaksFromTheTransportStream) {
  // fixtures/scenarios/conformance/ts_breaks.ts (tests/ts_fixtures.py --conformance-ts): OUT 1001
  // at 30 s for 20 s, 1002 cancelled, time_signal 0x34/0x35 0x4800008E at 90-106 s.
  Result<std::vector<Scenario>> loaded = LoadScenarios("fixtures/scenarios/conformance/ts_daterange_breaks.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Scenario& s = loaded->front();
  ASSERT_NE(s.ts_origin, nullptr);
  EXPECT_EQ(s.ts_path, "fixtures/scenarios/conformance/ts_breaks.ts");
  ASSERT_EQ(s.origin.breaks.size(), 2u);
  EXPECT_EQ(s.origin.breaks[0].event_id, 1001u);
  EXPECT_EQ(s.origin.breaks[0].start_time, s.At(30));
  EXPECT_EQ(s.origin.breaks[0].duration_s, 20);
  EXPECT_EQ(s.origin.breaks[1].event_id, 0x4800008Eu);
  EXPECT_EQ(s.origin.breaks[1].start_time, s.At(90));
  EXPECT_EQ(s.origin.breaks[1].duration_s, 16);
  // Every rendition serves the packager's playlist, and a shifted scenario moves it.
  const std::string text = OriginPlaylistAt(s, s.origin.renditions[1], s.At(40));
  EXPECT_NE(text.find("#EXT-X-DATERANGE:ID=\"splice-1001-0\",START-DATE=\"2026-01-01T00:00:30.000Z\",PLANNED-DURATION=20,"
                      "SCTE35-OUT=0xFC"),
            std::string::npos)
      << text;
  const Scenario moved = ShiftedTo(s, s.At(1000));
  EXPECT_EQ(OriginPlaylistAt(moved, moved.origin.renditions[0], moved.At(40)).find("2026-01-01T00:00:30.000Z"),
            std::string::npos);
  EXPECT_NE(OriginPlaylistAt(moved, moved.origin.renditions[0], moved.At(40)).find("2026-01-01T00:17:10.000Z"),
            std::string::npos);

  const std::string head = R"({"name":"x","channels":1,"viewers":[],"origin":{"segment_duration_s":2,"renditions":[{"name":"v1","bandwidth_bps":1000000}],)";
  Result<Scenario> bad = ParseScenario(head + R"("ts":"ts_breaks.ts","breaks":[]}})", "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message(), "scenario.origin.breaks: not with origin.ts: the breaks are the TS's SCTE-35 cues");
  bad = ParseScenario(head + R"("ts":"nope.ts"}})", "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message().rfind("origin.ts: fixtures/scenarios/conformance/nope.ts: cannot read", 0), 0u)
      << bad.status().message();
  bad = ParseScenario(R"({"name":"x","channels":1,"viewers":[],"origin":{"segment_duration_s":3,"renditions":[{"name":"v1","bandwidth_bps":1000000}],)"
                      R"("ts":"ts_breaks.ts"}})",
                      "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message(),
            "origin.ts: fixtures/scenarios/conformance/ts_breaks.ts: segment 0 lasts 4 s, not segment_duration_s "
            "(cut at IDR frames: the GOPs must divide it)");
  bad = ParseScenario(head + R"("ts":7}})");
  EXPECT_EQ(bad.status().message(), "scenario.origin.ts: must be a string, got 7");
}

// origin.ts (issue 18): the conformance checks and the simulator judge a TS origin's breaks on the
// same slots, the ones its markers make a server splice: a tag sits on the segment holding the
// SCTE-35 splice instant and splices from that segment's start; a DATERANGE carries the instant
// and the splicer takes the first boundary at or after it (ts_packager.h MarkedBreakOf). Before,
// the checks took the SCTE-35 instants (a mid-segment tag break one slot late: 6 failures of every
// correct build on ts_mid_segment_cue_out) and the simulator the marked segments (a mid-segment
// DATERANGE break one slot early: 10-12 % missed and 16 ghost viewer-s for correct builds).
TEST(ScenarioTest, TsBreaksAreJudgedOnTheSameSlotsByTheChecksAndTheSimulator) {
  struct Case {
    const char* name;
    std::vector<std::pair<double, double>> slots_s;  // [splice, return) of each break, s after start
  };
  const Case cases[] = {
      {"ts_cue_out_breaks", {{30, 50}, {90, 106}}},      // splices on boundaries: every rule agrees
      {"ts_daterange_breaks", {{30, 50}, {90, 106}}},
      {"ts_mid_segment_cue_out", {{30, 50}, {90, 106}}},  // OUT 31 s, IN 51 s; 91-107 s: their segments
      {"ts_mid_segment_daterange", {{32, 52}, {92, 108}}},  // the next boundaries
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = std::string("fixtures/scenarios/conformance/") + c.name + ".json";
    Result<std::vector<Scenario>> loaded = LoadScenarios(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    const Scenario& s = loaded->front();
    const std::vector<TruthBreak> checks = GroundTruth(s, Profile{});
    // The simulator: its TS timeline (the viewers arrive with loop 0: warmup_s 0) on its grid,
    // slots by the rule World::Setup applies (world::SlotsOf kRecording).
    Result<nlohmann::json> j = sim::ReadScenarioFile(path, 1 << 20);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    Result<sim::Scenario> sc = sim::ParseScenario(j->dump());
    ASSERT_TRUE(sc.ok()) << sc.status().ToString();
    Result<std::string> bytes = io::ReadFileToString(sc->origin.ts, ts::kMaxScenarioTsBytes);
    ASSERT_TRUE(bytes.ok());
    Result<sim::TsTimeline> tl = sim::TsTimelineOf(std::move(bytes).value(), *sc);
    ASSERT_TRUE(tl.ok()) << tl.status().ToString();
    origin::SyntheticStreamSpec grid = sc->origin.stream;
    grid.start_time = tl->pdt_start;
    ASSERT_EQ(checks.size(), c.slots_s.size());
    ASSERT_EQ(tl->truth.size(), c.slots_s.size());
    auto at = [](UnixMicros t, UnixMicros start) { return MicrosToSeconds(t - start); };
    for (size_t i = 0; i < c.slots_s.size(); ++i) {
      EXPECT_EQ(at(checks[i].splice_point, s.origin.start_time), c.slots_s[i].first) << i;
      EXPECT_EQ(at(checks[i].return_point, s.origin.start_time), c.slots_s[i].second) << i;
      const world::BreakSlots slots =
          world::SlotsOf(world::MarkedBy::kRecording, grid, tl->truth[i].start, tl->truth[i].end);
      EXPECT_EQ(at(origin::SegmentStart(grid, slots.first_msn), sc->start_time), c.slots_s[i].first) << i;
      EXPECT_EQ(at(origin::SegmentStart(grid, slots.end_msn), sc->start_time), c.slots_s[i].second) << i;
    }
  }
}

TEST(ScenarioTest, OriginCaptureReplaysTheRecordingAndItsMarkersAreTheTruth) {
  // fixtures/captures/cue_out: MSN n starts at 12:00:00 + 2n s; CUE-OUT:DURATION=12 on MSN 10
  // (12:00:20), CUE-IN on MSN 16; recorded from 12:00:10.
  Result<std::vector<Scenario>> loaded = LoadScenarios("fixtures/scenarios/conformance/capture_cue_out.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Scenario& s = loaded->front();
  ASSERT_NE(s.capture_origin, nullptr);
  EXPECT_EQ(FormatIso8601Millis(s.origin.start_time), "2026-01-15T12:00:10.000Z");
  ASSERT_EQ(s.origin.breaks.size(), 1u);
  EXPECT_EQ(FormatIso8601Millis(s.origin.breaks[0].start_time), "2026-01-15T12:00:20.000Z");
  EXPECT_EQ(s.origin.breaks[0].duration_s, 12);
  // The snapshot current 15 s in lists the OUT; moved by 1000 s, its dates move too.
  const std::string text = OriginPlaylistAt(s, s.origin.renditions[0], s.At(15));
  EXPECT_NE(text.find("#EXT-X-CUE-OUT:DURATION=12"), std::string::npos) << text;
  EXPECT_NE(text.find("#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:20.000Z"), std::string::npos) << text;
  const Scenario moved = ShiftedTo(s, s.At(1000));
  const std::string later = OriginPlaylistAt(moved, moved.origin.renditions[0], moved.At(15));
  EXPECT_NE(later.find("#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:17:00.000Z"), std::string::npos) << later;
  EXPECT_EQ(later.find("2026-01-15T12:00:20"), std::string::npos);
  // Its daterange twin: START-DATE moves with the scenario.
  Result<std::vector<Scenario>> dr = LoadScenarios("fixtures/scenarios/conformance/capture_daterange.json");
  ASSERT_TRUE(dr.ok()) << dr.status().message();
  const Scenario dmoved = ShiftedTo(dr->front(), dr->front().At(1000));
  EXPECT_NE(OriginPlaylistAt(dmoved, dmoved.origin.renditions[0], dmoved.At(15)).find("START-DATE=\"2026-01-15T12:17:00.000Z\""),
            std::string::npos);

  const std::string head = R"({"name":"x","channels":1,"viewers":[],"origin":{"segment_duration_s":2,"renditions":[{"name":"v1080","bandwidth_bps":1000000}],)";
  Result<Scenario> bad = ParseScenario(head + R"("capture":"../../captures/cue_out"}})", "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message(), "origin.renditions[0].name: the capture has no /v1080.m3u8");
  bad = ParseScenario(head + R"("capture":"nope","breaks":[]}})", "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message(), "scenario.origin.breaks: not with origin.capture: the breaks are the capture's markers");
  bad = ParseScenario(head + R"("capture":"nope"}})", "fixtures/scenarios/conformance/x.json");
  EXPECT_EQ(bad.status().message(), "origin.capture: fixtures/scenarios/conformance/nope: not a directory");
}

TEST(ScenarioTest, TheHarnessOriginServesTheTsAndCaptureSegments) {
  // origin.ts: the packager's published segments, real TS (sync bytes every 188), the rest 404.
  Result<std::vector<Scenario>> loaded = LoadScenarios("fixtures/scenarios/conformance/ts_cue_out_breaks.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Scenario moved = ShiftedTo(loaded->front(), loaded->front().At(1000));
  const std::string playlist = OriginPlaylistAt(moved, moved.origin.renditions[0], moved.At(20));
  ASSERT_NE(playlist.find("\nv720_9.ts\n"), std::string::npos) << playlist;
  server::HttpResponse seg = OriginMediaAt(moved, "/v720_9.ts", moved.At(20));
  ASSERT_EQ(seg.status, 200) << seg.body;
  EXPECT_EQ(seg.content_type, "video/mp2t");
  ASSERT_GE(seg.body.size(), 188u * 3);  // PAT, PMT, video (a tiny fixture)
  ASSERT_EQ(seg.body.size() % 188, 0u);
  for (size_t at = 0; at < seg.body.size(); at += 188) ASSERT_EQ(seg.body[at], 0x47) << at;
  EXPECT_EQ(seg.body, moved.ts_origin->Segment(9).value());
  EXPECT_EQ(OriginMediaAt(moved, "/v720_11.ts", moved.At(20)).status, 404);  // not published yet
  EXPECT_EQ(OriginMediaAt(moved, "/nope.ts", moved.At(20)).status, 404);
  // origin.capture: a capture with a segment kept (ssai capture --segments) next to its playlist
  // (recorded last: a replay serves a path's first fetch before its offset too).
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "capture_with_segments";
  std::filesystem::remove_all(dir);
  std::filesystem::copy("fixtures/captures/cue_out", dir);
  {
    std::ofstream index(dir / "index.jsonl", std::ios::app);
    index << R"({"offset_ms":58113,"path":"/seg_v720_0.ts","status":200,"file":"000099_seg_v720_0.ts"})" << "\n";
    std::ofstream(dir / "000099_seg_v720_0.ts") << std::string(188, '\x47');
  }
  const std::string head = R"({"name":"x","channels":1,"viewers":[],"origin":{"segment_duration_s":2,"renditions":[{"name":"v720","bandwidth_bps":1000000}],)";
  Result<Scenario> cap = ParseScenario(head + R"("capture":")" + dir.string() + R"("}})");
  ASSERT_TRUE(cap.ok()) << cap.status().message();
  seg = OriginMediaAt(*cap, "/seg_v720_0.ts", cap->At(5));
  EXPECT_EQ(seg.status, 200);
  EXPECT_EQ(seg.content_type, "video/mp2t");
  EXPECT_EQ(seg.body, std::string(188, '\x47'));
  EXPECT_EQ(OriginMediaAt(*cap, "/seg_v720_1.ts", cap->At(5)).status, 404);  // not kept
  // A synthetic origin has no media.
  Result<Scenario> synthetic = ParseScenario(head + R"("breaks":[]}})");
  ASSERT_TRUE(synthetic.ok()) << synthetic.status().message();
  EXPECT_EQ(OriginMediaAt(*synthetic, "/v720_1.ts", synthetic->At(5)).status, 404);
}

TEST(ScenarioTest, ARecordingBecomesTheObservedScenario) {
  // observe mode: the recorder's multivariant playlist gives the renditions, its markers the truth.
  Result<Scenario> s = ScenarioFromRecording("fixtures/captures/cue_out", "observe", 50);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->origin.renditions.size(), 2u);
  EXPECT_EQ(s->origin.renditions[0].name, "v0");
  EXPECT_EQ(s->origin.renditions[0].bandwidth_bps, 2500000);
  EXPECT_EQ(RecordedPathOf(*s, "v0"), "/v720.m3u8");
  EXPECT_EQ(RecordedPathOf(*s, "v1"), "/v360.m3u8");
  EXPECT_DOUBLE_EQ(s->origin.segment_duration_s, 2);
  ASSERT_FALSE(s->origin.breaks.empty());
  EXPECT_EQ(FormatIso8601Millis(s->origin.breaks[0].start_time), "2026-01-15T12:00:20.000Z");
  EXPECT_DOUBLE_EQ(s->origin.breaks[0].duration_s, 12);
  EXPECT_NE(RecordedStreamStart(*s), 0);
  EXPECT_FALSE(ScenarioFromRecording("fixtures/captures/nope", "observe", 50).ok());
}

TEST(ReportTest, XmlCharsReplacesWhatXmlCannotCarry) {
  EXPECT_EQ(XmlChars("a<b>&\"c'"), "a<b>&\"c'");  // markup: the writer's (pugixml) to escape
  EXPECT_EQ(XmlChars(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");
  EXPECT_EQ(XmlChars("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(XmlChars("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("a<b>&\"c'\x01"), "a&lt;b&gt;&amp;&quot;c&#39;\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("<'>"), "&lt;&#39;&gt;");
}

// JUnit from pugixml: a target's answer quoted in the evidence (markup, a control character,
// invalid UTF-8) still gives a document an XML parser reads back, with the text intact where XML
// can carry it.
TEST(ReportTest, JunitIsWellFormedWhateverTheEvidenceHolds) {
  RunResult r;
  r.target = "http:<vendor & co>";
  r.scenario = "s\"1";
  CheckResult c;
  c.id = "splice.ad_starts_within";
  c.outcome = Outcome::kFail;
  c.severity = Severity::kError;
  c.failures = 1;
  c.evidence.push_back(Evidence{});
  c.evidence[0].where = "v720";
  c.evidence[0].message = "got <EXT-X-CUE-OUT> & \"more\"\x01\xFF";
  r.checks.push_back(c);
  const std::string junit = JunitXml({r});
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_string(junit.c_str());
  ASSERT_TRUE(parsed) << parsed.description() << "\n" << junit;
  const pugi::xml_node tc = doc.child("testsuites").child("testsuite").child("testcase");
  EXPECT_STREQ(tc.attribute("classname").value(), "http:<vendor & co>.s\"1");
  EXPECT_EQ(std::string(tc.child("failure").attribute("message").value()),
            "got <EXT-X-CUE-OUT> & \"more\"\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_NE(std::string(tc.child("failure").text().get()).find("v720: got <EXT-X-CUE-OUT>"), std::string::npos);
  EXPECT_STREQ(doc.child("testsuites").attribute("failures").value(), "1");
}

// Every run records its playlist latency (P50/P95 of answered requests), and the report charts it
// per target in the build's colour (simulator/chart_style.h); defect builds are left out.
TEST(ReportTest, LatencyPerTargetIsRecordedAndCharted) {
  Result<std::vector<Scenario>> loaded = LoadScenarios("fixtures/scenarios/conformance/cue_out_two_breaks.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  Result<std::vector<std::unique_ptr<Target>>> targets = MakeTargets("builtin:kv-hybrid,do-only,defect-ignore-end");
  ASSERT_TRUE(targets.ok());
  const std::vector<RunResult> runs = RunMatrix(*targets, *loaded, Profile{});
  ASSERT_EQ(runs.size(), 3u);
  for (const RunResult& r : runs) {
    ASSERT_TRUE(r.stats.count("latency_p50_us") && r.stats.count("latency_p95_us")) << r.target;
    EXPECT_GT(r.stats.at("latency_p50_us"), 0) << r.target;
    EXPECT_GE(r.stats.at("latency_p95_us"), r.stats.at("latency_p50_us")) << r.target;
  }
  const std::string html = ReportHtml(runs, Profile{});
  const size_t chart = html.find("Playlist latency per target");
  ASSERT_NE(chart, std::string::npos);
  EXPECT_NE(html.find("kv-hybrid (builtin)", chart), std::string::npos);
  EXPECT_NE(html.find("fill='#d62728'", chart), std::string::npos) << "kv-hybrid's colour everywhere";
  EXPECT_EQ(html.find("defect-ignore-end (builtin)"), std::string::npos);
}

TEST(MakeTargetsTest, BuiltinAllServeAndHttp) {
  // builtin:all is the correct builds (as `ssai sim --build all`); all+defects adds the defect builds.
  Result<std::vector<std::unique_ptr<Target>>> all = MakeTargets("builtin:all");
  Result<std::vector<std::unique_ptr<Target>>> with_defects = MakeTargets("builtin:all+defects");
  ASSERT_TRUE(all.ok() && with_defects.ok());
  size_t correct = 0;
  for (const BuildSpec& b : AllBuilds()) correct += !b.is_defect();
  EXPECT_EQ(all->size(), correct);
  for (const auto& t : *all) EXPECT_FALSE(t->is_defect()) << t->name();
  EXPECT_EQ(with_defects->size(), AllBuilds().size());
  Result<std::vector<std::unique_ptr<Target>>> mixed = MakeTargets("builtin:all,defect-ignore-end");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->size(), correct + 1);
  EXPECT_TRUE(mixed->back()->is_defect());
  EXPECT_FALSE(MakeTargets("builtin:nope").ok());
  Result<std::vector<std::unique_ptr<Target>>> serve = MakeTargets("serve:kv-channel-state");
  ASSERT_TRUE(serve.ok()) << serve.status().ToString();
  EXPECT_EQ(serve->front()->name(), "serve:kv-channel-state");
  EXPECT_EQ(MakeTargets("serve:nope").status().code(), StatusCode::kNotFound);
  Result<std::vector<std::unique_ptr<Target>>> http = MakeTargets("http");
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.status().message().find("--target-profile"), std::string::npos);
  Result<std::vector<std::unique_ptr<Target>>> fixture =
      MakeTargets("http", TargetOptions{"fixtures/targets/ssai-serve.json", {}});
  ASSERT_TRUE(fixture.ok()) << fixture.status().ToString();
  EXPECT_EQ(fixture->front()->name(), "http:ssai-serve");
  EXPECT_FALSE(MakeTargets("http:profile.json").ok());
}

TEST(TargetProfileTest, ErrorsNameTheField) {
  const std::string ok = R"({"org":"o","channel":"c","master_url":"http://h/{org}/{channel}/master.m3u8",
      "variant_url":"http://h/{org}/{channel}/{rendition}.m3u8","cue":{"url":"http://h/cue","token":"t"}})";
  Result<TargetProfile> p = ParseTargetProfile(ok);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->cue.method, "POST");
  EXPECT_EQ(p->cue.start_time_pointer, "/adBreak/startTime");
  EXPECT_EQ(p->harness_listen, "127.0.0.1:0");
  auto err = [&](const std::string& from, const std::string& to) {
    std::string text = ok;
    text.replace(text.find(from), from.size(), to);
    Result<TargetProfile> r = ParseTargetProfile(text);
    return r.ok() ? std::string("(accepted)") : r.status().message();
  };
  EXPECT_NE(err(R"("org":"o",)", "").find("org: missing"), std::string::npos);
  EXPECT_NE(err("{rendition}", "x").find("variant_url: must contain {rendition}"), std::string::npos);
  EXPECT_NE(err(R"("url":"http://h/cue")", R"("url":"ftp://h/cue")").find("cue.url: must be an http:// or https:// URL"),
            std::string::npos);
  EXPECT_NE(err(R"("token":"t")", R"("tokn":"t")").find("cue.tokn: unknown key (allowed: "), std::string::npos);
  // https:// trust (issue 16): the tls block's fields by name.
  EXPECT_NE(err(R"("org":"o",)", R"("org":"o","tls":{"insecure":"yes"},)").find("tls.insecure: must be true or false"),
            std::string::npos);
  EXPECT_NE(err(R"("org":"o",)", R"("org":"o","tls":{"ca_file":"ca.pem","insecure":true},)")
                .find("tls.insecure: true verifies nothing"),
            std::string::npos);
  EXPECT_NE(err(R"("org":"o",)", R"("org":"o","tls":{"cafile":"ca.pem"},)").find("tls.cafile: unknown key"),
            std::string::npos);
  EXPECT_NE(err(R"("token":"t")", R"("method":"GET")").find("cue.method"), std::string::npos);
  EXPECT_NE(err(R"("token":"t")", R"("token":"t","start_time_pointer":"adBreak")").find("cue.start_time_pointer"),
            std::string::npos);
  EXPECT_NE(err(R"(,"token":"t")", "").find("cue.token: missing"), std::string::npos);
  EXPECT_NE(err(R"("org":"o",)", R"("org":"o","harness":{"listen":"nope"},)").find("harness.listen"),
            std::string::npos);
  // cue.stop (issue 16): how the target ends a break early; absent = it cannot.
  EXPECT_FALSE(p->cue.stop.has_value());
  Result<TargetProfile> stop = ParseTargetProfile(
      std::string(ok).replace(ok.find(R"("token":"t")"), 11,
                              R"("token":"t","stop":{"method":"DELETE","url":"http://h/breaks/current","body":""})"));
  ASSERT_TRUE(stop.ok()) << stop.status().ToString();
  ASSERT_TRUE(stop->cue.stop.has_value());
  EXPECT_EQ(stop->cue.stop->method, "DELETE");
  EXPECT_EQ(err(R"("token":"t")", R"("token":"t","stop":{"body":"{\"d\":{duration}}"})"),
            "target profile: cue.stop.body: a stop has no {duration} or {pod_id}");
  EXPECT_EQ(err(R"("token":"t")", R"("token":"t","stop":{"method":"GET"})"),
            "target profile: cue.stop.method: must be POST, PUT or DELETE, got 'GET'");
}

TEST(TargetProfileTest, PerModePlaylistsHeadersTimeFormatsAndDecision) {
  const std::string ok = R"({"org":"o","channel":"c",
      "ssai":{"variant_url":"http://h/{org}/{channel}/{rendition}.m3u8","headers":{"X-Viewer":"v {token}"}},
      "sgai":{"master_url":"http://h/sgai/{channel}.m3u8","variant_url":"http://h/sgai/{channel}/{rendition}.m3u8"},
      "viewer_token":"vt","decision":"own","ad_uri_prefix":"http://ads/",
      "cue":{"url":"http://h/cue","token":"t","time_format":"epoch_ms","api_checks":"strict",
             "body":"{\"ch\":\"{channel}\",\"len\":{duration},\"pod\":\"{pod_id|house}\"}"}})";
  Result<TargetProfile> p = ParseTargetProfile(ok);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->ssai.master_url.empty());  // optional: viewers then start at the media playlists
  EXPECT_EQ(p->ssai.headers.at("X-Viewer"), "v {token}");
  ASSERT_TRUE(p->sgai.has_value());
  EXPECT_EQ(p->sgai->master_url, "http://h/sgai/{channel}.m3u8");
  EXPECT_EQ(p->cue.time_format, "epoch_ms");
  EXPECT_EQ(p->cue.api_checks, "strict");
  EXPECT_EQ(p->decision, "own");
  auto err = [&](const std::string& from, const std::string& to) {
    std::string text = ok;
    text.replace(text.find(from), from.size(), to);
    Result<TargetProfile> r = ParseTargetProfile(text);
    return r.ok() ? std::string("(accepted)") : r.status().message();
  };
  EXPECT_NE(err(R"("viewer_token":"vt",)", "").find("viewer_token: missing"), std::string::npos);
  EXPECT_NE(err(R"("decision":"own")", R"("decision":"mine")").find("decision: must be one of harness, vast, own"),
            std::string::npos);
  EXPECT_NE(err(R"("ad_uri_prefix":"http://ads/",)", "").find("ad_uri_prefix: missing"), std::string::npos);
  // Issue 16: the harness's VAST ad server (GET {harness}/vast/tag.xml) needs no ad prefix.
  Result<TargetProfile> vast = ParseTargetProfile(std::string(ok).replace(ok.find(R"("decision":"own")"), 16, R"("decision":"vast")"));
  ASSERT_TRUE(vast.ok()) << vast.status().ToString();
  EXPECT_EQ(vast->decision, "vast");
  EXPECT_NE(err(R"("epoch_ms")", R"("unix")").find("cue.time_format"), std::string::npos);
  EXPECT_NE(err("{pod_id|house}", "{podid}").find("cue.body: unknown placeholder {podid}"), std::string::npos);
  EXPECT_NE(err(R"("X-Viewer":"v {token}")", R"("X-Viewer":"a\r\nInjected: 1")").find("value contains CR or LF"),
            std::string::npos);
  EXPECT_NE(err(R"("org":"o",)", R"("org":"o","master_url":"http://h/m.m3u8",)").find("not both"), std::string::npos);
  EXPECT_NE(err(R"("ssai":{)", R"("ssia":{)").find("ssia: unknown key"), std::string::npos);
  EXPECT_NE(err(R"("token":"t")", R"("token":"t","event_id_pointer":"/a~2")").find("not a JSON pointer"),
            std::string::npos);
}

// Per-POP URLs (issue 18 leftover): a multi-POP deployment names each POP's playlists, the
// shape of the top-level `ssai`/`sgai` blocks; unknown keys are refused when parsed, POP names the
// scenario lacks when a run starts (before anything listens).
TEST(TargetProfileTest, PerPopPlaylistsParsedAndCheckedAgainstTheScenario) {
  const std::string ok = R"({"org":"o","channel":"c","viewer_token":"vt",
      "pops":{"_doc":"one CDN hostname per region",
              "near":{"ssai":{"master_url":"http://near.example/{org}/{channel}/master.m3u8",
                              "variant_url":"http://near.example/{org}/{channel}/{rendition}.m3u8",
                              "headers":{"X-Region":"near {token}"}},
                      "sgai":{"variant_url":"http://near.example/sgai/{channel}/{rendition}.m3u8"}},
              "far":{"ssai":{"variant_url":"http://far.example/{org}/{channel}/{rendition}.m3u8"}}},
      "cue":{"url":"http://h/cue","token":"t"}})";
  Result<TargetProfile> p = ParseTargetProfile(ok);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->has_top_level_ssai);
  ASSERT_EQ(p->pops.size(), 2u);  // "_doc" is documentation, not a POP
  EXPECT_EQ(p->pops.at("near").ssai.master_url, "http://near.example/{org}/{channel}/master.m3u8");
  EXPECT_EQ(p->pops.at("near").ssai.headers.at("X-Region"), "near {token}");
  ASSERT_TRUE(p->pops.at("near").sgai.has_value());
  EXPECT_EQ(p->pops.at("near").sgai->variant_url, "http://near.example/sgai/{channel}/{rendition}.m3u8");
  EXPECT_EQ(p->pops.at("far").ssai.variant_url, "http://far.example/{org}/{channel}/{rendition}.m3u8");
  EXPECT_FALSE(p->pops.at("far").sgai.has_value());
  auto err = [&](const std::string& from, const std::string& to) {
    std::string text = ok;
    text.replace(text.find(from), from.size(), to);
    Result<TargetProfile> r = ParseTargetProfile(text);
    return r.ok() ? std::string("(accepted)") : r.status().message();
  };
  EXPECT_NE(err(R"("far":{"ssai")", R"("far":{"ssia")").find("pops.far.ssia: unknown key (allowed: "), std::string::npos);
  EXPECT_NE(err(R"("far":{"ssai":{"variant_url")", R"("far":{"ssai":{"varient_url")")
                .find("pops.far.ssai.varient_url: unknown key"),
            std::string::npos);
  EXPECT_NE(err(R"(far.example/{org}/{channel}/{rendition})", "far.example/x").find("pops.far.ssai.variant_url: must contain {rendition}"),
            std::string::npos);
  EXPECT_NE(err("http://far.example", "ftp://far.example").find("pops.far.ssai.variant_url: must be an http:// or https:// URL"),
            std::string::npos);
  EXPECT_NE(err(R"("far":{"ssai":)", R"("far":{"sgai":)").find("pops.far.ssai: missing"), std::string::npos);
  EXPECT_NE(err(R"("near {token}")", R"("a\nb")").find("pops.near.ssai.headers.X-Region: value contains CR or LF"),
            std::string::npos);
  EXPECT_NE(err(R"("viewer_token":"vt",)", "").find("viewer_token: missing"), std::string::npos);  // a POP header uses {token}
  EXPECT_NE(err(R"("pops":{)", R"("popz":{)").find("popz: unknown key"), std::string::npos);
  const std::string cue = R"("cue":{"url":"http://h/cue","token":"t"})";
  Result<TargetProfile> array = ParseTargetProfile(R"({"org":"o","channel":"c","pops":[],)" + cue + "}");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().message(), "target profile: pops: must be an object of POP name -> {\"ssai\": {...}, \"sgai\": {...}}");
  Result<TargetProfile> none = ParseTargetProfile(R"({"org":"o","channel":"c",)" + cue + "}");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("ssai: missing"), std::string::npos) << none.status().message();

  // At run time, against serve_short's POPs (near, far): refused by name before anything starts.
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/serve_short.json");
  ASSERT_TRUE(scenarios.ok() && scenarios->size() == 1) << scenarios.status().ToString();
  scenarios->front().api_cues.clear();  // its stop cue needs a cue.stop, not what this test is about
  io::TempDir dir("ssai-pops-test");
  auto run = [&](const std::string& profile_text, const Scenario& scenario) {
    const std::string path = dir.path() + "/profile.json";
    std::ofstream(path) << profile_text;
    Result<std::unique_ptr<Target>> target = MakeHttpTarget(path);
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    if (!target.ok()) return target.status();
    Result<Observations> obs = (*target)->Run(scenario, Profile{});
    return obs.ok() ? Status::Ok() : obs.status();
  };
  // A POP the scenario does not have (a typo, another region's file).
  Status unknown = run(std::string(ok).replace(ok.find(R"("far":{)"), 7, R"("faraway":{)"), scenarios->front());
  EXPECT_EQ(unknown.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unknown.message().find("pops.faraway: scenario serve_short has no POP 'faraway' (its POPs: near, far)"),
            std::string::npos)
      << unknown.message();
  // A scenario POP the profile leaves out, with no top-level `ssai` to fall back on.
  const std::string near_only = R"({"org":"o","channel":"c",
      "pops":{"near":{"ssai":{"variant_url":"http://near.example/{org}/{channel}/{rendition}.m3u8"}}},)" + cue + "}";
  Status unlisted = run(near_only, scenarios->front());
  EXPECT_EQ(unlisted.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unlisted.message().find("are in POP 'far', which target profile http's `pops` does not list"), std::string::npos)
      << unlisted.message();
  // SGAI viewers of a POP without its own `sgai` block are not sent to another host.
  Scenario sgai = scenarios->front();
  for (ViewerSpec& v : sgai.viewers) v.mode = InsertionMode::kSgai;
  Status no_sgai = run(ok, sgai);
  EXPECT_EQ(no_sgai.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_sgai.message().find("play SGAI in POP 'far', but target profile http's pops.far has no `sgai` block"),
            std::string::npos)
      << no_sgai.message();
  // Observe watches one output: per-POP URLs are refused there by name.
  const std::string observe = R"({"org":"o","channel":"c","ad_uri_prefix":"http://ads/",
      "ssai":{"master_url":"http://h/m.m3u8"},"observe":{},
      "pops":{"near":{"ssai":{"variant_url":"http://near.example/{rendition}.m3u8"}}}})";
  std::ofstream(dir.path() + "/observe.json") << observe;
  Result<std::unique_ptr<Target>> watched = MakeObserveTarget(dir.path() + "/observe.json");
  ASSERT_FALSE(watched.ok());
  EXPECT_NE(watched.status().message().find("pops: observe watches the one output"), std::string::npos)
      << watched.status().message();
}

TEST(CueTemplateTest, PlaceholdersDefaultsAndJsonEscaping) {
  EXPECT_TRUE(CheckCueTemplate(R"({"org":"{org}","d":{duration},"p":"{pod_id|house pod}","x":{}})").ok());
  Status bad = CheckCueTemplate(R"({"d":{duraton}})");
  EXPECT_NE(bad.message().find("unknown placeholder {duraton} at byte 5"), std::string::npos) << bad.ToString();
  const std::map<std::string, std::string> v = {{"org", "a\"b"}, {"duration", "30.5"}, {"pod_id", ""}};
  EXPECT_EQ(FillCueTemplate(R"({"org":"{org}","d":{duration},"p":"{pod_id|house}","c":"{channel}","x":{}})", v, true),
            R"({"org":"a\"b","d":30.5,"p":"house","c":"","x":{}})");
  EXPECT_EQ(FillCueTemplate("org={org}&d={duration}", v, false), "org=a\"b&d=30.5");
  EXPECT_EQ(FillCueTemplate("{unclosed", v, true), "{unclosed");
}

TEST(ApiChecksTest, ThirdPartyTargetsAreJudgedByClassNotWording) {
  Result<std::vector<Scenario>> s = LoadScenarios("fixtures/scenarios/conformance/api_validation.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto find = [](const std::vector<CheckResult>& r, const std::string& id) {
    for (const CheckResult& c : r) {
      if (c.id == id) return c;
    }
    return CheckResult{};
  };
  Observations obs;
  obs.http_api = true;
  obs.api_strict = false;
  obs.cue_duplicate_observed = false;
  // Refused in the target's own words with 403 and a problem+json body: both correct.
  ApiProbeRecord forbidden{"api.auth.wrong_token", "{}", "a wrong credential", true, "", 0, 403,
                           R"({"title":"Forbidden","status":403})", {401, 403}};
  ApiProbeRecord unprocessable{"api.cue.missing_field", "{}", "no duration", true, "", 0, 422,
                               R"({"message":"len is required"})", {400, 422}};
  ApiProbeRecord accepted{"api.cue.duration_range", "{}", "a zero duration", false, "", 0, 200, R"({"id":"x"})",
                          {400, 422}};
  ApiProbeRecord html{"api.cue.wrong_type", "{}", "a duration that is a string", true, "", 0, 400,
                      "<html>Bad Request</html>", {400, 422}};
  obs.api_probes = {forbidden, unprocessable, accepted, html};
  CueApiRecord repeat;
  repeat.ok = true;
  repeat.expect_duplicate = true;
  obs.cues.push_back(repeat);
  std::vector<CheckResult> r = Evaluate(obs, s->front(), Profile{});
  EXPECT_EQ(find(r, "api.auth.wrong_token").outcome, Outcome::kPass);
  EXPECT_EQ(find(r, "api.cue.missing_field").outcome, Outcome::kPass);
  EXPECT_EQ(find(r, "api.cue.duration_range").outcome, Outcome::kFail);
  EXPECT_NE(find(r, "api.cue.duration_range").evidence.at(0).message.find("accepted (HTTP 200), want a refusal (a zero duration) with HTTP 400/422"),
            std::string::npos);
  EXPECT_EQ(find(r, "api.cue.wrong_type").outcome, Outcome::kPass);
  EXPECT_EQ(find(r, "api.error.json").outcome, Outcome::kFail);  // the HTML body
  EXPECT_EQ(find(r, "api.error.json").failures, 1);
  EXPECT_EQ(find(r, "api.cue.pod_id_length").outcome, Outcome::kSkip);
  EXPECT_NE(find(r, "api.cue.pod_id_length").note.find("cue.api_checks \"strict\""), std::string::npos);
  EXPECT_EQ(find(r, "api.cue.duplicate_acknowledged").outcome, Outcome::kSkip);
  EXPECT_NE(find(r, "api.cue.duplicate_acknowledged").note.find("no cue.duplicate_pointer"), std::string::npos);
}

TEST(GroundTruthTest, AnnouncedCueStartMovesTheTruthAndIsBounded) {
  Result<std::vector<Scenario>> s = LoadScenarios("fixtures/scenarios/conformance/serve_short.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Scenario& sc = s->front();
  // Without an acknowledgement: the cue is due when sent (the seed's startTime = receipt).
  std::vector<TruthBreak> plain = GroundTruth(sc, Profile{});
  ASSERT_EQ(plain.size(), 3u);  // the API cue (its repeat is a duplicate), the stopped one, the origin break
  EXPECT_EQ(plain[0].cue_time, sc.At(5.3));
  EXPECT_EQ(plain[0].splice_point, sc.At(6));
  CueApiRecord ack;
  ack.spec_index = 0;
  ack.ok = true;
  ack.time = sc.At(5.3);
  ack.start_time = sc.At(10);
  std::vector<CueApiRecord> acks{ack};
  std::vector<TruthBreak> announced = GroundTruth(sc, Profile{}, &acks);
  EXPECT_EQ(announced[0].cue_time, sc.At(10));
  EXPECT_EQ(announced[0].splice_point, sc.At(10));
  EXPECT_EQ(announced[0].return_point, sc.At(16));
  // A real-time run shifts everything alike.
  const Scenario shifted = ShiftedTo(sc, sc.At(1000));
  EXPECT_EQ(shifted.origin.breaks[0].start_time, sc.origin.breaks[0].start_time + SecondsToMicros(1000));
  EXPECT_EQ(shifted.At(5.3), sc.At(1005.3));
}

// Issue 16: a stop ends the break playing when it takes effect (the acknowledged endTime, else
// when sent) or, with none playing, cancels the next one; a refused stop changes nothing.
TEST(GroundTruthTest, StopsEndThePlayingBreakOrCancelTheNext) {
  Result<std::vector<Scenario>> s = LoadScenarios("fixtures/scenarios/conformance/api_stop.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Scenario sc = s->front();
  ASSERT_EQ(sc.api_cues.size(), 2u);
  EXPECT_TRUE(sc.api_cues[1].stop);
  std::vector<TruthBreak> plain = GroundTruth(sc, Profile{});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].end_time, sc.At(41.1));
  EXPECT_EQ(plain[0].return_point, sc.At(42));
  EXPECT_EQ(plain[0].planned_duration_s, 60);
  EXPECT_NE(plain[0].label.find("(stopped at 41.1 s)"), std::string::npos) << plain[0].label;

  CueApiRecord start, stop;
  start.spec_index = 0;
  start.ok = true;
  start.time = sc.At(20.3);
  stop.spec_index = 1;
  stop.ok = true;
  stop.stop = true;
  stop.time = sc.At(41.1);
  stop.end_time = sc.At(44);  // the target says when the stop takes effect
  std::vector<CueApiRecord> acks{start, stop};
  EXPECT_EQ(GroundTruth(sc, Profile{}, &acks)[0].return_point, sc.At(44));
  acks[1].ok = false;  // refused: the break runs its plan
  EXPECT_EQ(GroundTruth(sc, Profile{}, &acks)[0].end_time, sc.At(80.3));
  // Sent before the break starts: it never plays.
  sc.api_cues[1].at_s = 10;
  EXPECT_TRUE(GroundTruth(sc, Profile{}).empty());
}

TEST(ScenarioTest, StopCuesTakeNoDuration) {
  const std::string base = R"({"name":"x","duration_s":60,"channels":1,"origin":{"segment_duration_s":2,"window_segments":6,
      "cue_flavour":"none","renditions":[{"name":"v","bandwidth_bps":1000000}],
      "breaks":[]},"pops":[{"name":"p"}],"viewers":[{"pop":"p"}],"api_cues":[)";
  auto err = [&](const std::string& cue) {
    Result<Scenario> r = ParseScenario(base + cue + "]}", "x.json");
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(err(R"({"at_s":5,"action":"stop"})"), "ok");
  EXPECT_EQ(err(R"({"at_s":5,"action":"stop","duration_s":3})"), "scenario.api_cues[0].duration_s: not allowed with action \"stop\"");
  EXPECT_EQ(err(R"({"at_s":5,"action":"pause"})"), "scenario.api_cues[0].action: must be \"start\" or \"stop\"");
}

TEST(ApiChecksTest, StartAnnouncedTooLateFailsAndAuthSkipsWithoutHttp) {
  Result<std::vector<Scenario>> s = LoadScenarios("fixtures/scenarios/conformance/serve_short.json");
  ASSERT_TRUE(s.ok());
  Observations obs;
  CueApiRecord late;
  late.spec_index = 0;
  late.ok = true;
  late.time = s->front().At(5.3);
  late.start_time = late.time + SecondsToMicros(30);
  obs.cues.push_back(late);
  auto find = [](const std::vector<CheckResult>& r, const std::string& id) {
    for (const CheckResult& c : r) {
      if (c.id == id) return c;
    }
    return CheckResult{};
  };
  std::vector<CheckResult> r = Evaluate(obs, s->front(), Profile{});
  EXPECT_EQ(find(r, "api.cue.start_announced").outcome, Outcome::kFail);
  EXPECT_EQ(find(r, "api.auth.missing_token").outcome, Outcome::kSkip);
  EXPECT_NE(find(r, "api.auth.missing_token").note.find("no HTTP API"), std::string::npos);
  // Over HTTP: a 401 whose body is not JSON fails api.error.json, a 400 for a 401 probe fails it.
  obs.http_api = true;
  obs.cues[0].start_time = obs.cues[0].time + SecondsToMicros(4);
  ApiProbeRecord text_body{"api.auth.missing_token", "{}", "token", true, "missing token", 401, 401, "missing token", {}};
  ApiProbeRecord wrong_status{"api.auth.wrong_token", "{}", "token", true, "bad token", 401, 400,
                              R"({"error":"bad token"})", {}};
  obs.api_probes = {text_body, wrong_status};
  r = Evaluate(obs, s->front(), Profile{});
  EXPECT_EQ(find(r, "api.cue.start_announced").outcome, Outcome::kPass);
  EXPECT_EQ(find(r, "api.auth.missing_token").outcome, Outcome::kPass);
  EXPECT_EQ(find(r, "api.error.json").outcome, Outcome::kFail);
  EXPECT_EQ(find(r, "api.auth.wrong_token").outcome, Outcome::kFail);
}

TEST(BuiltinTargetTest, OneScenarioEndToEnd) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/cue_out_two_breaks.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  BuiltinTarget target(*FindBuild("do-only"));
  RunResult r = RunOne(target, scenarios->front(), Profile{});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  for (const CheckResult& c : r.checks) {
    if (c.outcome == Outcome::kFail && c.severity == Severity::kError) {
      ADD_FAILURE() << c.id << ": " << (c.evidence.empty() ? c.note : c.evidence[0].where + ": " + c.evidence[0].message + "\n" + c.evidence[0].excerpt);
    }
  }
  auto outcome = [&](const std::string& id) {
    for (const CheckResult& c : r.checks) {
      if (c.id == id) return c.outcome;
    }
    return Outcome::kSkip;
  };
  EXPECT_EQ(outcome("splice.ad_starts_within"), Outcome::kPass);
  EXPECT_EQ(outcome("splice.ad_seconds_match_break"), Outcome::kPass);
  EXPECT_EQ(outcome("variants.media_sequence_aligned"), Outcome::kPass);
  EXPECT_EQ(outcome("ttl.key_gone_after_expiry"), Outcome::kSkip) << "do-only writes no KV";
  EXPECT_EQ(outcome("hls.version.not_higher_than_needed"), Outcome::kPass);
  const std::string junit = JunitXml({r});
  EXPECT_NE(junit.find("<testcase classname=\"builtin:do-only.cue_out_two_breaks\" name=\"splice.ad_starts_within\""),
            std::string::npos);
}

// The error-severity checks a run failed, in catalogue order.
std::vector<std::string> ErrorChecksFailed(const RunResult& r) {
  std::vector<std::string> out;
  for (const CheckResult& c : r.checks) {
    if (c.outcome == Outcome::kFail && c.severity == Severity::kError) out.push_back(c.id);
  }
  return out;
}

// Issue 18 ("one world"): the builtin target is the simulator's own run of the scenario
// (sim::RunBuild on Scenario::world), its listed players recorded: the correct builds pass, each
// defect build fails an error check; `sim:` names the same runs.
TEST(BuiltinTargetTest, IsTheSimulatorsRunOfTheScenario) {
  for (const char* file : {"fixtures/scenarios/conformance/cue_out_two_breaks.json",
                           "fixtures/scenarios/conformance/cmaf_demuxed_two_languages.json"}) {
    Result<std::vector<Scenario>> scenarios = LoadScenarios(file);
    ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
    for (const char* build : {"kv-hybrid", "kv-channel-state", "defect-ignore-end", "defect-misaligned-renditions",
                              "defect-no-discontinuity-on-return", "defect-ads-inherit-map-key"}) {
      BuiltinTarget builtin(*FindBuild(build));
      RunResult b = RunOne(builtin, scenarios->front(), Profile{});
      ASSERT_TRUE(b.status.ok()) << b.status.ToString();
      EXPECT_EQ(b.target, std::string("builtin:") + build);
      // The simulator's report of the same run: its requests are the players' fetches.
      ASSERT_FALSE(builtin.last_report().is_null());
      // Per-POP figures keyed as the real-time targets' (pop_stats.h), so builtin: and serve:
      // runs of one scenario compare.
      for (const PopSpec& pop : scenarios->front().pops) {
        const std::string& p = pop.name;
        ASSERT_GT(b.stats.count("fetches." + p), 0u) << p;
        EXPECT_GT(b.stats.at("fetches." + p), 10) << p;
        EXPECT_LE(b.stats.at("kv_hits." + p), b.stats.at("fetches." + p)) << p;
        EXPECT_LE(b.stats.at("latency_p50_us." + p), b.stats.at("latency_max_us." + p)) << p;
        if (FindBuild(build)->read_path != ReadPath::kCoordinatorOnly && b.stats.at("kv_hits." + p) > 0) {
          EXPECT_GE(b.stats.at("first_kv_hit_ms." + p), 0) << p;
        }
      }
      const std::vector<std::string> errors = ErrorChecksFailed(b);
      if (FindBuild(build)->is_defect()) {
        // defect-ads-inherit-map-key only shows on CMAF; the others on both.
        if (std::string(build) != "defect-ads-inherit-map-key" || std::string(file).find("cmaf") != std::string::npos) {
          EXPECT_FALSE(errors.empty()) << file << " " << build;
        }
      } else {
        EXPECT_TRUE(errors.empty()) << file << " " << build << ": " << (errors.empty() ? "" : errors.front());
      }
      BuiltinTarget sim(*FindBuild(build), "sim");
      RunResult s = RunOne(sim, scenarios->front(), Profile{});
      EXPECT_EQ(s.target, std::string("sim:") + build);
      EXPECT_EQ(ErrorChecksFailed(s), errors) << file << " " << build;
    }
  }
  // Its players load the multivariant playlist at join (reload 0), then their variants and the
  // audio and subtitle renditions the player rule chooses (player_choice.h) on every reload.
  Result<std::vector<Scenario>> demuxed = LoadScenarios("fixtures/scenarios/conformance/cmaf_demuxed_two_languages.json");
  ASSERT_TRUE(demuxed.ok());
  BuiltinTarget builtin(*FindBuild("kv-hybrid"));
  Result<Observations> obs = builtin.Run(demuxed->front(), Profile{});
  ASSERT_TRUE(obs.ok()) << obs.status().ToString();
  std::map<std::string, std::set<std::string>> loads;  // viewer -> what it loads after joining
  std::map<std::string, int> masters;
  for (const Fetch& f : obs->fetches) {
    if (f.reload == 0) {
      EXPECT_NE(f.url.find("master.m3u8"), std::string::npos) << f.url;
      ++masters[f.viewer];
      continue;
    }
    loads[f.viewer].insert((f.alternate.empty() ? "variant" : f.alternate) + ":" + f.rendition);
  }
  ASSERT_GE(loads.size(), 2u);
  for (const auto& [viewer, what] : loads) {
    EXPECT_EQ(masters[viewer], 1) << viewer;
    EXPECT_EQ(std::count_if(what.begin(), what.end(), [](const std::string& w) { return w.rfind("audio:", 0) == 0; }), 1)
        << viewer;
    EXPECT_EQ(std::count_if(what.begin(), what.end(), [](const std::string& w) { return w.rfind("subtitles:", 0) == 0; }), 1)
        << viewer;
    EXPECT_GE(std::count_if(what.begin(), what.end(), [](const std::string& w) { return w.rfind("variant:", 0) == 0; }), 1)
        << viewer;
  }
  // The same build lists under both names.
  Result<std::vector<std::unique_ptr<Target>>> all = MakeTargets("sim:all+defects");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), AllBuilds().size());
  EXPECT_EQ(all->front()->name(), "sim:" + AllBuilds().front().name);
  EXPECT_EQ(MakeTargets("sim:nope").status().code(), StatusCode::kNotFound);
  // Every part of a conformance scenario is played (VAST with the harness's ad server, faults, cue
  // API calls, an early CUE-IN): none is refused.
  for (const char* file : {"fixtures/scenarios/conformance/vast_wrapper_chain.json",
                           "fixtures/scenarios/conformance/decision_timeout.json",
                           "fixtures/scenarios/conformance/coordinator_restart.json",
                           "fixtures/scenarios/conformance/early_cue_in.json",
                           "fixtures/scenarios/conformance/repeated_cues.json"}) {
    Result<std::vector<Scenario>> played = LoadScenarios(file);
    ASSERT_TRUE(played.ok());
    RunResult r = RunOne(builtin, played->front(), Profile{});
    EXPECT_TRUE(r.status.ok()) << file << ": " << r.status.ToString();
  }
  // A scenario made in code has no simulator scenario to run: refused by name.
  Scenario bare = demuxed->front();
  bare.world.reset();
  Result<Observations> refused = builtin.Run(bare, Profile{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("was not read from a scenario file"), std::string::npos);
}

// Two renditions loaded together must carry one media sequence (bis §6.2.4), unless the origin's
// own playlists of that instant are apart by as much: a capture's renditions were recorded at
// their own times, and the target passes that through. Aligned output always passes.
TEST(ChecksTest, MediaSequenceAlignedAllowsTheOriginsOwnSkew) {
  auto playlist = [](int msn) {
    std::string p = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(msn) + "\n";
    for (int i = 0; i < 3; ++i) {
      p += "#EXT-X-PROGRAM-DATE-TIME:" + FormatIso8601Millis(UnixMicros{1767225600000000} + (msn + i) * 2000000) +
           "\n#EXTINF:2.000,\nseg_" + std::to_string(msn + i) + ".ts\n";
    }
    return p;
  };
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/cue_out_two_breaks.json");
  ASSERT_TRUE(scenarios.ok());
  auto judge = [&](int out_b, int origin_b) {
    Observations obs;
    for (const auto& [name, out, origin] : {std::tuple{"v720", 10, 10}, std::tuple{"v360", out_b, origin_b}}) {
      Fetch f;
      f.pop = "near";
      f.viewer = "near/v0";
      f.rendition = name;
      f.url = std::string("/x/") + name + ".m3u8";
      f.request_time = scenarios->front().At(30);
      f.response_time = f.request_time + 1000;
      f.http_status = 200;
      f.reload = 1;
      f.body = playlist(out);
      f.origin_body = playlist(origin);
      obs.fetches.push_back(std::move(f));
    }
    for (const CheckResult& c : Evaluate(obs, scenarios->front(), Profile{})) {
      if (c.id == "variants.media_sequence_aligned") return c.outcome;
    }
    return Outcome::kSkip;
  };
  EXPECT_EQ(judge(10, 10), Outcome::kPass);
  EXPECT_EQ(judge(11, 10), Outcome::kFail);  // the target's skew
  EXPECT_EQ(judge(11, 11), Outcome::kPass);  // the origin's, passed through
  EXPECT_EQ(judge(10, 11), Outcome::kPass);  // aligned whatever the origin's snapshots say
  EXPECT_EQ(judge(12, 11), Outcome::kFail);  // two apart where the origin is one
}

// Issue 14: CMAF + SAMPLE-AES with a pod of creatives. The correct build passes the four MAP/KEY
// checks (evaluated, not skipped); the defect build that lets ads inherit the content's MAP and
// KEY fails each of them, with the tag in force as evidence.
TEST(BuiltinTargetTest, CmafEncryptedMapAndKeyChecks) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/encrypted_cmaf_pod.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  const std::vector<std::string> ids = {"hls.map.ad_has_own_init", "hls.map.content_init_restored",
                                        "hls.key.ad_key_declared", "hls.key.content_key_restored"};
  auto check = [](const RunResult& r, const std::string& id) {
    for (const CheckResult& c : r.checks) {
      if (c.id == id) return c;
    }
    return CheckResult{};
  };
  BuiltinTarget good(*FindBuild("kv-channel-state"));
  const RunResult ok = RunOne(good, scenarios->front(), Profile{});
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  for (const CheckResult& c : ok.checks) {
    if (c.outcome == Outcome::kFail && c.severity == Severity::kError) {
      ADD_FAILURE() << c.id << ": " << (c.evidence.empty() ? c.note : c.evidence[0].message + "\n" + c.evidence[0].excerpt);
    }
  }
  for (const std::string& id : ids) {
    EXPECT_EQ(check(ok, id).outcome, Outcome::kPass) << id;
    EXPECT_GT(check(ok, id).evaluated, 10) << id;
  }
  BuiltinTarget bad(*FindBuild("defect-ads-inherit-map-key"));
  const RunResult defect = RunOne(bad, scenarios->front(), Profile{});
  ASSERT_TRUE(defect.status.ok()) << defect.status.ToString();
  for (const std::string& id : ids) {
    const CheckResult c = check(defect, id);
    ASSERT_EQ(c.outcome, Outcome::kFail) << id;
    ASSERT_FALSE(c.evidence.empty());
    EXPECT_NE(c.evidence[0].message.find(id.find(".map.") != std::string::npos ? "MAP" : "KEY"), std::string::npos)
        << c.evidence[0].message;
  }
  // A TS scenario in the clear exercises none of them: skipped with the reason.
  Result<std::vector<Scenario>> ts = LoadScenarios("fixtures/scenarios/conformance/cue_out_two_breaks.json");
  ASSERT_TRUE(ts.ok());
  const RunResult plain = RunOne(good, ts->front(), Profile{});
  for (const std::string& id : ids) EXPECT_EQ(check(plain, id).outcome, Outcome::kSkip) << id;
}

// Issues 14/16: builtin viewers choose their demuxed renditions from the multivariant playlist by
// the shared rule (player_choice.h): viewer 0 the DEFAULT audio, the next viewers the other
// languages in turn, each with the subtitle rendition, reloaded with the variants.
TEST(BuiltinTargetTest, ViewersChooseDemuxedRenditionsByThePlayerRule) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/cmaf_demuxed_one_language_ad.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  BuiltinTarget target(*FindBuild("kv-channel-state"));
  Result<Observations> obs = target.Run(scenarios->front(), Profile{});
  ASSERT_TRUE(obs.ok()) << obs.status().ToString();
  std::map<std::string, std::set<std::string>> loaded;  // viewer -> alternates
  std::map<std::pair<std::string, int64_t>, int> per_reload;
  for (const Fetch& f : obs->fetches) {
    if (f.alternate.empty()) continue;
    loaded[f.viewer].insert(f.alternate + ":" + f.rendition);
    ++per_reload[{f.viewer, f.reload}];
  }
  EXPECT_EQ(loaded["near/v0"], (std::set<std::string>{"audio:aud_en", "subtitles:sub_en"}));
  EXPECT_EQ(loaded["near/v1"], (std::set<std::string>{"audio:aud_fr", "subtitles:sub_fr"}));
  EXPECT_EQ(loaded["far/v2"], (std::set<std::string>{"audio:aud_es", "subtitles:sub_en"}));
  EXPECT_EQ(loaded["far/v3"], (std::set<std::string>{"audio:aud_en", "subtitles:sub_fr"}));
  for (const auto& [key, n] : per_reload) EXPECT_EQ(n, 2) << key.first << " reload " << key.second;
  for (const CheckResult& c : Evaluate(*obs, scenarios->front(), Profile{})) {
    if (c.id == "variants.audio_aligned" || c.id == "variants.subtitles_aligned") {
      EXPECT_EQ(c.outcome, Outcome::kPass) << c.id;
      EXPECT_GT(c.evaluated, 50) << c.id;
    }
  }
}

// Issue 15: beacons are matched per break. Two breaks serve the same creatives through 2 wrappers;
// the correct build fires each break's impressions (InLine + both wrappers') and quartiles once per
// session. Drop the second break's beacons and beacon.impression_once_per_delivery fails for that
// break (per ad only, the first break's impression used to stand in for it); fire the first
// break's again inside the second and it fails as a double count. Over HTTP wrapper impressions
// name no creative (ad ""): they are attributed to the creative impression they fired with.
TEST(BuiltinTargetTest, BeaconsAreMatchedPerBreak) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/vast_two_breaks_same_pod.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  const Scenario& sc = scenarios->front();
  BuiltinTarget target(*FindBuild("kv-channel-state"));
  Result<Observations> obs = target.Run(sc, Profile{});
  ASSERT_TRUE(obs.ok()) << obs.status().ToString();
  auto check = [](const std::vector<CheckResult>& r, const std::string& id) {
    for (const CheckResult& c : r) {
      if (c.id == id) return c;
    }
    return CheckResult{};
  };
  auto expect_pass = [&](const Observations& o, const std::string& what) {
    const std::vector<CheckResult> r = Evaluate(o, sc, Profile{});
    for (const char* id : {"beacon.impression_once_per_delivery", "beacon.quartiles_in_order", "beacon.none_for_unserved_ad"}) {
      const CheckResult c = check(r, id);
      EXPECT_EQ(c.outcome, Outcome::kPass) << what << " " << id << ": "
                                           << (c.evidence.empty() ? c.note : c.evidence[0].where + ": " + c.evidence[0].message);
    }
  };
  expect_pass(*obs, "correct build");
  const UnixMicros second = sc.origin.start_time + 90 * kMicrosPerSecond;  // between the breaks (30 s, 100 s)
  int first_impressions = 0, second_impressions = 0;
  for (const BeaconRecord& b : obs->beacons) {
    if (b.event == "impression") ++(b.time < second ? first_impressions : second_impressions);
  }
  // 2 sessions x 2 creatives x (InLine + 2 wrappers) in each break.
  EXPECT_EQ(first_impressions, 12);
  EXPECT_EQ(second_impressions, 12);

  Observations missing = *obs;
  std::erase_if(missing.beacons, [&](const BeaconRecord& b) { return b.time >= second; });
  CheckResult c = check(Evaluate(missing, sc, Profile{}), "beacon.impression_once_per_delivery");
  ASSERT_EQ(c.outcome, Outcome::kFail) << "the second break's beacons are missing";
  ASSERT_FALSE(c.evidence.empty());
  EXPECT_NE(c.evidence[0].where.find("event 8202"), std::string::npos) << c.evidence[0].where;
  EXPECT_NE(c.evidence[0].message.find("no impression fired"), std::string::npos) << c.evidence[0].message;

  Observations twice = *obs;
  std::vector<BeaconRecord> again;
  for (const BeaconRecord& b : obs->beacons) {
    if (b.time >= second) again.push_back(b);
  }
  for (BeaconRecord b : again) {
    b.time += kMicrosPerSecond / 2;
    twice.beacons.push_back(std::move(b));
  }
  c = check(Evaluate(twice, sc, Profile{}), "beacon.impression_once_per_delivery");
  ASSERT_EQ(c.outcome, Outcome::kFail) << "the second break's impressions fired twice";
  EXPECT_NE(c.evidence[0].message.find("fired again"), std::string::npos) << c.evidence[0].message;

  // Over HTTP the ad server's log names a wrapper's impression by its tag (ad=w1): no creative.
  Observations http = *obs;
  int wrapper = 0;
  for (BeaconRecord& b : http.beacons) {
    b.event_id.clear();
    if (b.event == "impression" && b.url.find("ad=w") != std::string::npos) {
      b.ad_id.clear();
      ++wrapper;
    }
  }
  EXPECT_EQ(wrapper, 16);
  expect_pass(http, "wrapper impressions attributed by time");
  // One wrapper impression that did not fire: that creative's impression is incomplete.
  Observations lost = http;
  for (auto it = lost.beacons.begin(); it != lost.beacons.end(); ++it) {
    if (it->ad_id.empty() && it->time >= second) {
      lost.beacons.erase(it);
      break;
    }
  }
  c = check(Evaluate(lost, sc, Profile{}), "beacon.impression_once_per_delivery");
  ASSERT_EQ(c.outcome, Outcome::kFail) << "a wrapper's impression is missing";
  EXPECT_NE(c.evidence[0].message.find("distinct impression URLs"), std::string::npos) << c.evidence[0].message;
}

// Expected failures (expectations.h): a defect build's error failures, a known finding's listed
// checks; an uncaught defect build and an unlisted failure are real.
TEST(BuiltinTargetTest, EveryFailingBreakIsCountedBeyondTheEvidenceCap) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/cue_out_two_breaks.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  BuiltinTarget target(*FindBuild("defect-ignore-end"));  // ads outlive both breaks
  Profile profile;
  profile.max_evidence_per_check = 1;
  RunResult r = RunOne(target, scenarios->front(), profile);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const CheckResult* ttl = nullptr;
  for (const CheckResult& c : r.checks) {
    if (c.id == "ttl.no_ad_after_end") ttl = &c;
  }
  ASSERT_NE(ttl, nullptr);
  ASSERT_EQ(ttl->outcome, Outcome::kFail);
  EXPECT_EQ(ttl->evidence.size(), 1u);
  ASSERT_EQ(ttl->failures_by_break.size(), 2u) << "both breaks, though only one evidence item is kept";
  int64_t counted = 0;
  for (const auto& [label, n] : ttl->failures_by_break) {
    EXPECT_EQ(label.rfind("origin event ", 0), 0u) << label;
    counted += n;
  }
  EXPECT_EQ(counted, ttl->failures);
  EXPECT_NE(ReportJson({r}, profile).dump().find("\"failures_by_break\""), std::string::npos);
}

// A run of the whole catalogue on `target` in which exactly `failing` fail (each check evaluated
// once, 0.5 ms), for the expectations' tests.
RunResult RunFailing(std::string target, bool defect, std::string scenario, const std::vector<std::string>& failing) {
  RunResult r;
  r.target = std::move(target);
  r.defect = defect;
  r.scenario = std::move(scenario);
  for (const CheckInfo& info : Catalogue()) {
    CheckResult c;
    c.id = info.id;
    c.severity = info.severity;
    c.evaluated = 1;
    c.time_ms = 0.5;
    const bool fails = std::find(failing.begin(), failing.end(), info.id) != failing.end();
    c.outcome = fails ? Outcome::kFail : Outcome::kPass;
    c.failures = fails;
    r.checks.push_back(std::move(c));
  }
  return r;
}

// Known findings are expected on the targets they were measured on: kv-hybrid's R4/R4b on
// serve: too (serve:kv-hybrid failed exactly the builtin target's checks on early_cue_in,
// serve_short and api_stop, and was reported as unexpected), kv-stateless's R5 on the
// virtual-time targets only (builtin:, sim:; not measured on serve:), nothing on http.
TEST(ExpectationsTest, KnownFindingsOnTheTargetsTheyWereMeasuredOn) {
  auto run = [](std::string target, std::string scenario, std::vector<std::string> failing) {
    RunResult r = RunFailing(std::move(target), false, std::move(scenario), failing);
    MarkExpected(&r);
    return r;
  };
  const std::vector<std::string> r4 = {"splice.ad_seconds_match_break", "splice.content_resumes_at_pdt",
                                       "ttl.no_ad_after_stop"};
  const std::vector<std::string> r4b = {"splice.ad_seconds_match_break", "splice.content_resumes_at_pdt",
                                        "splice.discontinuity_at_ad_start", "ttl.no_ad_after_end",
                                        "ttl.no_ad_after_stop"};
  for (const char* target : {"builtin:kv-hybrid", "sim:kv-hybrid", "serve:kv-hybrid"}) {
    SCOPED_TRACE(target);
    RunResult r = run(target, "early_cue_in", r4);
    EXPECT_EQ(r.ExpectedFailures(), 3);
    EXPECT_EQ(r.UnexpectedErrorFailures(), 0);
    r = run(target, "serve_short", r4b);
    EXPECT_EQ(r.ExpectedFailures(), 5);
    EXPECT_EQ(r.UnexpectedErrorFailures(), 0);
    // A check the finding does not list is still real.
    std::vector<std::string> more = r4;
    more.push_back("splice.ad_starts_within");
    EXPECT_EQ(run(target, "early_cue_in", more).UnexpectedErrorFailures(), 1);
  }
  EXPECT_EQ(run("http:ssai-serve", "early_cue_in", r4).UnexpectedErrorFailures(), 3);
  const std::vector<std::string> r5 = {"hls.discontinuity_sequence.on_removal", "hls.media_sequence.stable_mapping",
                                       "splice.ad_starts_within", "splice.no_content_in_break"};
  EXPECT_EQ(run("builtin:kv-stateless", "cue_out_two_breaks", r5).UnexpectedErrorFailures(), 0);
  EXPECT_EQ(run("sim:kv-stateless", "cue_out_two_breaks", r5).UnexpectedErrorFailures(), 0);
  EXPECT_EQ(run("serve:kv-stateless", "cue_out_two_breaks", r5).UnexpectedErrorFailures(), 4);
  KnownFinding k;
  EXPECT_TRUE(k.MeasuredOn("sim:kv-stateless"));  // the default: the virtual-time targets
  EXPECT_FALSE(k.MeasuredOn("serve:kv-stateless"));
  k.targets = "builtin sim serve";
  EXPECT_TRUE(k.MeasuredOn("serve:kv-hybrid"));
  EXPECT_TRUE(k.MeasuredOn("builtin:kv-hybrid"));
  EXPECT_FALSE(k.MeasuredOn("http:ssai-serve"));
  EXPECT_FALSE(k.MeasuredOn("serv:kv-hybrid"));
}

TEST(ExpectationsTest, ExpectedFailuresAndUncaughtDefects) {
  const auto run = RunFailing;
  std::vector<RunResult> runs = {
      run("builtin:defect-ignore-end", true, "early_cue_in", {"ttl.no_ad_after_stop"}),
      run("builtin:defect-drop-cue-in", true, "cue_out_two_breaks", {}),
      run("builtin:kv-hybrid", false, "early_cue_in",
          {"splice.ad_seconds_match_break", "splice.content_resumes_at_pdt", "ttl.no_ad_after_stop", "splice.ad_starts_within"}),
  };
  for (RunResult& r : runs) MarkExpected(&r);
  EXPECT_EQ(runs[0].ExpectedFailures(), 1);
  EXPECT_EQ(runs[0].UnexpectedErrorFailures(), 0);
  EXPECT_EQ(runs[2].ExpectedFailures(), 3);
  EXPECT_EQ(runs[2].UnexpectedErrorFailures(), 1) << "splice.ad_starts_within is not a known finding";
  const std::vector<DefectVerdict> v = DefectVerdicts(runs);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].caught());
  EXPECT_FALSE(v[1].caught());
  EXPECT_EQ(UnexpectedFailures(runs), 2);
  const std::string junit = JunitXml(runs);
  EXPECT_NE(junit.find("<skipped type=\"xfail\" message=\"expected failure: defect build defect-ignore-end ("),
            std::string::npos);
  EXPECT_NE(junit.find("is meant to fail ttl.no_ad_after_stop\""), std::string::npos);
  EXPECT_NE(junit.find("name=\"ttl.no_ad_after_stop\" time=\"0.000500\""), std::string::npos);
  EXPECT_NE(junit.find("<failure type=\"not_caught\" message=\"defect build builtin:defect-drop-cue-in was not caught"),
            std::string::npos);
  EXPECT_NE(junit.find("<testsuites name=\"ssai conform\" tests=\""), std::string::npos);
  EXPECT_NE(junit.find("failures=\"2\""), std::string::npos);  // ad_starts_within + the uncaught defect
  const nlohmann::json j = ReportJson(runs, Profile{});
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["unexpected_failures"], 2);
  const std::string html = ReportHtml(runs, Profile{});
  EXPECT_NE(html.find("<b>FAIL</b>: 2 unexpected failures"), std::string::npos);
  // Issue 19: a matrix cell links to its run's evidence, and what fails the run comes first: the
  // run with an unexpected error before the defect build's expected failure, and inside it the
  // unexpected error (open) before the known findings.
  EXPECT_NE(html.find("<a href=\"#run-2\">1 err</a>"), std::string::npos) << html;
  const size_t run2 = html.find("<h3 id=\"run-2\">"), run0 = html.find("<h3 id=\"run-0\">");
  ASSERT_NE(run2, std::string::npos);
  ASSERT_NE(run0, std::string::npos);
  EXPECT_LT(run2, run0);
  const size_t unexpected_at = html.find("<details open><summary class=\"fail\">builtin:kv-hybrid | early_cue_in | splice.ad_starts_within");
  ASSERT_NE(unexpected_at, std::string::npos) << html;
  EXPECT_LT(unexpected_at, html.find("early_cue_in | ttl.no_ad_after_stop", run2));

  RunResult filtered = runs[2];
  FilterChecks({"ttl.", "latency.p95"}, &filtered);
  ASSERT_FALSE(filtered.checks.empty());
  for (const CheckResult& c : filtered.checks) {
    EXPECT_TRUE(c.id.rfind("ttl.", 0) == 0 || c.id == "latency.p95.max") << c.id;
  }
}

// Issue 16: what SGAI viewers read behind an interstitial (sgai_assets.h), and the check.
TEST(SgaiAssetsTest, InterstitialsListsAndAssetPlaylists) {
  const std::string media =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n"
      "#EXT-X-DATERANGE:ID=\"b1\",CLASS=\"com.apple.hls.interstitial\",START-DATE=\"2026-01-01T00:00:00.000Z\","
      "DURATION=10,X-ASSET-LIST=\"al-31.json\"\n"
      "#EXT-X-DATERANGE:ID=\"b2\",CLASS=\"com.apple.hls.interstitial\",START-DATE=\"2026-01-01T00:00:01.000Z\","
      "X-ASSET-URI=\"https://ads.example/c/1500k.m3u8\"\n"
      "#EXT-X-DATERANGE:ID=\"other\",START-DATE=\"2026-01-01T00:00:00.000Z\",X-ASSET-URI=\"x.m3u8\"\n"
      "#EXTINF:2.0,\nseg_1.ts\n";
  const std::vector<InterstitialAssetRef> refs = InterstitialAssetsOf(media, "http://h/demo/ch/v720.m3u8?mode=sgai");
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].asset_list, "http://h/demo/ch/al-31.json");
  EXPECT_EQ(refs[1].asset_uri, "https://ads.example/c/1500k.m3u8");

  Result<std::vector<std::string>> uris =
      ParseAssetList(R"({"ASSETS":[{"URI":"am-31-0.m3u8","DURATION":8},{"URI":"http://a/x.m3u8"}]})", "http://h/d/al-31.json");
  ASSERT_TRUE(uris.ok()) << uris.status().ToString();
  EXPECT_EQ(*uris, (std::vector<std::string>{"http://h/d/am-31-0.m3u8", "http://a/x.m3u8"}));
  EXPECT_NE(ParseAssetList("nope", "http://h/").status().message().find("not JSON"), std::string::npos);
  EXPECT_NE(ParseAssetList(R"({"assets":[]})", "http://h/").status().message().find("no ASSETS"), std::string::npos);
  EXPECT_NE(ParseAssetList(R"({"ASSETS":[{"URI":1}]})", "http://h/").status().message().find("ASSETS[0].URI"),
            std::string::npos);
  EXPECT_FALSE(ParseAssetList(std::string(100, '[') + std::string(100, ']'), "http://h/").ok());
  std::string many = R"({"ASSETS":[)";
  for (size_t i = 0; i <= kMaxAssetsPerList; ++i) many += std::string(i ? "," : "") + R"({"URI":"a.m3u8"})";
  EXPECT_NE(ParseAssetList(many + "]}", "http://h/").status().message().find("more than"), std::string::npos);

  SgaiAssetRecord master;
  ReadAssetPlaylist(200, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlo.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2500000\nhi.m3u8\n",
                    &master);
  EXPECT_TRUE(master.multivariant);
  EXPECT_EQ(master.variants, 2);
  EXPECT_EQ(master.min_variant_bps, 800000);
  SgaiAssetRecord declared;
  ReadAssetPlaylist(200, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-BITRATE:1500\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n", &declared);
  EXPECT_FALSE(declared.multivariant);
  EXPECT_EQ(declared.declared_bitrate_bps, 1'500'000);
  SgaiAssetRecord missing;
  ReadAssetPlaylist(404, "", &missing);
  EXPECT_EQ(missing.error, "asset: HTTP 404");
  SgaiAssetRecord junk;
  ReadAssetPlaylist(200, "<html>", &junk);
  EXPECT_NE(junk.error.find("not a playlist"), std::string::npos);

  // The viewer fetches each interstitial once, the list and then every asset in it.
  Fetch f;
  f.viewer = "pop1/v0";
  f.rendition = "v360";
  f.bandwidth_bps = 800'000;
  f.http_status = 200;
  f.url = "http://h/demo/ch/v360.m3u8";
  f.body = media;
  std::vector<std::string> asked;
  AssetFetcher fetch = [&](const std::string& url, std::function<void(int, std::string)> done) {
    asked.push_back(url);
    if (url.ends_with(".json")) return done(200, R"({"ASSETS":[{"URI":"http://ads/a1/2500000.m3u8"}]})");
    done(200, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n");
  };
  std::set<std::string> seen;
  std::vector<SgaiAssetRecord> records;
  auto record = [&](SgaiAssetRecord r) { records.push_back(std::move(r)); };
  FetchSgaiAssets(f, &seen, fetch, record);
  FetchSgaiAssets(f, &seen, fetch, record);  // a reload: nothing new
  EXPECT_EQ(asked, (std::vector<std::string>{"http://h/demo/ch/al-31.json", "http://ads/a1/2500000.m3u8",
                                             "https://ads.example/c/1500k.m3u8"}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].bandwidth_bps, 800'000);
  EXPECT_EQ(records[0].list_url, "http://h/demo/ch/al-31.json");

  // The check: the harness's ad server's 2.5 Mb/s media playlist for a 800 kb/s viewer fails; a
  // multivariant asset passes; a media playlist of unknown bitrate is not judged (noted).
  Observations obs;
  obs.ad_uri_prefix = "http://ads/";
  obs.sgai_assets = records;
  obs.sgai_assets[1].declared_bitrate_bps = 0;  // ads.example: unknown
  SgaiAssetRecord chosen = records[0];
  chosen.asset_url = "http://h/demo/ch/am-31-0.m3u8";
  chosen.multivariant = true;
  chosen.variants = 2;
  obs.sgai_assets.push_back(chosen);
  Scenario scenario;
  auto result = [&](const Observations& o) {
    for (const CheckResult& c : Evaluate(o, scenario, Profile{})) {
      if (c.id == "splice.sgai_asset_matches_rendition") return c;
    }
    return CheckResult{};
  };
  CheckResult c = result(obs);
  EXPECT_EQ(c.outcome, Outcome::kFail);
  EXPECT_EQ(c.evaluated, 2);
  ASSERT_EQ(c.evidence.size(), 1u);
  EXPECT_NE(c.evidence[0].message.find("2500000 bps media playlist, above the viewer's 800000 bps variant"),
            std::string::npos)
      << c.evidence[0].message;
  EXPECT_NE(c.note.find("1 asset(s) are media playlists of unknown bitrate"), std::string::npos) << c.note;
  // The target's own ad server: the harness's URI naming says nothing.
  obs.decisions_known = false;
  c = result(obs);
  EXPECT_EQ(c.outcome, Outcome::kPass);
  obs.sgai_assets = {records[1]};
  obs.sgai_assets[0].declared_bitrate_bps = 0;
  EXPECT_EQ(result(obs).outcome, Outcome::kSkip);
}

// Issue 16: the builtin SGAI viewers fetch the asset lists; our server's per-creative multivariant
// playlists pass for every variant, the defect build naming the top variant fails below it.
TEST(BuiltinTargetTest, SgaiAssetsMatchTheViewersVariant) {
  Result<std::vector<Scenario>> scenarios = LoadScenarios("fixtures/scenarios/conformance/sgai_interstitials.json");
  ASSERT_TRUE(scenarios.ok()) << scenarios.status().ToString();
  auto check = [](const RunResult& r) {
    for (const CheckResult& c : r.checks) {
      if (c.id == "splice.sgai_asset_matches_rendition") return c;
    }
    return CheckResult{};
  };
  BuiltinTarget good(*FindBuild("kv-channel-state"));
  const RunResult ok = RunOne(good, scenarios->front(), Profile{});
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  EXPECT_EQ(check(ok).outcome, Outcome::kPass) << (check(ok).evidence.empty() ? check(ok).note : check(ok).evidence[0].message);
  EXPECT_GT(check(ok).evaluated, 2);
  BuiltinTarget bad(*FindBuild("defect-sgai-top-variant"));
  const RunResult defect = RunOne(bad, scenarios->front(), Profile{});
  ASSERT_TRUE(defect.status.ok()) << defect.status.ToString();
  const CheckResult c = check(defect);
  ASSERT_EQ(c.outcome, Outcome::kFail);
  ASSERT_FALSE(c.evidence.empty());
  EXPECT_NE(c.evidence[0].message.find("bps media playlist, above the viewer's"), std::string::npos) << c.evidence[0].message;
}

}  // namespace
}  // namespace ssai::conformance

namespace ssai::conformance {
namespace {

// `serve:` deploys one edge per POP with the POP's settings (issue 18: it used to run one server
// for every POP and drop per-POP RTT, propagation, latency and cache settings).
TEST(ServeTargetTest, DeploysEachPopWithItsOwnSettings) {
  Result<std::vector<Scenario>> all = LoadScenarios("fixtures/scenarios/conformance/many_pops_renditions.json");
  ASSERT_TRUE(all.ok() && all->size() == 1) << all.status().ToString();
  const Scenario& s = all->front();
  const std::vector<ServePopEdge> edges = ServePopEdges(s);
  ASSERT_EQ(edges.size(), s.pops.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    const PopSpec& p = s.pops[i];
    SCOPED_TRACE(p.name);
    EXPECT_EQ(edges[i].pop, p.name);
    EXPECT_EQ(edges[i].coordinator_latency_ms, std::llround(p.coordinator_rtt_ms));
    // The edge outwaits the coordinator's decision timeout plus its round trip.
    EXPECT_GT(edges[i].coordinator_timeout_ms, server::ServerConfig{}.decision_timeout_ms + edges[i].coordinator_latency_ms);
    EXPECT_EQ(edges[i].kv_propagation_us, SecondsToMicros(p.kv_propagation_s));
    EXPECT_EQ(edges[i].kv_latency_us, SecondsToMicros(p.kv_latency_ms / 1000));
    // kv_cache: the builds' cacheTtl (KvStore::GetOptions, 60 s) on the edge; off: no cache.
    EXPECT_EQ(edges[i].kv_cache_ttl_s, p.kv_cache ? KvStore::GetOptions{}.cache_ttl_s : 0);
  }
  // A round trip the server cannot inject is refused by name before anything starts.
  Scenario far = s;
  far.pops[1].coordinator_rtt_ms = 70'000;
  Result<std::unique_ptr<Target>> target = MakeServeTarget("kv-hybrid");
  ASSERT_TRUE(target.ok());
  Result<Observations> refused = (*target)->Run(far, Profile{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("pops[1].coordinator_rtt_ms 70000"), std::string::npos)
      << refused.status().message();
  // The fixture has both kinds of POP, so both branches above are exercised.
  EXPECT_TRUE(std::any_of(s.pops.begin(), s.pops.end(), [](const PopSpec& p) { return p.kv_cache; }));
  EXPECT_TRUE(std::any_of(s.pops.begin(), s.pops.end(), [](const PopSpec& p) { return !p.kv_cache; }));
}

}  // namespace
}  // namespace ssai::conformance
