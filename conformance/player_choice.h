// What a viewer loads from a multivariant playlist, as real players do (issues 14 and 16): one
// variant, the AUDIO group's rendition and the SUBTITLES group's rendition that variant names.
// One rule for every harness viewer: the builtin target, the `http`/`serve:` targets and observe.
#ifndef SSAI_CONFORMANCE_PLAYER_CHOICE_H_
#define SSAI_CONFORMANCE_PLAYER_CHOICE_H_

#include <optional>
#include <string>
#include <string_view>

#include "reference/media/hls/playlist.h"

namespace ssai::conformance {

// A hostile multivariant playlist cannot make a viewer load more than one audio and one
// subtitle rendition; of a group only the first kMaxGroupCandidates usable renditions take
// turns, and a URI longer than kMaxRenditionUriBytes is not loaded.
inline constexpr size_t kMaxGroupCandidates = 16;
inline constexpr size_t kMaxRenditionUriBytes = 2048;

struct ChosenRendition {
  std::string url;       // resolved against the multivariant playlist's URL (RFC 8216 §4.1)
  std::string name;      // stable across reloads and viewers: the URI's file name without .m3u8
  std::string group_id;  // GROUP-ID
  std::string language;  // LANGUAGE ("" when absent)
};

struct PlayerChoice {
  ChosenRendition variant;  // group_id and language empty
  int64_t variant_bandwidth_bps = 0;
  std::optional<ChosenRendition> audio;      // TYPE=AUDIO of the variant's AUDIO group, with a URI
  std::optional<ChosenRendition> subtitles;  // TYPE=SUBTITLES of the variant's SUBTITLES group
};

// From the multivariant playlist at `url`: the variant whose URI's file name is `variant_name`
// (else the first EXT-X-STREAM-INF, where hls.js and AVPlayer start by default), then in
// each of its groups the rendition viewer number `viewer_index` takes: the group's DEFAULT=YES
// rendition first, then the others in playlist order, viewers taking them in turn (viewer 0
// plays the default as a player does; later viewers cover the other languages). Renditions
// without a URI (audio in the variant), with an unusable URI (control characters, spaces, over
// kMaxRenditionUriBytes, not http(s) once resolved) or without a GROUP-ID are never chosen.
// A chosen rendition whose file name is the variant's (or the audio's, for subtitles) is named
// "{audio|subtitles}_{NAME}" instead, so each stream a viewer loads keeps its own name.
// nullopt when the playlist has no usable variant.
std::optional<PlayerChoice> ChoosePlayerRenditions(const hls::MasterPlaylist& master, std::string_view url,
                                                   std::string_view variant_name, int viewer_index);

// The stable name of a rendition URI: its last path segment without query, fragment and
// ".m3u8", restricted to [A-Za-z0-9._-] and 64 characters ("" when nothing is left).
std::string RenditionNameOf(std::string_view uri);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_PLAYER_CHOICE_H_
