// The harness's one outbound HTTP client (issue 18: "HTTP clients three times"): a bounded
// HTTP/1.1 exchange over http:// or https:// (OpenSSL), used by the conformance targets
// (conformance/http_client.h), the capture recorder (`ssai capture`, `ssai hls lint URL`, the
// observe target's ground truth) and nothing else. The server's own outbound calls (origin,
// decision) stay on HttpFetcher (asio_env.h).
//
// What one answer may cost (issue 16, a hostile target): the header block and its field count,
// each chunk-size line, the body (max_body_bytes), each wait for bytes (connect, read, write,
// TLS handshake steps) and the whole exchange (deadline). Never throws; every failure is an
// HttpResult with status 0 and an error in words (a certificate that does not verify names the
// host and OpenSSL's reason).
#ifndef SSAI_REFERENCE_SERVER_HTTP_CLIENT_H_
#define SSAI_REFERENCE_SERVER_HTTP_CLIENT_H_

#include <httplib.h>  // httplib::Headers: a multimap whose names compare case-insensitively

#include <chrono>
#include <cstddef>
#include <string>

#include "reference/base/status.h"

namespace ssai::server {

inline constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxResponseHeaderFields = 100;
inline constexpr std::chrono::seconds kExchangeDeadline{30};

// How https:// peers are trusted. Default: the system CA store (OpenSSL's default paths,
// /etc/ssl/certs on Debian), the certificate's names checked against the URL's host (RFC 6125;
// an IP literal against its IP SANs), TLS 1.2 or later, SNI sent for DNS names (RFC 6066 §3).
struct TlsOptions {
  std::string ca_file;    // a PEM bundle trusted instead of the system store (a private CA)
  bool insecure = false;  // no certificate or name verification at all (tests, lab setups)
};

struct HttpOptions {
  size_t max_body_bytes = 4 << 20;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};   // each wait for the peer's next bytes
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds deadline = kExchangeDeadline;  // the whole exchange
  TlsOptions tls;
};

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  httplib::Headers headers;
  std::string error;       // why there was no answer
  bool timed_out = false;  // the error is a timeout (connect, read, write, handshake, deadline)
  bool untrusted = false;  // the peer's certificate did not verify (trust, names, dates): a setup
                           // problem for the user (tls.ca_file), not an answer of the peer's
};

// One request (GET, HEAD, PUT, DELETE, POST, as given), `Connection: close`. The body of a
// non-GET is sent with `content_type`. URLs other than http:// and https:// are refused.
HttpResult HttpExchange(const std::string& method, const std::string& url, const httplib::Headers& headers,
                        const std::string& body, const std::string& content_type, const HttpOptions& options);

// For an https:// URL: connects and completes the TLS handshake only (no request is sent, so a
// session endpoint starts no session), as a run's first step, so a certificate the harness does
// not trust stops the run at once. kFailedPrecondition when the certificate did not verify (the
// message names the host and OpenSSL's reason); kUnavailable / kDeadlineExceeded when the peer
// could not be reached or the handshake failed otherwise. http:// URLs: Ok without connecting.
Status CheckTlsPeer(const std::string& url, const HttpOptions& options);

// Whether `tls` can be used: ca_file loads as PEM certificates (the error names the file and
// OpenSSL's reason). Profiles check this when they are read, before a run starts.
Status CheckTlsOptions(const TlsOptions& tls);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_HTTP_CLIENT_H_
