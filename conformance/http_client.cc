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
                const std::string& body, const std::string& content_type, size_t max_body_bytes) {
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
