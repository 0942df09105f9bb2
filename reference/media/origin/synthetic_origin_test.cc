#include "reference/media/origin/synthetic_origin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::origin {
namespace {

UnixMicros T0() { return ParseIso8601("2026-01-15T12:00:00Z").value(); }
UnixMicros At(double seconds) { return T0() + SecondsToMicros(seconds); }

SyntheticStreamSpec TwoSecondSpec(CueFlavour flavour) {
  SyntheticStreamSpec spec;
  spec.segment_duration_s = 2;
  spec.window_segments = 4;
  spec.start_time = T0();
  spec.renditions = {{"v1", 800000, "640x360", "avc1.4d401e,mp4a.40.2"},
                     {"v2", 2500000, "1280x720", "avc1.64001f,mp4a.40.2"}};
  spec.cue_flavour = flavour;
  // Cue mid-segment: the OUT marker lands on MSN 3 (starts at 6 s), the IN on MSN 6 (12 s); a
  // DATERANGE OUT with MSN 2, the segment its START-DATE (5 s) falls in.
  spec.breaks = {{At(5), 6, 1001}};
  return spec;
}

std::vector<std::string> ErrorFindings(const std::vector<hls::Finding>& findings) {
  std::vector<std::string> out;
  for (const hls::Finding& f : findings) {
    if (f.severity == hls::Severity::kError) out.push_back(hls::FormatFinding(f));
  }
  return out;
}

TEST(SyntheticOriginTest, CueOutPlaylistExact) {
  const SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kCueOut);
  ASSERT_TRUE(ValidateSpec(spec).ok());
  const std::string b64 = Base64Encode(BreakOutSection(spec, spec.breaks[0]));
  const std::string expected =
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:3\n"
      "#EXT-X-CUE-OUT:DURATION=6\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z\n"
      "#EXTINF:2.000,\n"
      "seg_v1_3.ts\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=2.000,Duration=6,SCTE35=" + b64 + "\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z\n"
      "#EXTINF:2.000,\n"
      "seg_v1_4.ts\n"
      "#EXT-X-CUE-OUT-CONT:ElapsedTime=4.000,Duration=6,SCTE35=" + b64 + "\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z\n"
      "#EXTINF:2.000,\n"
      "seg_v1_5.ts\n"
      "#EXT-X-CUE-IN\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z\n"
      "#EXTINF:2.000,\n"
      "seg_v1_6.ts\n";
  // Segment 6 ends at 14 s: at 14.0 it is published, at 13.999 not yet.
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(14)), expected);
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(14)), expected);  // deterministic
  EXPECT_NE(MediaPlaylistAt(spec, spec.renditions[0], At(13.999)), expected);
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(15.999)), expected);
}

TEST(SyntheticOriginTest, BeforeFirstSegmentEndsPlaylistIsEmpty) {
  const SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kNone);
  const std::string expected =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n";
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(-100)), expected);
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(1.999)), expected);
  Result<hls::MediaPlaylist> p =
      hls::ParseMedia(MediaPlaylistAt(spec, spec.renditions[0], At(2)));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->segments().size(), 1u);
  EXPECT_EQ(p->segments()[0].uri(), "seg_v1_0.ts");
}

