#include "reference/media/vast/vast.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <pugixml.hpp>

#include "reference/base/ascii.h"

namespace ssai::vast {

namespace {

constexpr std::string_view kPrefix = "VAST ";

std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  }
  return {};
}

template <typename Fn>
void ForChildren(const pugi::xml_node& n, std::string_view local, Fn fn) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) fn(c);
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The element's text: its PCDATA and CDATA children, joined, whitespace trimmed (ad servers wrap
// URLs in CDATA with newlines and indentation around it).
std::string Text(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return std::string(Trim(out));
}

std::string Attr(const pugi::xml_node& n, const char* name) {
  return std::string(Trim(n.attribute(name).value()));
}

std::optional<int64_t> AttrInt(const pugi::xml_node& n, const char* name) {
  const std::string v = Attr(n, name);
  if (v.empty()) return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < 0) return std::nullopt;
  return out;
}

std::optional<bool> AttrBool(const pugi::xml_node& n, const char* name) {
  std::string v = Attr(n, name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

Result<LinearCreative> ParseLinear(const pugi::xml_node& creative, const pugi::xml_node& linear,
                                   bool inline_ad, const std::string& where) {
  LinearCreative c;
  c.id = Attr(creative, "id");
  c.ad_id = Attr(creative, "adId");
  if (c.ad_id.empty()) c.ad_id = Attr(creative, "AdID");  // VAST 2/3 spelling
  if (pugi::xml_node u = Child(creative, "UniversalAdId")) c.universal_ad_id = Text(u);
  if (pugi::xml_node d = Child(linear, "Duration")) {
    c.duration_s = ParseDuration(Text(d));
    if (!c.duration_s && inline_ad) {
      return VastError(kSchemaError, where + ": Duration '" + Text(d) + "' is not HH:MM:SS[.mmm]");
    }
  } else if (inline_ad) {
    return VastError(kSchemaError, where + ": InLine Linear without Duration");
  }
  if (pugi::xml_node files = Child(linear, "MediaFiles")) {
    ForChildren(files, "MediaFile", [&](const pugi::xml_node& f) {
      MediaFile m;
      m.url = Text(f);
      m.delivery = Attr(f, "delivery");
      m.type = Attr(f, "type");
      m.bitrate_kbps = AttrInt(f, "bitrate").value_or(
          AttrInt(f, "maxBitrate").value_or(AttrInt(f, "minBitrate").value_or(0)));
      m.width = static_cast<int>(std::min<int64_t>(AttrInt(f, "width").value_or(0), 1 << 20));
      m.height = static_cast<int>(std::min<int64_t>(AttrInt(f, "height").value_or(0), 1 << 20));
      m.codec = Attr(f, "codec");
      if (!m.url.empty()) c.media_files.push_back(std::move(m));
    });
  }
  if (pugi::xml_node events = Child(linear, "TrackingEvents")) {
    ForChildren(events, "Tracking", [&](const pugi::xml_node& t) {
      TrackingEvent e{Attr(t, "event"), Text(t), Attr(t, "offset")};
      if (!e.event.empty() && !e.url.empty()) c.tracking.push_back(std::move(e));
    });
  }
  return c;
}

Result<Ad> ParseAd(const pugi::xml_node& node, size_t index) {
  const std::string where = "Ad " + std::to_string(index);
  Ad ad;
  ad.id = Attr(node, "id");
  ad.sequence = static_cast<int>(std::min<int64_t>(AttrInt(node, "sequence").value_or(0), 1 << 20));
  pugi::xml_node body = Child(node, "InLine");
  if (!body) {
    body = Child(node, "Wrapper");
    ad.wrapper = static_cast<bool>(body);
  }
  if (!body) return VastError(kSchemaError, where + ": neither InLine nor Wrapper");
  if (pugi::xml_node s = Child(body, "AdSystem")) ad.ad_system = Text(s);
  if (pugi::xml_node t = Child(body, "AdTitle")) ad.ad_title = Text(t);
  ForChildren(body, "Impression", [&](const pugi::xml_node& i) {
    if (std::string u = Text(i); !u.empty()) ad.impressions.push_back(std::move(u));
  });
  ForChildren(body, "Error", [&](const pugi::xml_node& e) {
    if (std::string u = Text(e); !u.empty()) ad.errors.push_back(std::move(u));
  });
  if (ad.wrapper) {
    ad.ad_tag_uri = Text(Child(body, "VASTAdTagURI"));
    if (ad.ad_tag_uri.empty()) return VastError(kSchemaError, where + ": Wrapper without VASTAdTagURI");
    ad.follow_additional_wrappers = AttrBool(body, "followAdditionalWrappers").value_or(true);
    ad.allow_multiple_ads = AttrBool(body, "allowMultipleAds").value_or(false);
    ad.fallback_on_no_ad = AttrBool(body, "fallbackOnNoAd");
  }
  Status error;
  if (pugi::xml_node creatives = Child(body, "Creatives")) {
    size_t ci = 0;
    ForChildren(creatives, "Creative", [&](const pugi::xml_node& creative) {
      const size_t this_ci = ci++;
      if (!error.ok()) return;
      pugi::xml_node linear = Child(creative, "Linear");
      if (!linear) return;  // companions and non-linear creatives: not for a stitcher
      Result<LinearCreative> c =
          ParseLinear(creative, linear, !ad.wrapper, where + " Creative " + std::to_string(this_ci));
      if (!c.ok()) {
        error = c.status();
        return;
      }
      ad.linears.push_back(std::move(c).value());
    });
  }
  if (!error.ok()) return error;
  return ad;
}

void Append(std::vector<std::string>* to, const std::vector<std::string>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

}  // namespace

int ErrorCodeOf(const Status& status) {
  if (status.ok()) return 0;
  std::string_view m = status.message();
  if (!m.starts_with(kPrefix)) return kUndefinedError;
  m.remove_prefix(kPrefix.size());
  int code = 0;
  auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), code);
  if (ec != std::errc() || p == m.data() || code < 100 || code > 999) return kUndefinedError;
  return code;
}

