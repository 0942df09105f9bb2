#include "reference/server/http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "reference/base/strings.h"

namespace ssai::server {

// cpp-httplib 0.11 (the system library, compiled: its CPPHTTPLIB_* macros are fixed in the .so
// and cap one header line at 8 KiB, not the count) reads response headers until the blank line,
// so a hostile target sending header lines forever grows the harness's memory without bound.
// Here every part of the answer has a cap (http_client.h), over a plain socket or OpenSSL on it.
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxChunkLine = 1024;
constexpr int kMaxInterimResponses = 5;  // 1xx answers skipped before the real one

// Waits until `fd` is ready for `events` or `deadline`; false on timeout or error.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

struct HttpUrl {
  bool tls = false;
  std::string host;       // without brackets
  std::string host_port;  // the Host header
  std::string port;
  std::string target;     // path + query
};

bool StartsWithNoCase(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(b)) == a;
         });
}

Status ParseHttpUrl(const std::string& url, HttpUrl* out) {
  size_t auth_start = 0;
  if (StartsWithNoCase(url, "http://")) {
    auth_start = 7;
    out->port = "80";
  } else if (StartsWithNoCase(url, "https://")) {
    auth_start = 8;
    out->tls = true;
    out->port = "443";
  } else {
    return Status::InvalidArgument("not an http:// or https:// URL");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return Status::InvalidArgument("URL contains whitespace or a control character");
  }
  const size_t auth_end = url.find_first_of("/?#", auth_start);
  const std::string authority = url.substr(auth_start, auth_end == std::string::npos ? std::string::npos : auth_end - auth_start);
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return Status::InvalidArgument("URL needs a host (and no user info)");
  }
  out->host_port = authority;
  std::string host = authority;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("URL: unclosed [ in the host");
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return Status::InvalidArgument("URL: bad port");
      out->port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    out->port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  const std::optional<int64_t> port = ParseInt64(out->port);
  if (!port || *port < 1 || *port > 65535) return Status::InvalidArgument("URL: bad port '" + out->port + "'");
  if (host.empty()) return Status::InvalidArgument("URL needs a host");
  out->host = host;
  std::string target = auth_end == std::string::npos ? "/" : url.substr(auth_end);
  target = target.substr(0, target.find('#'));
  if (target.empty() || target[0] == '?') target = "/" + target;
  out->target = target;
  return Status::Ok();
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// OpenSSL's reasons queued on this thread, oldest first, "; "-joined (and the queue cleared).
std::string OpenSslErrors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL): a peer that hangs up
// mid-exchange would raise SIGPIPE and end the harness. Each SSL call runs with SIGPIPE blocked
// on this thread, and one it raised is consumed before unblocking (the process's disposition
// stays the caller's).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
  bool blocked_ = false;
};

using SslCtx = std::shared_ptr<SSL_CTX>;

Result<SslCtx> NewContext(const TlsOptions& tls) {
  ERR_clear_error();
  SslCtx ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!ctx) return Status::Internal("TLS: cannot create a context: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (tls.insecure) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("tls.ca_file: cannot load " + tls.ca_file + " as PEM certificates: " +
                                     OpenSslErrors());
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return Status::Unavailable("TLS: cannot load the system CA store: " + OpenSslErrors());
  }
  return ctx;
}

// One context per TlsOptions for the process (loading a CA bundle costs milliseconds; an
// SSL_CTX is safe to share between threads once set up).
Result<SslCtx> ContextFor(const TlsOptions& tls) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, SslCtx> cache;
  const std::pair<std::string, bool> key{tls.ca_file, tls.insecure};
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  Result<SslCtx> ctx = NewContext(tls);
  if (ctx.ok() && cache.size() < 16) cache.emplace(key, *ctx);
  return ctx;
}

