#include "reference/server/http_frontend.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <thread>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "reference/base/strings.h"

namespace ssai::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Session;

// The request as the handler sees it, without the body.
HttpRequest ToRequest(const http::request<http::string_body>& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  const std::string_view target(req.target().data(), req.target().size());
  const size_t q = target.find('?');
  r.path = PercentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.headers.reserve(8);
  for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return r;
}

// What Beast's parser lets through but RFC 9112 does not (each a request smuggling or routing
// hazard): the status and message to refuse with, or nullopt. Checked on the header, before the
// body is read, and always followed by closing the connection (§6.3: the framing is unknown).
std::optional<std::pair<int, std::string>> CheckFraming(const http::request<http::string_body>& h) {
  int hosts = 0;
  bool has_te = false, has_length = false;
  std::vector<std::string> codings;
  for (const auto& f : h) {
    if (f.name() == http::field::host) ++hosts;
    if (f.name() == http::field::content_length) has_length = true;
    if (f.name() != http::field::transfer_encoding) continue;
    has_te = true;
    // A list (RFC 9110 §5.6.1): split on ',', trim OWS, skip empty elements; several fields concatenate.
    std::string_view v(f.value().data(), f.value().size());
    while (true) {
      const size_t comma = v.find(',');
      const std::string_view c = TrimWhitespace(v.substr(0, comma));
      if (!c.empty()) codings.emplace_back(c);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  // §3.2: exactly one Host in an HTTP/1.1 request.
  if (h.version() >= 11 && hosts != 1) {
    return std::pair(400, hosts == 0 ? std::string("Host: missing (an HTTP/1.1 request needs one, RFC 9112 §3.2)")
                                     : std::string("Host: more than one (RFC 9112 §3.2)"));
  }
  if (!has_te) return std::nullopt;
  // §6.1: Transfer-Encoding is HTTP/1.1; §6.3: with Content-Length too, the framing is ambiguous.
  if (h.version() < 11) return std::pair(400, std::string("Transfer-Encoding: not allowed in HTTP/1.0 (RFC 9112 §6.1)"));
  if (has_length) {
    return std::pair(400, std::string("Transfer-Encoding and Content-Length together (RFC 9112 §6.3)"));
  }
  std::string list;
  for (const std::string& c : codings) list += (list.empty() ? "" : ", ") + c;
  list = list.substr(0, 64);
  // §6.3: a request whose final coding is not chunked has no knowable length: 400 and close.
  if (codings.empty() || !beast::iequals(codings.back(), "chunked")) {
    return std::pair(400, "Transfer-Encoding: the final coding must be chunked, got '" + list + "' (RFC 9112 §6.3)");
  }
  // §6.1: a coding we do not implement (chunked is the only one) is a 501; chunked twice is an error (§7).
  if (codings.size() > 1) {
    const bool repeated = std::any_of(codings.begin(), codings.end() - 1,
                                      [](const std::string& c) { return beast::iequals(c, "chunked"); });
    if (repeated) return std::pair(400, "Transfer-Encoding: chunked more than once, got '" + list + "' (RFC 9112 §7)");
    return std::pair(501, "Transfer-Encoding: only chunked is supported, got '" + list + "'");
  }
  return std::nullopt;
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && c == '+' ? ' ' : c;
  }
  return out;
}

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return "";
}

std::optional<std::string> HttpRequest::Param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

struct HttpFrontEnd::State {
  State(asio::io_context& io, HttpFrontEndOptions o, HttpHandler h)
      : acceptor(io), retry(io), options(std::move(o)), handler(std::move(h)) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // after an accept error (e.g. EMFILE): no busy loop
  HttpFrontEndOptions options;
  HttpHandler handler;
  std::atomic<int64_t> open_connections{0};  // written on the io thread, read anywhere
  std::unordered_set<Session*> sessions;  // open ones, io thread only
  bool stopping = false;
};

