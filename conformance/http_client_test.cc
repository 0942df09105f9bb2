// The real-time targets' HTTP client against a real server on loopback (cpp-httplib's test style).
#include "conformance/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "reference/server/loopback_testing.h"

namespace ssai::conformance {
namespace {

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // An endless body: what a hostile or broken deployment can answer a playlist request with.
    server_.Get("/endless.m3u8", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/vnd.apple.mpegurl", [](size_t, httplib::DataSink& sink) {
        static const std::string kChunk(64 * 1024, '#');
        return sink.write(kChunk.data(), kChunk.size());
      });
    });
    server_.Get("/ok.m3u8", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("#EXTM3U\n", "application/vnd.apple.mpegurl");
    });
    server_.Post("/cue", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 201;
      res.set_content(req.get_header_value("Content-Type") + "|" + req.body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpClientTest, AnEndlessBodyIsRefusedAtTheCap) {
  const auto started = std::chrono::steady_clock::now();
  HttpResult r = Send("GET", Url("/endless.m3u8"), {}, "", "", 1024 * 1024);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "response body larger than 1048576 bytes");
  EXPECT_TRUE(r.body.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  // The default cap is the playlist parser's own (hls::kMaxPlaylistBytes).
  HttpResult d = Send("GET", Url("/endless.m3u8"), {}, "", "");
  EXPECT_EQ(d.status, 0);
  EXPECT_NE(d.error.find(std::to_string(hls::kMaxPlaylistBytes)), std::string::npos) << d.error;
}

TEST_F(HttpClientTest, BodiesHeadersAndPostsWithinTheCap) {
  HttpResult ok = Send("GET", Url("/ok.m3u8"), {}, "", "");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "#EXTM3U\n");
  EXPECT_EQ(ok.headers.find("Content-Type")->second, "application/vnd.apple.mpegurl");

  HttpResult post = Send("POST", Url("/cue"), {}, R"({"duration":30})", "application/json");
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.body, R"(application/json|{"duration":30})");

  HttpResult missing = Send("GET", Url("/nope"), {}, "", "");
  EXPECT_EQ(missing.status, 404);

  HttpResult bad = Send("GET", "http://127.0.0.1:1/x", {}, "", "");
  EXPECT_EQ(bad.status, 0);
  EXPECT_FALSE(bad.error.empty());
}

// A raw TCP server on 127.0.0.1 answering every connection with `answer(fd)` (a hostile target:
// what httplib's server would never send). Bounded: it stops when the test ends.
class RawServer {
 public:
  explicit RawServer(std::function<void(int)> answer)
      : listener_(
            [answer = std::move(answer)](int fd) {
              ssai::testing::ReadRequest(fd);
              answer(fd);
            },
            8) {}
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(listener_.port()) + "/p.m3u8"; }

 private:
  ssai::testing::LoopbackListener listener_;
};

using ssai::testing::SendAll;

// Issue 16: header lines forever (httplib 0.11 reads them until the blank line, growing without
// bound): refused at the cap, quickly, and the harness's memory stays bounded.
TEST(HttpClientHostileTest, EndlessHeadersAreRefusedAtTheCap) {
  RawServer endless([](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 1'000'000; ++i) {  // bounded: far past the cap, stops when we hang up
      if (!SendAll(fd, "X-Filler-" + std::to_string(i) + ": aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")) return;
    }
  });
  const auto started = std::chrono::steady_clock::now();
  HttpResult r = Send("GET", endless.Url(), {}, "", "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "response headers larger than 65536 bytes");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));

  // Many short fields under the byte cap: refused by count.
  RawServer many([](int fd) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 150; ++i) head += "A" + std::to_string(i) + ": b\r\n";
    SendAll(fd, head + "Content-Length: 0\r\n\r\n");
  });
  EXPECT_EQ(Send("GET", many.Url(), {}, "", "").error, "more than 100 response header fields");
}

TEST(HttpClientHostileTest, FramingIsReadWithinTheCaps) {
  RawServer chunked([](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-SSAI-State-Source: kv-hit\r\n\r\n"
                "8\r\n#EXTM3U\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n");
  });
  HttpResult c = Send("GET", chunked.Url(), {}, "", "");
  EXPECT_EQ(c.status, 200) << c.error;
  EXPECT_EQ(c.body, "#EXTM3U\nabc");
  EXPECT_EQ(c.headers.find("x-ssai-state-source")->second, "kv-hit");  // names compare case-insensitively

  RawServer to_eof([](int fd) { SendAll(fd, "HTTP/1.0 200 OK\r\n\r\n#EXTM3U\n"); });
  EXPECT_EQ(Send("GET", to_eof.Url(), {}, "", "").body, "#EXTM3U\n");

  RawServer huge_length([](int fd) { SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"); });
  EXPECT_EQ(Send("GET", huge_length.Url(), {}, "", "", 1024).error, "response body larger than 1024 bytes");

  RawServer bad_chunk([](int fd) { SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"); });
  EXPECT_NE(Send("GET", bad_chunk.Url(), {}, "", "").error.find("bad chunk size"), std::string::npos);

  RawServer not_http([](int fd) { SendAll(fd, "SSH-2.0-OpenSSH\r\n\r\n"); });
  EXPECT_NE(Send("GET", not_http.Url(), {}, "", "").error.find("not an HTTP/1.x status line"), std::string::npos);

  // Header injection from a profile's header value, and a URL with a line break, are refused.
  EXPECT_NE(Send("GET", chunked.Url(), {{"X-Token", "a\r\nX-Evil: 1"}}, "", "").error.find("bad request"), std::string::npos);
  EXPECT_NE(Send("GET", "http://127.0.0.1:1/a\r\nb", {}, "", "").error.find("bad request"), std::string::npos);
}

}  // namespace
}  // namespace ssai::conformance
