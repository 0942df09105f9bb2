#include "conformance/player_choice.h"

#include <gtest/gtest.h>

#include <string>

namespace ssai::conformance {
namespace {

hls::MasterPlaylist Master(const std::string& text) {
  Result<hls::MasterPlaylist> m = hls::ParseMaster(text);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : hls::MasterPlaylist();
}

// shaka-packager: URI first, DEFAULT only on the default, blank lines between groups.
constexpr char kShaka[] =
    "#EXTM3U\n"
    "## Generated with https://github.com/google/shaka-packager version v2.6.1\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,URI=\"audio_fr.m3u8\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"fr\",NAME=\"stream_1\","
    "AUTOSELECT=YES,CHANNELS=\"2\"\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,URI=\"audio_en.m3u8\",GROUP-ID=\"default-audio-group\",LANGUAGE=\"en\",NAME=\"stream_0\","
    "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\"\n\n"
    "#EXT-X-MEDIA:TYPE=SUBTITLES,URI=\"text_en.m3u8\",GROUP-ID=\"default-text-group\",LANGUAGE=\"en\",NAME=\"stream_4\","
    "AUTOSELECT=YES\n\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1105129,AVERAGE-BANDWIDTH=1003311,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,"
    "FRAME-RATE=30.000,AUDIO=\"default-audio-group\",SUBTITLES=\"default-text-group\",CLOSED-CAPTIONS=NONE\n"
    "h264_360p.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=2525129,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,"
    "AUDIO=\"default-audio-group\",SUBTITLES=\"default-text-group\",CLOSED-CAPTIONS=NONE\n"
    "h264_720p.m3u8\n";

TEST(PlayerChoiceTest, ShakaPackagerDefaultFirstThenTurns) {
  const hls::MasterPlaylist m = Master(kShaka);
  std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, "http://cdn.example/live/master.m3u8", "h264_720p", 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->variant.url, "http://cdn.example/live/h264_720p.m3u8");
  EXPECT_EQ(c->variant.name, "h264_720p");
  EXPECT_EQ(c->variant_bandwidth_bps, 2525129);
  ASSERT_TRUE(c->audio);
  EXPECT_EQ(c->audio->url, "http://cdn.example/live/audio_en.m3u8");  // DEFAULT=YES, though listed second
  EXPECT_EQ(c->audio->name, "audio_en");
  EXPECT_EQ(c->audio->language, "en");
  ASSERT_TRUE(c->subtitles);
  EXPECT_EQ(c->subtitles->name, "text_en");
  // Viewer 1 takes the next language; subtitles have one, so every viewer loads it.
  c = ChoosePlayerRenditions(m, "http://cdn.example/live/master.m3u8", "", 1);
  ASSERT_TRUE(c && c->audio && c->subtitles);
  EXPECT_EQ(c->variant.name, "h264_360p");  // no name asked: the first listed
  EXPECT_EQ(c->audio->name, "audio_fr");
  EXPECT_EQ(c->subtitles->name, "text_en");
  EXPECT_EQ(ChoosePlayerRenditions(m, "http://cdn.example/live/master.m3u8", "", 2)->audio->name, "audio_en");
}

// Bento4 mp4-hls: every playlist is "media.m3u8" in its own folder; names then come from NAME.
TEST(PlayerChoiceTest, Bento4SameFileNamesAreNamedByRendition) {
  const hls::MasterPlaylist m = Master(
      "#EXTM3U\n# Created with Bento4 mp4-hls.py version 1.2.0r637\n\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n\n"
      "# Media Playlists\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio/mp4a\",LANGUAGE=\"en\",NAME=\"English\",AUTOSELECT=YES,DEFAULT=YES,"
      "CHANNELS=\"2\",URI=\"audio/en/mp4a.40.2/media.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio/mp4a\",LANGUAGE=\"fr\",NAME=\"Fran\xC3\xA7\x61is\",AUTOSELECT=YES,"
      "DEFAULT=NO,CHANNELS=\"2\",URI=\"audio/fr/mp4a.40.2/media.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subtitles\",LANGUAGE=\"en\",NAME=\"English\",AUTOSELECT=YES,DEFAULT=NO,"
      "FORCED=NO,URI=\"subtitles/en/subtitles.m3u8\"\n"
      "#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=1151934,BANDWIDTH=1525014,CODECS=\"avc1.4D401F,mp4a.40.2\","
      "RESOLUTION=960x540,AUDIO=\"audio/mp4a\",SUBTITLES=\"subtitles\"\nvideo/avc1/1/media.m3u8\n");
  std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, "http://h/b4/master.m3u8", "media", 0);
  ASSERT_TRUE(c && c->audio && c->subtitles);
  EXPECT_EQ(c->variant.url, "http://h/b4/video/avc1/1/media.m3u8");
  EXPECT_EQ(c->audio->url, "http://h/b4/audio/en/mp4a.40.2/media.m3u8");
  EXPECT_EQ(c->audio->name, "audio_English");  // "media" is the variant's
  EXPECT_EQ(c->subtitles->name, "subtitles");
  c = ChoosePlayerRenditions(m, "http://h/b4/master.m3u8", "media", 1);
  ASSERT_TRUE(c && c->audio);
  EXPECT_EQ(c->audio->name, "audio_Franais");  // non-ASCII left out of names, not of URLs
  EXPECT_EQ(c->audio->group_id, "audio/mp4a");
}