namespace {

// One connection: read a request, hand it to the handler, write its answer, repeat. Requests on a
// connection are answered in order, one at a time (no pipelined reads while one is in flight).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpFrontEnd::State> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    state_->sessions.insert(this);
    ++state_->open_connections;
  }
  ~Session() { Finish(); }

  void Start() { Read(); }

  // Stop: an idle connection closes now; a busy one after its answer.
  void Shutdown() {
    close_after_ = true;
    if (!busy_) Close();
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    Finish();
  }

 private:
  const HttpFrontEndOptions& options() const { return state_->options; }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    state_->sessions.erase(this);
    --state_->open_connections;
  }

  // The header first, checked (framing, Host, Expect) before a byte of the body is read; then the
  // body into the same parser.
  void Read() {
    if (finished_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    // The first request has the read timeout; later ones the keep-alive timeout, which bounds the
    // idle wait and the request itself (one expiry covers the header, a 100 Continue and the body).
    const int64_t ms = requests_ == 0 ? options().read_timeout_ms : options().keep_alive_timeout_ms;
    stream_.expires_after(std::chrono::milliseconds(ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return SendError(413, "body: more than " + std::to_string(options().max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return SendError(431, "request line and headers: more than " + std::to_string(options().max_header_bytes) +
                                " bytes");
    }
    // A malformed request gets a 400 naming the parse error; a peer that went away (clean close,
    // reset, timeout, a request cut short) just loses its connection.
    const bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                             ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) return SendError(400, "malformed HTTP request: " + ec.message());
    return Close();
  }

  void OnHeader(beast::error_code ec) {
    if (finished_) return;
    if (ec) return OnReadError(ec);  // a Content-Length over the body limit fails here: 413 before the body
    const http::request<http::string_body>& h = parser_->get();
    if (std::optional<std::pair<int, std::string>> bad = CheckFraming(h)) return SendError(bad->first, bad->second);
    // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits for an interim 100 before
    // it sends the body (curl for 1 s). A request refused on its headers gets its final status
    // instead, and the body is never read. HTTP/1.0 requests: ignored (same section).
    const auto expect = h.find(http::field::expect);
    if (h.version() >= 11 && expect != h.end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      if (options().check_head) {
        if (std::optional<HttpResponse> refused = options().check_head(ToRequest(h))) {
          head_ = h.method() == http::verb::head;
          return Refuse(std::move(*refused), h.version());
        }
      }
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared_from_this()](beast::error_code wec, size_t) {
                                 if (wec || self->finished_) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    if (finished_) return;
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (finished_) return;
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    http::request<http::string_body> req = parser_->release();
    parser_.reset();
    ++requests_;
    HttpRequest r = ToRequest(req);
    r.body = std::move(req.body());
    beast::error_code peer_ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(peer_ec);
    if (!peer_ec) r.peer_address = peer.address().to_string();
    head_ = req.method() == http::verb::head;
    version_ = req.version();
    keep_alive_ = req.keep_alive() && requests_ < options().max_requests_per_connection;
    busy_ = true;
    const uint64_t seq = requests_;
    // The responder holds the session: answering after a close is harmless (Send checks).
    state_->handler(std::move(r), [self = shared_from_this(), seq](HttpResponse response) {
      if (self->answered_ >= seq) return;  // once
      self->answered_ = seq;
      self->Send(std::move(response));
    });
  }

  // A request refused before it was read whole: answer, then close (lingering: the client may
  // still be sending the rest).
  void Refuse(HttpResponse r, unsigned version) {
    keep_alive_ = false;
    linger_ = true;
    busy_ = true;
    version_ = version;
    Send(std::move(r));
  }

  void SendError(int status, const std::string& message) {
    HttpResponse r;
    if (options().error_response) {
      r = options().error_response(status, message);
    } else {
      r.status = status;
      r.content_type = "text/plain";
      r.body = message + "\n";
    }
    Refuse(std::move(r), 11);
  }

  void Send(HttpResponse r) {
    if (finished_) return;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    for (const auto& [name, value] : options().default_headers) res->set(name, value);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->insert(name, value);
    const bool keep = keep_alive_ && !close_after_;
    res->keep_alive(keep);
    if (head_) {
      res->content_length(r.body.size());  // RFC 9110 §9.3.2: the GET's headers, no content
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    stream_.expires_after(std::chrono::milliseconds(options().write_timeout_ms));
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      self->busy_ = false;
      self->head_ = false;
      if (!ec && self->linger_) return self->Linger();
      if (ec || !keep || self->close_after_) return self->Close();
      self->Read();
    });
  }

  // After refusing a request whose body is still arriving (413, 400), read and drop what the client
  // sends for a while before closing: a client that writes its whole body before it reads (most
  // do) would otherwise get a reset instead of our answer (the "lingering close" of nginx, Apache).
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!linger_started_) {
      linger_started_ = true;
      stream_.expires_after(std::chrono::milliseconds(kLingerMs));
    }
    if (lingered_bytes_ > kLingerMaxBytes) return Close();
    stream_.async_read_some(asio::buffer(linger_buffer_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->Close();  // EOF, timeout, reset
      self->lingered_bytes_ += n;
      self->Linger();
    });
  }

  static constexpr int64_t kLingerMs = 2000;
  static constexpr size_t kLingerMaxBytes = 16 * 1024 * 1024;

  beast::tcp_stream stream_;
  std::shared_ptr<HttpFrontEnd::State> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int requests_ = 0;
  uint64_t answered_ = 0;
  unsigned version_ = 11;
  bool head_ = false;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool close_after_ = false;
  bool finished_ = false;
  bool linger_ = false;
  bool linger_started_ = false;
  size_t lingered_bytes_ = 0;
  std::array<char, 16 * 1024> linger_buffer_;
};

