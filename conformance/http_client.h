// The real-time targets' HTTP client (cpp-httplib): one request, bounded timeouts, never throws.
#ifndef SSAI_CONFORMANCE_HTTP_CLIENT_H_
#define SSAI_CONFORMANCE_HTTP_CLIENT_H_

#include <httplib.h>

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

// GET, PUT, DELETE or POST (anything else is POST); connect 2 s, read 10 s, write 5 s. A response body
// over max_body_bytes is refused (status 0, error says so): what a target sends is not ours to trust.
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