TEST(SyntheticOriginTest, WindowSlidesWithMsnAndPdtConsistent) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kNone);
  spec.segment_duration_s = 2.002;
  spec.window_segments = 6;
  const DurationMicros d = SegmentDurationMicros(spec);
  EXPECT_EQ(d, 2'002'000);
  EXPECT_EQ(TargetDurationSeconds(spec), 2);
  int64_t prev_first = -1;
  for (int step = 0; step < 200; ++step) {
    const UnixMicros now = T0() + step * 700'000;  // reloads not aligned to segments
    Result<hls::MediaPlaylist> p = hls::ParseMedia(MediaPlaylistAt(spec, spec.renditions[1], now));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    const auto& segs = p->segments();
    const int64_t last = LiveEdgeMsn(spec, now);
    ASSERT_EQ(segs.size(), static_cast<size_t>(std::clamp<int64_t>(last + 1, 0, 6)));
    EXPECT_GE(p->media_sequence(), prev_first);
    prev_first = p->media_sequence();
    for (size_t i = 0; i < segs.size(); ++i) {
      const int64_t msn = p->SequenceNumberOf(i);
      EXPECT_EQ(segs[i].uri(), "seg_v2_" + std::to_string(msn) + ".ts");
      EXPECT_EQ(segs[i].program_date_time(), T0() + msn * d);
      EXPECT_DOUBLE_EQ(segs[i].duration_s(), 2.002);
      EXPECT_LE(T0() + (msn + 1) * d, now);  // published only once it has ended
    }
    if (!segs.empty()) {
      EXPECT_GT(T0() + (last + 2) * d, now);  // and it is the live edge
    }
    EXPECT_TRUE(ErrorFindings(hls::LintMedia(*p)).empty());
  }
}

TEST(SyntheticOriginTest, PdtOnFirstSegmentOnly) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kCueOut);
  spec.pdt_on_every_segment = false;
  Result<hls::MediaPlaylist> p = hls::ParseMedia(MediaPlaylistAt(spec, spec.renditions[0], At(20)));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->segments().size(), 4u);
  EXPECT_TRUE(p->segments()[0].program_date_time().has_value());
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_FALSE(p->segments()[i].program_date_time().has_value());
    EXPECT_EQ(p->SegmentStartTime(i), T0() + (p->SequenceNumberOf(i)) * 2'000'000);
  }
}

struct FlavourCase {
  CueFlavour flavour;
  hls::TagType out_tag;  // a tag that marks the OUT segment
  hls::TagType in_tag;   // a tag that marks the IN segment
};

class FlavourTest : public ::testing::TestWithParam<FlavourCase> {};

// The payload of a marker tag, decoded.
std::optional<scte35::SpliceInsert> PayloadOf(const hls::Tag& tag) {
  std::string text;
  std::string_view v = tag.value;
  if (tag.type == hls::TagType::kOatclsScte35 || tag.type == hls::TagType::kSplicepointScte35) {
    text = std::string(v);
  } else if (tag.type == hls::TagType::kCueOutCont || tag.type == hls::TagType::kScte35) {
    const size_t at = v.find(tag.type == hls::TagType::kScte35 ? "CUE=\"" : "SCTE35=");
    if (at == std::string_view::npos) return std::nullopt;
    text = std::string(v.substr(at + (tag.type == hls::TagType::kScte35 ? 5 : 7)));
    if (size_t q = text.find('"'); q != std::string::npos) text.resize(q);
  } else if (tag.type == hls::TagType::kDateRange) {
    Result<hls::AttributeList> attrs = hls::AttributeList::Parse(tag.value);
    if (!attrs.ok()) return std::nullopt;
    auto hex = attrs->GetHex("SCTE35-OUT");
    if (!hex) hex = attrs->GetHex("SCTE35-IN");
    if (!hex) return std::nullopt;
    text = std::string(*hex);
  } else {
    return std::nullopt;
  }
  Result<scte35::SpliceInfoSection> s = scte35::DecodeText(text);
  if (!s.ok()) return std::nullopt;
  const auto* insert = std::get_if<scte35::SpliceInsert>(&s->command);
  if (insert == nullptr) return std::nullopt;
  return *insert;
}

