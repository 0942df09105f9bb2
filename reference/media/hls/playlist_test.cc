#include "reference/media/hls/playlist.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "reference/base/splitmix64.h"

namespace ssai::hls {
namespace {

UnixMicros T(std::string_view iso) { return ParseIso8601(iso).value(); }

MediaPlaylist MustParseMedia(std::string_view text) {
  Result<MediaPlaylist> r = ParseMedia(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : MediaPlaylist();
}

std::string MediaError(std::string_view text) {
  Result<MediaPlaylist> r = ParseMedia(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  return r.ok() ? "" : r.status().message();
}

std::string AnyError(std::string_view text) {
  Result<Playlist> r = Parse(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Tag table

TEST(TagTableTest, NamesRoundTrip) {
  for (int i = 0; i < static_cast<int>(TagType::kUnknown); ++i) {
    const TagType type = static_cast<TagType>(i);
    ASSERT_FALSE(TagName(type).empty()) << i;
    EXPECT_EQ(TagTypeFromName(TagName(type)), type) << TagName(type);
  }
  EXPECT_EQ(TagName(TagType::kUnknown), "");
  EXPECT_EQ(TagName(TagType::kComment), "");
  EXPECT_EQ(TagName(TagType::kBlank), "");
  EXPECT_EQ(TagName(TagType::kTargetDuration), "EXT-X-TARGETDURATION");
  EXPECT_EQ(TagTypeFromName("EXT-X-FOO"), TagType::kUnknown);
  EXPECT_EQ(TagTypeFromName("ext-x-endlist"), TagType::kUnknown);
  EXPECT_EQ(TagTypeFromName("EXT-X-CUE-OUT-CONT"), TagType::kCueOutCont);
  EXPECT_EQ(TagTypeFromName(""), TagType::kUnknown);
  EXPECT_TRUE(IsPlaylistLevelTag(TagType::kMediaSequence));
  EXPECT_FALSE(IsPlaylistLevelTag(TagType::kDateRange));
  EXPECT_FALSE(IsPlaylistLevelTag(TagType::kKey));
}

TEST(TagTest, ToLineAndFactories) {
  EXPECT_EQ(Tag::Make(TagType::kDiscontinuity).ToLine(), "#EXT-X-DISCONTINUITY");
  EXPECT_EQ(Tag::Make(TagType::kCueOut, "30").ToLine(), "#EXT-X-CUE-OUT:30");
  EXPECT_EQ(Tag::Unknown("EXT-X-FOO", "bar").ToLine(), "#EXT-X-FOO:bar");
  EXPECT_EQ(Tag::Unknown("EXT-X-FOO", "").ToLine(), "#EXT-X-FOO");
  EXPECT_EQ(Tag::Comment(" text").ToLine(), "# text");
  EXPECT_EQ(Tag::Make(TagType::kBlank).ToLine(), "");
}

// ---------------------------------------------------------------------------------------------
// Media playlists

constexpr std::string_view kLive =
    "#EXTM3U\n"
    "#EXT-X-VERSION:6\n"
    "#EXT-X-TARGETDURATION:6\n"
    "#EXT-X-MEDIA-SEQUENCE:1042\n"
    "#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
    "# packaged by a test\n"
    "#EXT-X-KEY:METHOD=AES-128,URI=\"https://k.example/key?id=1,2\",IV=0x0123456789ABCDEF0123456789ABCDEF\n"
    "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n"
    "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:34.000Z\n"
    "#EXTINF:6.000,\n"
    "#EXT-X-BYTERANGE:100000@720\n"
    "main.mp4\n"
    "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:40.000Z\n"
    "#EXT-X-DATERANGE:ID=\"splice-6FFFFFF0\",START-DATE=\"2025-11-04T05:21:46.000Z\","
    "PLANNED-DURATION=30.000,SCTE35-OUT=0xFC302000000000000000FFF00F05000000017FEFFE001B7740FE00293280\n"
    "#EXTINF:6.000,\n"
    "#EXT-X-BYTERANGE:100000\n"
    "main.mp4\n"
    "#EXT-OATCLS-SCTE35:/DAlAAAAAAAAAP/wFAUAAAABf+/+ABt3QP4AKTKAAAAAAADq7tBQ\n"
    "#EXT-X-CUE-OUT:30.000\n"
    "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:46.000Z\n"
    "#EXTINF:6.000,\n"
    "seg1044.ts\n"
    "#EXT-X-CUE-OUT-CONT:ElapsedTime=6.000,Duration=30.000\n"
    "#EXTINF:6.000,\n"
    "seg1045.ts\n"
    "\n"
    "#EXT-X-CUE-IN\n"
    "#EXT-X-DISCONTINUITY\n"
    "#EXTINF:5.5,title, with comma\n"
    "seg1046.ts\n"
    "#EXT-X-CUE-OUT:DURATION=12\n";

TEST(MediaPlaylistTest, LiveSlidingWindow) {
  MediaPlaylist p = MustParseMedia(kLive);
  EXPECT_EQ(Serialize(p), kLive);
  EXPECT_FALSE(p.crlf());
  EXPECT_TRUE(p.final_newline());

  EXPECT_EQ(p.version(), 6);
  EXPECT_EQ(p.target_duration_s(), 6);
  EXPECT_EQ(p.media_sequence(), 1042);
  EXPECT_EQ(p.discontinuity_sequence(), 3);
  EXPECT_FALSE(p.endlist());
  EXPECT_EQ(p.playlist_type(), std::nullopt);

  ASSERT_EQ(p.header().size(), 6u);
  EXPECT_EQ(p.header()[0].type, TagType::kExtM3u);
  EXPECT_EQ(p.header()[5].type, TagType::kComment);
  EXPECT_EQ(p.header()[5].value, " packaged by a test");
  EXPECT_EQ(p.header()[5].line, 6);

  ASSERT_EQ(p.segments().size(), 5u);
  const MediaSegment& s0 = p.segments()[0];
  ASSERT_EQ(s0.tags().size(), 5u);
  EXPECT_EQ(s0.tags()[0].type, TagType::kKey);
  EXPECT_EQ(s0.tags()[1].type, TagType::kMap);
  EXPECT_EQ(s0.tags()[4].type, TagType::kByteRange);
  EXPECT_EQ(s0.tags()[4].value, "100000@720");
  EXPECT_EQ(s0.uri(), "main.mp4");
  EXPECT_EQ(s0.line(), 10);
  EXPECT_EQ(s0.uri_line(), 12);
  EXPECT_EQ(s0.program_date_time(), T("2025-11-04T05:21:34Z"));

  Result<AttributeList> key = ParseTagAttributes(*s0.Find(TagType::kKey));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->GetEnum("METHOD"), "AES-128");
  EXPECT_EQ(key->GetQuotedString("URI"), "https://k.example/key?id=1,2");
  EXPECT_EQ(key->GetHex("IV"), "0x0123456789ABCDEF0123456789ABCDEF");

  const MediaSegment& s1 = p.segments()[1];
  Result<AttributeList> dr = ParseTagAttributes(*s1.Find(TagType::kDateRange));
  ASSERT_TRUE(dr.ok()) << dr.status().ToString();
  EXPECT_EQ(dr->GetQuotedString("ID"), "splice-6FFFFFF0");
  EXPECT_EQ(dr->GetDate("START-DATE"), T("2025-11-04T05:21:46Z"));
  EXPECT_EQ(dr->GetFloat("PLANNED-DURATION"), 30.0);
  EXPECT_TRUE(dr->GetHex("SCTE35-OUT").has_value());

  const MediaSegment& s2 = p.segments()[2];
  EXPECT_TRUE(s2.Has(TagType::kOatclsScte35));
  EXPECT_EQ(s2.Find(TagType::kCueOut)->value, "30.000");
  EXPECT_EQ(p.segments()[3].Find(TagType::kCueOutCont)->value, "ElapsedTime=6.000,Duration=30.000");

  const MediaSegment& s4 = p.segments()[4];
  ASSERT_EQ(s4.tags().size(), 4u);
  EXPECT_EQ(s4.tags()[0].type, TagType::kBlank);
  EXPECT_TRUE(s4.Has(TagType::kCueIn));
  EXPECT_TRUE(s4.discontinuity());
  EXPECT_FALSE(s4.gap());
  EXPECT_EQ(s4.duration_s(), 5.5);
  EXPECT_EQ(s4.title(), "title, with comma");

  ASSERT_EQ(p.trailer().size(), 1u);
  EXPECT_EQ(p.trailer()[0].type, TagType::kCueOut);
  EXPECT_EQ(p.trailer()[0].line, 31);

  EXPECT_DOUBLE_EQ(p.TotalDuration(), 29.5);
  EXPECT_EQ(p.SequenceNumberOf(4), 1046);
  EXPECT_EQ(p.SegmentStartTime(2), T("2025-11-04T05:21:46Z"));
  EXPECT_EQ(p.SegmentStartTime(3), T("2025-11-04T05:21:52Z"));
  EXPECT_EQ(p.SegmentStartTime(4), T("2025-11-04T05:21:58Z"));
  EXPECT_EQ(p.DiscontinuitySequenceOf(0), 3);
  EXPECT_EQ(p.DiscontinuitySequenceOf(3), 3);
  EXPECT_EQ(p.DiscontinuitySequenceOf(4), 4);
}

// SegmentStartTimes (one pass) gives SegmentStartTime of every segment: PDT on none, the first,
// the last, a middle one, every third (with fractional durations that round per segment).
TEST(MediaPlaylistTest, SegmentStartTimesEqualsPerSegmentStartTime) {
  for (int pdt_every : {0, -1, -2, -3, 3, 1}) {
    std::string text = "#EXTM3U\n#EXT-X-TARGETDURATION:7\n";
    const int n = 12;
    for (int i = 0; i < n; ++i) {
      const bool pdt = (pdt_every > 0 && i % pdt_every == 0) || (pdt_every == -1 && i == 0) ||
                       (pdt_every == -2 && i == n - 1) || (pdt_every == -3 && i == 5);
      if (pdt) text += "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:" + std::to_string(10 + i) + ".5Z\n";
      text += "#EXTINF:" + std::to_string(6.0 + 0.0013 * i) + ",\nseg" + std::to_string(i) + ".ts\n";
    }
    MediaPlaylist p = MustParseMedia(text);
    const std::vector<std::optional<UnixMicros>> all = p.SegmentStartTimes();
    ASSERT_EQ(all.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(all[i], p.SegmentStartTime(i)) << "pdt_every " << pdt_every << " i " << i;
  }
}

TEST(MediaPlaylistTest, VodWithEndlist) {
  constexpr std::string_view kVod =
      "#EXTM3U\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n"
      "#EXT-X-TARGETDURATION:10\n"
      "#EXTINF:9.009,\n"
      "a.ts\n"
      "#EXT-X-GAP\n"
      "#EXTINF:9.009,\n"
      "b.ts\n"
      "#EXT-X-ENDLIST\n";
  MediaPlaylist p = MustParseMedia(kVod);
  EXPECT_EQ(Serialize(p), kVod);
  EXPECT_TRUE(p.endlist());
  EXPECT_EQ(p.playlist_type(), "VOD");
  EXPECT_EQ(p.version(), 1);
  EXPECT_EQ(p.media_sequence(), 0);
  EXPECT_EQ(p.discontinuity_sequence(), 0);
  EXPECT_TRUE(p.segments()[1].gap());
  EXPECT_EQ(p.SegmentStartTime(0), std::nullopt);
}

TEST(MediaPlaylistTest, LowLatencyPartsAndPreloadHints) {
  constexpr std::string_view kLl =
      "#EXTM3U\n"
      "#EXT-X-VERSION:9\n"
      "#EXT-X-TARGETDURATION:4\n"
      "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0,CAN-SKIP-UNTIL=24.0\n"
      "#EXT-X-PART-INF:PART-TARGET=0.33334\n"
      "#EXT-X-MEDIA-SEQUENCE:266\n"
      "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:34.000Z\n"
      "#EXT-X-MAP:URI=\"init.mp4\"\n"
      "#EXTINF:4.00008,\n"
      "fileSequence266.mp4\n"
      "#EXT-X-PART:DURATION=0.33334,URI=\"filePart267.0.mp4\",INDEPENDENT=YES\n"
      "#EXT-X-PART:DURATION=0.33334,URI=\"filePart267.1.mp4\"\n"
      "#EXTINF:4.00008,\n"
      "fileSequence267.mp4\n"
      "#EXT-X-PART:DURATION=0.33334,URI=\"filePart268.0.mp4\",INDEPENDENT=YES\n"
      "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"filePart268.1.mp4\"\n"
      "#EXT-X-RENDITION-REPORT:URI=\"../1M/waitForMSN.php\",LAST-MSN=273,LAST-PART=2\n";
  MediaPlaylist p = MustParseMedia(kLl);
  EXPECT_EQ(Serialize(p), kLl);
  EXPECT_EQ(p.header().size(), 6u);
  ASSERT_EQ(p.segments().size(), 2u);
  EXPECT_EQ(p.segments()[1].tags().size(), 3u);
  EXPECT_EQ(p.segments()[1].tags()[0].type, TagType::kPart);
  ASSERT_EQ(p.trailer().size(), 3u);
  EXPECT_EQ(p.trailer()[1].type, TagType::kPreloadHint);
  EXPECT_EQ(p.trailer()[2].type, TagType::kRenditionReport);
  EXPECT_EQ(p.SegmentStartTime(1), T("2025-11-04T05:21:38.00008Z"));
  Result<AttributeList> part = ParseTagAttributes(p.segments()[1].tags()[0]);
  ASSERT_TRUE(part.ok());
  EXPECT_DOUBLE_EQ(*part->GetFloat("DURATION"), 0.33334);
  EXPECT_EQ(part->GetEnum("INDEPENDENT"), "YES");
}

TEST(MediaPlaylistTest, CrlfRoundTrip) {
  constexpr std::string_view kCrlf =
      "#EXTM3U\r\n"
      "#EXT-X-TARGETDURATION:6\r\n"
      "#EXT-X-MEDIA-SEQUENCE:7\r\n"
      "#EXTINF:6.0,\r\n"
      "a.ts\r\n"
      "#EXT-X-ENDLIST\r\n";
  MediaPlaylist p = MustParseMedia(kCrlf);
  EXPECT_TRUE(p.crlf());
  EXPECT_EQ(p.media_sequence(), 7);
  EXPECT_EQ(p.segments()[0].uri(), "a.ts");
  EXPECT_TRUE(p.endlist());
  EXPECT_EQ(Serialize(p), kCrlf);
  p.set_crlf(false);
  EXPECT_EQ(Serialize(p),
            "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:6.0,\na.ts\n"
            "#EXT-X-ENDLIST\n");
}

TEST(MediaPlaylistTest, SloppyInputRoundTripsExactly) {
  // Mixed line endings (the '\r' stays in the text), trailing whitespace on tags, comments,
  // unknown tags, lower-case "tags" (comments per RFC 8216 §4.1) and no final newline.
  constexpr std::string_view kSloppy =
      "#EXTM3U \n"
      "#EXT-X-TARGETDURATION: 6 \r\n"
      "#EXT-X-FOO:bar=1,baz\n"
      "#EXT-X-NO-VALUE\n"
      "#ext-x-lowercase:1\n"
      "#\n"
      "   \n"
      "#EXT-X-DISCONTINUITY \t\n"
      "#EXTINF:2\n"
      "a b.ts \n"
      "#EXT-X-ENDLIST\r";
  MediaPlaylist p = MustParseMedia(kSloppy);
  EXPECT_EQ(Serialize(p), kSloppy);
  EXPECT_FALSE(p.crlf());
  EXPECT_FALSE(p.final_newline());
  EXPECT_EQ(p.target_duration_s(), 6);
  ASSERT_EQ(p.header().size(), 7u);
  EXPECT_EQ(p.header()[0].type, TagType::kExtM3u);
  EXPECT_EQ(p.header()[0].value, " ");
  EXPECT_FALSE(p.header()[0].has_value);
  EXPECT_EQ(p.header()[2].type, TagType::kUnknown);
  EXPECT_EQ(p.header()[2].name, "EXT-X-FOO");
  EXPECT_EQ(p.header()[2].value, "bar=1,baz");
  EXPECT_EQ(p.header()[3].name, "EXT-X-NO-VALUE");
  EXPECT_FALSE(p.header()[3].has_value);
  EXPECT_EQ(p.header()[4].type, TagType::kComment);
  EXPECT_EQ(p.header()[5].type, TagType::kComment);
  EXPECT_EQ(p.header()[6].type, TagType::kBlank);
  ASSERT_EQ(p.segments().size(), 1u);
  EXPECT_TRUE(p.segments()[0].discontinuity());
  EXPECT_EQ(p.segments()[0].duration_s(), 2.0);
  EXPECT_EQ(p.segments()[0].title(), "");
  EXPECT_EQ(p.segments()[0].uri(), "a b.ts ");
  EXPECT_TRUE(p.endlist());  // "#EXT-X-ENDLIST\r": the '\r' is trailing whitespace
}

TEST(MediaPlaylistTest, EmptyMediaPlaylist) {
  MediaPlaylist p = MustParseMedia("#EXTM3U");
  EXPECT_EQ(Serialize(p), "#EXTM3U");
  EXPECT_TRUE(p.segments().empty());
  EXPECT_EQ(p.header().size(), 1u);
}

TEST(MediaPlaylistTest, PlaylistTagAmongSegmentsIsStillFound) {
  MediaPlaylist p = MustParseMedia(
      "#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:00Z\n#EXT-X-TARGETDURATION:4\n"
      "#EXTINF:4,\na.ts\n#EXT-X-MEDIA-SEQUENCE:9\n#EXTINF:4,\nb.ts\n");
  EXPECT_EQ(p.header().size(), 1u);
  EXPECT_EQ(p.target_duration_s(), 4);
  EXPECT_EQ(p.media_sequence(), 9);
  p.SetMediaSequence(10);  // rewrites the tag where it is; does not add a second one
  EXPECT_EQ(p.segments()[1].tags()[0].value, "10");
  EXPECT_EQ(p.header().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Multivariant playlists

constexpr std::string_view kMaster =
    "#EXTM3U\n"
    "#EXT-X-VERSION:6\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\",DEFAULT=YES,"
    "AUTOSELECT=YES,URI=\"audio/en.m3u8\"\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,CODECS=\"avc1.4d401f,mp4a.40.2\","
    "RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO=\"aac\"\n"
    "video/720p.m3u8\n"
    "# low\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=640000,CODECS=\"avc1.4d401e,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"aac\"\n"
    "# between\n"
    "\n"
    "video/360p.m3u8\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,CODECS=\"avc1.4d401f\",RESOLUTION=1280x720,"
    "URI=\"video/720p_iframes.m3u8\"\n"
    "#EXT-X-FUTURE-TAG:X=1\n";

// EXT-X-MEDIA as packagers write it: attributes in any order, SUBTITLES with FORCED and
// CHARACTERISTICS, a malformed one (unterminated quote) read as all-empty, not an error.
TEST(MasterPlaylistTest, MediaReadsAttributesInAnyOrder) {
  Result<MasterPlaylist> m = ParseMaster(
      "#EXTM3U\n"
      "#EXT-X-MEDIA:URI=\"subs/fr.m3u8\",NAME=\"Francais\",TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"fr\","
      "FORCED=YES,AUTOSELECT=NO,CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"broken\",URI=\"x.m3u8\n"
      "#EXT-X-STREAM-INF:SUBTITLES=\"subs\",BANDWIDTH=1000\n"
      "v.m3u8\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<MediaInfo> media = m->Media();
  ASSERT_EQ(media.size(), 2u);
  EXPECT_EQ(media[0].type, "SUBTITLES");
  EXPECT_EQ(media[0].group_id, "subs");
  EXPECT_EQ(media[0].uri, "subs/fr.m3u8");
  EXPECT_TRUE(media[0].forced);
  EXPECT_FALSE(media[0].autoselect);
  EXPECT_EQ(media[1].type, "");
  EXPECT_EQ(media[1].uri, "");
  ASSERT_EQ(m->Variants().size(), 1u);
  EXPECT_EQ(m->Variants()[0].subtitles_group, "subs");
}

TEST(MasterPlaylistTest, ParseAndRoundTrip) {
  Result<Playlist> any = Parse(kMaster);
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  ASSERT_TRUE(std::holds_alternative<MasterPlaylist>(*any));
  const MasterPlaylist& m = std::get<MasterPlaylist>(*any);
  EXPECT_EQ(Serialize(m), kMaster);
  EXPECT_EQ(m.version(), 6);
  ASSERT_EQ(m.items().size(), 9u);
  EXPECT_EQ(m.items()[3].tag.type, TagType::kMedia);
  EXPECT_EQ(m.items()[5].tag.type, TagType::kComment);
  EXPECT_EQ(m.items()[6].between.size(), 2u);
  EXPECT_EQ(m.items()[6].uri_line, 11);
  EXPECT_EQ(m.items()[8].tag.type, TagType::kUnknown);

  std::vector<VariantInfo> v = m.Variants();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].item_index, 4u);
  EXPECT_EQ(v[0].bandwidth, 1280000);
  EXPECT_EQ(v[0].average_bandwidth, 1000000);
  EXPECT_EQ(v[0].codecs, "avc1.4d401f,mp4a.40.2");
  EXPECT_EQ(v[0].resolution, "1280x720");
  EXPECT_EQ(v[0].audio_group, "aac");
  EXPECT_EQ(v[0].uri, "video/720p.m3u8");
  EXPECT_EQ(v[1].bandwidth, 640000);
  EXPECT_EQ(v[1].average_bandwidth, std::nullopt);
  EXPECT_EQ(v[1].uri, "video/360p.m3u8");

  std::vector<MediaInfo> media = m.Media();
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(media[0].item_index, 3u);
  EXPECT_EQ(media[0].type, "AUDIO");
  EXPECT_EQ(media[0].group_id, "aac");
  EXPECT_EQ(media[0].name, "English");
  EXPECT_EQ(media[0].language, "en");
  EXPECT_EQ(media[0].uri, "audio/en.m3u8");
  EXPECT_TRUE(media[0].is_default);
  EXPECT_TRUE(media[0].autoselect);
  EXPECT_FALSE(media[0].forced);

  Result<AttributeList> a = ParseTagAttributes(m.items()[4].tag);
  ASSERT_TRUE(a.ok());
  EXPECT_DOUBLE_EQ(*a->GetFloat("FRAME-RATE"), 29.97);
  AttributeList::Resolution r = *a->GetResolution("RESOLUTION");
  EXPECT_EQ(r.width_px, 1280);
  EXPECT_EQ(r.height_px, 720);
}

TEST(MasterPlaylistTest, CrlfAndNoFinalNewline) {
  constexpr std::string_view kText = "#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=1\r\na.m3u8";
  Result<MasterPlaylist> m = ParseMaster(kText);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->crlf());
  EXPECT_FALSE(m->final_newline());
  EXPECT_EQ(Serialize(*m), kText);
}

TEST(ParseTest, PicksKind) {
  Result<Playlist> media = Parse(kLive);
  ASSERT_TRUE(media.ok());
  EXPECT_TRUE(std::holds_alternative<MediaPlaylist>(*media));
  Result<Playlist> empty = Parse("#EXTM3U\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(std::holds_alternative<MediaPlaylist>(*empty));
}

// ---------------------------------------------------------------------------------------------
// Errors: every message names its line.

TEST(ParseErrorTest, Messages) {
  EXPECT_EQ(AnyError(""), "line 1: playlist must start with #EXTM3U");
  EXPECT_EQ(AnyError("#EXTINF:1,\na.ts\n"), "line 1: playlist must start with #EXTM3U");
  EXPECT_EQ(AnyError("\n#EXTM3U\n"), "line 1: playlist must start with #EXTM3U");
  EXPECT_EQ(AnyError("#EXTM3UX\n"), "line 1: playlist must start with #EXTM3U");
  EXPECT_EQ(AnyError("\xEF\xBB\xBF#EXTM3U\n"),
            "line 1: playlist starts with a byte order mark, which RFC 8216 §4.1 forbids");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:x\n"),
            "line 3: EXT-X-TARGETDURATION value 'x' is not a decimal-integer");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-TARGETDURATION:6.5\n"),
            "line 2: EXT-X-TARGETDURATION value '6.5' is not a decimal-integer");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-TARGETDURATION:-6\n"),
            "line 2: EXT-X-TARGETDURATION value '-6' is not a decimal-integer");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-TARGETDURATION\n"), "line 2: EXT-X-TARGETDURATION has no value");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:99999999999999999999\n"),
            "line 2: EXT-X-MEDIA-SEQUENCE value '99999999999999999999' is out of range");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-DISCONTINUITY-SEQUENCE:a\n"),
            "line 2: EXT-X-DISCONTINUITY-SEQUENCE value 'a' is not a decimal-integer");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-VERSION:three\n"),
            "line 2: EXT-X-VERSION value 'three' is not a decimal-integer");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-TARGETDURATION:6\n\n\n\n\n#EXTINF:abc,\na.ts\n"),
            "line 7: EXTINF duration 'abc' is not a number");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:nan,\na.ts\n"), "line 2: EXTINF duration 'nan' is not a number");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:-1,\na.ts\n"), "line 2: EXTINF duration '-1' is negative");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF\na.ts\n"), "line 2: EXTINF has no duration");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:,x\na.ts\n"), "line 2: EXTINF has no duration");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:1,\na.ts\n#EXTINF:1,\n"), "line 4: EXTINF without a URI");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:1,\n#EXTINF:1,\na.ts\n"), "line 2: EXTINF without a URI");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXTINF:1,\na.ts\nb.ts\n"), "line 4: URI 'b.ts' has no EXTINF");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n"),
            "line 3: EXT-X-STREAM-INF is a multivariant playlist tag, but this is a media playlist "
            "(EXT-X-TARGETDURATION at line 2)");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO\n#EXTINF:1,\na.ts\n"),
            "line 3: EXTINF is a media playlist tag, but this is a multivariant playlist "
            "(EXT-X-MEDIA at line 2)");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n"), "line 2: EXT-X-STREAM-INF without a URI");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\na.m3u8\n"),
            "line 2: EXT-X-STREAM-INF without a URI (line 3 is a tag)");
  EXPECT_EQ(AnyError("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\nb.m3u8\n"),
            "line 4: URI 'b.m3u8' does not follow an EXT-X-STREAM-INF");

  // The specific parsers reject the other kind without a context line.
  Result<MasterPlaylist> m = ParseMaster("#EXTM3U\n#EXTINF:1,\na.ts\n");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "line 2: EXTINF is a media playlist tag, but this is a multivariant playlist");
  EXPECT_EQ(MediaError("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n"),
            "line 2: EXT-X-STREAM-INF is a multivariant playlist tag, but this is a media playlist");
}

