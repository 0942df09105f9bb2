// URL helpers for playlists: RFC 3986 §5.2 reference resolution, enough for HLS URIs (RFC 8216
// §4.1: relative URIs are relative to the playlist's URI).
#ifndef SSAI_REFERENCE_BASE_URL_H_
#define SSAI_REFERENCE_BASE_URL_H_

#include <string>
#include <string_view>

namespace ssai {

// Resolves `ref` against `base`: absolute refs ("http://..."), network-path ("//host/x"),
// absolute-path ("/x") and relative ("seg1.ts", "../a/b.ts") refs. Query and fragment of `base`
// are dropped for relative refs; dot segments are removed.
std::string ResolveUrl(std::string_view base, std::string_view ref);

// True when `s` starts with a URI scheme ("http:", "https:", "data:", ...).
bool HasScheme(std::string_view s);

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_URL_H_
