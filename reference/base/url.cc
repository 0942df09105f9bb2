#include "reference/base/url.h"

#include <vector>

namespace ssai {

bool HasScheme(std::string_view s) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"   (RFC 3986 §3.1)
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return true;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return false;
}

namespace {

// Removes "." and ".." segments (RFC 3986 §5.2.4) from an absolute path.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  const bool trailing_slash = !path.empty() && (path.back() == '/' ||
                                                path.ends_with("/.") || path.ends_with("/.."));
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    i = j + 1;
  }
  std::string result;
  for (std::string_view seg : out) {
    result += '/';
    result += seg;
  }
  if (trailing_slash || result.empty()) result += '/';
  return result;
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  if (ref.empty()) return std::string(base);
  if (HasScheme(ref)) return std::string(ref);
  // Fast path for the common "seg_123.ts" against "http://host/dir/p.m3u8": a plain relative name
  // (no dot segments) replaces the base's last path segment.
  const size_t base_query = base.find_first_of("?#");
  const std::string_view base_no_query = base.substr(0, base_query);
  const size_t last_slash = base_no_query.rfind('/');
  if (ref[0] != '/' && ref[0] != '.' && ref.find("/.") == std::string_view::npos &&
      last_slash != std::string_view::npos && last_slash > base.find("://") + 2) {
    std::string out;
    out.reserve(last_slash + 1 + ref.size());
    out.append(base_no_query.substr(0, last_slash + 1));
    out.append(ref);
    return out;
  }
  const size_t scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos) {
    // A base without an authority (a plain path): resolve as paths.
    if (ref[0] == '/') return std::string(ref);
    const size_t slash = base.rfind('/');
    return std::string(slash == std::string_view::npos ? "" : base.substr(0, slash + 1)) + std::string(ref);
  }
  if (ref.starts_with("//")) return std::string(base.substr(0, scheme_end + 1)) + std::string(ref);
  const size_t authority_end = base.find_first_of("/?#", scheme_end + 3);
  const std::string_view origin = base.substr(0, authority_end);
  std::string_view base_path =
      authority_end == std::string_view::npos ? std::string_view("/") : base.substr(authority_end);
  base_path = base_path.substr(0, base_path.find_first_of("?#"));
  if (base_path.empty()) base_path = "/";
  // Split the reference's path from its query/fragment; only the path takes part in dot removal.
  const size_t ref_query = ref.find_first_of("?#");
  const std::string_view ref_path = ref.substr(0, ref_query);
  const std::string_view ref_rest = ref_query == std::string_view::npos ? "" : ref.substr(ref_query);
  std::string merged;
  if (ref_path.empty()) {
    merged = std::string(base_path);
  } else if (ref_path[0] == '/') {
    merged = std::string(ref_path);
  } else {
    merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(ref_path);
  }
  return std::string(origin) + RemoveDotSegments(merged) + std::string(ref_rest);
}

}  // namespace ssai