TEST(ParseErrorTest, LongValuesAreCutInMessages) {
  std::string bad = "#EXTM3U\n#EXTINF:" + std::string(1000, 'x') + ",\na.ts\n";
  std::string msg = MediaError(bad);
  EXPECT_LT(msg.size(), 120u);
  EXPECT_NE(msg.find("...'"), std::string::npos);
}

TEST(ParseErrorTest, Limits) {
  std::string big = "#EXTM3U\n";
  big.resize(kMaxPlaylistBytes + 1, '\n');
  EXPECT_EQ(AnyError(big), "playlist is 16777217 bytes; the limit is 16777216");
  std::string many = "#EXTM3U";
  many.append(kMaxPlaylistLines, '\n');
  EXPECT_EQ(MediaError(many), "playlist has 1048577 lines; the limit is 1048576");
}

// ---------------------------------------------------------------------------------------------
// Attribute lists

TEST(AttributeListTest, Forms) {
  Result<AttributeList> r = AttributeList::Parse(
      "METHOD=AES-128,URI=\"a,b=c\",IV=0xABCDEF01,RESOLUTION=1920x1080,"
      "X-OFFSET=-1.5,BANDWIDTH=5000000,EMPTY=\"\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const AttributeList& a = *r;
  ASSERT_EQ(a.attributes().size(), 7u);
  EXPECT_EQ(a.GetEnum("METHOD"), "AES-128");
  EXPECT_EQ(a.GetQuotedString("URI"), "a,b=c");
  EXPECT_EQ(a.GetHex("IV"), "0xABCDEF01");
  EXPECT_EQ(a.GetResolution("RESOLUTION")->width_px, 1920);
  EXPECT_EQ(a.GetResolution("RESOLUTION")->height_px, 1080);
  EXPECT_EQ(a.GetFloat("X-OFFSET"), -1.5);
  EXPECT_EQ(a.GetInteger("BANDWIDTH"), 5000000);
  EXPECT_EQ(a.GetFloat("BANDWIDTH"), 5000000.0);
  EXPECT_EQ(a.GetQuotedString("EMPTY"), "");
  EXPECT_TRUE(a.Has("EMPTY"));
  EXPECT_FALSE(a.Has("MISSING"));

  // Wrong forms give nullopt.
  EXPECT_EQ(a.GetQuotedString("METHOD"), std::nullopt);
  EXPECT_EQ(a.GetEnum("URI"), std::nullopt);
  EXPECT_EQ(a.GetInteger("X-OFFSET"), std::nullopt);
  EXPECT_EQ(a.GetInteger("METHOD"), std::nullopt);
  EXPECT_EQ(a.GetFloat("METHOD"), std::nullopt);
  EXPECT_EQ(a.GetHex("BANDWIDTH"), std::nullopt);
  EXPECT_EQ(a.GetResolution("BANDWIDTH"), std::nullopt);
  EXPECT_EQ(a.GetDate("URI"), std::nullopt);
  EXPECT_EQ(a.GetInteger("MISSING"), std::nullopt);
}

TEST(AttributeListTest, LenientWhitespaceCaseAndTrailingComma) {
  Result<AttributeList> r = AttributeList::Parse("ElapsedTime=6.000, Duration=30 ,");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetFloat("ElapsedTime"), 6.0);
  EXPECT_EQ(r->GetInteger("Duration"), 30);
  Result<AttributeList> empty = AttributeList::Parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->attributes().empty());
}

