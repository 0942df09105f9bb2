// HttpFrontEnd on a loopback port, a real client (cpp-httplib, and raw sockets for what a
// well-behaved client never sends) against it.
#include "reference/server/http_frontend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>
#include <httplib.h>

#include "reference/server/raw_http.h"

namespace ssai::server {
namespace {

namespace asio = boost::asio;

// Sends raw bytes on a fresh connection (then, with half_close, says it has no more to send);
// returns what came back until the peer closed or 2 s.
std::string RawExchange(int port, const std::string& bytes, bool half_close = true) {
  return RawHttpExchange(port, bytes, half_close);
}

// One raw connection driven step by step (for Expect: 100-continue).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Reads until `until` has arrived, the peer closed, or timeout_ms passed; returns all read so far.
  std::string ReadUntil(const std::string& until, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (received_.find(until) == std::string::npos && !closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      timeval tv{0, static_cast<suseconds_t>(std::min<int64_t>(left.count(), 999) * 1000)};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) closed_ = true;
      if (n > 0) received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }
  bool closed() const { return closed_; }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

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

// RFC 9112 §6.3: a request whose final transfer coding is not chunked has no knowable length;
// taking its body as empty let the bytes after the header run as a second request (smuggling).
TEST_F(HttpFrontEndTest, TransferEncodingNotEndingInChunkedIsRefusedAndCloses) {
  Start();
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const std::string te : {"identity", "gzip", "chunked, identity", "chunked;x=1", ""}) {
    const std::string out = RawExchange(
        front_->port(), "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n" + smuggled);
    EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << te << ": " << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << te << ": " << out;
    EXPECT_EQ(out.find("/smuggled"), std::string::npos) << te << ": " << out;
  }
  // With Content-Length too (either order), and in HTTP/1.0: 400 and close.
  for (const std::string head : {"Transfer-Encoding: identity\r\nContent-Length: 3\r\n",
                                 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                                 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
    const std::string out = RawExchange(front_->port(), "POST /a HTTP/1.1\r\nHost: x\r\n" + head + "\r\nabc" + smuggled);
    EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << head << out;
    EXPECT_EQ(out.find("/smuggled"), std::string::npos) << head << out;
  }
  const std::string v10 =
      RawExchange(front_->port(), "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_NE(v10.find(" 400 "), std::string::npos) << v10;
  // A coding we do not implement before the final chunked: 501 (§6.1).
  const std::string gzip = RawExchange(
      front_->port(), "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_NE(gzip.find("HTTP/1.1 501"), std::string::npos) << gzip;
  EXPECT_EQ(requests_.load(), 0);
  // Plain chunked still works, and so does a pipelined request after it.
  const std::string ok = RawExchange(front_->port(),
                                     "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("POST /c mode=- auth= body=abc"), std::string::npos) << ok;
  EXPECT_NE(ok.find("GET /next"), std::string::npos) << ok;
}

// RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, is a 400.
TEST_F(HttpFrontEndTest, Http11RequestsNeedExactlyOneHost) {
  Start();
  const std::string none = RawExchange(front_->port(), "GET /a HTTP/1.1\r\n\r\n");
  EXPECT_NE(none.find("HTTP/1.1 400"), std::string::npos) << none;
  EXPECT_NE(none.find("Host: missing"), std::string::npos) << none;
  const std::string two = RawExchange(front_->port(), "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_NE(two.find("HTTP/1.1 400"), std::string::npos) << two;
  EXPECT_EQ(requests_.load(), 0);
  const std::string v10 = RawExchange(front_->port(), "GET /old HTTP/1.0\r\n\r\n");  // HTTP/1.0 has no Host rule
  EXPECT_NE(v10.find(" 200 "), std::string::npos) << v10;
}

// RFC 9110 §10.1.1: "Expect: 100-continue" gets an interim 100 before the body is read (curl
// otherwise waits 1 s), or the final status at once when the request is refused on its headers.
TEST_F(HttpFrontEndTest, ExpectContinueIsAnsweredBeforeTheBody) {
  HttpFrontEndOptions o;
  o.max_body_bytes = 1000;
  o.check_head = [](const HttpRequest& head) -> std::optional<HttpResponse> {
    if (head.path == "/refuse") return HttpResponse{401, "text/plain", "no\n", {}};
    return std::nullopt;
  };
  Start(o);
  {
    RawConnection c(front_->port());
    ASSERT_TRUE(c.connected());
    c.Send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const std::string interim = c.ReadUntil("\r\n\r\n", 2000);
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    c.Send("hello");
    const std::string all = c.ReadUntil("body=hello\n", 2000);
    EXPECT_NE(all.find("HTTP/1.1 200"), std::string::npos) << all;
    EXPECT_NE(all.find("POST /e mode=- auth= body=hello"), std::string::npos) << all;
  }
  {  // refused on its headers: the final status, no 100, connection closed, body never read
    RawConnection c(front_->port());
    c.Send("POST /refuse HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const std::string out = c.ReadUntil("no\n", 2000);
    EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  }
  {  // a body over the limit: 413 at once
    RawConnection c(front_->port());
    c.Send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
    const std::string out = c.ReadUntil("\r\n\r\n", 2000);
    EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  }
  EXPECT_EQ(requests_.load(), 1);
  // curl-like client end to end: answered well under curl's 1 s wait.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string out = RawExchange(front_->port(), "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                                      "Content-Length: 2\r\nConnection: close\r\n\r\nhi");
  EXPECT_NE(out.find("body=hi"), std::string::npos) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
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
