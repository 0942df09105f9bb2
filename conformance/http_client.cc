#include "conformance/http_client.h"

#include <chrono>
#include <thread>

namespace ssai::conformance {

UnixMicros WallNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SleepUntil(UnixMicros t) {
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::microseconds(t)));
}

HttpResult Send(const std::string& method, const std::string& url, const httplib::Headers& headers,
                const std::string& body, const std::string& content_type, size_t max_body_bytes,
                const TlsOptions& tls) {
  const std::string verb = method == "GET" || method == "PUT" || method == "DELETE" ? method : "POST";
  server::HttpOptions o;
  o.max_body_bytes = max_body_bytes;
  o.connect_timeout = std::chrono::seconds(2);
  o.read_timeout = std::chrono::seconds(10);
  o.write_timeout = std::chrono::seconds(5);
  o.deadline = kExchangeDeadline;
  o.tls = tls;
  return server::HttpExchange(verb, url, headers, body, content_type, o);
}

void GetPlaylist(const httplib::Headers& headers, const std::string& state_source_header, Fetch* f,
                 const TlsOptions& tls) {
  HttpResult r = Send("GET", f->url, headers, "", "", hls::kMaxPlaylistBytes, tls);
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
