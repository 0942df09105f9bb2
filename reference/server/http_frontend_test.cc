// HttpFrontEnd on a loopback port, a real client (cpp-httplib, and raw sockets for what a
// well-behaved client never sends) against it.
#include "reference/server/http_frontend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>
#include <httplib.h>

namespace ssai::server {
namespace {

namespace asio = boost::asio;

// Sends raw bytes on a fresh connection (then, with half_close, says it has no more to send);
// returns what came back until the peer closed or 2 s.
std::string RawExchange(int port, const std::string& bytes, bool half_close = true) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

class HttpFrontEndTest : public ::testing::Test {
 protected:
  void Start(HttpFrontEndOptions options = {}) {
    front_ = std::make_unique<HttpFrontEnd>(io_, std::move(options), [this](HttpRequest req, HttpResponder respond) {
      ++requests_;
      if (std::this_thread::get_id() != io_thread_id_) ++off_thread_;
      if (req.path == "/slow") {  // answers 300 ms later from a timer on the same thread
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(300));
        timer->async_wait([timer, respond](const boost::system::error_code&) {
          respond(HttpResponse{200, "text/plain", "slow\n", {}});
        });
        return;
      }
      if (req.path == "/never") return held_.push_back(respond);  // keeps the connection busy
      HttpResponse r{200, "text/plain", "", {}};
      r.body = req.method + " " + req.path + " mode=" + req.Param("mode").value_or("-") +
               " auth=" + req.Header("authorization") + " body=" + req.body + "\n";
      r.Header("X-Test", "1");
      respond(r);
      respond(HttpResponse{500, "text/plain", "second answer must be ignored", {}});
    });
    ASSERT_TRUE(front_->Bind("127.0.0.1", 0).ok());
    work_.emplace(asio::make_work_guard(io_));
    thread_ = std::thread([this] {
      io_thread_id_ = std::this_thread::get_id();
      io_.run();
    });
    front_->Serve();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", front_->port());
    client_->set_read_timeout(std::chrono::seconds(3));
  }
  void TearDown() override {
    if (front_) front_->Stop(1000);
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> io_thread_id_{};
  std::unique_ptr<HttpFrontEnd> front_;
  std::unique_ptr<httplib::Client> client_;
  std::atomic<int> requests_{0};
  std::atomic<int> off_thread_{0};
  std::vector<HttpResponder> held_;  // io thread only
};

TEST(PercentDecodeTest, PathAndForm) {
  EXPECT_EQ(PercentDecode("/a%2Fb%2e%2E", false), "/a/b..");
  EXPECT_EQ(PercentDecode("a+b%20c", false), "a+b c");
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(PercentDecode("100%", false), "100%");     // trailing '%' kept
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");   // malformed escapes kept
}

TEST_F(HttpFrontEndTest, AnswersOnTheIoThreadWithHeadersQueryAndBody) {
  HttpFrontEndOptions o;
  o.default_headers = {{"Access-Control-Allow-Origin", "*"}};
  Start(o);
  auto r = client_->Get("/x%2Fy?mode=SG%41I&other=1", {{"Authorization", "Bearer t"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /x/y mode=SGAI auth=Bearer t body=\n");  // first answer only
  EXPECT_EQ(r->get_header_value("X-Test"), "1");
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain");
  auto p = client_->Post("/cue", "{\"a\":1}", "application/json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body, "POST /cue mode=- auth= body={\"a\":1}\n");
  EXPECT_EQ(off_thread_.load(), 0);
}

TEST_F(HttpFrontEndTest, KeepAliveReusesOneConnectionAndHeadHasNoBody) {
  Start();
  client_->set_keep_alive(true);
  for (int i = 0; i < 20; ++i) {
    auto r = client_->Get("/k");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(front_->open_connections(), 1);
  const std::string head = RawExchange(front_->port(), "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 27"), std::string::npos) << head;  // "HEAD /h mode=- auth= body=\n"
  EXPECT_EQ(head.find("\r\n\r\nHEAD"), std::string::npos) << head;       // no content
}

TEST_F(HttpFrontEndTest, MaxRequestsPerConnectionCloses) {
  HttpFrontEndOptions o;
  o.max_requests_per_connection = 2;
  Start(o);
  const std::string two = RawExchange(
      front_->port(), "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(two.find("GET /2"), std::string::npos) << two;
  EXPECT_EQ(two.find("GET /3"), std::string::npos) << two;  // closed after the second
  EXPECT_NE(two.find("Connection: close"), std::string::npos) << two;
}

TEST_F(HttpFrontEndTest, BadInputGetsAStatusAndTheConnectionCloses) {
  HttpFrontEndOptions o;
  o.max_body_bytes = 1000;
  o.max_header_bytes = 2048;
  o.error_response = [](int status, const std::string& message) {
    return HttpResponse{status, "application/json", "{\"error\":\"" + message + "\"}", {}};
  };
  Start(o);
  const std::string big = RawExchange(front_->port(), "POST /cue HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_NE(big.find("HTTP/1.1 413"), std::string::npos) << big;
  EXPECT_NE(big.find("body: more than 1000 bytes"), std::string::npos) << big;
  const std::string headers =
      RawExchange(front_->port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_NE(headers.find("HTTP/1.1 431"), std::string::npos) << headers;
  const std::string garbage = RawExchange(front_->port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(garbage.find("HTTP/1.1 400"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("malformed HTTP request"), std::string::npos) << garbage;
  // A client that sends its whole oversize body before it reads still gets the 413 (lingering close).
  auto posted = client_->Post("/cue", std::string(2 * 1024 * 1024, 'x'), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 413);
  // A request cut short is not answered; the connection just closes (and the server stays up).
  EXPECT_EQ(RawExchange(front_->port(), "GET /x HTTP/1.1\r\nHost"), "");
  EXPECT_EQ(requests_.load(), 0);
  auto r = client_->Get("/after");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpFrontEndTest, IdleConnectionsTimeOut) {
  HttpFrontEndOptions o;
  o.read_timeout_ms = 200;
  Start(o);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(RawExchange(front_->port(), "GET /x HTTP/1.1\r\n", false), "");  // never finishes its headers
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
}

// 64 fresh connections at once, each with a request answered later: none waits for another (no
// thread per connection), so all are answered in about one handler latency.
TEST_F(HttpFrontEndTest, ManyConcurrentConnectionsDoNotQueue) {
  Start();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::future<int>> results;
  for (int i = 0; i < 64; ++i) {
    results.push_back(std::async(std::launch::async, [port = front_->port()] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(std::chrono::seconds(3));
      auto r = c.Get("/slow");
      return r ? r->status : -1;
    }));
  }
  for (auto& f : results) EXPECT_EQ(f.get(), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000));
}

TEST_F(HttpFrontEndTest, StopLetsRequestsInFlightFinish) {
  Start();
  auto in_flight = std::async(std::launch::async, [this] {
    auto r = client_->Get("/slow");
    return r ? r->status : -1;
  });
  for (int i = 0; i < 200 && requests_.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  front_->Stop(2000);
  EXPECT_EQ(in_flight.get(), 200);
  EXPECT_EQ(front_->open_connections(), 0);
  httplib::Client late("127.0.0.1", front_->port());
  late.set_connection_timeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(late.Get("/x"));  // not accepting any more
}

TEST_F(HttpFrontEndTest, StopClosesWhatDoesNotFinishInTime) {
  Start();
  auto stuck = std::async(std::launch::async, [this] {
    auto r = client_->Get("/never");
    return r ? r->status : -1;
  });
  for (int i = 0; i < 200 && requests_.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  front_->Stop(200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500));
  EXPECT_EQ(stuck.get(), -1);  // connection closed without an answer
  EXPECT_EQ(front_->open_connections(), 0);
}

TEST(HttpFrontEndBindTest, BadHostAndPortInUse) {
  asio::io_context io;
  HttpFrontEnd a(io, {}, [](HttpRequest, HttpResponder) {});
  ASSERT_TRUE(a.Bind("127.0.0.1", 0).ok());
  HttpFrontEnd b(io, {}, [](HttpRequest, HttpResponder) {});
  Status s = b.Bind("127.0.0.1", a.port());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot bind 127.0.0.1:" + std::to_string(a.port())), std::string::npos) << s.ToString();
  HttpFrontEnd c(io, {}, [](HttpRequest, HttpResponder) {});
  EXPECT_FALSE(c.Bind("no-such-host.invalid", 0).ok());
}

}  // namespace
}  // namespace ssai::server