TEST(AttributeListTest, Errors) {
  auto error = [](std::string_view text) {
    Result<AttributeList> r = AttributeList::Parse(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(error("METHOD=AES-128,URI=\"abc"), "column 20: attribute 'URI': quoted-string is not terminated");
  EXPECT_EQ(error("A=1,B=2,A=3"), "column 9: attribute 'A' appears more than once");
  EXPECT_EQ(error("A=1,B"), "column 6: attribute 'B' has no '=' and value");
  EXPECT_EQ(error("A=1,,B=2"), "column 5: expected an attribute name");
  EXPECT_EQ(error("A="), "column 3: attribute 'A' has no value");
  EXPECT_EQ(error("=1"), "column 1: expected an attribute name");
  EXPECT_EQ(error("A=\"x\"y"), "column 6: attribute 'A': unexpected text after the quoted-string");
  EXPECT_EQ(error("A=x\"y\""), "column 4: attribute 'A': unexpected '\"' in an unquoted value");
  EXPECT_EQ(error("A B=1"), "column 2: attribute name 'A B' contains an invalid character");

  Tag tag = Tag::Make(TagType::kKey, "METHOD=NONE,METHOD=NONE");
  tag.line = 12;
  Result<AttributeList> r = ParseTagAttributes(tag);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 12: EXT-X-KEY: column 13: attribute 'METHOD' appears more than once");
}

TEST(AttributeListTest, ManyAttributesDuplicateCheck) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "A" + std::to_string(i) + "=1,";
  ASSERT_TRUE(AttributeList::Parse(text).ok());
  text += "A7=2";
  Result<AttributeList> r = AttributeList::Parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column " + std::to_string(text.size() - 3) +
                                      ": attribute 'A7' appears more than once");
}

