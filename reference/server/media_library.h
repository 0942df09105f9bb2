// Real MPEG-TS media for the synthetic origin and the built-in decision service, so that real
// players (ffmpeg, hls.js) can play what `ssai serve` splices.
//
// Made once with ffmpeg from test patterns and cached on disk (default `.cache/media/`, or
// $SSAI_MEDIA_CACHE), never per request: three pools of H.264 baseline 320x180 25 fps + AAC-LC
// mono 64 kHz segments, one per kind (64 kHz: audio and video frames meet every 0.08 s):
//   content  testsrc2 (moving pattern) + 440 Hz sine
//   ad       smptebars (colour bars)   + 880 Hz sine
//   slate    flat dark blue            + silence
// Each pool is the shortest loop whose video and audio both end on a frame boundary (ts_pool.h),
// and every segment starts with an IDR frame. Segment n of a kind is served by origin::TsPool with
// PTS = n * segment_duration + 1.4 s (ffmpeg's MPEG-TS mux delay; mod 2^33), so consecutive
// segments of one kind are one continuous stream for any n.
//
// Every rendition gets the same content media (the renditions of the synthetic origin differ in
// their playlists only); CODECS for it: "avc1.42c01e,mp4a.40.2".
#ifndef SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_
#define SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/media/origin/ts_pool.h"
#include "reference/server/config.h"
#include "reference/server/http_frontend.h"

namespace ssai::server {

class MediaLibrary {
 public:
  // $SSAI_MEDIA_CACHE, else ".cache/media" (relative to the working directory).
  static std::string DefaultCacheDir();
  // Loads the pools for `segment_duration_s` from `cache_dir`, first making the missing ones with
  // `ffmpeg` (found on PATH; about 0.3 s of CPU per pool). Errors name what is missing or wrong:
  // ffmpeg not installed, a duration that is not a whole number of 25 fps frames, a failed encode
  // (with the tail of ffmpeg's log). Safe when several processes fill the cache at once: each
  // encodes into a private directory and renames it into place.
  static Result<std::shared_ptr<const MediaLibrary>> Open(const std::string& cache_dir, double segment_duration_s,
                                                          const std::string& ffmpeg = "ffmpeg");

  Result<std::string> Content(int64_t index) const { return content_.Segment(index); }
  Result<std::string> Ad(int64_t index) const { return ad_.Segment(index); }
  Result<std::string> Slate() const { return slate_.Segment(0); }
  int64_t segment_duration_ms() const { return segment_duration_ms_; }

 private:
  MediaLibrary(origin::TsPool content, origin::TsPool ad, origin::TsPool slate, int64_t segment_duration_ms)
      : content_(std::move(content)), ad_(std::move(ad)), slate_(std::move(slate)),
        segment_duration_ms_(segment_duration_ms) {}
  origin::TsPool content_, ad_, slate_;
  int64_t segment_duration_ms_;
};

// The origin's segment routes (spec.media "ffmpeg"): GET /{segment_uri_template} with {rendition}
// and {msn} filled in -> content segment msn (404 for an unknown rendition or a segment not yet
// published at the live edge `now`), and GET /slate.ts. `requests` counts segment bodies served.
class OriginSegmentRoutes {
 public:
  // Errors: a template that is an absolute URL or has a query.
  static Result<OriginSegmentRoutes> Make(const origin::SyntheticStreamSpec& spec);
  // The answer to GET `path` (percent-decoded, no query) when it is a segment route, else nullopt.
  std::optional<HttpResponse> Answer(std::string_view path, UnixMicros now, const MediaLibrary& media,
                                     std::atomic<int64_t>* requests) const;

 private:
  const origin::SyntheticStreamSpec* spec_ = nullptr;
  std::shared_ptr<const std::regex> re_;
  std::vector<std::string> groups_;  // "rendition" / "msn", in capture order
};

// Where ad `ad_id`'s segment `i` sits on the ad media timeline: its pod offset (in the first pod,
// in catalogue order, that holds the ad) / segment duration + i. The splicer puts no
// DISCONTINUITY between the items of a pod (reference/ssai/README.md), so consecutive items must
// continue each other's timestamps; this makes them do so for the pods of the catalogue. nullopt
// when the catalogue has no such ad, bitrate or segment.
std::optional<int64_t> AdTimelineIndex(const DecisionCatalogue& catalogue, double ad_segment_duration_s,
                                       std::string_view ad_id, int64_t bitrate_bps, int64_t i);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_
