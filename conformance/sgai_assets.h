// What an SGAI viewer fetches for each interstitial (issue 16, splice.sgai_asset_matches_rendition).
// RFC 8216bis Appendix D.2: an interstitial (EXT-X-DATERANGE CLASS="com.apple.hls.interstitial")
// names its asset by X-ASSET-URI (a playlist) or X-ASSET-LIST (JSON {"ASSETS":[{"URI","DURATION"}]},
// each URI a playlist). A player plays the asset like any other playlist: a multivariant one lets
// it choose a variant its bandwidth allows; a media playlist is played whatever its bitrate. Every
// target's viewers (builtin, http/serve:, observe) go through this one model.
#ifndef SSAI_CONFORMANCE_SGAI_ASSETS_H_
#define SSAI_CONFORMANCE_SGAI_ASSETS_H_

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/observations.h"
#include "reference/base/status.h"
#include "reference/media/hls/playlist.h"

namespace ssai::conformance {

// Bounds on what a target's lists make a viewer fetch (a hostile list is not ours to trust).
inline constexpr size_t kMaxAssetsPerList = 32;
inline constexpr size_t kMaxInterstitialsPerViewer = 256;


// One interstitial's asset reference, resolved against the media playlist's URL.
struct InterstitialAssetRef {
  std::string id;
  std::string asset_uri;   // X-ASSET-URI, or ""
  std::string asset_list;  // X-ASSET-LIST, or ""
};
std::vector<InterstitialAssetRef> InterstitialAssetsOf(std::string_view media_body, std::string_view base_url);

// An asset list's URIs, resolved against `list_url`; the error names what is wrong.
Result<std::vector<std::string>> ParseAssetList(std::string_view json_text, std::string_view list_url);

// Fills the asset side of `rec` (multivariant, variants, declared_bitrate_bps, or error) from one
// asset playlist response.
void ReadAssetPlaylist(int http_status, std::string_view body, SgaiAssetRecord* rec);

// Fetches `url` and answers (HTTP status, 0 for none; body). The simulator's run (the builtin
// target) answers on its scheduler, the real-time targets at once.
using AssetFetcher = std::function<void(const std::string& url, std::function<void(int, std::string)> done)>;

// For one SGAI (or any) media playlist response `f` (status 200): every interstitial `seen` does
// not hold yet (ids, per viewer: a list is fetched once per break, not every reload) is fetched,
// its list and then each asset, and one record per asset (or per unreadable list) is handed to
// `record` with the viewer's variant BANDWIDTH.
void FetchSgaiAssets(const Fetch& f, std::set<std::string>* seen, const AssetFetcher& fetch,
                     const std::function<void(SgaiAssetRecord)>& record);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_SGAI_ASSETS_H_