// A connected socket, and OpenSSL on it for https://. Non-blocking; every wait bounded.
class Conn {
 public:
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (ssl_ != nullptr) SSL_free(ssl_);  // no close_notify: the exchange is over either way
    if (fd_ >= 0) ::close(fd_);
  }

  Status Connect(const HttpUrl& u, Clock::time_point deadline, bool* timed_out) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0) {
      return Status::Unavailable(std::string("cannot resolve ") + u.host + ": " + ::gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    std::string error = "cannot connect to " + u.host_port;
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        error = "cannot connect to " + u.host_port + ": " + std::strerror(errno);
        continue;
      }
      int err = 0;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
          err = 0;
          socklen_t len = sizeof(err);
          if (!WaitFd(fd, POLLOUT, deadline)) {
            err = ETIMEDOUT;
          } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
      if (err == 0) {
        fd_ = fd;
        return Status::Ok();
      }
      ::close(fd);
      *timed_out = err == ETIMEDOUT;
      error = "cannot connect to " + u.host_port + ": " + std::strerror(err);
    }
    return Status::Unavailable(error);
  }

  // The TLS handshake: SNI for a DNS name, the peer's certificate checked against `ctx`'s
  // trust and the host (unless the context verifies nothing).
  Status Handshake(SSL_CTX* ctx, const HttpUrl& u, bool verify, Clock::time_point deadline,
                   std::chrono::milliseconds step, bool* timed_out, bool* untrusted) {
    ERR_clear_error();
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return Status::Internal("TLS: " + OpenSslErrors());
    const bool ip = IsIpLiteral(u.host);
    if (!ip && SSL_set_tlsext_host_name(ssl_, u.host.c_str()) != 1) {
      return Status::InvalidArgument("TLS: bad server name " + u.host + ": " + OpenSslErrors());
    }
    if (verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str())
                        : X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), u.host.size());
      if (ok != 1) return Status::InvalidArgument("TLS: cannot check names against " + u.host + ": " + OpenSslErrors());
    }
    for (;;) {
      ERR_clear_error();
      int rc = 0;
      {
        SigpipeGuard guard;
        rc = SSL_connect(ssl_);
      }
      if (rc == 1) return Status::Ok();
      const int e = SSL_get_error(ssl_, rc);
      const Clock::time_point until = std::min(deadline, Clock::now() + step);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!WaitFd(fd_, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, until)) {
          *timed_out = true;
          return Status::DeadlineExceeded("TLS handshake with " + u.host_port + " timed out");
        }
        continue;
      }
      if (const long v = SSL_get_verify_result(ssl_); verify && v != X509_V_OK) {
        OpenSslErrors();  // the queue only repeats "certificate verify failed"
        *untrusted = true;
        return Status::FailedPrecondition("TLS: the certificate of " + u.host + " did not verify: " +
                                          X509_verify_cert_error_string(v));
      }
      std::string why = OpenSslErrors();
      if (why.empty()) {
        why = e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno) : "the peer closed the connection";
      }
      return Status::Unavailable("TLS handshake with " + u.host_port + " failed: " + why);
    }
  }

  enum class Io { kData, kEof, kTimeout, kError };

  // Up to `cap` bytes into `buf` (*n), waiting until `until` for them.
  Io Read(char* buf, size_t cap, Clock::time_point until, size_t* n, std::string* error) {
    for (;;) {
      short wait = POLLIN;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        int rc = 0;
        {
          SigpipeGuard guard;  // a read may write (TLS 1.3 key updates)
          rc = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(cap, 1 << 30)));
        }
        if (rc > 0) {
          *n = static_cast<size_t>(rc);
          return Io::kData;
        }
        const int e = SSL_get_error(ssl_, rc);
        if (e == SSL_ERROR_ZERO_RETURN) return Io::kEof;
        // A peer that closes without close_notify: many servers do; the framing (Content-Length,
        // chunked) still tells a cut body from a whole one.
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return Io::kEof;
        if (e == SSL_ERROR_WANT_WRITE) {
          wait = POLLOUT;
        } else if (e != SSL_ERROR_WANT_READ) {
          const std::string why = OpenSslErrors();
          *error = "TLS read: " + (why.empty() ? std::string(std::strerror(errno)) : why);
          return Io::kError;
        }
      } else {
        const ssize_t rc = ::recv(fd_, buf, cap, 0);
        if (rc > 0) {
          *n = static_cast<size_t>(rc);
          return Io::kData;
        }
        if (rc == 0) return Io::kEof;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          *error = std::string("read: ") + std::strerror(errno);
          return Io::kError;
        }
      }
      if (!WaitFd(fd_, wait, until)) return Io::kTimeout;
    }
  }

  // All of `data`, each wait until at most `step` from its start and `deadline`.
  Io WriteAll(const std::string& data, Clock::time_point deadline, std::chrono::milliseconds step,
              std::string* error) {
    for (size_t sent = 0; sent < data.size();) {
      short wait = POLLOUT;
      if (ssl_ != nullptr) {
        ERR_clear_error();
        int rc = 0;
        {
          SigpipeGuard guard;
          rc = SSL_write(ssl_, data.data() + sent, static_cast<int>(std::min<size_t>(data.size() - sent, 1 << 30)));
        }
        if (rc > 0) {
          sent += static_cast<size_t>(rc);
          continue;
        }
        const int e = SSL_get_error(ssl_, rc);
        if (e == SSL_ERROR_WANT_READ) {
          wait = POLLIN;
        } else if (e != SSL_ERROR_WANT_WRITE) {
          const std::string why = OpenSslErrors();
          *error = "TLS write: " + (why.empty() ? std::string(std::strerror(errno)) : why);
          return Io::kError;
        }
      } else {
        const ssize_t rc = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (rc >= 0) {
          sent += static_cast<size_t>(rc);
          continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          *error = std::string("write: ") + std::strerror(errno);
          return Io::kError;
        }
      }
      if (!WaitFd(fd_, wait, std::min(deadline, Clock::now() + step))) return Io::kTimeout;
    }
    return Io::kData;
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

// Reads the response; every wait bounded by the read timeout and the exchange's end.
class ResponseReader {
 public:
  ResponseReader(Conn* conn, Clock::time_point end, std::chrono::milliseconds step)
      : conn_(conn), end_(end), step_(step) {}

  // Appends what arrives to buf_; false at EOF, on timeout (error_ says) or error.
  bool Fill() {
    char chunk[16384];
    size_t n = 0;
    switch (conn_->Read(chunk, sizeof(chunk), std::min(end_, Clock::now() + step_), &n, &error_)) {
      case Conn::Io::kData:
        buf_.append(chunk, n);
        return true;
      case Conn::Io::kEof:
        eof_ = true;
        return false;
      case Conn::Io::kTimeout:
        timed_out_ = true;
        error_ = Clock::now() >= end_ ? "the answer took longer than the exchange's deadline" : "read timeout";
        return false;
      case Conn::Io::kError:
        return false;
    }
    return false;
  }

  bool timed_out() const { return timed_out_; }

  // The header block up to (not including) the blank line, consumed from buf_.
  Status ReadHeaderBlock(std::string* block) {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      size_t skip = 4;
      if (const size_t lf = buf_.find("\n\n"); lf != std::string::npos && (end == std::string::npos || lf < end)) {
        end = lf;
        skip = 2;
      }
      if (end != std::string::npos) {
        if (end > kMaxResponseHeaderBytes) break;
        *block = buf_.substr(0, end);
        buf_.erase(0, end + skip);
        return Status::Ok();
      }
      if (buf_.size() > kMaxResponseHeaderBytes) break;
      if (!Fill()) return Status::Unavailable(eof_ ? "connection closed before the end of the headers" : error_);
    }
    return Status::ResourceExhausted("response headers larger than " + std::to_string(kMaxResponseHeaderBytes) + " bytes");
  }

  // Exactly n bytes (n already checked against the cap).
  Status ReadExact(size_t n, std::string* out) {
    while (buf_.size() < n) {
      if (!Fill()) return Status::Unavailable(eof_ ? "connection closed inside the body" : error_);
    }
    out->append(buf_, 0, n);
    buf_.erase(0, n);
    return Status::Ok();
  }

  Status ReadLine(std::string* line) {
    for (;;) {
      if (const size_t lf = buf_.find('\n'); lf != std::string::npos) {
        if (lf > kMaxChunkLine) break;
        *line = buf_.substr(0, lf);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        buf_.erase(0, lf + 1);
        return Status::Ok();
      }
      if (buf_.size() > kMaxChunkLine) break;
      if (!Fill()) return Status::Unavailable(eof_ ? "connection closed inside a chunked body" : error_);
    }
    return Status::InvalidArgument("chunk line longer than " + std::to_string(kMaxChunkLine) + " bytes");
  }

  // Until EOF, at most `cap` bytes.
  Status ReadToEof(size_t cap, std::string* out) {
    for (;;) {
      if (buf_.size() > cap) return Status::ResourceExhausted("body");
      if (!Fill()) {
        if (!eof_) return Status::Unavailable(error_);
        *out = std::move(buf_);
        return Status::Ok();
      }
    }
  }

 private:
  Conn* conn_;
  Clock::time_point end_;
  std::chrono::milliseconds step_;
  std::string buf_;
  bool eof_ = false;
  bool timed_out_ = false;
  std::string error_;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

// Status line and fields of one header block.
Status ParseHead(const std::string& block, int* status, httplib::Headers* headers) {
  size_t at = block.find('\n');
  const std::string status_line = Trim(block.substr(0, at));
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return Status::InvalidArgument("not an HTTP/1.x status line: " + EscapeInvalidUtf8(status_line.substr(0, 64)));
  }
  const std::optional<int64_t> code = ParseInt64(status_line.substr(9, 3));
  if (!code || *code < 100 || *code > 599) return Status::InvalidArgument("bad status code in: " + EscapeInvalidUtf8(status_line.substr(0, 64)));
  *status = static_cast<int>(*code);
  headers->clear();
  size_t fields = 0;
  while (at != std::string::npos) {
    const size_t next = block.find('\n', at + 1);
    const std::string line = block.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    at = next;
    if (Trim(line).empty()) continue;
    if (++fields > kMaxResponseHeaderFields) {
      return Status::ResourceExhausted("more than " + std::to_string(kMaxResponseHeaderFields) + " response header fields");
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) continue;  // obs-fold or junk: ignored, as lenient clients do
    headers->emplace(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return Status::Ok();
}

}  // namespace

Status CheckTlsOptions(const TlsOptions& tls) { return ContextFor(tls).status(); }

Status CheckTlsPeer(const std::string& url, const HttpOptions& o) {
  HttpUrl u;
  SSAI_RETURN_IF_ERROR(ParseHttpUrl(url, &u).WithContext(url));
  if (!u.tls) return Status::Ok();
  SSAI_ASSIGN_OR_RETURN(SslCtx ctx, ContextFor(o.tls));
  const Clock::time_point end = Clock::now() + o.deadline;
  Conn conn;
  bool timed_out = false, untrusted = false;
  SSAI_RETURN_IF_ERROR(conn.Connect(u, std::min(end, Clock::now() + o.connect_timeout), &timed_out));
  return conn.Handshake(ctx.get(), u, !o.tls.insecure, end, o.read_timeout, &timed_out, &untrusted);
}

HttpResult HttpExchange(const std::string& method, const std::string& url, const httplib::Headers& headers,
                        const std::string& body, const std::string& content_type, const HttpOptions& o) {
  HttpResult out;
  HttpUrl u;
  if (Status st = ParseHttpUrl(url, &u); !st.ok()) {
    out.error = "bad request: " + st.message();
    return out;
  }
  if (method.empty() || method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
    out.error = "bad request: method '" + EscapeInvalidUtf8(method.substr(0, 16)) + "'";
    return out;
  }
  const bool has_body = method != "GET" && method != "HEAD";
  std::string request = method + " " + u.target + " HTTP/1.1\r\nHost: " + u.host_port +
                        "\r\nConnection: close\r\nAccept-Encoding: identity\r\nUser-Agent: ssai-conform\r\n";
  for (const auto& [name, value] : headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos || name.find(':') != std::string::npos) {
      out.error = "bad request: header " + EscapeInvalidUtf8(name) + " contains CR, LF or ':' in its name";
      return out;
    }
    request += name + ": " + value + "\r\n";
  }
  if (has_body) {
    if (content_type.find_first_of("\r\n") != std::string::npos) {
      out.error = "bad request: Content-Type contains CR or LF";
      return out;
    }
    request += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + (has_body ? body : std::string());

  SslCtx ctx;
  if (u.tls) {
    Result<SslCtx> c = ContextFor(o.tls);
    if (!c.ok()) {
      out.error = c.status().message();
      return out;
    }
    ctx = *c;
  }
  const Clock::time_point end = Clock::now() + o.deadline;
  Conn conn;
  if (Status st = conn.Connect(u, std::min(end, Clock::now() + o.connect_timeout), &out.timed_out); !st.ok()) {
    out.error = st.message();
    return out;
  }
  if (ctx) {
    if (Status st = conn.Handshake(ctx.get(), u, !o.tls.insecure, end, o.read_timeout, &out.timed_out, &out.untrusted);
        !st.ok()) {
      out.error = st.message();
      return out;
    }
  }
  if (std::string e; conn.WriteAll(request, end, o.write_timeout, &e) != Conn::Io::kData) {
    out.timed_out = e.empty();
    out.error = e.empty() ? "write timeout" : e;
    return out;
  }

  ResponseReader reader(&conn, end, o.read_timeout);
  int status = 0;
  httplib::Headers got;
  auto fail = [&](const Status& st) {
    out.error = st.message();
    out.timed_out = reader.timed_out();
    return out;
  };
  for (int interim = 0;; ++interim) {
    std::string block;
    Status st = reader.ReadHeaderBlock(&block);
    if (st.ok()) st = ParseHead(block, &status, &got);
    if (!st.ok()) return fail(st);
    if (status >= 200) break;
    if (interim >= kMaxInterimResponses) {
      return fail(Status::InvalidArgument("more than " + std::to_string(kMaxInterimResponses) + " interim (1xx) responses"));
    }
  }
  const std::string too_large = "response body larger than " + std::to_string(o.max_body_bytes) + " bytes";
  std::string payload;
  Status st;
  auto header = [&](const char* name) {
    auto it = got.find(name);
    return it == got.end() ? std::string() : it->second;
  };
  if (method == "HEAD" || status == 204 || status == 304) {
    // no body (RFC 9112 §6.3)
  } else if (Lower(header("Transfer-Encoding")).find("chunked") != std::string::npos) {
    for (;;) {
      std::string line;
      if (st = reader.ReadLine(&line); !st.ok()) break;
      line = Trim(line.substr(0, line.find(';')));
      if (line.empty() || line.size() > 15 || line.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        st = Status::InvalidArgument("bad chunk size '" + EscapeInvalidUtf8(line.substr(0, 32)) + "'");
        break;
      }
      const size_t size = static_cast<size_t>(std::stoull(line, nullptr, 16));  // ≤ 15 hex digits: no throw
      if (size == 0) {
        std::string trailers;  // bounded like the headers, then ignored
        st = reader.ReadHeaderBlock(&trailers);
        if (!st.ok() && st.message().starts_with("connection closed")) st = Status::Ok();  // no trailer section sent
        break;
      }
      if (payload.size() + size > o.max_body_bytes) {
        st = Status::ResourceExhausted(too_large);
        break;
      }
      std::string crlf;
      if (st = reader.ReadExact(size, &payload); !st.ok()) break;
      if (st = reader.ReadLine(&crlf); !st.ok()) break;
    }
  } else if (const std::string length = header("Content-Length"); !length.empty()) {
    const std::optional<int64_t> n = ParseInt64(length);
    if (!n || *n < 0) {
      st = Status::InvalidArgument("bad Content-Length '" + EscapeInvalidUtf8(length.substr(0, 32)) + "'");
    } else if (static_cast<uint64_t>(*n) > o.max_body_bytes) {
      st = Status::ResourceExhausted(too_large);
    } else {
      st = reader.ReadExact(static_cast<size_t>(*n), &payload);
    }
  } else {
    st = reader.ReadToEof(o.max_body_bytes, &payload);
    if (st.code() == StatusCode::kResourceExhausted) st = Status::ResourceExhausted(too_large);
  }
  if (!st.ok()) return fail(st);
  out.status = status;
  out.body = std::move(payload);
  out.headers = std::move(got);
  return out;
}

}  // namespace ssai::server
