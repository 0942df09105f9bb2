// libFuzzer target for cue extraction and normalization: the input is split at "\n#EXTM3U" into
// successive reloads; every one that parses is fed to ExtractMarkers and a Normalizer. Malformed
// markers must become diagnostics: no crash, no hang.
#include <cstdint>
#include <string_view>

#include "reference/media/cues/markers.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ssai::cues::Normalizer normalizer;
  int reloads = 0;
  while (!text.empty() && reloads++ < 16) {
    size_t next = text.find("\n#EXTM3U", 1);
    std::string_view one = text.substr(0, next == std::string_view::npos ? text.size() : next + 1);
    text.remove_prefix(one.size());
    ssai::Result<ssai::hls::MediaPlaylist> p = ssai::hls::ParseMedia(one);
    if (!p.ok()) continue;
    (void)ssai::cues::ExtractMarkers(*p);
    (void)normalizer.Push(*p);
  }
  (void)normalizer.Finish();
  return 0;
}