Status VastError(int code, std::string_view message) {
  std::string m(kPrefix);
  m += std::to_string(code);
  m += ": ";
  m += message;
  if (code == kWrapperTimeout) return Status::Unavailable(std::move(m));
  return Status::InvalidArgument(std::move(m));
}

std::string ExpandErrorMacro(std::string_view url, int code) {
  std::string out;
  const std::string value = std::to_string(code);
  for (size_t i = 0; i < url.size();) {
    bool done = false;
    for (std::string_view macro : {std::string_view("[ERRORCODE]"), std::string_view("%5BERRORCODE%5D"),
                                   std::string_view("%5bERRORCODE%5d")}) {
      if (url.substr(i, macro.size()) == macro) {
        out += value;
        i += macro.size();
        done = true;
        break;
      }
    }
    if (!done) out.push_back(url[i++]);
  }
  return out;
}

bool IsFireable(std::string_view url) {
  url = Trim(url);
  return !url.empty() && !EqualsIgnoreCase(url, "about:blank");
}

std::optional<double> ParseDuration(std::string_view text) {
  text = Trim(text);
  // HH:MM:SS or HH:MM:SS.mmm
  auto num = [](std::string_view s, int* out) {
    if (s.empty() || s.size() > 4) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
  };
  const size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  const size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view sec = text.substr(c2 + 1);
  std::string_view frac;
  if (const size_t dot = sec.find('.'); dot != std::string_view::npos) {
    frac = sec.substr(dot + 1);
    sec = sec.substr(0, dot);
    if (frac.empty() || frac.size() > 3) return std::nullopt;
  }
  int h = 0, m = 0, s = 0, f = 0;
  if (!num(text.substr(0, c1), &h) || !num(text.substr(c1 + 1, c2 - c1 - 1), &m) || !num(sec, &s)) {
    return std::nullopt;
  }
  if (m > 59 || s > 59) return std::nullopt;
  double fraction = 0;
  if (!frac.empty()) {
    if (!num(frac, &f)) return std::nullopt;
    fraction = f / std::pow(10.0, static_cast<double>(frac.size()));
  }
  return h * 3600.0 + m * 60.0 + s + fraction;
}

bool IsSpliceable(const MediaFile& file) {
  const bool hls = EqualsIgnoreCase(file.type, "application/x-mpegURL") ||
                   EqualsIgnoreCase(file.type, "application/vnd.apple.mpegurl");
  const bool delivery_ok = file.delivery.empty() || EqualsIgnoreCase(file.delivery, "streaming");
  return hls && delivery_ok && !file.url.empty();
}