TEST_P(FlavourTest, MarkersParseBackAndLintClean) {
  const FlavourCase& c = GetParam();
  SyntheticStreamSpec spec = TwoSecondSpec(c.flavour);
  spec.breaks = {{At(5), 6, 1001}, {At(30), 10, 1002}};  // second break on a boundary
  ASSERT_TRUE(ValidateSpec(spec).ok());
  for (const Rendition& r : spec.renditions) {
    hls::ReloadLinter reload;
    bool saw_out = false, saw_in = false;
    for (int step = 0; step < 40; ++step) {
      const UnixMicros now = At(step * 1.0);
      const std::string text = MediaPlaylistAt(spec, r, now);
      Result<hls::MediaPlaylist> p = hls::ParseMedia(text);
      ASSERT_TRUE(p.ok()) << p.status().ToString() << "\n" << text;
      std::vector<hls::Finding> findings = hls::LintMedia(*p);
      EXPECT_TRUE(ErrorFindings(findings).empty())
          << CueFlavourName(c.flavour) << " at " << step << "s:\n" << text << "\n"
          << ErrorFindings(findings).front();
      std::vector<hls::Finding> rf = reload.Observe(*p);
      EXPECT_TRUE(rf.empty()) << text << "\n" << hls::FormatFinding(rf.front());
      for (size_t i = 0; i < p->segments().size(); ++i) {
        const int64_t msn = p->SequenceNumberOf(i);
        const hls::MediaSegment& s = p->segments()[i];
        // The first break starts mid-segment: a DATERANGE goes with the segment it falls in.
        const int64_t first_out = c.flavour == CueFlavour::kDateRange ? 2 : 3;
        const bool is_out = msn == first_out || msn == 15;
        const bool is_in = msn == 6 || msn == 20;
        if (is_out) {
          ASSERT_TRUE(s.Has(c.out_tag)) << text;
          saw_out = true;
          for (const hls::Tag& t : s.tags()) {
            if (std::optional<scte35::SpliceInsert> ins = PayloadOf(t)) {
              EXPECT_TRUE(ins->out_of_network_indicator);
              EXPECT_EQ(ins->splice_event_id, msn == first_out ? 1001u : 1002u);
              ASSERT_TRUE(ins->break_duration.has_value());
              EXPECT_EQ(ins->break_duration->duration_ticks, (msn == first_out ? 6 : 10) * 90000);
              EXPECT_EQ(ins->splice_time.pts_time_ticks, (msn == first_out ? 5 : 30) * 90000);
            }
          }
        }
        if (is_in && c.in_tag != hls::TagType::kUnknown) {
          ASSERT_TRUE(s.Has(c.in_tag)) << text;
          saw_in = true;
          for (const hls::Tag& t : s.tags()) {
            if (std::optional<scte35::SpliceInsert> ins = PayloadOf(t)) {
              EXPECT_FALSE(ins->out_of_network_indicator) << t.ToLine();
              EXPECT_FALSE(ins->break_duration.has_value());
            }
          }
        }
        if (!is_out && !is_in) {
          // Inside a break the marker repeats; outside there is none.
          const bool inside = (msn > first_out && msn < 6) || (msn > 15 && msn < 20);
          bool any_marker = false;
          for (const hls::Tag& t : s.tags()) {
            any_marker |= t.type != hls::TagType::kInf && t.type != hls::TagType::kProgramDateTime;
          }
          EXPECT_EQ(any_marker, inside) << "msn " << msn << "\n" << text;
        }
      }
    }
    EXPECT_TRUE(saw_out);
    EXPECT_TRUE(saw_in);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Flavours, FlavourTest,
    ::testing::Values(
        FlavourCase{CueFlavour::kCueOut, hls::TagType::kCueOut, hls::TagType::kCueIn},
        FlavourCase{CueFlavour::kOatcls, hls::TagType::kOatclsScte35, hls::TagType::kCueIn},
        FlavourCase{CueFlavour::kDateRange, hls::TagType::kDateRange, hls::TagType::kDateRange},
        FlavourCase{CueFlavour::kExtXScte35, hls::TagType::kScte35, hls::TagType::kScte35},
        FlavourCase{CueFlavour::kSplicepoint, hls::TagType::kSplicepointScte35,
                    hls::TagType::kSplicepointScte35}),
    [](const ::testing::TestParamInfo<FlavourCase>& param_info) {
      return std::string(CueFlavourName(param_info.param.flavour));
    });

TEST(SyntheticOriginTest, NoRepeatAndOmitCueIn) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kCueOut);
  spec.repeat_cue = false;
  spec.omit_cue_in = true;
  const std::string text = MediaPlaylistAt(spec, spec.renditions[0], At(14));
  EXPECT_NE(text.find("#EXT-X-CUE-OUT:DURATION=6\n"), std::string::npos);
  EXPECT_EQ(text.find("CUE-OUT-CONT"), std::string::npos);
  EXPECT_EQ(text.find("CUE-IN"), std::string::npos);
}

