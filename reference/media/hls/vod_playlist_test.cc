#include "reference/media/hls/vod_playlist.h"

#include <gtest/gtest.h>

#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"

namespace ssai::hls {
namespace {

TEST(VodPlaylistTest, TsTrackEndsWithWhatRemains) {
  VodTrack t;
  t.duration_s = 15;
  t.segment_s = 6;
  t.segment_prefix = "ad1_2500000_";
  EXPECT_EQ(VodPlaylist(t),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXTINF:6.000,\nad1_2500000_0.ts\n"
            "#EXTINF:6.000,\nad1_2500000_1.ts\n"
            "#EXTINF:3.000,\nad1_2500000_2.ts\n"
            "#EXT-X-ENDLIST\n");
}

TEST(VodPlaylistTest, CmafTrackDeclaresItsInitAtVersion6) {
  VodTrack t;
  t.duration_s = 4;
  t.segment_s = 2;
  t.cmaf = true;
  t.init_uri = "audio_fr/init.mp4";
  t.segment_prefix = "audio_fr/seg_";
  t.segment_suffix = ".m4s";
  EXPECT_EQ(VodPlaylist(t),
            "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-MAP:URI=\"audio_fr/init.mp4\"\n"
            "#EXTINF:2.000,\naudio_fr/seg_0.m4s\n#EXTINF:2.000,\naudio_fr/seg_1.m4s\n#EXT-X-ENDLIST\n");
}

// Whatever the durations, the playlist parses, lints clean and its EXTINFs add up to the creative.
TEST(VodPlaylistTest, ParsesLintsCleanAndAddsUp) {
  for (double seg : {1.0, 2.002, 3.2, 6.0, 10.0}) {
    for (double dur : {0.0, 0.5, 2.002, 14.7, 30.0, 61.4}) {
      VodTrack t;
      t.duration_s = dur;
      t.segment_s = seg;
      t.segment_prefix = "s";
      const std::string text = VodPlaylist(t);
      Result<MediaPlaylist> p = ParseMedia(text);
      ASSERT_TRUE(p.ok()) << p.status().message() << "\n" << text;
      double total = 0;
      for (const MediaSegment& s : p->segments()) total += s.duration_s();
      EXPECT_NEAR(total, dur > 0.0005 ? dur : seg, 0.002 * static_cast<double>(p->segments().size())) << text;
      for (const Finding& f : LintMedia(*p)) {
        EXPECT_NE(f.severity, Severity::kError) << f.rule_id << ": " << f.message << "\n" << text;
      }
    }
  }
}

}  // namespace
}  // namespace ssai::hls