Result<Document> Parse(std::string_view xml) {
  if (Trim(xml).empty()) return VastError(kNoAdsAfterWrapper, "empty response");
  pugi::xml_document doc;
  // parse_default keeps CDATA sections and drops whitespace-only text; no DOCTYPE expansion
  // (pugixml never expands external entities or fetches anything).
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!parsed) {
    return VastError(kXmlParseError, std::string("malformed XML at byte ") +
                                         std::to_string(parsed.offset) + ": " + parsed.description());
  }
  const pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != "VAST") {
    return VastError(kSchemaError, "root element is <" + std::string(root ? root.name() : "") +
                                       ">, not <VAST>");
  }
  Document out;
  out.version = Attr(root, "version");
  if (out.version.empty()) return VastError(kSchemaError, "<VAST> without a version attribute");
  const char major = out.version.front();
  if ((major != '2' && major != '3' && major != '4') ||
      (out.version.size() > 1 && out.version[1] != '.')) {
    return VastError(kUnsupportedVersion, "VAST version '" + out.version + "' (2.x, 3.x and 4.x are read)");
  }
  ForChildren(root, "Error", [&](const pugi::xml_node& e) {
    if (std::string u = Text(e); !u.empty()) out.errors.push_back(std::move(u));
  });
  Status error;
  size_t index = 0;
  ForChildren(root, "Ad", [&](const pugi::xml_node& a) {
    const size_t this_index = index++;
    if (!error.ok()) return;
    Result<Ad> ad = ParseAd(a, this_index);
    if (!ad.ok()) {
      error = ad.status();
      return;
    }
    out.ads.push_back(std::move(ad).value());
  });
  if (!error.ok()) return error;
  return out;
}

// ---- Resolver ---------------------------------------------------------------------------------

Resolver::Resolver(ResolverOptions options) : options_(options) {}

void Resolver::Start(std::string_view xml) {
  total_bytes_ += xml.size();
  Result<Document> doc = Parse(xml);
  if (!doc.ok()) {
    top_status_ = doc.status();
    failures_.push_back({ErrorCodeOf(doc.status()), doc.status().message(), {}});
    return;
  }
  root_errors_ = doc->errors;
  if (doc->ads.empty()) {
    top_status_ = VastError(kNoAdsAfterWrapper, "no Ad in the response");
    failures_.push_back({kNoAdsAfterWrapper, top_status_.message(), root_errors_});
    return;
  }
  TakeDocument(*doc, nullptr);
}

std::optional<std::string> Resolver::next_url() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().url;
}

void Resolver::Fail(size_t slot, int code, std::string message, const ResolvedAd& inherited) {
  AdFailure f{code, std::move(message), inherited.error_urls};
  if (!slots_[slot].failure) slots_[slot].failure = f;
  failures_.push_back(std::move(f));
}

void Resolver::AddAd(size_t slot, const Ad& ad, const Chain* parent) {
  ResolvedAd r = parent ? parent->inherited : ResolvedAd{};
  Append(&r.impressions, ad.impressions);
  Append(&r.error_urls, ad.errors);
  const std::string name = "ad '" + ad.id + "'";
  if (ad.wrapper) {
    any_wrapper_ = true;
    for (const LinearCreative& c : ad.linears) r.tracking.insert(r.tracking.end(), c.tracking.begin(), c.tracking.end());
    const int depth = (parent ? parent->depth : 0) + 1;
    if (parent && !parent->may_follow) {
      return Fail(slot, kWrapperError, name + ": a wrapper below one with followAdditionalWrappers=false", r);
    }
    if (depth > options_.max_wrapper_depth) {
      return Fail(slot, kWrapperLimit,
                  name + ": wrapper " + std::to_string(depth) + " exceeds the limit of " +
                      std::to_string(options_.max_wrapper_depth),
                  r);
    }
    if (parent && parent->seen.count(ad.ad_tag_uri)) {
      return Fail(slot, kWrapperError, name + ": wrapper loop back to " + ad.ad_tag_uri, r);
    }
    if (fetches_ + static_cast<int>(queue_.size()) >= options_.max_documents) {
      return Fail(slot, kWrapperError,
                  name + ": more than " + std::to_string(options_.max_documents) + " wrapper documents", r);
    }
    Chain c;
    c.slot = slot;
    c.depth = depth;
    c.may_follow = ad.follow_additional_wrappers;
    c.allow_multiple = ad.allow_multiple_ads;
    c.url = ad.ad_tag_uri;
    if (parent) c.seen = parent->seen;
    c.seen.insert(ad.ad_tag_uri);
    c.inherited = std::move(r);
    c.inherited.wrapper_depth = depth;
    ++slots_[slot].pending;
    queue_.push_back(std::move(c));
    return;
  }
  r.id = ad.id;
  r.sequence = ad.sequence;
  r.ad_system = ad.ad_system;
  r.wrapper_depth = parent ? parent->depth : 0;
  const LinearCreative* linear = nullptr;
  for (const LinearCreative& c : ad.linears) {
    if (c.duration_s && *c.duration_s > 0) {
      linear = &c;
      break;
    }
  }
  if (linear == nullptr) return Fail(slot, kUnexpectedLinearity, name + ": no Linear creative with a duration", r);
  r.creative = *linear;
  r.tracking.insert(r.tracking.end(), linear->tracking.begin(), linear->tracking.end());
  for (const MediaFile& f : linear->media_files) {
    if (IsSpliceable(f)) r.spliceable.push_back(f);
  }
  if (r.spliceable.empty()) {
    std::string types;
    for (const MediaFile& f : linear->media_files) types += (types.empty() ? "" : ", ") + f.type;
    return Fail(slot, kNoSupportedMediaFile,
                name + ": no HLS MediaFile (application/x-mpegURL) to splice" +
                    (types.empty() ? std::string() : " (has " + types + ")"),
                r);
  }
  slots_[slot].ads.push_back(std::move(r));
}