TEST(SyntheticOriginTest, BreakBetweenSegmentStartsGetsNoMarkers) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kCueOut);
  spec.breaks = {{At(4.5), 1, 7}};  // [4.5, 5.5): no segment starts inside
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(14)).find("CUE"), std::string::npos);
}

TEST(SyntheticOriginTest, DateRangeMarkersExact) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kDateRange);
  spec.repeat_cue = false;
  const std::string text = MediaPlaylistAt(spec, spec.renditions[0], At(14));
  std::vector<uint8_t> out = BreakOutSection(spec, spec.breaks[0]);
  std::string hex = HexEncode(out);
  for (char& ch : hex) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  // The OUT goes with MSN 2 (4-6 s, START-DATE 5 s falls in it): in the window at 12 s, not at 14 s.
  const std::string earlier = MediaPlaylistAt(spec, spec.renditions[0], At(12));
  EXPECT_NE(earlier.find("#EXT-X-DATERANGE:ID=\"splice-1001\",START-DATE=\"2026-01-15T12:00:05.000Z\","
                         "PLANNED-DURATION=6,SCTE35-OUT=0x" + hex + "\n"
                         "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:04.000Z\n"),
            std::string::npos)
      << earlier;
  EXPECT_NE(text.find("#EXT-X-DATERANGE:ID=\"splice-1001\",START-DATE=\"2026-01-15T12:00:05.000Z\","
                      "DURATION=6,SCTE35-IN=0x"),
            std::string::npos)
      << text;
}

TEST(SyntheticOriginTest, MasterPlaylistParsesAndLints) {
  const SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kNone);
  const std::string text = MasterPlaylist(spec);
  EXPECT_EQ(text,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.4d401e,mp4a.40.2\"\n"
            "v1.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"\n"
            "v2.m3u8\n");
  Result<hls::MasterPlaylist> m = hls::ParseMaster(text);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->Variants().size(), 2u);
  EXPECT_EQ(m->Variants()[1].bandwidth, 2500000);
  // No finding at all: in particular no hls.version.not_higher_than_needed (it used to declare 3).
  for (const hls::Finding& f : hls::LintMaster(*m)) ADD_FAILURE() << hls::FormatFinding(f);
}

TEST(SyntheticOriginTest, SpecJsonRoundTrip) {
  const std::string json = R"({
    "segment_duration_s": 2.002, "window_segments": 5, "start_time": "2026-01-15T12:00:00Z",
    "cue_flavour": "ext_x_scte35", "repeat_cue": false, "pdt_on_every_segment": false,
    "segment_uri_template": "{rendition}/{msn}.ts",
    "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "resolution": "1280x720",
                    "codecs": "avc1.64001f"}],
    "breaks": [{"start_time": "2026-01-15T12:01:00.500Z", "duration_s": 30.5, "event_id": 42}]})";
  Result<SyntheticStreamSpec> spec = ParseSpec(json);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_DOUBLE_EQ(spec->segment_duration_s, 2.002);
  EXPECT_EQ(spec->window_segments, 5);
  EXPECT_EQ(spec->start_time, T0());
  EXPECT_EQ(spec->cue_flavour, CueFlavour::kExtXScte35);
  EXPECT_FALSE(spec->repeat_cue);
  EXPECT_FALSE(spec->pdt_on_every_segment);
  ASSERT_EQ(spec->breaks.size(), 1u);
  EXPECT_EQ(spec->breaks[0].start_time, At(60.5));
  EXPECT_EQ(spec->breaks[0].event_id, 42u);
  EXPECT_EQ(SegmentUri(*spec, "v720", 17), "v720/17.ts");
  Result<SyntheticStreamSpec> again = ParseSpec(SerializeSpec(*spec));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(MediaPlaylistAt(*again, again->renditions[0], At(100)),
            MediaPlaylistAt(*spec, spec->renditions[0], At(100)));
}

