// The real-time targets' HTTP client: reference/server/http_client.h (the harness's one
// outbound client: http:// and https://, every part of an answer capped, never throws) with the
// targets' timeouts and a playlist-sized body cap.
#ifndef SSAI_CONFORMANCE_HTTP_CLIENT_H_
#define SSAI_CONFORMANCE_HTTP_CLIENT_H_

#include <chrono>
#include <string>

#include "conformance/observations.h"
#include "reference/base/time.h"
#include "reference/media/hls/playlist.h"
#include "reference/server/http_client.h"

namespace ssai::conformance {

using server::HttpResult;
using server::kExchangeDeadline;
using server::kMaxResponseHeaderBytes;
using server::kMaxResponseHeaderFields;
using server::TlsOptions;

// GET, PUT, DELETE or POST (anything else is POST); connect 2 s, read 10 s, write 5 s, the whole
// exchange kExchangeDeadline. A response body over max_body_bytes is refused (status 0, error
// says so): what a target sends is not ours to trust. Response headers over
// kMaxResponseHeaderBytes or kMaxResponseHeaderFields are refused the same way. https:// is
// verified as `tls` says (the profile's `tls` block; default: the system CA store).
HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type,
                size_t max_body_bytes = hls::kMaxPlaylistBytes, const TlsOptions& tls = {});

// A viewer's playlist request: GETs f->url and fills the response side of *f (response_time,
// http_status, body, and state_source from `state_source_header` when named); the caller has
// set the request side, request_time included.
void GetPlaylist(const httplib::Headers& headers, const std::string& state_source_header, Fetch* f,
                 const TlsOptions& tls = {});

// The wall clock, and sleeping until an instant of it (real-time runs).
UnixMicros WallNow();
void SleepUntil(UnixMicros t);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_HTTP_CLIENT_H_
