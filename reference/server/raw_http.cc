#include "reference/server/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ssai::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;

std::string RawHttpExchange(int port, std::string_view bytes, bool half_close, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{timeout_ms / 1000, static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed early (a refused request): read what it said
    sent += static_cast<size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string RawHttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(beast::string_view(n.data(), n.size()), beast::string_view(name.data(), name.size()))) return v;
  }
  return "";
}

Result<std::vector<RawHttpResponse>> ParseRawHttpResponses(std::string_view wire) {
  std::vector<RawHttpResponse> out;
  while (!wire.empty()) {
    const std::string where = "response " + std::to_string(out.size() + 1) + ": ";
    beast::error_code ec;
    // A first look at the header: does content follow it? (Beast must be told before it parses.)
    bool head_answer = false;
    {
      http::response_parser<http::empty_body> peek;
      peek.eager(false);
      const size_t header_bytes = peek.put(boost::asio::buffer(wire.data(), wire.size()), ec);
      if (ec == http::error::need_more || (!ec && !peek.is_header_done())) {
        return Status::InvalidArgument(where + "incomplete header");
      }
      if (ec) return Status::InvalidArgument(where + ec.message());
      const std::string_view rest = wire.substr(header_bytes);
      const bool declares_content = !peek.chunked() && peek.content_length() && *peek.content_length() > 0;
      head_answer = declares_content && (rest.empty() || rest.starts_with("HTTP/1."));
    }
    http::response_parser<http::string_body> p;
    p.body_limit(64 * 1024 * 1024);
    p.skip(head_answer);
    p.eager(true);
    while (!p.is_done()) {
      if (wire.empty()) {
        p.put_eof(ec);
        if (ec) return Status::InvalidArgument(where + "cut short: " + ec.message());
        break;
      }
      const size_t used = p.put(boost::asio::buffer(wire.data(), wire.size()), ec);
      wire.remove_prefix(used);
      if (ec == http::error::need_more) {
        if (used == 0 && !wire.empty()) return Status::InvalidArgument(where + "parser made no progress");
        continue;
      }
      if (ec) return Status::InvalidArgument(where + ec.message());
    }
    RawHttpResponse r;
    r.status = static_cast<int>(p.get().result_int());
    for (const auto& f : p.get()) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    r.body = std::move(p.get().body());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ssai::server
