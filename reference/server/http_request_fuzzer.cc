// libFuzzer target on the HTTP request path of `ssai serve`: the input bytes go, as they are, over
// a loopback socket to the real front end (http_frontend.h) and the real server handler (role all,
// kv sim, token auth, the built-in decision service, an origin on a closed loopback port); then
// the client half-closes and reads until the server closes. Asserts: the process survives (ASan,
// UBSan, no abort), every answer is a well-formed HTTP response (Beast's response parser; pipelined
// requests give several), no library exception reached the handler boundary, and the server
// answers a plain request afterwards. Seeds: fixtures/corpus/http/ (request line, headers,
// chunked framing, bodies, cue and decision JSON, invalid UTF-8); dictionary http.dict beside them.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "reference/server/config.h"
#include "reference/server/raw_http.h"
#include "reference/server/server.h"

namespace {

using ssai::server::Server;
using ssai::server::ServerConfig;

Server* StartServer() {
  ServerConfig c;
  c.port = 0;
  c.cue_token = "fuzz-token";
  c.jwt_secret = "fuzz-jwt-secret-of-enough-length";
  c.request_timeout_ms = 2000;
  c.origin_timeout_ms = 200;
  c.decision_timeout_ms = 200;
  c.worker_threads = 2;
  auto catalogue = ssai::server::ParseDecisionCatalogue(R"({"default_pod": "p", "pods": {"p": {"items": [
      {"id": "a1", "duration": 4, "variants": {"800000": "{self}/ads/a1/800000.m3u8"}}]}}})");
  if (!catalogue.ok()) std::abort();
  c.decision.catalogue = *catalogue;
  ssai::ChannelConfig ch;
  ch.org = "demo";
  ch.channel = "sports";
  // Nothing listens on port 9 on loopback: every origin fetch is refused at once.
  ch.renditions = {{"v720", 2'500'000, "http://127.0.0.1:9/v720.m3u8"}, {"v360", 800'000, "http://127.0.0.1:9/v360.m3u8"}};
  ch.slate = {"http://127.0.0.1:9/slate.ts", 1};
  c.channels.push_back(ch);
  static Server server(c);  // lives for the process
  const ssai::Status s = server.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "http_request_fuzzer: cannot start the server: %s\n", s.ToString().c_str());
    std::abort();
  }
  return &server;
}

void Fail(const std::string& what, std::string_view input, const std::string& wire) {
  std::fprintf(stderr, "http_request_fuzzer: %s\n--- input (%zu bytes)\n%.*s\n--- answer (%zu bytes)\n%s\n",
               what.c_str(), input.size(), static_cast<int>(std::min<size_t>(input.size(), 2000)), input.data(),
               wire.size(), wire.substr(0, 4000).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server* server = StartServer();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string wire = ssai::server::RawHttpExchange(server->port(), input, true, 5000);
  auto answers = ssai::server::ParseRawHttpResponses(wire);
  if (!answers.ok()) Fail("not a well-formed HTTP answer: " + answers.status().ToString(), input, wire);
  for (const auto& r : *answers) {
    if (r.status < 100 || r.status > 599) Fail("status " + std::to_string(r.status), input, wire);
  }
  if (server->metrics().Counter("error", "exception") != 0) Fail("an exception reached the handler", input, wire);
  // Still serving: a plain request on a fresh connection is answered 200.
  static int n = 0;
  if (++n % 64 == 0) {
    auto health = ssai::server::ParseRawHttpResponses(ssai::server::RawHttpExchange(
        server->port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true, 5000));
    if (!health.ok() || health->size() != 1 || health->front().status != 200) Fail("/health not answered", input, "");
  }
  return 0;
}