// MediaTailor: attributes in its own order, CHARACTERISTICS/FORCED present, URIs relative with
// "../" against a master URL carrying a session query, https.
TEST(PlayerChoiceTest, MediaTailorRelativeUrisAndAttributeOrder) {
  const hls::MasterPlaylist m = Master(
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
      "#EXT-X-MEDIA:LANGUAGE=\"eng\",AUTOSELECT=YES,FORCED=NO,TYPE=AUDIO,URI=\"../../../../manifest/1cbc/emt/2.m3u8\","
      "GROUP-ID=\"aac\",DEFAULT=YES,NAME=\"English\"\n"
      "#EXT-X-MEDIA:LANGUAGE=\"spa\",AUTOSELECT=YES,FORCED=NO,TYPE=SUBTITLES,URI=\"../../../../manifest/1cbc/emt/3.m3u8\","
      "GROUP-ID=\"subs\",DEFAULT=NO,NAME=\"Spanish\",CHARACTERISTICS=\"public.accessibility.describes-music-and-sound\"\n"
      "#EXT-X-STREAM-INF:CODECS=\"avc1.4D401F,mp4a.40.2\",AVERAGE-BANDWIDTH=1200000,RESOLUTION=960x540,SUBTITLES=\"subs\","
      "AUDIO=\"aac\",FRAME-RATE=29.97,BANDWIDTH=1500000\n../../../../manifest/1cbc/emt/0.m3u8\n");
  const std::string url = "https://abc.mediatailor.us-west-2.amazonaws.com/v1/master/hash/cfg/live/index.m3u8?aws.sessionId=s1";
  std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, url, "", 0);
  ASSERT_TRUE(c && c->audio && c->subtitles);
  EXPECT_EQ(c->variant.url, "https://abc.mediatailor.us-west-2.amazonaws.com/v1/manifest/1cbc/emt/0.m3u8");
  EXPECT_EQ(c->audio->url, "https://abc.mediatailor.us-west-2.amazonaws.com/v1/manifest/1cbc/emt/2.m3u8");
  EXPECT_EQ(c->audio->name, "2");
  EXPECT_EQ(c->subtitles->name, "3");
  EXPECT_EQ(c->subtitles->language, "spa");
}

// Audio in the variant (an AUDIO group without URIs) and a variant without groups: nothing extra.
TEST(PlayerChoiceTest, MuxedAudioLoadsNoRendition) {
  const hls::MasterPlaylist m = Master(
      "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"main\",DEFAULT=YES\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1000,AUDIO=\"a\"\nv1.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2000\nv2.m3u8\n");
  std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, "http://h/m.m3u8", "v1", 0);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->audio);
  EXPECT_FALSE(c->subtitles);
  c = ChoosePlayerRenditions(m, "http://h/m.m3u8", "v2", 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->variant.name, "v2");
  EXPECT_FALSE(c->audio);
}

// Threat model: thousands of EXT-X-MEDIA, URIs with control characters or other schemes, no
// GROUP-ID, an over-long URI: one audio and one subtitle rendition at most, none unusable.
TEST(PlayerChoiceTest, HostileMultivariantIsCapped) {
  std::string text = "#EXTM3U\n";
  text += "#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"nogroup\",DEFAULT=YES,URI=\"nogroup.m3u8\"\n";
  text += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"cr\",DEFAULT=YES,URI=\"x\ry.m3u8\"\n";
  text += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"file\",DEFAULT=YES,URI=\"file:///etc/passwd\"\n";
  text += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"long\",DEFAULT=YES,URI=\"" + std::string(5000, 'l') + "\"\n";
  for (int i = 0; i < 5000; ++i) {
    text += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"n" + std::to_string(i) + "\",URI=\"a" + std::to_string(i) +
            ".m3u8\"\n";
  }
  text += "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"s\",NAME=\"sp\",URI=\"with space.m3u8\"\n";
  text += "#EXT-X-STREAM-INF:BANDWIDTH=1000,AUDIO=\"a\",SUBTITLES=\"s\"\nv.m3u8\n";
  const hls::MasterPlaylist m = Master(text);
  for (int viewer : {0, 15, 16, 4999, -3}) {
    std::optional<PlayerChoice> c = ChoosePlayerRenditions(m, "http://h/m.m3u8", "", viewer);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->audio) << viewer;
    // Only the first kMaxGroupCandidates usable renditions take turns.
    const int expect = viewer < 0 ? 0 : viewer % static_cast<int>(kMaxGroupCandidates);
    EXPECT_EQ(c->audio->url, "http://h/a" + std::to_string(expect) + ".m3u8") << viewer;
    EXPECT_FALSE(c->subtitles);  // its one rendition's URI has a space
  }
  // No usable variant: nothing at all.
  EXPECT_FALSE(ChoosePlayerRenditions(Master("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\njavascript:alert(1)\n"),
                                      "http://h/m.m3u8", "", 0));
  EXPECT_EQ(RenditionNameOf("../x/Y_1-2.m3u8?session=a#f"), "Y_1-2");
  EXPECT_EQ(RenditionNameOf(""), "");
  EXPECT_EQ(RenditionNameOf(std::string(200, 'z') + ".m3u8").size(), 64u);
}

}  // namespace
}  // namespace ssai::conformance