TEST(SyntheticOriginTest, SpecJsonErrorsNameTheField) {
  auto err = [](std::string_view json) { return ParseSpec(json).status().message(); };
  const std::string base =
      R"("start_time": "2026-01-15T12:00:00Z", "renditions": [{"name": "v", "bandwidth_bps": 1}])";
  EXPECT_NE(err("[1]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(err("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(err("{" + base + "}").find("segment_duration_s: missing"), std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": "6", )" + base + "}").find("segment_duration_s: must be a number"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 0, )" + base + "}").find("segment_duration_s"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 6, "cue_flavour": "x", )" + base + "}").find("cue_flavour"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 6, "start_time": "yesterday",
                    "renditions": []})").find("start_time"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 6, "start_time": "2026-01-15T12:00:00Z",
                    "renditions": []})").find("renditions"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 6, )" + base +
                R"(, "breaks": [{"start_time": "2026-01-15T12:00:10Z", "duration_s": 30, "event_id": 1},
                                {"start_time": "2026-01-15T12:00:20Z", "duration_s": 30, "event_id": 2}]})")
                .find("breaks[1].start_time"),
            std::string::npos);
  EXPECT_NE(err(R"({"segment_duration_s": 6, )" + base +
                R"(, "breaks": [{"start_time": "2026-01-15T12:00:10Z", "duration_s": 30, "event_id": -1}]})")
                .find("breaks[0].event_id"),
            std::string::npos);
}

// issue 13: a typo in the spec (`ssai origin --synthetic`) was silently ignored.
TEST(SyntheticOriginTest, SpecUnknownKeysAndNestingAreRefused) {
  auto err = [](std::string_view json, std::string_view path = "") { return ParseSpec(json, path).status().message(); };
  const std::string base =
      R"("segment_duration_s": 6, "start_time": "2026-01-15T12:00:00Z", "renditions": [{"name": "v", "bandwidth_bps": 1)";
  EXPECT_TRUE(ParseSpec("{" + base + "}]}").ok());
  EXPECT_EQ(err("{" + base + R"(}], "cue_flavor": "daterange"})").rfind(
                "synthetic stream spec: cue_flavor: unknown key (allowed: segment_duration_s, ", 0),
            0u);
  EXPECT_EQ(err("{" + base + R"(}], "omit_cue_ins": true})", "scenario.origin")
                .rfind("scenario.origin.omit_cue_ins: unknown key (allowed: ", 0),
            0u);
  EXPECT_EQ(err("{" + base + R"(, "codec": "x"}]})").rfind("synthetic stream spec: renditions[0].codec: unknown key", 0),
            0u);
  EXPECT_EQ(err("{" + base + R"(}], "breaks": [{"start_time": "2026-01-15T12:00:10Z", "duration_s": 3, "event_id": 1,
                                                "canceled": true}]})")
                .rfind("synthetic stream spec: breaks[0].canceled: unknown key", 0),
            0u);
  EXPECT_EQ(err(std::string(100000, '[')), "synthetic stream spec: JSON nested deeper than 64 levels at byte 64");
  EXPECT_EQ(err("{" + base + R"(}], "window_segments": 6.5})", "scenario.origin"),
            "scenario.origin.window_segments: must be an integer, got 6.5");
}


