#include "reference/media/cues/markers.h"

#include <gtest/gtest.h>

#include "reference/media/cues/cues_test_util.h"

namespace ssai::cues {
namespace {

using hls::TagType;
using testing::B64;
using testing::Hex;
using testing::InsertIn;
using testing::InsertOut;
using testing::Live;
using testing::PtsOf;

ExtractResult ExtractOne(const std::string& tag_line) {
  return ExtractMarkers(Live(1000, {{}, {tag_line}, {}}));
}

TEST(LooseAttributesTest, SplitsQuotedAndUnquotedValues) {
  auto attrs = ParseLooseAttributes(
      "ElapsedTime=8.3,Duration=30,SCTE35=/DAvAAAA+/==,ID=\"a,b\",CUE-OUT=YES");
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  ASSERT_EQ(attrs->size(), 5u);
  EXPECT_EQ(FindLoose(*attrs, "elapsedtime")->value, "8.3");
  EXPECT_EQ(FindLoose(*attrs, "SCTE35")->value, "/DAvAAAA+/==");
  EXPECT_EQ(FindLoose(*attrs, "ID")->value, "a,b");
  EXPECT_TRUE(FindLoose(*attrs, "ID")->quoted);
  EXPECT_EQ(FindLoose(*attrs, "missing"), nullptr);
}

TEST(LooseAttributesTest, UnterminatedQuoteIsAnError) {
  auto attrs = ParseLooseAttributes("ID=\"abc,DURATION=3");
  ASSERT_FALSE(attrs.ok());
  EXPECT_NE(attrs.status().message().find("closing quote"), std::string::npos);
}

// ShiftElapsed moves the elapsed time of the marker forms that carry one, every other byte kept.
TEST(MarkersTest, ShiftElapsedMovesOnlyTheElapsedTime) {
  auto shifted = [](TagType type, const std::string& value, double shift_s) -> std::string {
    std::optional<hls::Tag> t = ShiftElapsed(hls::Tag::Make(type, value), shift_s);
    return t ? t->value : "(none)";
  };
  EXPECT_EQ(shifted(TagType::kCueOutCont, "ElapsedTime=18.000,Duration=30,SCTE35=/DAl=", -3),
            "ElapsedTime=15.000,Duration=30,SCTE35=/DAl=");
  EXPECT_EQ(shifted(TagType::kCueOutCont, "Duration=30,elapsedtime=8.3", 1.2), "Duration=30,elapsedtime=9.500");
  EXPECT_EQ(shifted(TagType::kCueOutCont, "8.308/30", -0.308), "8.000/30");  // AWS MediaLive form
  EXPECT_EQ(shifted(TagType::kCueOutCont, "4", -6), "0.000");                // floored at 0
  EXPECT_EQ(shifted(TagType::kScte35, "CUE=\"/DAl\",CUE-OUT=CONT,ELAPSED=\"12\",DURATION=30", -2),
            "CUE=\"/DAl\",CUE-OUT=CONT,ELAPSED=\"10.000\",DURATION=30");
  // A quoted comma does not end an attribute.
  EXPECT_EQ(shifted(TagType::kScte35, "ID=\"a,ELAPSED=1\",ELAPSED=5", 1), "ID=\"a,ELAPSED=1\",ELAPSED=6.000");
  // Nothing to move: no elapsed time, an unparsable one, another tag.
  EXPECT_EQ(shifted(TagType::kCueOutCont, "Duration=30", 1), "(none)");
  EXPECT_EQ(shifted(TagType::kCueOutCont, "ElapsedTime=soon", 1), "(none)");
  EXPECT_EQ(shifted(TagType::kCueOut, "30", 1), "(none)");
}

TEST(MarkersTest, CueOutForms) {
  struct Case {
    const char* line;
    std::optional<double> duration;
  } cases[] = {
      {"#EXT-X-CUE-OUT:30", 30.0},
      {"#EXT-X-CUE-OUT:30.000", 30.0},
      {"#EXT-X-CUE-OUT:DURATION=120", 120.0},
      {"#EXT-X-CUE-OUT", std::nullopt},
      // Duration first, unnamed, then attributes (MediaConvert-style packagers).
      {"#EXT-X-CUE-OUT:4,SpliceType=VOD_DAI,Action=REPLACE,PAID=amazon.com/TEST2014020500000346,Acds=BA", 4.0},
      {"#EXT-X-CUE-OUT:30.000,ID=\"break-7\"", 30.0},
      {"#EXT-X-CUE-OUT:DURATION=15,SpliceType=LIVE_DAI", 15.0},
  };
  for (const Case& c : cases) {
    ExtractResult r = ExtractOne(c.line);
    ASSERT_EQ(r.markers.size(), 1u) << c.line;
    const Marker& m = r.markers[0];
    EXPECT_EQ(m.flavour, Flavour::kCueOut);
    EXPECT_EQ(m.direction, Direction::kOut);
    EXPECT_EQ(m.duration_s, c.duration) << c.line;
    EXPECT_EQ(m.msn, 1001);
    EXPECT_EQ(m.segment_index, 1u);
    EXPECT_FALSE(m.in_trailer);
    EXPECT_EQ(m.line, 8);  // 4 header lines + 3 for segment 1000
    EXPECT_EQ(m.text, c.line);
    EXPECT_TRUE(r.warnings.empty());
  }
}

TEST(MarkersTest, CueOutLeadingDurationThenAttributesKeepsTheAttributes) {
  ExtractResult r = ExtractOne("#EXT-X-CUE-OUT:30.000,ID=\"break-7\",SCTE35=" + std::string(testing::kVecSpliceInsert));
  ASSERT_EQ(r.markers.size(), 1u);
  EXPECT_EQ(r.markers[0].duration_s, 30.0);
  EXPECT_EQ(r.markers[0].id, "break-7");
  EXPECT_TRUE(r.markers[0].scte35);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(MarkersTest, CueOutUnparseableLeadingDurationIsAWarning) {
  ExtractResult r = ExtractOne("#EXT-X-CUE-OUT:4s,SpliceType=VOD_DAI,Action=REPLACE");
  ASSERT_EQ(r.markers.size(), 1u);
  EXPECT_FALSE(r.markers[0].duration_s);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].line, 8);
  EXPECT_NE(r.warnings[0].message.find("EXT-X-CUE-OUT: duration '4s'"), std::string::npos) << r.warnings[0].message;
}

TEST(MarkersTest, CueOutContBothForms) {
  ExtractResult a = ExtractOne("#EXT-X-CUE-OUT-CONT:ElapsedTime=8.3,Duration=30");
  ASSERT_EQ(a.markers.size(), 1u);
  EXPECT_EQ(a.markers[0].direction, Direction::kCont);
  EXPECT_EQ(a.markers[0].elapsed_s, 8.3);
  EXPECT_EQ(a.markers[0].duration_s, 30.0);
  EXPECT_FALSE(a.markers[0].scte35);

  ExtractResult b = ExtractOne("#EXT-X-CUE-OUT-CONT:8.308/30");
  ASSERT_EQ(b.markers.size(), 1u);
  EXPECT_EQ(b.markers[0].elapsed_s, 8.308);
  EXPECT_EQ(b.markers[0].duration_s, 30.0);

  ExtractResult c =
      ExtractOne(std::string("#EXT-X-CUE-OUT-CONT:ElapsedTime=8.3,Duration=60.3,SCTE35=") +
                 testing::kVecSpliceInsert);
  ASSERT_EQ(c.markers.size(), 1u);
  ASSERT_TRUE(c.markers[0].scte35);
  EXPECT_EQ(c.markers[0].scte35_text, testing::kVecSpliceInsert);
  const auto& si = std::get<scte35::SpliceInsert>(c.markers[0].scte35->command);
  EXPECT_EQ(si.splice_event_id, 0x4800008Fu);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(MarkersTest, CueIn) {
  ExtractResult r = ExtractOne("#EXT-X-CUE-IN");
  ASSERT_EQ(r.markers.size(), 1u);
  EXPECT_EQ(r.markers[0].flavour, Flavour::kCueIn);
  EXPECT_EQ(r.markers[0].direction, Direction::kIn);
}

TEST(MarkersTest, OatclsAndSplicepointDecodeBase64) {
  for (const char* tag : {"#EXT-OATCLS-SCTE35:", "#EXT-X-SPLICEPOINT-SCTE35:"}) {
    ExtractResult r = ExtractOne(std::string(tag) + testing::kVecSpliceInsert);
    ASSERT_EQ(r.markers.size(), 1u) << tag;
    EXPECT_EQ(r.markers[0].direction, Direction::kSignal);
    ASSERT_TRUE(r.markers[0].scte35) << tag;
    EXPECT_EQ(scte35::EffectiveSplicePtsTicks(*r.markers[0].scte35), 0x7369C02E);
    EXPECT_TRUE(r.warnings.empty());
  }
  EXPECT_EQ(
      ExtractOne(std::string("#EXT-OATCLS-SCTE35:") + testing::kVecSpliceInsert).markers[0].flavour,
      Flavour::kOatclsScte35);
  EXPECT_EQ(ExtractOne(std::string("#EXT-X-SPLICEPOINT-SCTE35:") + testing::kVecSpliceInsert)
                .markers[0]
                .flavour,
            Flavour::kSplicepointScte35);
}

TEST(MarkersTest, DateRangeOutInCmdWithHex) {
  const std::string out = Hex(InsertOut(1001, PtsOf(1001), 30.0));
  ExtractResult r = ExtractOne(
      "#EXT-X-DATERANGE:ID=\"splice-1001\",START-DATE=\"2026-01-15T12:00:02.000Z\","
      "PLANNED-DURATION=30,SCTE35-OUT=" +
      out);
  ASSERT_EQ(r.markers.size(), 1u);
  const Marker& m = r.markers[0];
  EXPECT_EQ(m.flavour, Flavour::kDateRange);
  EXPECT_EQ(m.direction, Direction::kOut);
  EXPECT_EQ(m.id, "splice-1001");
  EXPECT_EQ(m.start_date, testing::TimeOf(1001));
  EXPECT_EQ(m.planned_duration_s, 30.0);
  EXPECT_FALSE(m.daterange_duration_s);
  ASSERT_TRUE(m.scte35);
  EXPECT_TRUE(r.warnings.empty());

  ExtractResult in = ExtractOne("#EXT-X-DATERANGE:ID=\"splice-1001\",DURATION=29.5,SCTE35-IN=" +
                                Hex(InsertIn(1001, PtsOf(1016))));
  ASSERT_EQ(in.markers.size(), 1u);
  EXPECT_EQ(in.markers[0].direction, Direction::kIn);
  EXPECT_EQ(in.markers[0].daterange_duration_s, 29.5);
  EXPECT_FALSE(in.markers[0].start_date);

  ExtractResult cmd =
      ExtractOne("#EXT-X-DATERANGE:ID=\"c\",START-DATE=\"2026-01-15T12:00:02Z\",SCTE35-CMD=" +
                 Hex(testing::Segmentation(PtsOf(1001), {{7, 0x34, 20.0}})));
  ASSERT_EQ(cmd.markers.size(), 1u);
  EXPECT_EQ(cmd.markers[0].direction, Direction::kSignal);
  ASSERT_TRUE(cmd.markers[0].scte35);
}

TEST(MarkersTest, DateRangeWithOutAndInGivesTwoMarkers) {
  ExtractResult r = ExtractOne(
      "#EXT-X-DATERANGE:ID=\"x\",START-DATE=\"2026-01-15T12:00:02Z\","
      "DURATION=4,SCTE35-OUT=" +
      Hex(InsertOut(5, PtsOf(1001), 4.0)) + ",SCTE35-IN=" + Hex(InsertIn(5, PtsOf(1003))));
  ASSERT_EQ(r.markers.size(), 2u);
  EXPECT_EQ(r.markers[0].direction, Direction::kOut);
  EXPECT_EQ(r.markers[1].direction, Direction::kIn);
  EXPECT_EQ(r.markers[1].line, r.markers[0].line);
}

TEST(MarkersTest, DateRangeWithoutScte35IsNotAMarker) {
  ExtractResult r = ExtractOne(
      "#EXT-X-DATERANGE:ID=\"i\",CLASS=\"com.apple.hls.interstitial\","
      "START-DATE=\"2026-01-15T12:00:02Z\",X-ASSET-URI=\"a.m3u8\"");
  EXPECT_TRUE(r.markers.empty());
  EXPECT_TRUE(r.warnings.empty());
}

TEST(MarkersTest, ExtXScte35Variants) {
  const std::string cue = B64(InsertOut(42, PtsOf(1001), 8.0));
  struct Case {
    std::string attrs;
    Direction direction;
  } cases[] = {
      {"CUE=\"" + cue + "\",ID=\"42\",CUE-OUT=YES,DURATION=8", Direction::kOut},
      {"CUE=\"" + cue + "\",CUE-OUT=CONT,ELAPSED=2,DURATION=8", Direction::kCont},
      {"CUE=\"" + cue + "\",CUE-IN=YES", Direction::kIn},
      {"CUE=\"" + cue + "\"", Direction::kSignal},
      {"CUE=" + cue + ",CUE-OUT=NO", Direction::kSignal},  // unquoted CUE seen in the wild
  };
  for (const Case& c : cases) {
    ExtractResult r = ExtractOne("#EXT-X-SCTE35:" + c.attrs);
    ASSERT_EQ(r.markers.size(), 1u) << c.attrs;
    EXPECT_EQ(r.markers[0].flavour, Flavour::kScte35);
    EXPECT_EQ(r.markers[0].direction, c.direction) << c.attrs;
    EXPECT_TRUE(r.markers[0].scte35) << c.attrs;
    EXPECT_TRUE(r.warnings.empty()) << c.attrs;
  }
  ExtractResult cont =
      ExtractOne("#EXT-X-SCTE35:CUE=\"" + cue + "\",CUE-OUT=CONT,ELAPSED=2,DURATION=8");
  EXPECT_EQ(cont.markers[0].elapsed_s, 2.0);
  EXPECT_EQ(cont.markers[0].duration_s, 8.0);
}

TEST(MarkersTest, AdobeCue) {
  ExtractResult out =
      ExtractOne("#EXT-X-CUE:DURATION=30.000,ID=\"1\",TYPE=\"SpliceOut\",TIME=1414459962.718");
  ASSERT_EQ(out.markers.size(), 1u);
  EXPECT_EQ(out.markers[0].flavour, Flavour::kAdobeCue);
  EXPECT_EQ(out.markers[0].direction, Direction::kOut);
  EXPECT_EQ(out.markers[0].duration_s, 30.0);
  EXPECT_EQ(out.markers[0].id, "1");
  ExtractResult in = ExtractOne("#EXT-X-CUE:ID=1,TYPE=SpliceIn");
  ASSERT_EQ(in.markers.size(), 1u);
  EXPECT_EQ(in.markers[0].direction, Direction::kIn);
  ExtractResult bad = ExtractOne("#EXT-X-CUE:ID=1,TYPE=Bogus");
  EXPECT_TRUE(bad.markers.empty());
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_NE(bad.warnings[0].message.find("Bogus"), std::string::npos);
}

TEST(MarkersTest, TrailerMarkersApplyToTheNextSegment) {
  ExtractResult r = ExtractMarkers(Live(1000, {{}, {}}, {"#EXT-X-CUE-OUT:10"}));
  ASSERT_EQ(r.markers.size(), 1u);
  EXPECT_TRUE(r.markers[0].in_trailer);
  EXPECT_EQ(r.markers[0].segment_index, 2u);
  EXPECT_EQ(r.markers[0].msn, 1002);
}

TEST(MarkersTest, MalformedValuesWarnWithLinesAndKeepOtherMarkers) {
  hls::MediaPlaylist p = Live(
      1000, {
                {"#EXT-X-CUE-OUT:abc"},                                                   // line 5
                {"#EXT-OATCLS-SCTE35:not*base64!"},                                       // line 9
                {std::string("#EXT-OATCLS-SCTE35:") + testing::kVecInvalidCrc},           // line 13
                {"#EXT-X-CUE-OUT-CONT:ElapsedTime=x,Duration=30"},                        // line 17
                {"#EXT-X-DATERANGE:ID=\"d\",START-DATE=\"yesterday\",SCTE35-OUT=0xFC0"},  // line 21
                {"#EXT-X-SCTE35:CUE-OUT=YES"},                                            // line 25
                {"#EXT-X-CUE-IN"},                                                        // line 29
            });
  ExtractResult r = ExtractMarkers(p);
  // Kept: CUE-OUT (no duration), both OATCLS (undecoded), CONT, DATERANGE (no date, no section),
  // EXT-X-SCTE35 CUE-OUT=YES (no section), CUE-IN.
  ASSERT_EQ(r.markers.size(), 7u);
  EXPECT_EQ(r.markers[0].flavour, Flavour::kCueOut);
  EXPECT_FALSE(r.markers[0].duration_s);
  EXPECT_FALSE(r.markers[1].scte35);
  EXPECT_FALSE(r.markers[2].scte35);
  EXPECT_FALSE(r.markers[3].elapsed_s);
  EXPECT_EQ(r.markers[3].duration_s, 30.0);
  EXPECT_FALSE(r.markers[4].start_date);
  EXPECT_FALSE(r.markers[4].scte35);
  EXPECT_EQ(r.markers[5].direction, Direction::kOut);
  EXPECT_EQ(r.markers[6].flavour, Flavour::kCueIn);

  std::vector<int> lines;
  for (const Diagnostic& d : r.warnings) lines.push_back(d.line);
  EXPECT_EQ(lines, (std::vector<int>{5, 9, 13, 17, 21, 21, 25}));
  EXPECT_NE(r.warnings[0].message.find("EXT-X-CUE-OUT: duration 'abc'"), std::string::npos)
      << r.warnings[0].message;
  EXPECT_NE(r.warnings[1].message.find("rejected"), std::string::npos) << r.warnings[1].message;
  EXPECT_NE(r.warnings[2].message.find("DATA_LOSS"), std::string::npos) << r.warnings[2].message;
  EXPECT_EQ(FormatDiagnostic(r.warnings[0]).rfind("line 5: ", 0), 0u);
}

}  // namespace
}  // namespace ssai::cues