void Resolver::TakeDocument(const Document& doc, const Chain* parent) {
  // Pod ads by sequence (stable for duplicates), then stand-alone ads in document order.
  std::vector<const Ad*> pod, standalone;
  for (const Ad& ad : doc.ads) (ad.sequence > 0 ? pod : standalone).push_back(&ad);
  std::stable_sort(pod.begin(), pod.end(), [](const Ad* a, const Ad* b) { return a->sequence < b->sequence; });
  if (parent == nullptr) {
    for (const Ad* ad : pod) {
      slots_.push_back(Slot{ad->sequence, {}, std::nullopt, 0});
      AddAd(slots_.size() - 1, *ad, nullptr);
    }
    for (const Ad* ad : standalone) {
      slots_.push_back(Slot{0, {}, std::nullopt, 0});
      AddAd(slots_.size() - 1, *ad, nullptr);
    }
    return;
  }
  std::vector<const Ad*> chosen = pod;
  chosen.insert(chosen.end(), standalone.begin(), standalone.end());
  if (!parent->allow_multiple || pod.empty()) chosen.resize(std::min<size_t>(chosen.size(), 1));
  for (const Ad* ad : chosen) AddAd(parent->slot, *ad, parent);
}

void Resolver::OnFetched(std::string_view xml) {
  if (queue_.empty()) return;
  Chain c = std::move(queue_.front());
  queue_.erase(queue_.begin());
  --slots_[c.slot].pending;
  ++fetches_;
  total_bytes_ += xml.size();
  if (total_bytes_ > options_.max_total_bytes) {
    return Fail(c.slot, kWrapperError,
                "wrapper documents exceed " + std::to_string(options_.max_total_bytes) + " bytes", c.inherited);
  }
  Result<Document> doc = Parse(xml);
  if (!doc.ok()) {
    const int code = ErrorCodeOf(doc.status());
    return Fail(c.slot, code, c.url + ": " + doc.status().message(), c.inherited);
  }
  if (doc->ads.empty()) {
    ResolvedAd with_root = c.inherited;
    Append(&with_root.error_urls, doc->errors);
    return Fail(c.slot, kNoAdsAfterWrapper, c.url + ": no Ad after " + std::to_string(c.depth) + " wrapper(s)",
                with_root);
  }
  TakeDocument(*doc, &c);
}

void Resolver::OnFetchFailed(const Status& status) {
  if (queue_.empty()) return;
  Chain c = std::move(queue_.front());
  queue_.erase(queue_.begin());
  --slots_[c.slot].pending;
  ++fetches_;
  Fail(c.slot, kWrapperTimeout, c.url + ": " + status.message(), c.inherited);
}

Result<ResolvedPod> Resolver::Finish() const {
  if (!queue_.empty()) return Status::FailedPrecondition("VAST resolution not finished: fetch next_url() first");
  if (!top_status_.ok()) return top_status_;
  ResolvedPod pod;
  pod.failures = failures_;
  std::vector<size_t> fallbacks;
  bool has_pod = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].sequence > 0) {
      has_pod = true;
    } else if (!slots_[i].ads.empty()) {
      fallbacks.push_back(i);
    }
  }
  size_t next_fallback = 0;
  if (has_pod) {
    for (const Slot& s : slots_) {
      if (s.sequence <= 0) continue;
      if (!s.ads.empty()) {
        pod.ads.insert(pod.ads.end(), s.ads.begin(), s.ads.end());
      } else if (next_fallback < fallbacks.size()) {
        const Slot& f = slots_[fallbacks[next_fallback++]];
        pod.ads.insert(pod.ads.end(), f.ads.begin(), f.ads.end());
      }
    }
  } else if (!fallbacks.empty()) {
    pod.ads = slots_[fallbacks.front()].ads;
  }
  if (pod.ads.empty()) {
    if (!failures_.empty()) {
      return VastError(failures_.front().code, failures_.front().message);
    }
    return VastError(kNoAdsAfterWrapper, "no usable Ad in the response");
  }
  return pod;
}

}  // namespace ssai::vast
