// The harness's HTTP client over TLS against a loopback OpenSSL server (a certificate made here,
// in memory): verification by a given CA file, by the system store (which does not know it),
// names, insecure mode, and hostile peers (garbage instead of a handshake, a stalled handshake,
// an endless body). The plain-HTTP caps are covered by conformance/http_client_test.cc.
#include "reference/server/http_client.h"
#include "reference/server/loopback_testing.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <memory>
#include <thread>

namespace ssai::server {
namespace {

using std::chrono::milliseconds;

// A self-signed certificate for IP 127.0.0.1 (its own CA), written to a PEM file for ca_file.
struct TestCert {
  TestCert() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ssai test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    path = (std::filesystem::temp_directory_path() / ("ssai-tls-test-" + std::to_string(::getpid()) + ".pem")).string();
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
  }
  ~TestCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
    std::filesystem::remove(path);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string path;
};

const TestCert& Cert() {
  static TestCert cert;
  return cert;
}

// A loopback server: each connection (at most 8) is handed to `serve(fd, ssl)` after a TLS
// handshake (ssl is null for a `raw` server, which sees the client's ClientHello bytes).
class TlsServer {
 public:
  using Serve = std::function<void(int fd, SSL* ssl)>;
  TlsServer(bool raw, Serve serve, bool hang_up = false)
      : ctx_(NewContext(hang_up)),
        listener_(
            [this, raw, hang_up, serve = std::move(serve)](int c) {
              if (raw) return serve(c, nullptr);
              SSL* ssl = SSL_new(ctx_.get());
              SSL_set_fd(ssl, c);
              // hang_up: closed with nothing unread (a FIN right after the handshake): the client's
              // next writes meet a reset, and write(2) then raises SIGPIPE.
              if (SSL_accept(ssl) == 1 && !hang_up) {
                char buf[4096];
                (void)SSL_read(ssl, buf, sizeof(buf));  // the request (small)
                serve(c, ssl);
                SSL_shutdown(ssl);
              }
              SSL_free(ssl);
            },
            8) {}
  ~TlsServer() = default;
  std::string Url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(listener_.port()) + "/live/master.m3u8";
  }

 private:
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  static SSL_CTX* NewContext(bool hang_up) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    // TLS 1.2 for the hang-up: the server's Finished comes last, so it closes with nothing unread.
    if (hang_up) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_use_certificate(ctx, Cert().cert);
    SSL_CTX_use_PrivateKey(ctx, Cert().key);
    return ctx;
  }
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  ssai::testing::LoopbackListener listener_;  // last: its thread stops before ctx_ is freed
};

void Answer(SSL* ssl, const std::string& s) { SSL_write(ssl, s.data(), static_cast<int>(s.size())); }

HttpOptions Trusting() {
  HttpOptions o;
  o.tls.ca_file = Cert().path;
  return o;
}

TEST(HttpClientTlsTest, VerifiedByTheGivenCaFile) {
  TlsServer server(false, [](int, SSL* ssl) {
    Answer(ssl, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Via: tls\r\n\r\n#EXTM3U\n");
  });
  HttpResult r = HttpExchange("GET", server.Url(), {}, "", "", Trusting());
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "#EXTM3U\n");
  EXPECT_EQ(r.headers.find("x-via")->second, "tls");
}

