// The real-time targets' HTTP client (cpp-httplib): one request, bounded timeouts, never throws.
#ifndef SSAI_CONFORMANCE_HTTP_CLIENT_H_
#define SSAI_CONFORMANCE_HTTP_CLIENT_H_

#include <httplib.h>

#include <string>

#include "reference/base/time.h"

namespace ssai::conformance {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
  std::string error;  // why there was no answer
};

// GET, PUT or POST (anything else is POST); connect 2 s, read 10 s, write 5 s.
HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type);

// The wall clock, and sleeping until an instant of it (real-time runs).
UnixMicros WallNow();
void SleepUntil(UnixMicros t);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_HTTP_CLIENT_H_
