// The VOD media playlist of one ad creative's track (a video bitrate or an audio language), as an
// ad preparation service writes it after transcoding the creative to the channel's profile: one
// writer for the decision service, the simulator's ad server, the conformance world and the
// test deployments.
#ifndef SSAI_REFERENCE_MEDIA_HLS_VOD_PLAYLIST_H_
#define SSAI_REFERENCE_MEDIA_HLS_VOD_PLAYLIST_H_

#include <string>

namespace ssai::hls {

struct VodTrack {
  double duration_s = 0;   // the creative's length: the last segment is what remains (≥ 1 ms)
  double segment_s = 2;    // segment duration
  // fMP4 segments with their init segment: EXT-X-MAP needs version 6 (RFC 8216 §7); else
  // version 3 and MPEG-TS.
  bool cmaf = false;
  std::string init_uri;    // EXT-X-MAP URI (cmaf)
  // Segment i's URI: segment_prefix + i + segment_suffix ("ad1_2500000_" + "3" + ".ts").
  std::string segment_prefix;
  std::string segment_suffix = ".ts";
};

// #EXTM3U, VERSION, TARGETDURATION (the segment duration rounded up: RFC 8216 §4.3.3.1 wants it
// ≥ every EXTINF rounded to the nearest integer), PLAYLIST-TYPE:VOD, the map, one EXTINF
// (3 decimals) per segment, ENDLIST. At least one segment, whatever the duration.
std::string VodPlaylist(const VodTrack& track);

}  // namespace ssai::hls

#endif  // SSAI_REFERENCE_MEDIA_HLS_VOD_PLAYLIST_H_
