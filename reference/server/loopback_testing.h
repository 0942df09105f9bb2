// For tests: a TCP listener on 127.0.0.1 (a free port) whose thread hands each accepted
// connection to `serve(fd)` and then closes it — the raw or TLS peer a test needs when a real
// server would never send what the test is about (endless headers, garbage, a truncated body).
// Bounded: at most `max_connections`, a 2 s receive timeout per connection, stopped and joined by
// the destructor. SIGPIPE is blocked on the listener's thread only (it writes to clients that
// hang up), so a client under test that raised it would still end the test.
#ifndef SSAI_REFERENCE_SERVER_LOOPBACK_TESTING_H_
#define SSAI_REFERENCE_SERVER_LOOPBACK_TESTING_H_

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace ssai::testing {

class LoopbackListener {
 public:
  explicit LoopbackListener(std::function<void(int fd)> serve, int max_connections = 1 << 20)
      : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
      socklen_t len = sizeof(a);
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    ::listen(fd_, 16);
    thread_ = std::thread([this, max_connections] {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      for (int i = 0; i < max_connections && !stop_; ++i) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        timeval tv{2, 0};  // a client that goes quiet does not hold the listener
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        serve_(c);
        ::close(c);
      }
    });
  }
  ~LoopbackListener() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int port() const { return port_; }  // 0 if the bind failed
  bool stopping() const { return stop_; }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads what a client sent first (its request; small in these tests), up to 4 KiB.
inline void ReadRequest(int fd) {
  char buf[4096];
  (void)::recv(fd, buf, sizeof(buf), 0);
}

// Writes all of `s`; false once the peer is gone.
inline bool SendAll(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

}  // namespace ssai::testing

#endif  // SSAI_REFERENCE_SERVER_LOOPBACK_TESTING_H_
