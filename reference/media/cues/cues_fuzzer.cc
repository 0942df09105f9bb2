// libFuzzer target for cue extraction and normalization: the input is split at "\n#EXTM3U" into
// successive reloads; every one that parses is fed to ExtractMarkers and a Normalizer. Malformed
// markers must become diagnostics: no crash, no hang. Every tag also goes through ShiftElapsed
// (the splicer's rewrite of a marker's elapsed time): a marker that parsed parses again, with the
// elapsed time moved.
#include <cstdint>
#include <optional>
#include <vector>
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
    for (const ssai::hls::MediaSegment& s : p->segments()) {
      for (const ssai::hls::Tag& t : s.tags()) {
        std::optional<ssai::hls::Tag> moved = ssai::cues::ShiftElapsed(t, -2.5);
        if (!moved) continue;
        std::vector<ssai::cues::Diagnostic> warnings;
        std::optional<ssai::cues::Marker> before = ssai::cues::ParseMarkerTag(t, &warnings);
        std::optional<ssai::cues::Marker> after = ssai::cues::ParseMarkerTag(*moved, &warnings);
        if (before && before->elapsed_s) {
          if (!after || !after->elapsed_s) __builtin_trap();
          const double want = *before->elapsed_s > 2.5 ? *before->elapsed_s - 2.5 : 0;
          if (*after->elapsed_s < want - 0.001 || *after->elapsed_s > want + 0.001) __builtin_trap();
        }
      }
    }
  }
  (void)normalizer.Finish();
  return 0;
}