TEST(AttributeWriterTest, Builds) {
  AttributeWriter w;
  w.Enum("METHOD", "AES-128")
      .Quoted("URI", "k.bin")
      .Raw("IV", "0x01")
      .Integer("BANDWIDTH", 1280000)
      .Float("DURATION", 6.006)
      .Float("X", -0.5)
      .Date("START-DATE", T("2025-11-04T05:21:34.120Z"));
  EXPECT_EQ(w.str(),
            "METHOD=AES-128,URI=\"k.bin\",IV=0x01,BANDWIDTH=1280000,DURATION=6.006,X=-0.5,"
            "START-DATE=\"2025-11-04T05:21:34.120Z\"");
  Result<AttributeList> back = AttributeList::Parse(w.str());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->GetDate("START-DATE"), T("2025-11-04T05:21:34.120Z"));
  const std::string expected = w.str();
  EXPECT_EQ(w.Take(), expected);
}

// ---------------------------------------------------------------------------------------------
// Mutators

TEST(MutatorTest, PlaylistLevel) {
  MediaPlaylist p = MustParseMedia(
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n# note\n#EXTINF:6,\na.ts\n");
  p.SetMediaSequence(5);
  p.SetDiscontinuitySequence(2);
  p.SetTargetDuration(8);
  p.SetVersion(4);
  EXPECT_EQ(Serialize(p),
            "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:8\n#EXT-X-MEDIA-SEQUENCE:5\n"
            "#EXT-X-DISCONTINUITY-SEQUENCE:2\n# note\n#EXTINF:6,\na.ts\n");
  EXPECT_EQ(p.media_sequence(), 5);
  EXPECT_EQ(p.discontinuity_sequence(), 2);
  EXPECT_EQ(p.target_duration_s(), 8);
  EXPECT_EQ(p.version(), 4);
  p.SetMediaSequence(6);
  EXPECT_EQ(p.media_sequence(), 6);
  EXPECT_EQ(p.header().size(), 6u);
}

TEST(MutatorTest, InsertsIntoSparseHeader) {
  MediaPlaylist p = MustParseMedia("#EXTM3U\n#EXTINF:6,\na.ts\n");
  p.SetDiscontinuitySequence(1);
  p.SetMediaSequence(100);
  p.SetTargetDuration(6);
  EXPECT_EQ(Serialize(p),
            "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:100\n"
            "#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXTINF:6,\na.ts\n");
}

TEST(MutatorTest, BuiltInCode) {
  MediaPlaylist p;
  p.SetTargetDuration(6);
  p.mutable_segments().emplace_back(6.006, "a.ts");
  p.mutable_segments().emplace_back(4, "b.ts");
  p.mutable_segments()[1].SetDiscontinuity(true);
  p.mutable_trailer().push_back(Tag::Make(TagType::kEndList));
  EXPECT_EQ(Serialize(p),
            "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.006,\na.ts\n"
            "#EXT-X-DISCONTINUITY\n#EXTINF:4.000,\nb.ts\n#EXT-X-ENDLIST\n");
  EXPECT_EQ(p.segments()[0].duration_s(), 6.006);
  EXPECT_TRUE(p.endlist());
  EXPECT_DOUBLE_EQ(p.TotalDuration(), 10.006);
  Result<MediaPlaylist> back = ParseMedia(Serialize(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->DiscontinuitySequenceOf(1), 1);
}

TEST(MutatorTest, Segment) {
  MediaPlaylist p = MustParseMedia(
      "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-CUE-IN\n#EXTINF:6.000,My title\na.ts\n"
      "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:40.000Z\n#EXTINF:6.000,\nb.ts\n");
  MediaSegment& a = p.mutable_segments()[0];
  a.SetDiscontinuity(true);
  a.SetDiscontinuity(true);  // idempotent
  a.SetProgramDateTime(T("2025-11-04T05:21:34.5Z"));
  a.SetDuration(5.12345);
  EXPECT_EQ(a.duration_s(), 5.12345);
  EXPECT_EQ(a.title(), "My title");
  MediaSegment& b = p.mutable_segments()[1];
  b.SetDiscontinuity(false);
  b.SetProgramDateTime(T("2025-11-04T05:21:39.623Z"));
  b.set_uri("ad/1.ts");
  b.AddTag(Tag::Make(TagType::kCueOut, "DURATION=30"));
  EXPECT_EQ(Serialize(p),
            "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-CUE-IN\n#EXT-X-DISCONTINUITY\n"
            "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:34.500Z\n#EXTINF:5.123,My title\na.ts\n"
            "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:39.623Z\n#EXT-X-CUE-OUT:DURATION=30\n"
            "#EXTINF:6.000,\nad/1.ts\n");
  b.SetProgramDateTime(std::nullopt);
  b.RemoveTags(TagType::kCueOut);
  EXPECT_EQ(b.tags().size(), 1u);
  EXPECT_EQ(b.program_date_time(), std::nullopt);

  b.mutable_tags()[0].value = "3.5,";
  EXPECT_TRUE(b.Refresh().ok());
  EXPECT_EQ(b.duration_s(), 3.5);
  b.mutable_tags()[0].value = "x";
  b.mutable_tags()[0].line = 9;
  EXPECT_EQ(b.Refresh().message(), "line 9: EXTINF duration 'x' is not a number");
  b.RemoveTags(TagType::kInf);
  EXPECT_EQ(b.Refresh().message(), "segment 'ad/1.ts' has no EXTINF");
  b.SetDuration(2);
  EXPECT_EQ(b.tags().back().ToLine(), "#EXTINF:2.000,");
}

// ---------------------------------------------------------------------------------------------
// Derived values

TEST(DerivedTest, SegmentStartTimeExtrapolates) {
  MediaPlaylist p = MustParseMedia(
      "#EXTM3U\n#EXT-X-TARGETDURATION:6\n"
      "#EXTINF:6.0,\na.ts\n"
      "#EXTINF:4.5,\nb.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:40.000Z\n#EXTINF:6.0,\nc.ts\n"
      "#EXTINF:2.002,\nd.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:not a date\n#EXTINF:6.0,\ne.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T06:00:00+01:00\n#EXTINF:6.0,\nf.ts\n");
  EXPECT_EQ(p.SegmentStartTime(0), T("2025-11-04T05:21:29.500Z"));  // backward
  EXPECT_EQ(p.SegmentStartTime(1), T("2025-11-04T05:21:35.500Z"));
  EXPECT_EQ(p.SegmentStartTime(2), T("2025-11-04T05:21:40Z"));
  EXPECT_EQ(p.SegmentStartTime(3), T("2025-11-04T05:21:46Z"));  // forward
  EXPECT_EQ(p.SegmentStartTime(4), T("2025-11-04T05:21:48.002Z"));  // bad PDT is skipped
  EXPECT_EQ(p.SegmentStartTime(5), T("2025-11-04T05:00:00Z"));  // own PDT wins
  EXPECT_EQ(p.SegmentStartTime(6), std::nullopt);
}

TEST(DerivedTest, DiscontinuitySequence) {
  MediaPlaylist p = MustParseMedia(
      "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-DISCONTINUITY-SEQUENCE:10\n"
      "#EXT-X-DISCONTINUITY\n#EXTINF:6,\na.ts\n"
      "#EXTINF:6,\nb.ts\n"
      "#EXT-X-DISCONTINUITY\n#EXTINF:6,\nc.ts\n"
      "#EXT-X-DISCONTINUITY\n#EXTINF:6,\nd.ts\n");
  EXPECT_EQ(p.DiscontinuitySequenceOf(0), 11);
  EXPECT_EQ(p.DiscontinuitySequenceOf(1), 11);
  EXPECT_EQ(p.DiscontinuitySequenceOf(2), 12);
  EXPECT_EQ(p.DiscontinuitySequenceOf(3), 13);
}

// ---------------------------------------------------------------------------------------------
// Round-trip property: random playlists made of real-world line shapes serialize back exactly.

class TestRng : public ::ssai::SplitMix64 {
 public:
  using ::ssai::SplitMix64::SplitMix64;
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
};

TEST(RoundTripPropertyTest, RandomPlaylists) {
  const std::vector<std::string_view> kHeader = {
      "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:6", "#EXT-X-MEDIA-SEQUENCE:123",
      "#EXT-X-DISCONTINUITY-SEQUENCE:4", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-PLAYLIST-TYPE:EVENT",
      "# comment", "", "  ", "#EXT-X-UNKNOWN:1", "#EXT-X-START:TIME-OFFSET=-12.5"};
  const std::vector<std::string_view> kSegmentTags = {
      "#EXT-X-DISCONTINUITY", "#EXT-X-PROGRAM-DATE-TIME:2025-11-04T05:21:34.000Z",
      "#EXT-X-CUE-OUT:30", "#EXT-X-CUE-OUT-CONT:ElapsedTime=2,Duration=30", "#EXT-X-CUE-IN",
      "#EXT-OATCLS-SCTE35:/DAlAAAAAAAAAP/wFAUAAAABf+/+ABt3QP4AKTKAAAAAAADq7tBQ",
      "#EXT-X-DATERANGE:ID=\"a\",START-DATE=\"2025-11-04T05:21:34Z\",DURATION=30",
      "#EXT-X-KEY:METHOD=NONE", "#EXT-X-MAP:URI=\"init.mp4\"", "#EXT-X-BYTERANGE:100@0", "#EXT-X-GAP",
      "#EXT-X-PART:DURATION=1,URI=\"p.mp4\"", "# c", "", "#EXT-X-FOO", "#EXT-X-DISCONTINUITY ",
      "#EXT-X-ASSET:CAID=0x1"};
  const std::vector<std::string_view> kInf = {"#EXTINF:6.000,", "#EXTINF:2.002,title",
                                              "#EXTINF:4", "#EXTINF: 1.5 ,x,y"};
  const std::vector<std::string_view> kTrailer = {"#EXT-X-ENDLIST", "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"h\"",
                                                  "#EXT-X-CUE-OUT:10", "", "# end"};
  TestRng rng(20251104);
  for (int iter = 0; iter < 400; ++iter) {
    const bool crlf = rng.Below(3) == 0;
    const std::string eol = crlf ? "\r\n" : "\n";
    std::string text = "#EXTM3U" + eol;
    size_t expected_segments = rng.Below(12);
    for (size_t i = 0, n = rng.Below(6); i < n; ++i) text += std::string(kHeader[rng.Below(kHeader.size())]) + eol;
    for (size_t s = 0; s < expected_segments; ++s) {
      for (size_t i = 0, n = rng.Below(4); i < n; ++i) {
        text += std::string(kSegmentTags[rng.Below(kSegmentTags.size())]) + eol;
      }
      text += std::string(kInf[rng.Below(kInf.size())]) + eol;
      text += "seg" + std::to_string(rng.Next() % 100000) + ".ts" + eol;
    }
    for (size_t i = 0, n = rng.Below(3); i < n; ++i) text += std::string(kTrailer[rng.Below(kTrailer.size())]) + eol;
    if (rng.Below(5) == 0) text.resize(text.size() - eol.size());  // no final line ending
    Result<MediaPlaylist> p = ParseMedia(text);
    ASSERT_TRUE(p.ok()) << p.status().ToString() << "\n" << text;
    EXPECT_EQ(p->segments().size(), expected_segments);
    ASSERT_EQ(Serialize(*p), text);
    Result<Playlist> any = Parse(text);
    ASSERT_TRUE(any.ok());
    ASSERT_TRUE(std::holds_alternative<MediaPlaylist>(*any));
    EXPECT_EQ(Serialize(std::get<MediaPlaylist>(*any)), text);
  }
}


TEST(MediaInitStateTest, MapUntilNextMapKeyPerKeyFormatNoneEndsAll) {
  MediaInitState s;
  s.Apply(Tag::Make(TagType::kMap, "URI=\"init.mp4\""));
  s.Apply(Tag::Make(TagType::kKey, "METHOD=AES-128,URI=\"k1\""));
  s.Apply(Tag::Make(TagType::kKey, "METHOD=SAMPLE-AES,URI=\"skd://a\",KEYFORMAT=\"com.apple.streamingkeydelivery\""));
  s.Apply(Tag::Make(TagType::kDiscontinuity));  // resets nothing (bis §4.4.4.5)
  EXPECT_EQ(s.map, "URI=\"init.mp4\"");
  ASSERT_EQ(s.keys.size(), 2u);
  s.Apply(Tag::Make(TagType::kKey, "METHOD=AES-128,URI=\"k2\",KEYFORMAT=\"identity\""));  // replaces k1
  ASSERT_EQ(s.keys.size(), 2u);
  EXPECT_EQ(s.keys[0].second, "METHOD=AES-128,URI=\"k2\",KEYFORMAT=\"identity\"");
  MediaInitState t = s;
  std::swap(t.keys[0], t.keys[1]);
  EXPECT_TRUE(s == t);  // order of KEYFORMATs does not matter
  s.Apply(Tag::Make(TagType::kKey, "METHOD=NONE"));
  EXPECT_TRUE(s.clear());
  EXPECT_FALSE(s == t);
  EXPECT_EQ(KeyFormatOf("METHOD=AES-128,URI=\"k\""), std::optional<std::string>("identity"));
  EXPECT_EQ(KeyFormatOf("METHOD=NONE"), std::nullopt);
  EXPECT_EQ(KeyFormatOf("METHOD=AES-128,URI=\"k"), std::optional<std::string>("identity"));
}

// The interstitials a viewer fetches and the checks judge: interstitial-class DATERANGEs on
// segments and in the trailer, in order; other classes and unparsable attributes are not.
TEST(InterstitialTest, ForEachInterstitialReadsSegmentAndTrailerDateRangesInOrder) {
  const char* media =
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n"
      "#EXT-X-DATERANGE:ID=\"a\",CLASS=\"com.apple.hls.interstitial\",START-DATE=\"2026-01-01T00:00:02.000Z\","
      "DURATION=30,X-ASSET-LIST=\"al.json\"\n"
      "#EXT-X-DATERANGE:ID=\"not\",CLASS=\"com.example.other\",START-DATE=\"2026-01-01T00:00:02.000Z\"\n"
      "#EXT-X-DATERANGE:ID=\"bad\",CLASS=\"com.apple.hls.interstitial\",START-DATE=\"unterminated\n"
      "#EXTINF:2.0,\nseg_1.ts\n"
      "#EXT-X-DATERANGE:ID=\"b\",CLASS=\"com.apple.hls.interstitial\",START-DATE=\"2026-01-01T00:00:40.000Z\","
      "X-ASSET-URI=\"x.m3u8\"\n";
  Result<MediaPlaylist> p = ParseMedia(media);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<std::string> ids;
  ForEachInterstitial(*p, [&](const AttributeList& a) { ids.emplace_back(a.GetQuotedString("ID").value_or("")); });
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace ssai::hls
