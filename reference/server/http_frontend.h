// An HTTP/1.1 server (Boost.Beast) that runs on a caller's io_context: the SSAI server's front
// end. Every handler call and every completion happens on the io_context's thread, so a handler
// may call the sans-I/O core directly and answer later from a core callback — no thread hand-off,
// no thread per connection (a connection waiting for its next request costs a socket and a
// buffer, not a worker).
//
// Bounds (each a test in http_frontend_test.cc): request line + headers ≤ max_header_bytes
// (431), body ≤ max_body_bytes (413, connection closed), malformed request → 400 and close, idle
// keep-alive and slow reads/writes time out, max_requests_per_connection then "Connection: close".
// Framing (RFC 9112), checked on the header before the body is read, each refusal closing the
// connection: Transfer-Encoding whose final coding is not chunked, or with Content-Length, or in
// HTTP/1.0 → 400 (§6.1, §6.3; no request smuggling); other codings → 501; HTTP/1.1 without
// exactly one Host → 400 (§3.2). "Expect: 100-continue" gets "100 Continue" (or check_head's refusal).
#ifndef SSAI_REFERENCE_SERVER_HTTP_FRONTEND_H_
#define SSAI_REFERENCE_SERVER_HTTP_FRONTEND_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "reference/base/status.h"

namespace ssai::server {

struct HttpRequest {
  std::string method;  // as sent: "GET", "HEAD", "POST", ...
  std::string path;    // percent-decoded, without the query ('+' stays '+', as in a path)
  std::string query;   // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  std::string peer_address;  // the connection's remote IP ("" when unknown)

  // The first header named `name` (ASCII case-insensitive, RFC 9110 §5.1), else "".
  std::string Header(std::string_view name) const;
  // The first query parameter `name`, decoded ('+' is a space, RFC 3986 + HTML form encoding).
  std::optional<std::string> Param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  HttpResponse& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Answers one request. Call exactly once, on the io_context's thread; later calls are ignored.
// Answering after the connection died is harmless.
using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest request, HttpResponder respond)>;

struct HttpFrontEndOptions {
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  int64_t read_timeout_ms = 5000;        // a request's header and body, once its first byte arrived
  int64_t write_timeout_ms = 5000;
  int64_t keep_alive_timeout_ms = 5000;  // idle connection between requests
  int max_requests_per_connection = 1000;
  // Added to every response (e.g. CORS).
  std::vector<std::pair<std::string, std::string>> default_headers;
  // The answer to a request the front end refuses itself (400, 413, 431, 501); plain text when empty.
  std::function<HttpResponse(int status, const std::string& message)> error_response;
  // For "Expect: 100-continue" (RFC 9110 §10.1.1): sees the request without its body; an answer
  // refuses it at once (e.g. 401, 415; the body is never read and the connection closes), nullopt
  // lets the front end send "100 Continue" and read the body. Unset: always 100 Continue.
  std::function<std::optional<HttpResponse>(const HttpRequest& head)> check_head;
};

class HttpFrontEnd {
 public:
  HttpFrontEnd(boost::asio::io_context& io, HttpFrontEndOptions options, HttpHandler handler);
  ~HttpFrontEnd();
  HttpFrontEnd(const HttpFrontEnd&) = delete;
  HttpFrontEnd& operator=(const HttpFrontEnd&) = delete;

  // Binds and listens (port 0: any free port); connections queue in the backlog until Serve.
  // Call before the io_context runs or from its thread.
  Status Bind(const std::string& host, int port);
  // Starts accepting (posted to the io_context).
  void Serve();
  // Graceful, from any thread but the io_context's: stops accepting, closes idle connections,
  // lets requests in flight be answered (each connection closes after its answer), waiting at
  // most drain_ms; then closes whatever is left. The io_context must be running. Idempotent.
  void Stop(int64_t drain_ms);

  int port() const { return port_; }
  std::string base_url() const { return "http://" + host_ + ":" + std::to_string(port_); }
  // Connections open now (any thread; for tests and /metrics).
  int64_t open_connections() const;

  struct State;  // shared with connections; public for the .cc's helpers only

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
  std::string host_;
  int port_ = 0;
  bool stopped_ = false;
};

// Percent-decodes `s` (RFC 3986 §2.1); with plus_is_space, '+' becomes ' ' (form encoding).
// Malformed escapes ("%zz", a trailing '%') are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_HTTP_FRONTEND_H_