TEST(SyntheticOriginCmafTest, Fmp4Aes128WithRotationExact) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kNone);
  spec.container = "cmaf";
  spec.encryption = "aes-128";
  spec.key_rotation_segments = 5;
  spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
  ASSERT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(MediaPlaylistAt(spec, spec.renditions[0], At(14)),
            "#EXTM3U\n"
            "#EXT-X-VERSION:6\n"
            "#EXT-X-TARGETDURATION:2\n"
            "#EXT-X-MEDIA-SEQUENCE:3\n"
            "#EXT-X-KEY:METHOD=AES-128,URI=\"key_0.bin\",IV=0x00000000000000000000000000000000\n"
            "#EXT-X-MAP:URI=\"init_v1.mp4\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:06.000Z\n"
            "#EXTINF:2.000,\n"
            "seg_v1_3.m4s\n"
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:08.000Z\n"
            "#EXTINF:2.000,\n"
            "seg_v1_4.m4s\n"
            "#EXT-X-KEY:METHOD=AES-128,URI=\"key_1.bin\",IV=0x00000000000000000000000000000001\n"
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:10.000Z\n"
            "#EXTINF:2.000,\n"
            "seg_v1_5.m4s\n"
            "#EXT-X-PROGRAM-DATE-TIME:2026-01-15T12:00:12.000Z\n"
            "#EXTINF:2.000,\n"
            "seg_v1_6.m4s\n");
  EXPECT_EQ(KeyBytes(1).size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>(KeyBytes(1)[2]), 33u);
}

TEST(SyntheticOriginCmafTest, EveryShapeLintsCleanWithTheLowestVersion) {
  for (const char* container : {"ts", "cmaf"}) {
    for (const char* enc : {"none", "aes-128", "sample-aes"}) {
      SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kDateRange);
      spec.container = container;
      spec.encryption = enc;
      spec.key_rotation_segments = 3;
      ASSERT_TRUE(ValidateSpec(spec).ok());
      for (double now = 2; now <= 30; now += 2) {  // from the first segment: an empty playlist needs nothing
        const std::string text = MediaPlaylistAt(spec, spec.renditions[1], At(now));
        Result<hls::MediaPlaylist> p = hls::ParseMedia(text);
        ASSERT_TRUE(p.ok()) << p.status().ToString();
        // Warnings too: hls.version.not_higher_than_needed is one.
        for (const hls::Finding& f : hls::LintMedia(*p)) ADD_FAILURE() << container << " " << enc << ": " << hls::FormatFinding(f) << "\n" << text;
      }
    }
  }
}

