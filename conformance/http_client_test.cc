// The real-time targets' HTTP client against a real server on loopback (cpp-httplib's test style).
#include "conformance/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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

}  // namespace
}  // namespace ssai::conformance
