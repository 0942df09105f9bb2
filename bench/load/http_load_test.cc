#include "bench/load/http_load.h"
#include "bench/load/process.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <httplib.h>

namespace ssai::load {
namespace {

// An httplib server on 127.0.0.1 (any port) on its own thread, stopped by the destructor.
class TestServer {
 public:
  explicit TestServer(std::function<void(httplib::Server&)> routes) {
    server_.set_tcp_nodelay(true);  // else Nagle + delayed ACK add ~40 ms per response
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

LoadOptions Options(int port) {
  LoadOptions o;
  o.port = port;
  o.paths = {"/ok"};
  return o;
}

TEST(HttpLoadTest, CountsStatusesAndTheNamedHeader) {
  TestServer server([](httplib::Server& s) {
    s.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-SSAI-State-Source", "kv-hit");
      res.set_content("#EXTM3U\n", "application/vnd.apple.mpegurl");
    });
    s.Get("/bad", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("{}", "application/json");
    });
  });
  LoadOptions o = Options(server.port());
  o.paths = {"/ok", "/bad"};
  o.rate_per_s = 200;
  o.duration_s = 0.5;
  o.connections = 4;
  o.count_header = "x-ssai-state-source";
  Result<LoadResult> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scheduled, 100);
  EXPECT_EQ(r->completed, 100);
  EXPECT_EQ(r->ok, 50);
  EXPECT_EQ(r->status_counts.at(200), 50);
  EXPECT_EQ(r->status_counts.at(503), 50);
  EXPECT_EQ(r->errors.at("http_503"), 50);
  EXPECT_EQ(r->header_counts.at("kv-hit"), 50);
  EXPECT_EQ(r->header_counts.at("(absent)"), 50);
  EXPECT_EQ(r->latency_us.count(), 100);
  EXPECT_NE(r->Summary().find("ok 50"), std::string::npos) << r->Summary();
}

// The point of an open-loop generator: a server stall delays every request scheduled during it,
// and each of those records the wait. A closed-loop client would record one slow sample.
TEST(HttpLoadTest, LatencyIsMeasuredFromTheIntendedSendTime) {
  std::atomic<bool> stalled{false};
  TestServer server([&](httplib::Server& s) {
    s.Get("/ok", [&](const httplib::Request&, httplib::Response& res) {
      if (!stalled.exchange(true)) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      res.set_content("ok", "text/plain");
    });
  });
  LoadOptions o = Options(server.port());
  o.rate_per_s = 100;  // one request every 10 ms
  o.duration_s = 1.0;
  o.connections = 1;
  Result<LoadResult> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->ok, 100) << r->Summary();
  // Requests intended at 10, 20, ..., 290 ms waited for the stalled one: ~30 samples between
  // ~10 and ~300 ms, of which ~20 above 100 ms.
  EXPECT_GE(r->latency_us.max(), 290'000);
  EXPECT_LE(r->latency_us.FractionAtOrBelow(100'000), 0.85);
  EXPECT_GE(r->latency_us.Percentile(90), 100'000);
  EXPECT_GE(r->queue_wait_us.max(), 250'000);
  bool warned = false;
  for (const std::string& w : r->warnings) warned |= w.find("free connection") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(HttpLoadTest, TimeoutsAreFailuresRecordedAtTheTimeout) {
  TestServer server([](httplib::Server& s) {
    s.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      res.set_content("late", "text/plain");
    });
  });
  LoadOptions o = Options(server.port());
  o.rate_per_s = 20;
  o.duration_s = 0.25;  // 5 requests
  o.connections = 2;
  o.timeout_ms = 100;
  Result<LoadResult> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scheduled, 5);
  EXPECT_EQ(r->ok, 0);
  EXPECT_EQ(r->errors.at("timeout"), 5);
  EXPECT_EQ(r->latency_us.count(), 5);
  EXPECT_GE(r->latency_us.min(), 100'000);
}

TEST(HttpLoadTest, UnreachableTargetAndBadOptionsAreErrors) {
  // A port nothing listens on: bind one, note it, release it.
  Result<int> free_port = PickFreePort();
  ASSERT_TRUE(free_port.ok());
  const int port = *free_port;
  Result<LoadResult> r = RunLoad(Options(port));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot connect"), std::string::npos) << r.status().message();
  LoadOptions o = Options(port);
  o.paths = {"no-slash"};
  EXPECT_FALSE(RunLoad(o).ok());
  o = Options(port);
  o.connections = 0;
  EXPECT_NE(RunLoad(o).status().message().find("connections"), std::string::npos);
}

// Responses framed every way RFC 9112 §6 allows are read whole by Beast's parser: chunked
// (what a CDN or proxy in front of a deployment often sends), Content-Length, and a body that
// ends with the connection.
TEST(HttpLoadTest, ReadsChunkedResponses) {
  TestServer server([](httplib::Server& s) {
    s.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;  // a non-2xx status keeps the body as a sample: the whole de-chunked body
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        sink.write("#EXT", 4);
        sink.write("M3U\n", 4);
        sink.done();
        return true;
      });
    });
  });
  LoadOptions o = Options(server.port());
  o.rate_per_s = 100;
  o.duration_s = 0.2;
  o.connections = 2;
  Result<LoadResult> r = RunLoad(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->completed, 20) << r->Summary();
  EXPECT_EQ(r->errors.count("protocol"), 0u);
  EXPECT_EQ(r->status_counts.at(503), 20);
  EXPECT_EQ(r->error_samples.at(503), "#EXTM3U\n");
}