TEST(SyntheticOriginCmafTest, SpecJsonFieldsAndErrors) {
  const std::string json = R"({"segment_duration_s": 2, "start_time": "2026-01-15T12:00:00Z",
    "container": "cmaf", "encryption": "sample-aes", "key_rotation_segments": 10,
    "init_uri_template": "{rendition}/init.mp4",
    "renditions": [{"name": "v1", "bandwidth_bps": 800000}]})";
  Result<SyntheticStreamSpec> spec = ParseSpec(json);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->container, "cmaf");
  EXPECT_EQ(spec->encryption, "sample-aes");
  EXPECT_EQ(spec->key_rotation_segments, 10);
  Result<SyntheticStreamSpec> again = ParseSpec(SerializeSpec(*spec));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->init_uri_template, "{rendition}/init.mp4");
  auto error = [](const std::string& extra) {
    Result<SyntheticStreamSpec> r = ParseSpec(R"({"segment_duration_s": 2, "start_time": "2026-01-15T12:00:00Z", )" + extra +
                                              R"(, "renditions": [{"name": "v1", "bandwidth_bps": 1}]})");
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_THAT(error(R"("container": "mp4")"), ::testing::HasSubstr("container: 'mp4' is not one of ts, cmaf"));
  EXPECT_THAT(error(R"("encryption": "aes")"), ::testing::HasSubstr("encryption: 'aes' is not one of"));
  EXPECT_THAT(error(R"("key_rotation_segments": -1)"), ::testing::HasSubstr("key_rotation_segments"));
  EXPECT_EQ(error(R"("container": "cmaf", "media": "ffmpeg", "encryption": "aes-128")"), "ok");
  EXPECT_THAT(error(R"("media": "ffmpeg", "encryption": "sample-aes")"), ::testing::HasSubstr("SAMPLE-AES is playlists only"));
  EXPECT_THAT(error(R"("container": "cmaf", "media": "ffmpeg", "encryption": "aes-128", "key_rotation_segments": 5)"),
              ::testing::HasSubstr("key_rotation_segments: media \"ffmpeg\" with cmaf + aes-128 needs one key"));
  EXPECT_THAT(error(R"("media": "ffmpeg", "audio": [{"id": "a1", "name": "A"}])"),
              ::testing::HasSubstr("serves demuxed audio as CMAF only"));
  // WebVTT's X-TIMESTAMP-MAP (MPEGTS:pts_offset_ticks) would not match ffmpeg's TS (PTS from
  // 126000) or a non-zero offset on its fMP4 (tfdt from 0): refused by name (README "WebVTT").
  EXPECT_THAT(error(R"("media": "ffmpeg", "subtitles": [{"id": "s1", "name": "S"}])"),
              ::testing::HasSubstr("subtitles: media \"ffmpeg\" with container \"ts\": WebVTT X-TIMESTAMP-MAP "
                                   "would say MPEGTS:0 but ffmpeg's MPEG-TS starts at PTS 126000"));
  EXPECT_THAT(error(R"("media": "ffmpeg", "container": "cmaf", "pts_offset_ticks": 900000,
                       "subtitles": [{"id": "s1", "name": "S"}])"),
              ::testing::HasSubstr("subtitles: media \"ffmpeg\" starts its fMP4 at time 0, not at pts_offset_ticks 900000"));
  // Playlists only (media "none"), and CMAF media from 0, keep their subtitles.
  EXPECT_EQ(error(R"("subtitles": [{"id": "s1", "name": "S"}])"), "ok");
  EXPECT_EQ(error(R"("media": "ffmpeg", "container": "cmaf", "subtitles": [{"id": "s1", "name": "S"}])"), "ok");
}