void Accept(const std::shared_ptr<HttpFrontEnd::State>& state) {
  state->acceptor.async_accept([state](beast::error_code ec, tcp::socket socket) {
    if (state->stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors or similar: try again shortly instead of spinning.
      state->retry.expires_after(std::chrono::milliseconds(10));
      state->retry.async_wait([state](beast::error_code wait_ec) {
        if (!wait_ec && !state->stopping) Accept(state);
      });
      return;
    }
    beast::error_code ignored;
    // Small responses on keep-alive connections: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), state)->Start();
    Accept(state);
  });
}

}  // namespace

HttpFrontEnd::HttpFrontEnd(asio::io_context& io, HttpFrontEndOptions options, HttpHandler handler)
    : io_(io), state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

// Connections still open (Stop not called) live on in the io_context with the shared State.
HttpFrontEnd::~HttpFrontEnd() = default;

int64_t HttpFrontEnd::open_connections() const { return state_->open_connections.load(); }

Status HttpFrontEnd::Bind(const std::string& host, int port) {
  host_ = host;
  beast::error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return Status::InvalidArgument("listen: cannot resolve host '" + host + "'");
  const tcp::endpoint endpoint = results.begin()->endpoint();
  tcp::acceptor& a = state_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    return Status::Unavailable("cannot bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = a.local_endpoint().port();
  return Status::Ok();
}

void HttpFrontEnd::Serve() {
  asio::post(io_, [state = state_] {
    if (!state->stopping && state->acceptor.is_open()) Accept(state);
  });
}

void HttpFrontEnd::Stop(int64_t drain_ms) {
  if (stopped_) return;
  stopped_ = true;
  if (!state_->acceptor.is_open()) return;
  asio::post(io_, [state = state_] {
    state->stopping = true;
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->retry.cancel();
    // Shutdown may close (and erase) the session: iterate over a copy.
    std::vector<Session*> open(state->sessions.begin(), state->sessions.end());
    for (Session* s : open) s->Shutdown();
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (state_->open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (state_->open_connections.load() == 0) return;
  asio::post(io_, [state = state_] {
    std::vector<Session*> open(state->sessions.begin(), state->sessions.end());
    for (Session* s : open) s->Close();
  });
  for (int i = 0; i < 1000 && state_->open_connections.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace ssai::server