TEST(HttpClientTlsTest, AnUnknownCaOrAWrongNameIsAClearError) {
  TlsServer server(false, [](int, SSL* ssl) { Answer(ssl, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); });
  // The system store does not know the test's CA.
  HttpResult system = HttpExchange("GET", server.Url(), {}, "", "", HttpOptions{});
  EXPECT_EQ(system.status, 0);
  EXPECT_EQ(system.error, "TLS: the certificate of 127.0.0.1 did not verify: self-signed certificate");
  EXPECT_TRUE(system.untrusted);
  // The run's first step checks only the handshake: untrusted is a setup error, trusted is fine.
  Status peer = CheckTlsPeer(server.Url(), HttpOptions{});
  EXPECT_EQ(peer.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(peer.message(), system.error);
  EXPECT_TRUE(CheckTlsPeer(server.Url(), Trusting()).ok());
  EXPECT_TRUE(CheckTlsPeer("http://127.0.0.1:1/x", HttpOptions{}).ok());  // not TLS: not contacted
  // Trusted CA, but the certificate names 127.0.0.1, not localhost.
  HttpResult name = HttpExchange("GET", server.Url("localhost"), {}, "", "", Trusting());
  EXPECT_EQ(name.status, 0);
  EXPECT_EQ(name.error, "TLS: the certificate of localhost did not verify: hostname mismatch");
  // insecure: nothing is checked.
  HttpOptions insecure;
  insecure.tls.insecure = true;
  EXPECT_EQ(HttpExchange("GET", server.Url("localhost"), {}, "", "", insecure).status, 200);
  // A CA file that is not one.
  HttpOptions missing;
  missing.tls.ca_file = "/nonexistent/ca.pem";
  HttpResult m = HttpExchange("GET", server.Url(), {}, "", "", missing);
  EXPECT_EQ(m.status, 0);
  EXPECT_EQ(m.error.rfind("tls.ca_file: cannot load /nonexistent/ca.pem as PEM certificates: ", 0), 0u) << m.error;
  EXPECT_FALSE(CheckTlsOptions(missing.tls).ok());
  EXPECT_TRUE(CheckTlsOptions(Trusting().tls).ok());
}

TEST(HttpClientTlsTest, GarbageInsteadOfAHandshakeIsAnError) {
  TlsServer server(true, [](int fd, SSL*) {
    char buf[4096];
    (void)::recv(fd, buf, sizeof(buf), 0);
    const std::string junk = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";  // a plain-HTTP port
    (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  });
  HttpResult r = HttpExchange("GET", server.Url(), {}, "", "", Trusting());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error.rfind("TLS handshake with 127.0.0.1:", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("wrong version number"), std::string::npos) << r.error;
}

TEST(HttpClientTlsTest, AStalledHandshakeEndsAtTheTimeout) {
  std::atomic<bool> done{false};
  TlsServer server(true, [&](int fd, SSL*) {
    char buf[4096];
    (void)::recv(fd, buf, sizeof(buf), 0);  // the ClientHello, never answered
    for (int i = 0; i < 100 && !done; ++i) std::this_thread::sleep_for(milliseconds(50));
  });
  HttpOptions o = Trusting();
  o.read_timeout = milliseconds(300);
  o.deadline = milliseconds(1000);
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r = HttpExchange("GET", server.Url(), {}, "", "", o);
  const auto took = std::chrono::steady_clock::now() - t0;
  done = true;
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.error, "TLS handshake with 127.0.0.1:" + server.Url().substr(18, 5) + " timed out");
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
}

TEST(HttpClientTlsTest, AnEndlessBodyIsRefusedAtTheCap) {
  TlsServer server(false, [](int, SSL* ssl) {
    Answer(ssl, "HTTP/1.1 200 OK\r\n\r\n");  // no length: the body runs to EOF
    const std::string chunk(16 * 1024, '#');
    for (int i = 0; i < 100'000; ++i) {  // bounded: far past the cap; stops when the client hangs up
      if (SSL_write(ssl, chunk.data(), static_cast<int>(chunk.size())) <= 0) return;
    }
  });
  HttpOptions o = Trusting();
  o.max_body_bytes = 1 << 20;
  const auto t0 = std::chrono::steady_clock::now();
  HttpResult r = HttpExchange("GET", server.Url(), {}, "", "", o);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "response body larger than 1048576 bytes");
  EXPECT_TRUE(r.body.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

// A peer that hangs up while the harness is still writing: an error, not SIGPIPE (OpenSSL writes
// with write(2); the process's default disposition would end the harness).
TEST(HttpClientTlsTest, APeerHangingUpMidRequestIsAnErrorNotASignal) {
  TlsServer server(false, [](int, SSL*) {}, /*hang_up=*/true);
  const std::string big(8 << 20, 'x');
  HttpResult r = HttpExchange("POST", server.Url(), {}, big, "application/octet-stream", Trusting());
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
}

TEST(HttpClientTlsTest, OtherSchemesAreRefused) {
  EXPECT_EQ(HttpExchange("GET", "ftp://127.0.0.1/x", {}, "", "", HttpOptions{}).error,
            "bad request: not an http:// or https:// URL");
}

}  // namespace
}  // namespace ssai::server