TEST(SyntheticOriginCmafTest, DemuxedAudioTwoLanguagesAndWebVttSubtitles) {
  SyntheticStreamSpec spec = TwoSecondSpec(CueFlavour::kDateRange);
  spec.container = "cmaf";
  spec.encryption = "sample-aes";
  spec.segment_uri_template = "seg_{rendition}_{msn}.m4s";
  spec.audio = {{"aud_en", "English", "en", true}, {"aud_es", "Espanol", "es", false}};
  spec.subtitles = {{"sub_en", "English", "en", false}};
  ASSERT_TRUE(ValidateSpec(spec).ok()) << ValidateSpec(spec).ToString();
  const std::string master = MasterPlaylist(spec);
  EXPECT_EQ(master,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,URI=\"aud_en.m3u8\"\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"Espanol\",LANGUAGE=\"es\",DEFAULT=NO,AUTOSELECT=YES,URI=\"aud_es.m3u8\"\n"
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"sub\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,URI=\"sub_en.m3u8\"\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\",SUBTITLES=\"sub\"\n"
            "v1.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\",AUDIO=\"aud\",SUBTITLES=\"sub\"\n"
            "v2.m3u8\n");
  Result<hls::MasterPlaylist> m = hls::ParseMaster(master);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  for (const hls::Finding& f : hls::LintMaster(*m)) ADD_FAILURE() << hls::FormatFinding(f);
  bool subs = false;
  const AlternateRendition* es = FindAlternate(spec, "aud_es", &subs);
  ASSERT_NE(es, nullptr);
  EXPECT_FALSE(subs);
  const AlternateRendition* en_sub = FindAlternate(spec, "sub_en", &subs);
  ASSERT_NE(en_sub, nullptr);
  EXPECT_TRUE(subs);
  for (double now = 2; now <= 30; now += 2) {
    const std::string video = MediaPlaylistAt(spec, spec.renditions[0], At(now));
    const std::string audio = AlternatePlaylistAt(spec, *es, false, At(now));
    const std::string text = AlternatePlaylistAt(spec, *en_sub, true, At(now));
    Result<hls::MediaPlaylist> v = hls::ParseMedia(video), a = hls::ParseMedia(audio), t = hls::ParseMedia(text);
    ASSERT_TRUE(v.ok() && a.ok() && t.ok());
    for (const auto* p : {&*v, &*a, &*t}) {
      for (const hls::Finding& f : hls::LintMedia(*p)) ADD_FAILURE() << hls::FormatFinding(f);
      // Same timeline (bis §6.2.4): MSN, segment count, PDTs and date ranges.
      EXPECT_EQ(p->media_sequence(), v->media_sequence());
      ASSERT_EQ(p->segments().size(), v->segments().size());
      for (size_t i = 0; i < p->segments().size(); ++i) {
        EXPECT_EQ(p->SegmentStartTime(i), v->SegmentStartTime(i));
        const hls::Tag* dr = p->segments()[i].Find(hls::TagType::kDateRange);
        const hls::Tag* vdr = v->segments()[i].Find(hls::TagType::kDateRange);
        EXPECT_EQ(dr ? dr->value : "", vdr ? vdr->value : "");
      }
    }
    EXPECT_NE(audio.find("#EXT-X-MAP:URI=\"init_aud_es.mp4\""), std::string::npos) << audio;
    EXPECT_NE(audio.find("METHOD=SAMPLE-AES"), std::string::npos) << audio;
    EXPECT_NE(audio.find("seg_aud_es_"), std::string::npos) << audio;
    EXPECT_EQ(text.find("#EXT-X-KEY"), std::string::npos) << text;  // subtitles stay clear
    EXPECT_EQ(text.find("#EXT-X-MAP"), std::string::npos) << text;
    EXPECT_NE(text.find("#EXT-X-VERSION:3\n"), std::string::npos) << text;
  }
  EXPECT_EQ(WebVttSegment(spec, *en_sub, 3600),
            "WEBVTT\nX-TIMESTAMP-MAP=LOCAL:00:00:00.000,MPEGTS:0\n\n02:00:00.000 --> 02:00:02.000\nen 3600\n");
  // JSON round trip and errors.
  Result<SyntheticStreamSpec> again = ParseSpec(SerializeSpec(spec));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(MasterPlaylist(*again), master);
  SyntheticStreamSpec bad = spec;
  bad.audio[1].is_default = true;
  EXPECT_NE(ValidateSpec(bad).message().find("audio: at most one rendition may be default"), std::string::npos);
  bad = spec;
  bad.audio[1].name = "English";
  EXPECT_NE(ValidateSpec(bad).message().find("audio[1].name: is used twice"), std::string::npos);
  bad = spec;
  bad.subtitles[0].id = "v1";
  EXPECT_NE(ValidateSpec(bad).message().find("subtitles[0].id: is also a rendition's name"), std::string::npos);
  Result<SyntheticStreamSpec> unknown = ParseSpec(R"({"segment_duration_s": 2, "start_time": "2026-01-15T12:00:00Z",
    "audio": [{"id": "a", "lang": "en"}], "renditions": [{"name": "v1", "bandwidth_bps": 1}]})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("audio[0].lang: unknown key"), std::string::npos) << unknown.status().message();
}

}  // namespace
}  // namespace ssai::origin
