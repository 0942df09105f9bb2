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
//
// CMAF (issue 14, MediaOptions.cmaf): the same encodes written by ffmpeg's HLS muxer as fMP4, an
// init segment + one fragment per segment, served by origin::Fmp4Pool (tfdt = n * d from 0). Pools
// by track name (Cmaf()): "content", "ad", "slate" (muxed video + audio); with audio_languages > 0
// also "{kind}-video" (video only) and "{kind}-audio-{i}" (audio only: content has one tone per
// language, 440 + 110 * i Hz; ad and slate one language, i = 0).
#ifndef SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_
#define SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_

#include <atomic>
#include <map>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/fmp4_pool.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/media/origin/ts_pool.h"
#include "reference/server/config.h"
#include "reference/server/http_frontend.h"

namespace ssai::server {

// Which pools Open makes (and caches) besides the segment duration.
struct MediaOptions {
  bool ts = true;           // MPEG-TS content, ad and slate pools
  bool cmaf = false;        // fMP4 pools (muxed, and demuxed when audio_languages > 0)
  int audio_languages = 0;  // demuxed content audio tracks, 0..kMaxAudioLanguages
};
inline constexpr int kMaxAudioLanguages = 8;

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
                                                          const std::string& ffmpeg = "ffmpeg",
                                                          const MediaOptions& options = {});

  // MPEG-TS segments (FailedPrecondition when options.ts was false).
  Result<std::string> Content(int64_t index) const;
  Result<std::string> Ad(int64_t index) const;
  Result<std::string> Slate() const;
  // The fMP4 pool of `track` (names above), nullptr when not loaded.
  const origin::Fmp4Pool* Cmaf(std::string_view track) const;
  int64_t segment_duration_ms() const { return segment_duration_ms_; }

 private:
  explicit MediaLibrary(int64_t segment_duration_ms) : segment_duration_ms_(segment_duration_ms) {}
  struct TsPools {
    origin::TsPool content, ad, slate;
  };
  std::optional<TsPools> ts_;
  std::map<std::string, origin::Fmp4Pool> cmaf_;
  int64_t segment_duration_ms_;
};

// AES-128-CBC with PKCS7 padding (RFC 8216 §4.3.2.4 / §5.2: METHOD=AES-128 encrypts the whole
// segment), by OpenSSL's EVP. Errors: a key or IV that is not 16 bytes.
Result<std::string> Aes128CbcEncrypt(std::string_view plain, std::string_view key, std::string_view iv);
// The IV the synthetic origin declares for key k (EXT-X-KEY IV=0x{k as 32 hex digits}): 16 bytes, big-endian.
std::string KeyIv(int64_t k);

// The origin's segment routes (spec.media "ffmpeg"): GET /{segment_uri_template} with {rendition}
// and {msn} filled in -> content segment msn (404 for an unknown rendition or a segment not yet
// published at the live edge `now`), and GET /slate.ts (cmaf: /slate.m4s + /slate_init.mp4; with
// demuxed audio also /slate_audio.m4s + /slate_audio_init.mp4, silence for the audio renditions).
// `requests` counts segment bodies served.
// container "cmaf": fMP4 fragments, and GET /{init_uri_template} -> the init segment; a demuxed
// audio rendition's id as {rendition} gets its language's audio track ("audio/mp4"), a variant
// the video-only track (muxed video + audio when the spec has no audio renditions).
// encryption "aes-128": segment msn (and the init) AES-128-CBC encrypted with KeyBytes(k), IV k.
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
  std::shared_ptr<const std::regex> init_re_;  // cmaf only
  std::vector<std::string> init_groups_;
};

// Where ad `ad_id`'s segment `i` sits on the ad media timeline: its pod offset (in the first pod,
// in catalogue order, that holds the ad) / segment duration + i. The splicer puts no
// DISCONTINUITY between the items of a pod (reference/ssai/README.md), so consecutive items must
// continue each other's timestamps; this makes them do so for the pods of the catalogue. nullopt
// when the catalogue has no such ad, bitrate or segment. bitrate_bps 0: any variant (ad audio).
std::optional<int64_t> AdTimelineIndex(const DecisionCatalogue& catalogue, double ad_segment_duration_s,
                                       std::string_view ad_id, int64_t bitrate_bps, int64_t i);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_MEDIA_LIBRARY_H_
