// The real-time targets' HTTP client (cpp-httplib): one request, bounded timeouts, never throws.
#ifndef SSAI_CONFORMANCE_HTTP_CLIENT_H_
#define SSAI_CONFORMANCE_HTTP_CLIENT_H_

#include <httplib.h>

#include <chrono>
#include <string>

#include "conformance/observations.h"
#include "reference/media/hls/playlist.h"
#include "reference/base/time.h"

namespace ssai::conformance {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
  std::string error;  // why there was no answer
};

// Caps on what one answer may cost the harness (issue 16, a hostile target): the header block,
// its field count, and the whole exchange (connect, send, every byte of the answer).
inline constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxResponseHeaderFields = 100;
inline constexpr std::chrono::seconds kExchangeDeadline{30};

// GET, PUT, DELETE or POST (anything else is POST); connect 2 s, read 10 s, write 5 s. A response body
// over max_body_bytes is refused (status 0, error says so): what a target sends is not ours to trust.
// http:// URLs: response headers over kMaxResponseHeaderBytes or kMaxResponseHeaderFields, or an
// exchange over kExchangeDeadline, are refused the same way (status 0, the error names the cap).
HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type,
                size_t max_body_bytes = hls::kMaxPlaylistBytes);

// A viewer's playlist request: GETs f->url and fills the response side of *f (response_time,
// http_status, body, and state_source from `state_source_header` when named); the caller has
// set the request side, request_time included.
void GetPlaylist(const httplib::Headers& headers, const std::string& state_source_header, Fetch* f);

// The wall clock, and sleeping until an instant of it (real-time runs).
UnixMicros WallNow();
void SleepUntil(UnixMicros t);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_HTTP_CLIENT_H_
