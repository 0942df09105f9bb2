#include "reference/media/hls/lint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ssai::hls {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

MediaPlaylist Media(std::string_view text) {
  Result<MediaPlaylist> r = ParseMedia(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
  return r.ok() ? std::move(r).value() : MediaPlaylist();
}

MasterPlaylist Master(std::string_view text) {
  Result<MasterPlaylist> r = ParseMaster(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
  return r.ok() ? std::move(r).value() : MasterPlaylist();
}

std::set<std::string> Ids(const std::vector<Finding>& findings) {
  std::set<std::string> ids;
  for (const Finding& f : findings) ids.insert(f.rule_id);
  return ids;
}

std::string Dump(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) out += FormatFinding(f) + "\n";
  return out;
}

// Lints a sequence of reloads: single-playlist rules on each, reload rules across them.
std::vector<Finding> LintReloads(const std::vector<std::string>& texts, bool single = false) {
  ReloadLinter reload;
  std::vector<Finding> all;
  for (const std::string& t : texts) {
    MediaPlaylist p = Media(t);
    if (single) {
      for (Finding& f : LintMedia(p)) all.push_back(std::move(f));
    }
    for (Finding& f : reload.Observe(p)) all.push_back(std::move(f));
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Clean playlists: no rule fires.
// ---------------------------------------------------------------------------------------------

// A live window through an SCTE-35 break with every marker flavour, PDTs and an interstitial.
constexpr char kCleanLive[] = R"(#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:100
#EXT-X-DISCONTINUITY-SEQUENCE:2
#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z
#EXTINF:6.000,
seg100.ts
#EXT-X-DATERANGE:ID="ad-1",CLASS="com.example.ad",START-DATE="2025-01-01T00:00:06.000Z",PLANNED-DURATION=12,SCTE35-OUT=0xFC30
#EXT-X-CUE-OUT:12
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:06.000Z
#EXTINF:6.000,
ad1.ts
#EXT-X-CUE-OUT-CONT:ElapsedTime=6,Duration=12
#EXTINF:6.000,
ad2.ts
#EXT-X-DATERANGE:ID="ad-1",DURATION=12,END-DATE="2025-01-01T00:00:18.000Z",SCTE35-IN=0xFC31
#EXT-X-CUE-IN
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:18.000Z
#EXTINF:5.96,
seg103.ts
#EXT-X-DATERANGE:ID="i1",CLASS="com.apple.hls.interstitial",START-DATE="2025-01-01T00:00:24.000Z",DURATION=15,X-ASSET-URI="https://ads.example.com/a.m3u8",X-RESUME-OFFSET=0,X-PLAYOUT-LIMIT=15,X-SNAP="OUT,IN",X-RESTRICT="SKIP,JUMP",CUE="ONCE"
#EXT-X-DATERANGE:ID="ch-1",CLASS="com.example.chapter",START-DATE="2025-01-01T00:00:00.000Z",END-ON-NEXT=YES
#EXT-X-DATERANGE:ID="ch-2",CLASS="com.example.chapter",START-DATE="2025-01-01T00:00:20.000Z",END-ON-NEXT=YES
#EXTINF:6.000,
seg104.ts
#EXT-X-CUE-OUT:DURATION=30
)";

constexpr char kCleanMaster[] = R"(#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE="en",URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="English",INSTREAM-ID="CC1"
#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=640x360,AUDIO="aac",CLOSED-CAPTIONS="cc"
low/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2560000,CODECS="avc1.4d401f,mp4a.40.2",RESOLUTION=1280x720,AUDIO="aac",CLOSED-CAPTIONS=NONE
mid/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,CODECS="avc1.4d401f",URI="low/iframe.m3u8"
)";

TEST(LintTest, CleanLiveHasNoFindings) {
  std::vector<Finding> f = LintMedia(Media(kCleanLive));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, CleanVodWithMapAndVersion6HasNoFindings) {
  std::vector<Finding> f = LintMedia(Media(R"(#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.004,
a.m4s
#EXTINF:4,
b.m4s
#EXT-X-ENDLIST
)"));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, CleanMasterHasNoFindings) {
  std::vector<Finding> f = LintMaster(Master(kCleanMaster));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
  Result<Playlist> any = Parse(kCleanMaster);
  ASSERT_TRUE(any.ok());
  EXPECT_THAT(LintPlaylist(*any), IsEmpty());
}

// Version 6 semantics: EXTINF 6.006 with TARGETDURATION 6 justifies version 6 (bis §8 note).
TEST(LintTest, Version6JustifiedByRoundedTargetDuration) {
  std::vector<Finding> f =
      LintMedia(Media("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.006,\na.ts\n#"
                      "EXT-X-ENDLIST\n"));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, TargetDurationBoundRoundsToNearest) {
  // 2.49 rounds to 2: fine. 2.5 rounds to 3: above TARGETDURATION 2.
  EXPECT_THAT(LintMedia(Media("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                              "#EXTINF:2.49,\na.ts\n#EXT-X-ENDLIST\n")),
              IsEmpty());
  std::vector<Finding> f =
      LintMedia(Media("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                      "#EXTINF:2.5,\na.ts\n#EXT-X-ENDLIST\n"));
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].rule_id, "hls.target_duration.bound");
  EXPECT_EQ(f[0].line, 4);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(FormatFinding(f[0]),
            "hls.target_duration.bound line 4: EXTINF 2.5 rounds to 3 s, above "
            "EXT-X-TARGETDURATION 2 (a.ts)");
}

// ---------------------------------------------------------------------------------------------
// Each single-playlist rule fires on a minimal bad playlist.
// ---------------------------------------------------------------------------------------------

struct Case {
  const char* rule;
  const char* text;
  int line;  // expected line of the finding, 0 = don't check
};

#define HEAD "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n"
#define PDT0 "#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z\n"
#define SEG "#EXTINF:6.0,\na.ts\n"
#define SEGS3 "#EXTINF:6.0,\na.ts\n#EXTINF:6.0,\nb.ts\n#EXTINF:6.0,\nc.ts\n"
#define DR "#EXT-X-DATERANGE:"
#define ISTL "CLASS=\"com.apple.hls.interstitial\",START-DATE=\"2025-01-01T00:00:00Z\","

const Case kMediaCases[] = {
    {"hls.attributes.valid", HEAD "#EXT-X-KEY:METHOD=NONE,URI\n" SEG, 4},
    {"hls.attributes.valid", HEAD "#EXT-X-MAP:URI=\"a\",URI=\"b\"\n" SEG, 4},
    {"hls.tags.once", HEAD "#EXT-X-TARGETDURATION:6\n" SEG, 4},
    {"hls.tags.once", HEAD SEG "#EXT-X-ENDLIST\n#EXT-X-ENDLIST\n", 7},
    {"hls.version.min_for_features", "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:5.5,\na.ts\n", 3},
    {"hls.version.min_for_features", HEAD "#EXT-X-BYTERANGE:1000@0\n" SEG, 4},
    {"hls.version.min_for_features",
     HEAD "#EXT-X-KEY:METHOD=AES-128,URI=\"k\",KEYFORMAT=\"identity\"\n" SEG, 4},
    {"hls.version.min_for_features",
     "#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI=\"i.mp4\"\n" SEG, 4},
    {"hls.version.min_for_features",
     "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n" SEG, 4},
    {"hls.version.not_higher_than_needed",
     "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n" SEG, 2},
    {"hls.target_duration.required", "#EXTM3U\n#EXT-X-VERSION:3\n" SEG, 1},
    {"hls.target_duration.required", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:0\n" SEG, 3},
    {"hls.target_duration.bound", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n" SEG, 4},
    {"hls.segment.duration_zero", HEAD "#EXTINF:0,\na.ts\n" SEG, 4},
    {"hls.segment.tag_order",  // Bento4-style: PROGRAM-DATE-TIME between EXTINF and the URI
     HEAD "#EXTINF:6.0,\n#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z\na.ts\n" SEG, 5},
    {"hls.segment.short_at_splice",
     HEAD "#EXT-X-CUE-OUT:6\n" SEG
          "#EXTINF:0.233,\nlast.ts\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n" SEG,
     7},
    {"hls.media_sequence.before_first_segment", HEAD SEG "#EXT-X-MEDIA-SEQUENCE:5\n" SEG, 6},
    {"hls.discontinuity_sequence.before_first_segment",
     HEAD SEG "#EXT-X-DISCONTINUITY-SEQUENCE:5\n" SEG, 6},
    {"hls.playlist.min_duration", HEAD "#EXT-X-MEDIA-SEQUENCE:10\n" SEG SEG, 4},
    {"hls.pdt.valid", HEAD "#EXT-X-PROGRAM-DATE-TIME:yesterday\n" SEG, 4},
    {"hls.pdt.on_discontinuity", HEAD PDT0 SEG "#EXT-X-DISCONTINUITY\n" SEG, 8},
    {"hls.pdt.unambiguous", HEAD PDT0 SEG "#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:02.000Z\n" SEG,
     7},
    {"hls.pdt.unambiguous",  // back in time across a discontinuity (ad PDT restarts)
     HEAD PDT0 SEG "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-12-31T23:00:00.000Z\n" SEG,
     8},
    {"hls.daterange.id_required_unique",
     HEAD PDT0 DR "START-DATE=\"2025-01-01T00:00:00Z\",DURATION=30\n" SEG, 5},
    {"hls.daterange.id_required_unique",
     HEAD PDT0 DR "ID=break-1,START-DATE=\"2025-01-01T00:00:00Z\",DURATION=30\n" SEG, 5},
    {"hls.daterange.start_date", HEAD PDT0 DR "ID=\"a\",DURATION=30\n" SEG, 5},
    {"hls.daterange.start_date", HEAD PDT0 DR "ID=\"a\",START-DATE=\"noon\"\n" SEG, 5},
    {"hls.daterange.requires_pdt", HEAD DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\"\n" SEG, 4},
    {"hls.daterange.end_consistency",
     HEAD PDT0 DR
     "ID=\"a\",START-DATE=\"2025-01-01T00:00:10Z\",END-DATE=\"2025-01-01T00:00:00Z\"\n" SEG,
     5},
    {"hls.daterange.end_consistency",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:10Z\",DURATION=-1\n" SEG, 5},
    {"hls.daterange.end_consistency",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",PLANNED-DURATION=-30\n" SEG, 5},
    {"hls.daterange.end_consistency",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",DURATION=30,END-DATE=\"2025-01-"
                  "01T00:00:20Z\"\n" SEG,
     5},
    {"hls.daterange.end_on_next",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",END-ON-NEXT=YES\n" SEG, 5},
    {"hls.daterange.end_on_next",
     HEAD PDT0 DR
     "ID=\"a\",CLASS=\"c\",START-DATE=\"2025-01-01T00:00:00Z\",END-ON-NEXT=YES,DURATION=5\n" SEG,
     5},
    {"hls.daterange.end_on_next",
     HEAD PDT0 DR "ID=\"a\",CLASS=\"c\",START-DATE=\"2025-01-01T00:00:00Z\",DURATION=10\n" DR
                  "ID=\"b\",CLASS=\"c\",START-DATE=\"2025-01-01T00:00:05Z\",END-ON-NEXT=YES\n" SEG,
     6},
    {"hls.daterange.cue_values",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",CUE=\"PRE,POST\"\n" SEG, 5},
    {"hls.daterange.cue_values",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",CUE=\"LATER\"\n" SEG, 5},
    {"hls.daterange.same_id_same_values",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",PLANNED-DURATION=30\n" SEG DR
                  "ID=\"a\",PLANNED-DURATION=60\n" SEG,
     8},
    {"hls.scte35.hex_attributes",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",SCTE35-OUT=\"0xFC30\"\n" SEG, 5},
    {"hls.scte35.hex_attributes",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",SCTE35-CMD=FC30\n" SEG, 5},
    {"hls.scte35.hex_attributes",
     HEAD PDT0 DR "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",SCTE35-IN=0xFC3\n" SEG, 5},
    {"hls.interstitial.class",
     HEAD PDT0 DR
     "ID=\"a\",START-DATE=\"2025-01-01T00:00:00Z\",X-ASSET-URI=\"https://a/b.m3u8\"\n" SEG,
     5},
    {"hls.interstitial.asset_xor",
     HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"https://a/b.m3u8\",X-ASSET-LIST=\"l.json\"\n" SEG,
     5},
    {"hls.interstitial.asset_xor", HEAD PDT0 DR "ID=\"a\"," ISTL "DURATION=10\n" SEG, 5},
    {"hls.interstitial.asset_xor", HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"ads/b.m3u8\"\n" SEG,
     5},
    {"hls.interstitial.snap_restrict",
     HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"https://a/b\",X-SNAP=\"OUT,LATER\"\n" SEG, 5},
    {"hls.interstitial.snap_restrict",
     HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"https://a/b\",X-RESTRICT=SKIP\n" SEG, 5},
    {"hls.interstitial.resume_offset",
     HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"https://a/b\",X-RESUME-OFFSET=\"0\"\n" SEG, 5},
    {"hls.interstitial.resume_offset",
     HEAD PDT0 DR "ID=\"a\"," ISTL "X-ASSET-URI=\"https://a/b\",X-PLAYOUT-LIMIT=-5\n" SEG, 5},
    {"hls.cue.out_duration_valid", HEAD "#EXT-X-CUE-OUT:abc\n" SEG, 4},
    {"hls.cue.out_duration_valid", HEAD "#EXT-X-CUE-OUT:DURATION=-5\n" SEG, 4},
    {"hls.cue.out_duration_valid", HEAD SEG "#EXT-X-CUE-OUT-CONT:ElapsedTime=x,Duration=30\n" SEG,
     6},
    {"hls.cue.out_without_in", HEAD "#EXT-X-CUE-OUT:12\n" SEGS3 SEG, 4},
    {"hls.cue.in_without_out", HEAD SEG "#EXT-X-CUE-IN\n" SEG, 6},
    {"hls.cue.cont_elapsed_increasing",
     HEAD "#EXT-X-CUE-OUT:30\n" SEG "#EXT-X-CUE-OUT-CONT:ElapsedTime=20,Duration=30\n" SEG, 7},
    {"hls.cue.cont_elapsed_increasing", HEAD SEG "#EXT-X-CUE-OUT-CONT:40/30\n" SEG, 6},
    {"hls.cue.cont_elapsed_increasing",
     HEAD "#EXT-X-CUE-OUT:30\n" SEG "#EXT-X-CUE-OUT-CONT:ElapsedTime=6,Duration=60\n" SEG, 7},
};

const Case kMasterCases[] = {
    {"hls.attributes.valid",
     "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2,CODECS=\"a\"\nv.m3u8\n", 2},
    {"hls.tags.once",
     "#EXTM3U\n#EXT-X-VERSION:1\n#EXT-X-VERSION:1\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\"\nv."
     "m3u8\n",
     3},
    {"hls.version.min_for_features",
     "#EXTM3U\n#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",NAME=\"x\",INSTREAM-ID="
     "\"SERVICE1\"\n"
     "#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\",CLOSED-CAPTIONS=\"cc\"\nv.m3u8\n",
     2},
    {"hls.version.not_higher_than_needed",
     "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\"\nv.m3u8\n", 2},
    {"hls.master.bandwidth_required", "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\"\nv.m3u8\n", 2},
    {"hls.master.bandwidth_required",
     "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1.5,CODECS=\"a\"\nv.m3u8\n", 2},
    {"hls.master.codecs_present", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nv.m3u8\n", 2},
    {"hls.master.stream_inf_uri", "#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1000\n", 2},
    {"hls.master.group_defined",
     "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\",AUDIO=\"aac\"\nv.m3u8\n", 2},
    {"hls.master.group_defined",
     "#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"aac\",NAME=\"x\",URI=\"s.m3u8\"\n"
     "#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\",AUDIO=\"aac\"\nv.m3u8\n",
     3},
};

void ExpectFires(const Case& c, const std::vector<Finding>& f) {
  bool found = false;
  for (const Finding& x : f) {
    if (x.rule_id != c.rule) continue;
    found = true;
    if (c.line != 0) {
      EXPECT_EQ(x.line, c.line) << FormatFinding(x) << "\n" << c.text;
    }
    EXPECT_EQ(x.severity, FindRule(c.rule)->severity);
    EXPECT_FALSE(x.message.empty());
  }
  EXPECT_TRUE(found) << c.rule << " did not fire on:\n" << c.text << "findings:\n" << Dump(f);
}

TEST(LintTest, EachMediaRuleFires) {
  for (const Case& c : kMediaCases) {
    SCOPED_TRACE(c.rule);
    ExpectFires(c, LintMedia(Media(c.text)));
  }
}

TEST(LintTest, EachMasterRuleFires) {
  for (const Case& c : kMasterCases) {
    SCOPED_TRACE(c.rule);
    ExpectFires(c, LintMaster(Master(c.text)));
  }
}

// Rules the parser makes unreachable from text (it rejects such playlists) are tested on
// playlists edited in code.
TEST(LintTest, ExtM3uFirstLine) {
  MediaPlaylist p = Media(kCleanLive);
  p.mutable_header().erase(p.mutable_header().begin());
  EXPECT_THAT(Ids(LintMedia(p)), Contains("hls.extm3u.first_line"));

  MasterPlaylist m = Master(kCleanMaster);
  m.mutable_items()[0].tag.line = 2;
  EXPECT_THAT(Ids(LintMaster(m)), Contains("hls.extm3u.first_line"));
}

TEST(LintTest, StreamInfWithoutUri) {
  MasterPlaylist m = Master(kCleanMaster);
  for (MasterItem& it : m.mutable_items()) {
    if (it.tag.type == TagType::kStreamInf) it.uri.clear();
  }
  EXPECT_THAT(Ids(LintMaster(m)), Contains("hls.master.stream_inf_uri"));
}

TEST(LintTest, SegmentWithoutExtinfOrNegative) {
  MediaPlaylist p = Media(HEAD SEG SEG);
  p.mutable_segments()[1].RemoveTags(TagType::kInf);
  std::vector<Finding> f = LintMedia(p);
  EXPECT_THAT(Ids(f), Contains("hls.segment.duration_positive")) << Dump(f);

  MediaPlaylist q = Media(HEAD SEG);
  q.mutable_segments()[0].SetDuration(-2);
  EXPECT_THAT(Ids(LintMedia(q)), Contains("hls.segment.duration_positive"));
}

// RFC 8216 §4.3.2.1: EXTINF's duration is "a decimal-floating-point or decimal-integer number";
// 0 is one (packagers write it for a placeholder or a gap): a warning, not an error. Negative or
// not a number stays an error.
TEST(LintTest, ZeroExtinfIsAWarningNegativeAndNanAreErrors) {
  std::vector<Finding> zero = LintMedia(Media("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n"
                                              "#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:6.000,\na10.ts\n"
                                              "#EXTINF:0,\na11.ts\n#EXTINF:6.000,\na12.ts\n"));
  EXPECT_THAT(Ids(zero), Not(Contains("hls.segment.duration_positive"))) << Dump(zero);
  auto it = std::find_if(zero.begin(), zero.end(),
                         [](const Finding& f) { return f.rule_id == "hls.segment.duration_zero"; });
  ASSERT_NE(it, zero.end()) << Dump(zero);
  EXPECT_EQ(it->severity, Severity::kWarning);
  EXPECT_EQ(it->line, 7);
  for (const Finding& f : zero) EXPECT_EQ(f.severity, Severity::kWarning) << Dump(zero);
  EXPECT_EQ(FindRule("hls.segment.duration_positive")->severity, Severity::kError);
  // The parser refuses "-0.5" / "abc" / "nan" itself; a playlist built in code can still hold them.
  MediaPlaylist negative = Media(HEAD SEG);
  negative.mutable_segments()[0].SetDuration(-0.5);
  std::vector<Finding> f = LintMedia(negative);
  auto neg = std::find_if(f.begin(), f.end(),
                          [](const Finding& x) { return x.rule_id == "hls.segment.duration_positive"; });
  ASSERT_NE(neg, f.end()) << Dump(f);
  EXPECT_EQ(neg->severity, Severity::kError);
}

// "#EXT-X-CUE-OUT:4,SpliceType=...": the leading duration counts (a break whose CUE-IN is missing
// past it is found), and an unparseable one is a finding.
TEST(LintTest, CueOutDurationThenAttributes) {
  std::string head = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n";
  std::string p = head + "#EXTINF:2.000,\na.ts\n#EXT-X-CUE-OUT:4,SpliceType=VOD_DAI,Action=REPLACE,PAID=x/1\n";
  for (int i = 0; i < 5; ++i) p += "#EXTINF:2.000,\nb" + std::to_string(i) + ".ts\n";
  EXPECT_THAT(Ids(LintMedia(Media(p))), Contains("hls.cue.out_without_in")) << Dump(LintMedia(Media(p)));
  std::vector<Finding> bad = LintMedia(
      Media(head + "#EXT-X-CUE-OUT:4s,SpliceType=VOD_DAI\n#EXTINF:2.000,\na.ts\n#EXT-X-CUE-IN\n#EXTINF:2.000,\nb.ts\n"));
  ASSERT_THAT(Ids(bad), Contains("hls.cue.out_duration_valid")) << Dump(bad);
}

TEST(LintTest, TagOrderWarnsOncePerPlaylistAndNotForCommentsOrTagsBeforeExtinf) {
#define HEAD4 "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:6\n"  // BYTERANGE needs 4
  std::vector<Finding> f = LintMedia(Media(HEAD4 "#EXTINF:6.0,\n#EXT-X-DISCONTINUITY\na.ts\n"
                                                "#EXTINF:6.0,\n#EXT-X-FOO:1\nb.ts\n"
                                                "#EXTINF:6.0,\n#EXT-X-BYTERANGE:100@0\nc.ts\n"));
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].rule_id, "hls.segment.tag_order");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_NE(f[0].message.find("#EXT-X-DISCONTINUITY sits between EXTINF and the URI of a.ts (and 1 more"),
            std::string::npos)
      << f[0].message;
  // Tags before EXTINF, comments and blank lines after it, and Apple's EXTINF, BYTERANGE, URI.
  EXPECT_THAT(LintMedia(Media(HEAD4 "#EXT-X-DISCONTINUITY\n#EXTINF:6.0,\n# a comment\n\na.ts\n"
                                   "#EXTINF:6.0,\n#EXT-X-BYTERANGE:100@0\nc.ts\n")),
              IsEmpty());
#undef HEAD4
}

TEST(LintTest, FindingsAreSortedByLine) {
  std::vector<Finding> f =
      LintMedia(Media("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n"
                      "#EXTINF:6.0,\na.ts\n#EXT-X-CUE-IN\n#EXTINF:0,\nb.ts\n"));
  ASSERT_GE(f.size(), 3u) << Dump(f);
  EXPECT_TRUE(std::is_sorted(f.begin(), f.end(),
                             [](const Finding& a, const Finding& b) { return a.line < b.line; }));
}

// ---------------------------------------------------------------------------------------------
// Cue markers: behaviour beyond "fires".
// ---------------------------------------------------------------------------------------------

TEST(LintTest, CueOutOpenAtLiveEdgeIsFine) {
  // 30 s break, 12 s of it published so far: no CUE-IN expected yet.
  std::vector<Finding> f =
      LintMedia(Media(HEAD "#EXT-X-MEDIA-SEQUENCE:0\n" SEG "#EXT-X-CUE-OUT:30\n" SEG
                           "#EXT-X-CUE-OUT-CONT:ElapsedTime=6.000,Duration=30\n" SEG SEG));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, CueInOnFirstSegmentIsFine) {
  // The break's CUE-OUT and ad segments slid out of the window.
  std::vector<Finding> f = LintMedia(Media(HEAD "#EXT-X-MEDIA-SEQUENCE:9\n#EXT-X-CUE-IN\n" SEGS3));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, CueOutWithoutDurationIsNotOverdue) {
  std::vector<Finding> f = LintMedia(Media(HEAD "#EXT-X-CUE-OUT\n" SEGS3 SEGS3));
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintTest, CueOutWithoutInReportsTheCueOutLine) {
  std::vector<Finding> f = LintMedia(Media(HEAD SEG "#EXT-X-CUE-OUT:6\n" SEG SEG SEG));
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].rule_id, "hls.cue.out_without_in");
  EXPECT_EQ(f[0].line, 6);
}

// ---------------------------------------------------------------------------------------------
// Reload rules.
// ---------------------------------------------------------------------------------------------

std::string Window(int64_t msn, int64_t dsn, const std::vector<std::string>& segs,
                   const std::string& extra_header = "", int td = 6) {
  std::string s = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" + std::to_string(td) +
                  "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string(msn) +
                  "\n#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(dsn) + "\n" + extra_header;
  for (const std::string& seg : segs) {
    if (seg.rfind("D:", 0) == 0) {
      s += "#EXT-X-DISCONTINUITY\n#EXTINF:6.0,\n" + seg.substr(2) + "\n";
    } else if (seg.rfind("#", 0) == 0) {
      s += seg + "\n";  // a raw tag line
    } else {
      s += "#EXTINF:6.0,\n" + seg + "\n";
    }
  }
  return s;
}

struct ReloadCase {
  const char* rule;
  std::vector<std::string> reloads;
};

std::vector<ReloadCase> ReloadCases() {
  const std::string pdt = "#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z";
  const std::string dr_a =
      "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2025-01-01T00:00:12.000Z\",DURATION=6";
  return {
      {"hls.media_sequence.monotonic",
       {Window(10, 0, {"a", "b", "c"}), Window(9, 0, {"z", "a", "b"})}},
      {"hls.media_sequence.stable_mapping",
       {Window(10, 0, {"a", "b", "c"}), Window(11, 0, {"b", "x", "d"})}},
      {"hls.media_sequence.stable_mapping",  // MSN bumped by 2 when one segment was removed
       {Window(10, 0, {"a", "b", "c"}), Window(12, 0, {"b", "c", "d"})}},
      {"hls.playlist.head_only_removal",
       {Window(10, 0, {"a", "b", "c", "d"}), Window(10, 0, {"a", "b", "c"})}},
      {"hls.discontinuity_sequence.on_removal",
       {Window(10, 0, {"a", "D:b", "c"}), Window(12, 0, {"c", "d", "e"})}},
      {"hls.discontinuity_sequence.monotonic",
       {Window(10, 3, {"a", "b", "c"}), Window(11, 2, {"b", "c", "d"})}},
      {"hls.discontinuity.stable_position",  // the splice moved from c to d
       {Window(10, 0, {"a", "b", "D:c", "d"}), Window(11, 0, {"b", "c", "D:d", "e"})}},
      {"hls.target_duration.constant",
       {Window(10, 0, {"a", "b", "c"}), Window(11, 0, {"b", "c", "d"}, "", 8)}},
      {"hls.daterange.no_early_removal",
       {Window(10, 0, {pdt, "a", "b", dr_a, "c", "d"}), Window(11, 0, {"b", "c", "d", "e"})}},
      {"hls.playlist_type.absent_live",
       {Window(0, 0, {"a", "b", "c", "d"}, "#EXT-X-PLAYLIST-TYPE:EVENT\n"),
        Window(1, 0, {"b", "c", "d", "e"}, "#EXT-X-PLAYLIST-TYPE:EVENT\n")}},
      {"hls.playlist.endlist_final",
       {Window(10, 0, {"a", "b", "c", "#EXT-X-ENDLIST"}), Window(10, 0, {"a", "b", "c", "d"})}},
      {"hls.daterange.same_id_same_values",
       {Window(10, 0, {pdt, "a", dr_a, "b", "c", "d"}),
        Window(11, 0,
               {pdt, "b",
                "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2025-01-01T00:00:12.000Z\",DURATION=9", "c",
                "d"})}},
      {"hls.daterange.id_required_unique",  // ID reused for a new range after the old one left
       {Window(10, 0, {pdt, "a", dr_a, "b", "c", "d"}), Window(14, 0, {pdt, "e", "f", "g", "h"}),
        Window(15, 0,
               {pdt, "f",
                "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2025-01-01T00:01:00.000Z\",DURATION=6", "g",
                "h", "i"})}},
  };
}

TEST(LintReloadTest, EachReloadRuleFires) {
  for (const ReloadCase& c : ReloadCases()) {
    SCOPED_TRACE(c.rule);
    std::vector<Finding> f = LintReloads(c.reloads);
    EXPECT_THAT(Ids(f), Contains(c.rule)) << Dump(f);
    for (const Finding& x : f) EXPECT_EQ(x.severity, FindRule(x.rule_id)->severity);
  }
}

TEST(LintReloadTest, CleanSlidingWindowHasNoFindings) {
  std::vector<Finding> f =
      LintReloads({Window(10, 0, {"a", "D:b", "c", "d"}), Window(11, 0, {"D:b", "c", "d", "e"}),
                   Window(12, 1, {"c", "d", "e", "D:f"}), Window(12, 1, {"c", "d", "e", "D:f"}),
                   Window(14, 1, {"e", "D:f", "g", "h"}), Window(15, 2, {"f", "g", "h", "i"}),
                   Window(15, 2, {"f", "g", "h", "i", "#EXT-X-ENDLIST"})},
                  /*single=*/true);
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

TEST(LintReloadTest, FirstObserveReportsNothing) {
  ReloadLinter r;
  EXPECT_THAT(r.Observe(Media(Window(10, 0, {"a", "b", "c"}))), IsEmpty());
  EXPECT_EQ(r.observed(), 1u);
  EXPECT_THAT(r.Observe(Media(Window(9, 0, {"z", "a", "b"}))), Not(IsEmpty()));
  r.Reset();
  EXPECT_THAT(r.Observe(Media(Window(9, 0, {"z", "a", "b"}))), IsEmpty());
}

TEST(LintReloadTest, DsnFindingNamesTheSegment) {
  std::vector<Finding> f =
      LintReloads({Window(10, 0, {"a", "D:b", "c"}), Window(12, 0, {"c", "d", "e"})});
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].rule_id, "hls.discontinuity_sequence.on_removal");
  EXPECT_EQ(f[0].line, 6);  // c's EXTINF in the second playlist
  EXPECT_NE(f[0].message.find("c"), std::string::npos);
}

TEST(LintReloadTest, DiscontinuityThatMovesNamesTheSegmentButTheHeadMayDropItsTag) {
  std::vector<Finding> f =
      LintReloads({Window(10, 0, {"a", "b", "c", "d"}), Window(11, 0, {"b", "D:c", "d", "e"})});
  ASSERT_THAT(Ids(f), Contains("hls.discontinuity.stable_position")) << Dump(f);
  for (const Finding& x : f) {
    if (x.rule_id == "hls.discontinuity.stable_position") {
      EXPECT_NE(x.message.find("segment c (MSN 12) gained an EXT-X-DISCONTINUITY"), std::string::npos) << x.message;
    }
  }
  // The head segment's tag may go when DISCONTINUITY-SEQUENCE takes it over.
  f = LintReloads({Window(10, 0, {"a", "D:b", "c"}), Window(11, 1, {"b", "c", "d"})});
  EXPECT_THAT(Ids(f), Not(Contains("hls.discontinuity.stable_position"))) << Dump(f);
}

TEST(LintReloadTest, DateRangeMayLeaveWithItsSegments) {
  const std::string pdt = "#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00.000Z";
  const std::string dr_a =
      "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2025-01-01T00:00:06.000Z\",DURATION=6";
  // Range [6, 12) covers b only; once b is gone the tag may go (c starts at 12).
  std::vector<Finding> f = LintReloads(
      {Window(10, 0, {pdt, "a", dr_a, "b", "c", "d"}),
       Window(11, 0, {pdt, "b", dr_a, "c", "d", "e"}),
       Window(12, 0, {"#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:12.000Z", "c", "d", "e", "f"})},
      /*single=*/true);
  EXPECT_THAT(f, IsEmpty()) << Dump(f);
}

// ---------------------------------------------------------------------------------------------
// Catalogue.
// ---------------------------------------------------------------------------------------------

TEST(LintCatalogueTest, IdsAreUniqueDottedAndCiteASection) {
  std::set<std::string_view> seen;
  for (const RuleInfo& r : LintRules()) {
    EXPECT_TRUE(seen.insert(r.id).second) << r.id;
    EXPECT_EQ(r.id.substr(0, 4), "hls.") << r.id;
    EXPECT_GE(std::count(r.id.begin(), r.id.end(), '.'), 2) << r.id;
    EXPECT_FALSE(r.section.empty()) << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_EQ(FindRule(r.id), &r);
  }
  EXPECT_EQ(FindRule("hls.no.such_rule"), nullptr);
  EXPECT_EQ(SeverityName(Severity::kError), "error");
  EXPECT_EQ(SeverityName(Severity::kWarning), "warning");
}

TEST(LintCatalogueTest, EveryRuleHasATriggeringTest) {
  std::set<std::string> covered = {"hls.extm3u.first_line", "hls.master.stream_inf_uri",
                                   "hls.segment.duration_positive"};
  for (const Case& c : kMediaCases) covered.insert(c.rule);
  for (const Case& c : kMasterCases) covered.insert(c.rule);
  for (const ReloadCase& c : ReloadCases()) covered.insert(c.rule);
  size_t single = 0, reload = 0;
  for (const RuleInfo& r : LintRules()) {
    EXPECT_TRUE(covered.count(std::string(r.id))) << r.id << " has no triggering test";
    (r.scope == RuleScope::kReload ? reload : single)++;
  }
  EXPECT_GE(single, 20u);
  EXPECT_GE(reload, 6u);
}

// ---------------------------------------------------------------------------------------------
// Fixtures (fixtures/lint/README.md). Tests run from the repository root.
// ---------------------------------------------------------------------------------------------

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Finding> LintFixture(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.path().extension() == ".m3u8") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<std::string> texts;
  for (const std::string& f : files) texts.push_back(ReadFile(f));
  return LintReloads(texts, /*single=*/true);
}

TEST(LintFixtureTest, Fixtures) {
  if (!std::filesystem::exists("fixtures/lint")) GTEST_SKIP() << "run from the repository root";
  struct Expect {
    const char* path;
    std::set<std::string> rules;
  };
  const Expect kExpect[] = {
      {"fixtures/lint/clean_live", {}},
      {"fixtures/lint/bad/target_duration_bound.m3u8", {"hls.target_duration.bound"}},
      {"fixtures/lint/bad/daterange_unquoted_id.m3u8",
       {"hls.daterange.id_required_unique", "hls.daterange.requires_pdt"}},
      {"fixtures/lint/bad/cue_out_without_in.m3u8", {"hls.cue.out_without_in"}},
      {"fixtures/lint/bad/interstitial.m3u8",
       {"hls.interstitial.asset_xor", "hls.interstitial.snap_restrict",
        "hls.interstitial.resume_offset"}},
      {"fixtures/lint/bad_reload/dsn_not_bumped", {"hls.discontinuity_sequence.on_removal"}},
      {"fixtures/lint/bad_reload/msn_reset", {"hls.media_sequence.monotonic"}},
  };
  for (const Expect& e : kExpect) {
    std::vector<Finding> f = LintFixture(e.path);
    EXPECT_EQ(Ids(f), e.rules) << e.path << "\n" << Dump(f);
  }
}

}  // namespace
}  // namespace ssai::hls
