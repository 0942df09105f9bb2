#include "reference/media/hls/vod_playlist.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "reference/base/strings.h"

namespace ssai::hls {

std::string VodPlaylist(const VodTrack& t) {
  const double seg_s = t.segment_s > 0 ? t.segment_s : 1;
  std::string p = std::string("#EXTM3U\n#EXT-X-VERSION:") + (t.cmaf ? "6" : "3") + "\n#EXT-X-TARGETDURATION:" +
                  std::to_string(static_cast<int64_t>(std::ceil(seg_s))) + "\n#EXT-X-PLAYLIST-TYPE:VOD\n";
  if (t.cmaf) p += "#EXT-X-MAP:URI=\"" + t.init_uri + "\"\n";
  double left = t.duration_s;
  for (int i = 0; i == 0 || left > 0.0005; ++i) {
    const double d = i == 0 && left <= 0.0005 ? seg_s : std::min(seg_s, left);
    left -= d;
    p += "#EXTINF:";
    AppendFixed(d, 3, &p);
    p += ",\n" + t.segment_prefix + std::to_string(i) + t.segment_suffix + "\n";
  }
  return p + "#EXT-X-ENDLIST\n";
}

}  // namespace ssai::hls
