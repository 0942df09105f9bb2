#include "conformance/player_choice.h"

#include <vector>

#include "reference/base/url.h"

namespace ssai::conformance {

namespace {

bool Usable(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxRenditionUriBytes) return false;
  for (char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;  // CR/LF, controls, spaces: not a URI (RFC 3986 §2)
  }
  return true;
}

bool HttpUrl(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 64) break;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (ok) out += c;
  }
  return out;
}

// The group's renditions of `type` that can be loaded, DEFAULT=YES first (bis §4.4.6.1: at most
// one per group; a second one is the packager's error and waits its turn).
std::optional<ChosenRendition> Pick(const std::vector<hls::MediaInfo>& media, std::string_view type,
                                    std::string_view group, std::string_view base, int viewer_index,
                                    const std::vector<std::string>& taken) {
  if (group.empty()) return std::nullopt;
  std::vector<const hls::MediaInfo*> candidates;
  const hls::MediaInfo* first_default = nullptr;
  for (const hls::MediaInfo& m : media) {
    if (candidates.size() >= kMaxGroupCandidates) break;
    if (m.type != type || m.group_id != group || !Usable(m.uri)) continue;
    if (!HttpUrl(ResolveUrl(base, m.uri))) continue;
    if (m.is_default && first_default == nullptr) {
      first_default = &m;
      candidates.insert(candidates.begin(), &m);
    } else {
      candidates.push_back(&m);
    }
  }
  if (candidates.empty()) return std::nullopt;
  const hls::MediaInfo& m = *candidates[static_cast<size_t>(viewer_index < 0 ? 0 : viewer_index) % candidates.size()];
  ChosenRendition out{ResolveUrl(base, m.uri), RenditionNameOf(m.uri), m.group_id.substr(0, 256), m.language.substr(0, 64)};
  bool clash = out.name.empty();
  for (const std::string& t : taken) clash |= t == out.name;
  if (clash) {
    const std::string label = type == "AUDIO" ? "audio_" : "subtitles_";
    std::string name = Sanitize(m.name);
    if (name.empty()) name = Sanitize(m.language);
    out.name = label + name;
  }
  return out;
}

}  // namespace

std::string RenditionNameOf(std::string_view uri) {
  uri = uri.substr(0, uri.find_first_of("?#"));
  if (size_t slash = uri.rfind('/'); slash != std::string_view::npos) uri.remove_prefix(slash + 1);
  if (uri.ends_with(".m3u8")) uri.remove_suffix(5);
  return Sanitize(uri);
}

std::optional<PlayerChoice> ChoosePlayerRenditions(const hls::MasterPlaylist& master, std::string_view url,
                                                   std::string_view variant_name, int viewer_index) {
  const std::vector<hls::VariantInfo> variants = master.Variants();
  const hls::VariantInfo* v = nullptr;
  for (const hls::VariantInfo& x : variants) {
    if (!Usable(x.uri) || !HttpUrl(ResolveUrl(url, x.uri))) continue;
    if (v == nullptr) v = &x;
    if (!variant_name.empty() && RenditionNameOf(x.uri) == variant_name) {
      v = &x;
      break;
    }
  }
  if (v == nullptr) return std::nullopt;
  PlayerChoice out;
  out.variant = {ResolveUrl(url, v->uri), RenditionNameOf(v->uri), "", ""};
  out.variant_bandwidth_bps = v->bandwidth;
  const std::vector<hls::MediaInfo> media = master.Media();
  out.audio = Pick(media, "AUDIO", v->audio_group, url, viewer_index, {out.variant.name});
  std::vector<std::string> taken = {out.variant.name};
  if (out.audio) taken.push_back(out.audio->name);
  out.subtitles = Pick(media, "SUBTITLES", v->subtitles_group, url, viewer_index, taken);
  return out;
}

}  // namespace ssai::conformance
