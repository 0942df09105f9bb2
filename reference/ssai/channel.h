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

struct RenditionConfig {
  std::string name;           // request file name without ".m3u8": "v720" serves /{org}/{channel}/v720.m3u8
  int64_t bandwidth_bps = 0;  // the variant's BANDWIDTH; picks the ad bitrate
  std::string origin_url;     // the origin's media playlist for this rendition
};

struct ChannelConfig {
  std::string org;      // "demo"
  std::string channel;  // "sports"
  std::string origin_master_url;
  std::vector<RenditionConfig> renditions;
  InsertionMode default_mode = InsertionMode::kSsai;
  AdSegment slate;             // SSAI fill; one segment of the channel's segment duration
  std::string default_pod_id;  // used when a cue names none

  // The seed's channel id: "ch_{org}_{channel}" ("ch_demo_sports").
  std::string channel_id() const { return "ch_" + org + "_" + channel; }
  const RenditionConfig* FindRendition(std::string_view name) const {
    for (const RenditionConfig& r : renditions) {
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

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_CHANNEL_H_
