// HTTP/1.1 on a raw loopback socket, for tests and the HTTP fuzzer: send bytes exactly as given
// (what a well-behaved client never sends), read what comes back, and split it into responses
// with Beast's response parser (a well-formedness check as strict as a real client's).
#ifndef SSAI_REFERENCE_SERVER_RAW_HTTP_H_
#define SSAI_REFERENCE_SERVER_RAW_HTTP_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/base/status.h"

namespace ssai::server {

// Connects to 127.0.0.1:port, sends `bytes`, then (half_close) shuts down its sending side;
// returns what came back until the peer closed or timeout_ms passed without a byte.
std::string RawHttpExchange(int port, std::string_view bytes, bool half_close = true, int timeout_ms = 2000);

struct RawHttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(std::string_view name) const;  // first match, ASCII case-insensitive; else ""
};

// Splits `wire` into responses (interim 1xx ones included). Every response must be complete and
// well-formed; one that declares a body but is followed directly by a status line or the end of
// the stream is taken as the answer to a HEAD (RFC 9110 §9.3.2), the one thing the wire cannot say.
Result<std::vector<RawHttpResponse>> ParseRawHttpResponses(std::string_view wire);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_RAW_HTTP_H_
