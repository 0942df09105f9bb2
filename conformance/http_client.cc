#include "conformance/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "reference/base/strings.h"

namespace ssai::conformance {

// A bounded HTTP/1.1 exchange over a plain socket, for http:// URLs (issue 16). cpp-httplib 0.11
// (the system library, compiled: its CPPHTTPLIB_* macros are fixed in the .so and cap one header
// line at 8 KiB, not the count) reads response headers until the blank line, so a hostile target
// sending header lines forever grows the harness's memory without bound. Here every part of the
// answer has a cap: the header block (kMaxResponseHeaderBytes, kMaxResponseHeaderFields), each
// chunk-size line, the body (max_body_bytes), and the whole exchange a deadline.
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxChunkLine = 1024;
constexpr int kMaxInterimResponses = 5;  // 1xx answers skipped before the real one

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

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
  std::string host;      // without brackets
  std::string host_port; // the Host header
  std::string port = "80";
  std::string target;    // path + query
};

Status ParseHttpUrl(const std::string& url, HttpUrl* out) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !std::equal(kScheme.begin(), kScheme.end(), url.begin(),
                                                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(b)) == a; })) {
    return Status::InvalidArgument("not an http:// URL");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return Status::InvalidArgument("URL contains whitespace or a control character");
  }
  const size_t auth_start = kScheme.size();
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
  out->host = host;
  std::string target = auth_end == std::string::npos ? "/" : url.substr(auth_end);
  target = target.substr(0, target.find('#'));
  if (target.empty() || target[0] == '?') target = "/" + target;
  out->target = target;
  return Status::Ok();
}

Status Connect(const HttpUrl& u, Clock::time_point deadline, Fd* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0) {
    return Status::Unavailable(std::string("cannot resolve ") + u.host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    Fd fd;
    fd.fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd.fd < 0) continue;
    if (::connect(fd.fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) continue;
    if (!WaitFd(fd.fd, POLLOUT, deadline)) continue;
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) continue;
    std::swap(out->fd, fd.fd);
    return Status::Ok();
  }
  return Status::Unavailable("cannot connect to " + u.host_port);
}

// Reads the response from `fd`; every read bounded by `read_deadline()` and the exchange's end.
class ResponseReader {
 public:
  ResponseReader(int fd, Clock::time_point end) : fd_(fd), end_(end) {}

  // Appends what arrives to buf_; false at EOF, on timeout (error_ says) or error.
  bool Fill() {
    const Clock::time_point deadline = std::min(end_, Clock::now() + std::chrono::seconds(10));
    if (!WaitFd(fd_, POLLIN, deadline)) {
      error_ = Clock::now() >= end_ ? "the answer took longer than the exchange's deadline" : "read timeout";
      return false;
    }
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n > 0) {
        buf_.append(chunk, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return false;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Fill();
      error_ = std::string("read: ") + std::strerror(errno);
      return false;
    }
  }

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
  int fd_;
  Clock::time_point end_;
  std::string buf_;
  bool eof_ = false;
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

HttpResult Exchange(const std::string& method, const std::string& url, const httplib::Headers& headers,
                    const std::string& body, const std::string& content_type, size_t max_body_bytes) {
  HttpResult out;
  HttpUrl u;
  if (Status st = ParseHttpUrl(url, &u); !st.ok()) {
    out.error = "bad request: " + st.message();
    return out;
  }
  std::string request = method + " " + u.target + " HTTP/1.1\r\nHost: " + u.host_port +
                        "\r\nConnection: close\r\nAccept-Encoding: identity\r\nUser-Agent: ssai-conform\r\n";
  for (const auto& [name, value] : headers) {
    if ((name + value).find_first_of("\r\n") != std::string::npos || name.find(':') != std::string::npos) {
      out.error = "bad request: header " + EscapeInvalidUtf8(name) + " contains CR, LF or ':' in its name";
      return out;
    }
    request += name + ": " + value + "\r\n";
  }
  if (method != "GET") {
    if (content_type.find_first_of("\r\n") != std::string::npos) {
      out.error = "bad request: Content-Type contains CR or LF";
      return out;
    }
    request += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + (method != "GET" ? body : std::string());

  const Clock::time_point end = Clock::now() + kExchangeDeadline;
  Fd fd;
  if (Status st = Connect(u, std::min(end, Clock::now() + std::chrono::seconds(2)), &fd); !st.ok()) {
    out.error = st.message();
    return out;
  }
  for (size_t sent = 0; sent < request.size();) {
    if (!WaitFd(fd.fd, POLLOUT, std::min(end, Clock::now() + std::chrono::seconds(5)))) {
      out.error = "write timeout";
      return out;
    }
    const ssize_t n = ::send(fd.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      out.error = std::string("write: ") + std::strerror(errno);
      return out;
    }
    sent += static_cast<size_t>(n);
  }

  ResponseReader reader(fd.fd, end);
  int status = 0;
  httplib::Headers got;
  for (int interim = 0;; ++interim) {
    std::string block;
    Status st = reader.ReadHeaderBlock(&block);
    if (st.ok()) st = ParseHead(block, &status, &got);
    if (!st.ok()) {
      out.error = st.message();
      return out;
    }
    if (status >= 200) break;
    if (interim >= kMaxInterimResponses) {
      out.error = "more than " + std::to_string(kMaxInterimResponses) + " interim (1xx) responses";
      return out;
    }
  }
  const std::string too_large = "response body larger than " + std::to_string(max_body_bytes) + " bytes";
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
      size_t size = 0;
      if (line.empty() || line.size() > 15 || line.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        st = Status::InvalidArgument("bad chunk size '" + EscapeInvalidUtf8(line.substr(0, 32)) + "'");
        break;
      }
      size = static_cast<size_t>(std::stoull(line, nullptr, 16));
      if (size == 0) {
        std::string trailers;  // bounded like the headers, then ignored
        st = reader.ReadHeaderBlock(&trailers);
        if (!st.ok() && st.message().starts_with("connection closed")) st = Status::Ok();  // no trailer section sent
        break;
      }
      if (payload.size() + size > max_body_bytes) {
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
    } else if (static_cast<uint64_t>(*n) > max_body_bytes) {
      st = Status::ResourceExhausted(too_large);
    } else {
      st = reader.ReadExact(static_cast<size_t>(*n), &payload);
    }
  } else {
    st = reader.ReadToEof(max_body_bytes, &payload);
    if (st.code() == StatusCode::kResourceExhausted) st = Status::ResourceExhausted(too_large);
  }
  if (!st.ok()) {
    out.error = st.message();
    return out;
  }
  out.status = status;
  out.body = std::move(payload);
  out.headers = std::move(got);
  return out;
}

}  // namespace


