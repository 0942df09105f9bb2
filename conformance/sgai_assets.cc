#include "conformance/sgai_assets.h"

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "reference/base/json_text.h"
#include "reference/base/strings.h"
#include "reference/base/url.h"
#include "reference/media/hls/playlist.h"

namespace ssai::conformance {

std::vector<InterstitialAssetRef> InterstitialAssetsOf(std::string_view media_body, std::string_view base_url) {
  std::vector<InterstitialAssetRef> out;
  Result<hls::MediaPlaylist> p = hls::ParseMedia(media_body);
  if (!p.ok()) return out;
  hls::ForEachInterstitial(*p, [&](const hls::AttributeList& a) {
    InterstitialAssetRef r;
    r.id = std::string(a.GetQuotedString("ID").value_or(""));
    if (auto u = a.GetQuotedString("X-ASSET-URI")) r.asset_uri = ResolveUrl(base_url, *u);
    if (auto l = a.GetQuotedString("X-ASSET-LIST")) r.asset_list = ResolveUrl(base_url, *l);
    if (r.asset_uri.empty() && r.asset_list.empty()) return;  // a DATERANGE that names no asset: lint's business
    for (const InterstitialAssetRef& seen : out) {
      if (seen.id == r.id) return;  // a DATERANGE repeated in a window names the same interstitial
    }
    out.push_back(std::move(r));
  });
  return out;
}

Result<std::vector<std::string>> ParseAssetList(std::string_view json_text, std::string_view list_url) {
  SSAI_RETURN_IF_ERROR(CheckJsonNesting(json_text));
  const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("asset list: not JSON");
  if (!j.is_object() || !j.contains("ASSETS") || !j["ASSETS"].is_array()) {
    return Status::InvalidArgument("asset list: no ASSETS array (bis Appendix D.2)");
  }
  const nlohmann::json& assets = j["ASSETS"];
  if (assets.size() > kMaxAssetsPerList) {
    return Status::InvalidArgument("asset list: " + std::to_string(assets.size()) + " ASSETS, more than " +
                                   std::to_string(kMaxAssetsPerList));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < assets.size(); ++i) {
    const nlohmann::json& a = assets[i];
    if (!a.is_object() || !a.contains("URI") || !a["URI"].is_string()) {
      return Status::InvalidArgument("asset list: ASSETS[" + std::to_string(i) + "].URI: missing or not a string");
    }
    out.push_back(ResolveUrl(list_url, a["URI"].get<std::string>()));
  }
  return out;
}

void ReadAssetPlaylist(int http_status, std::string_view body, SgaiAssetRecord* rec) {
  if (http_status != 200) {
    rec->error = http_status == 0 ? "asset: no answer" : "asset: HTTP " + std::to_string(http_status);
    return;
  }
  if (Result<hls::MasterPlaylist> m = hls::ParseMaster(body); m.ok()) {
    rec->multivariant = true;
    for (const hls::VariantInfo& v : m->Variants()) {
      ++rec->variants;
      if (rec->min_variant_bps == 0 || v.bandwidth < rec->min_variant_bps) rec->min_variant_bps = v.bandwidth;
    }
    return;
  }
  Result<hls::MediaPlaylist> p = hls::ParseMedia(body);
  if (!p.ok()) {
    rec->error = "asset: not a playlist: " + EscapeInvalidUtf8(p.status().message());
    return;
  }
  // RFC 8216bis §4.4.4.8 EXT-X-BITRATE (kb/s) is what a media playlist can say of its bitrate.
  for (const hls::MediaSegment& s : p->segments()) {
    for (const hls::Tag& t : s.tags()) {
      if (t.type != hls::TagType::kBitrate) continue;
      if (std::optional<int64_t> kbps = ParseInt64(t.value); kbps && *kbps > 0 && *kbps < (int64_t{1} << 40)) {
        rec->declared_bitrate_bps = std::max(rec->declared_bitrate_bps, *kbps * 1000);
      }
    }
  }
}

void FetchSgaiAssets(const Fetch& f, std::set<std::string>* seen, const AssetFetcher& fetch,
                     const std::function<void(SgaiAssetRecord)>& record) {
  if (f.http_status != 200 || f.rendition.empty()) return;
  // Copied first: a fetcher may answer at once, and `f` may live in a vector that grows.
  SgaiAssetRecord proto;
  proto.time = f.response_time;
  proto.viewer = f.viewer;
  proto.rendition = f.rendition;
  proto.bandwidth_bps = f.bandwidth_bps;
  for (const InterstitialAssetRef& ref : InterstitialAssetsOf(f.body, f.url)) {
    if (seen->size() >= kMaxInterstitialsPerViewer || !seen->insert(ref.id).second) continue;
    SgaiAssetRecord base = proto;
    base.interstitial_id = ref.id;
    auto fetch_asset = [fetch, record](SgaiAssetRecord rec) {
      const std::string url = rec.asset_url;
      fetch(url, [rec = std::move(rec), record](int status, std::string body) mutable {
        ReadAssetPlaylist(status, body, &rec);
        record(std::move(rec));
      });
    };
    if (!ref.asset_uri.empty()) {
      base.asset_url = ref.asset_uri;
      fetch_asset(std::move(base));
      continue;
    }
    base.list_url = ref.asset_list;
    fetch(ref.asset_list, [base = std::move(base), fetch_asset, record](int status, std::string body) mutable {
      if (status != 200) {
        base.error = status == 0 ? "asset list: no answer" : "asset list: HTTP " + std::to_string(status);
        return record(std::move(base));
      }
      Result<std::vector<std::string>> uris = ParseAssetList(body, base.list_url);
      if (!uris.ok()) {
        base.error = EscapeInvalidUtf8(uris.status().message());
        return record(std::move(base));
      }
      for (const std::string& uri : *uris) {
        SgaiAssetRecord rec = base;
        rec.asset_url = uri;
        fetch_asset(std::move(rec));
      }
    });
  }
}

}  // namespace ssai::conformance
