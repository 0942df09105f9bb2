// The harness's ad server's media playlists (issue 18, "one ad-playlist writer"): every harness
// (the conformance targets' ad server, the simulator's origin) serves a creative the same way, so
// the checks read their URIs the same way (splice.ad_bitrate_matches_rendition looks for
// "/{bps}/", the simulator's beacon accounting for the segment index).
#ifndef SSAI_WORLD_AD_SERVER_H_
#define SSAI_WORLD_AD_SERVER_H_

#include <string>
#include <string_view>

#include "reference/media/hls/vod_playlist.h"

namespace ssai::world {

// A creative's VOD track served at `base` + ".m3u8" ("http://ads/a1/2500000",
// "http://ads/a1/audio_en"): segments `base`/seg_{i}{ext} ({ext} .m4s for fMP4, else
// `ts_extension`), the last what remains of the creative; fMP4 init `base`/init.mp4, written
// relative to the playlist.
inline hls::VodTrack AdTrack(double duration_s, double segment_s, bool cmaf, const std::string& base,
                             const char* ts_extension) {
  hls::VodTrack t;
  t.duration_s = duration_s;
  t.segment_s = segment_s;
  t.cmaf = cmaf;
  t.init_uri = base.substr(base.rfind('/') + 1) + "/init.mp4";
  t.segment_prefix = base + "/seg_";
  t.segment_suffix = cmaf ? ".m4s" : ts_extension;
  return t;
}

// The segment index of an ad segment URI AdTrack wrote ("http://ads/a1/2500000/seg_3.ts" -> 3),
// and the ad's id (the path component after `ad_base`); -1 when `uri` is not one.
inline int64_t AdSegmentIndex(std::string_view uri, std::string_view ad_base, std::string_view* ad_id) {
  if (!uri.starts_with(ad_base)) return -1;
  const std::string_view rest = uri.substr(ad_base.size());
  const size_t slash = rest.find('/');
  const size_t seg = rest.rfind("/seg_");
  const size_t dot = rest.rfind('.');
  if (slash == std::string_view::npos || seg == std::string_view::npos || seg < slash || dot == std::string_view::npos ||
      dot < seg + 5) {
    return -1;
  }
  int64_t index = 0;
  for (char c : rest.substr(seg + 5, dot - seg - 5)) {
    if (c < '0' || c > '9' || index > (int64_t{1} << 40)) return -1;
    index = index * 10 + (c - '0');
  }
  if (dot == seg + 5) return -1;
  if (ad_id != nullptr) *ad_id = rest.substr(0, slash);
  return index;
}

}  // namespace ssai::world

#endif  // SSAI_WORLD_AD_SERVER_H_