// A loopback server that answers each connection's request with `reply`, then closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        char request[4096];
        if (::recv(c, request, sizeof request, 0) > 0) (void)!::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

LoadResult RunAgainst(const ScriptedServer& server, int requests) {
  LoadOptions o = Options(server.port());
  o.rate_per_s = 100;
  o.duration_s = requests / 100.0;
  o.connections = 1;
  o.timeout_ms = 1000;
  Result<LoadResult> r = RunLoad(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : LoadResult{};
}

TEST(HttpLoadTest, ReadsABodyThatEndsWithTheConnection) {
  ScriptedServer server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n#EXTM3U\n");
  LoadResult r = RunAgainst(server, 3);
  EXPECT_EQ(r.ok, 3) << r.Summary();
  EXPECT_GE(r.connects, 3);  // one connection per response
}

TEST(HttpLoadTest, UnreadableResponsesAreProtocolErrorsAndTruncatedOnesIoErrors) {
  ScriptedServer garbage("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  LoadResult g = RunAgainst(garbage, 3);
  EXPECT_EQ(g.ok, 0);
  EXPECT_EQ(g.errors["protocol"], 3) << g.Summary();

  ScriptedServer truncated("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
  LoadResult t = RunAgainst(truncated, 3);
  EXPECT_EQ(t.ok, 0);
  EXPECT_EQ(t.errors["io"], 3) << t.Summary();

  ScriptedServer huge_header("HTTP/1.1 200 OK\r\nX-Pad: " + std::string(70 * 1024, 'a') + "\r\n\r\n");
  LoadResult h = RunAgainst(huge_header, 2);
  EXPECT_EQ(h.ok, 0);
  EXPECT_EQ(h.errors["protocol"], 2) << h.Summary();
}

TEST(HttpLoadTest, ParsesTargetUrls) {
  std::string host, path;
  int port = 0;
  ASSERT_TRUE(ParseHttpUrl("http://127.0.0.1:8080/demo/sports/v720.m3u8", &host, &port, &path).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_EQ(path, "/demo/sports/v720.m3u8");
  ASSERT_TRUE(ParseHttpUrl("http://localhost", &host, &port, &path).ok());
  EXPECT_EQ(port, 80);
  EXPECT_EQ(path, "/");
  EXPECT_FALSE(ParseHttpUrl("https://x", &host, &port, &path).ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:0/", &host, &port, &path).ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:99999/", &host, &port, &path).ok());
}

}  // namespace
}  // namespace ssai::load