UnixMicros WallNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SleepUntil(UnixMicros t) {
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::microseconds(t)));
}

HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type, size_t max_body_bytes) {
  const std::string verb = method == "GET" || method == "PUT" || method == "DELETE" ? method : "POST";
  // http:// (every target URL; CheckUrl): the bounded exchange above. Anything else (an https
  // asset a target's playlist names) still goes through cpp-httplib, whose header reading is
  // unbounded in count (conformance/README.md, "Hostile targets").
  if (url.size() >= 7 && Lower(url.substr(0, 7)) == "http://") {
    return Exchange(verb, url, headers, body, content_type, max_body_bytes);
  }
  // "http://host:port/path" -> ("http://host:port", "/path").
  const size_t slash = url.find('/', url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  const std::string base = slash == std::string::npos ? url : url.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  HttpResult out;
  try {
    httplib::Client client(base);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(10, 0);
    client.set_write_timeout(5, 0);
    httplib::Request req;
    req.method = method == "GET" || method == "PUT" || method == "DELETE" ? method : "POST";
    req.path = path;
    req.headers = headers;
    if (req.method != "GET") {
      req.body = body;
      req.set_header("Content-Type", content_type);
    }
    // The body streams through here so a deployment answering with an endless (or merely huge)
    // body costs the harness at most max_body_bytes, not all its memory.
    bool too_large = false;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (out.body.size() + n > max_body_bytes) {
        too_large = true;
        return false;
      }
      out.body.append(data, n);
      return true;
    };
    httplib::Result r = client.send(req);
    if (too_large) {
      out.body.clear();
      out.error = "response body larger than " + std::to_string(max_body_bytes) + " bytes";
      return out;
    }
    if (!r) {
      out.body.clear();
      out.error = httplib::to_string(r.error());
      return out;
    }
    out.status = r->status;
    out.headers = r->headers;
  } catch (const std::exception& e) {  // a malformed URL from a target's own playlist
    out.body.clear();
    out.error = std::string("bad request: ") + e.what();
  }
  return out;
}

void GetPlaylist(const httplib::Headers& headers, const std::string& state_source_header, Fetch* f) {
  HttpResult r = Send("GET", f->url, headers, "", "");
  if (r.status == 0) return;  // no answer: response_time stays 0
  f->response_time = WallNow();
  f->http_status = r.status;
  f->body = std::move(r.body);
  if (!state_source_header.empty()) {
    auto it = r.headers.find(state_source_header);
    if (it != r.headers.end()) f->state_source = it->second;
  }
}

}  // namespace ssai::conformance
