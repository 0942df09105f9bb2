// Channel configuration shared by the coordinator, the manifest path, the server and the simulator.
#ifndef SSAI_REFERENCE_SSAI_CHANNEL_H_
#define SSAI_REFERENCE_SSAI_CHANNEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/ssai/splicer.h"

namespace ssai {

// What a media playlist of the presentation carries (issue 14): a variant (video, or muxed
// audio+video: EXT-X-STREAM-INF) or a demuxed alternate (EXT-X-MEDIA TYPE=AUDIO / SUBTITLES).
enum class RenditionKind { kVideo, kAudio, kSubtitles };

struct RenditionConfig {
  std::string name;           // request file name without ".m3u8": "v720" serves /{org}/{channel}/v720.m3u8
  int64_t bandwidth_bps = 0;  // the variant's BANDWIDTH; picks the ad bitrate
  std::string origin_url;     // the origin's media playlist for this rendition
  // Optional, written into the generated multivariant playlist's EXT-X-STREAM-INF when set
  // (RFC 8216 §4.3.4.2): CODECS="avc1.42c01e,mp4a.40.2" and RESOLUTION=1280x720.
  // (The `{}` initializers keep three-member brace initialisation free of
  // -Wmissing-field-initializers.)
  std::string codecs{};      // RFC 6381 codec list, comma-separated; empty = not written
  std::string resolution{};  // "WIDTHxHEIGHT" (positive decimal integers); empty = not written
  // Alternates only (ChannelConfig::alternates): the EXT-X-MEDIA TYPE, GROUP-ID, NAME and LANGUAGE
  // (the language picks the ad's audio, AdItem::audio), DEFAULT=YES, and the slate this rendition
  // plays where a video variant plays ads it has no media for (audio: silence in the rendition's
  // format; subtitles: a WebVTT segment with a header, X-TIMESTAMP-MAP and no cue).
  RenditionKind kind = RenditionKind::kVideo;
  std::string group_id{};
  std::string language{};
  bool is_default = false;
  AdSegment slate{};
};

struct ChannelConfig {
  std::string org;      // "demo"
  std::string channel;  // "sports"
  std::string origin_master_url;
  std::vector<RenditionConfig> renditions;  // the variants (kind kVideo)
  // Demuxed audio and subtitle renditions (issue 14), spliced in lockstep with the variants: served
  // at "{name}.m3u8" like a variant, and the multivariant rewrite points their EXT-X-MEDIA URI there.
  std::vector<RenditionConfig> alternates = {};
  InsertionMode default_mode = InsertionMode::kSsai;
  AdSegment slate;             // SSAI fill; one segment of the channel's segment duration
  std::string default_pod_id;  // used when a cue names none

  // The seed's channel id: "ch_{org}_{channel}" ("ch_demo_sports").
  std::string channel_id() const { return "ch_" + org + "_" + channel; }
  const RenditionConfig* FindRendition(std::string_view name) const {
    for (const RenditionConfig& r : renditions) {
      if (r.name == name) return &r;
    }
    for (const RenditionConfig& r : alternates) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }
};

// Names allowed for org, channel and rendition: [A-Za-z0-9_-]{1,64}. Anything else (dots, slashes,
// percent signs) is refused before it reaches a key or a URL, which rules out path traversal.
inline bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// RESOLUTION's decimal-resolution as configured: "WIDTHxHEIGHT", both positive decimal integers
// of at most 5 digits ("1280x720"; not "0x720", "1280X720", " 1280x720" or "-1x2").
inline bool IsValidResolution(std::string_view resolution) {
  const size_t x = resolution.find('x');
  if (x == std::string_view::npos) return false;
  auto positive = [](std::string_view digits) {
    if (digits.empty() || digits.size() > 5) return false;
    bool nonzero = false;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      nonzero = nonzero || c != '0';
    }
    return nonzero;
  };
  return positive(resolution.substr(0, x)) && positive(resolution.substr(x + 1));
}

// A CODECS value that can be written as an HLS quoted-string (RFC 8216 §4.2: no '"', CR or LF):
// non-empty, printable ASCII, no double quote, no empty entry ("avc1.64001f,mp4a.40.2").
inline bool IsValidCodecs(std::string_view codecs) {
  if (codecs.empty() || codecs.front() == ',' || codecs.back() == ',') return false;
  if (codecs.find(",,") != std::string_view::npos) return false;
  for (char c : codecs) {
    if (c < 0x20 || c > 0x7e || c == '"') return false;
  }
  return true;
}

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_CHANNEL_H_
