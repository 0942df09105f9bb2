// libFuzzer target: arbitrary bytes as every hand-written input of `ssai conform` — a scenario, a
// profile, a target profile, and a cue body template — and as what a target answers SGAI viewers
// with (issue 16) and the multivariant playlist a viewer chooses its renditions from (issue 14).
// Invariants: never crash or hang; a refusal is a Status with a message; a
// template that passes CheckCueTemplate fills without growing beyond its values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "conformance/cue_template.h"
#include "conformance/http_target.h"
#include "conformance/player_choice.h"
#include "conformance/profile.h"
#include "conformance/scenario.h"
#include "conformance/sgai_assets.h"
#include "reference/media/hls/playlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssai::conformance;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto scenario = ParseScenario(text);
  if (!scenario.ok() && scenario.status().message().empty()) std::abort();
  auto profile = ParseProfile(text);
  if (!profile.ok() && profile.status().message().empty()) std::abort();
  auto target = ParseTargetProfile(text);
  if (!target.ok() && target.status().message().empty()) std::abort();
  // Issue 16: what a target answers an SGAI viewer with (asset lists, playlists with
  // interstitials, asset playlists): parsed without crashing, bounded.
  auto assets = ParseAssetList(text, "http://h/d/al-1.json");
  if (!assets.ok() && assets.status().message().empty()) std::abort();
  if (assets.ok() && assets->size() > kMaxAssetsPerList) std::abort();
  (void)InterstitialAssetsOf(text, "http://h/d/v.m3u8");
  SgaiAssetRecord rec;
  ReadAssetPlaylist(200, text, &rec);
  if (rec.variants < 0 || rec.declared_bitrate_bps < 0) std::abort();
  // A viewer's choice from a hostile multivariant playlist: only usable http(s) URIs of bounded
  // length, stable names of bounded length (player_choice.h).
  if (auto master = ssai::hls::ParseMaster(text); master.ok()) {
    for (int viewer : {0, 1, 7}) {
      auto choice = ChoosePlayerRenditions(*master, "http://h/c/master.m3u8", "v720", viewer);
      if (!choice) continue;
      for (const auto* r : {&choice->variant, choice->audio ? &*choice->audio : nullptr,
                            choice->subtitles ? &*choice->subtitles : nullptr}) {
        if (r == nullptr) continue;
        if (r->url.rfind("http", 0) != 0 || r->url.size() > kMaxRenditionUriBytes + 64) std::abort();
        if (r->name.size() > 80) std::abort();  // "subtitles_" + 64
      }
    }
  }
  if (CheckCueTemplate(text).ok()) {
    const std::map<std::string, std::string> values = {{"org", "o\"\\"}, {"duration", "30"}, {"pod_id", ""}};
    const std::string filled = FillCueTemplate(text, values, /*json_strings=*/true);
    // Each placeholder is at least 2 bytes ("{x}" minus 1) and a value here at most 12 escaped.
    if (filled.size() > size * 12 + 64) std::abort();
  }
  return 0;
}
