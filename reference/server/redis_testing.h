// Test support shared by the Redis tests (redis_kv_test, the KvStore contract test): a free
// loopback port, a redis-server child process, and a direct hiredis connection to inspect it.
// Test-only: spawns processes, blocks.
#ifndef SSAI_REFERENCE_SERVER_REDIS_TESTING_H_
#define SSAI_REFERENCE_SERVER_REDIS_TESTING_H_

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ssai::server::redis_testing {

using namespace std::chrono_literals;

inline int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A direct hiredis connection, for what the store does not expose (TTL, INFO, PEXPIRE).
class Direct {
 public:
  explicit Direct(int port) {
    timeval tv{1, 0};
    ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (ctx_ != nullptr && ctx_->err == 0) redisSetTimeout(ctx_, tv);
  }
  ~Direct() {
    if (ctx_ != nullptr) redisFree(ctx_);
  }
  bool ok() const { return ctx_ != nullptr && ctx_->err == 0; }
  // The reply as text ("" on error): strings, status, integers.
  std::string Cmd(const std::vector<std::string>& argv) {
    if (!ok()) return "";
    std::vector<const char*> a;
    std::vector<size_t> l;
    for (const auto& s : argv) {
      a.push_back(s.data());
      l.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data()));
    if (r == nullptr) return "";
    std::string out;
    if (r->type == REDIS_REPLY_INTEGER) out = std::to_string(r->integer);
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) out.assign(r->str, r->len);
    if (r->type == REDIS_REPLY_NIL) out = "(nil)";
    freeReplyObject(r);
    return out;
  }

 private:
  redisContext* ctx_ = nullptr;
};

// One redis-server child: no persistence, loopback only, its own temp dir.
class RedisProcess {
 public:
  // replica_of = 0: a primary.
  static std::unique_ptr<RedisProcess> Start(int port, int replica_of = 0) {
    auto p = std::unique_ptr<RedisProcess>(new RedisProcess());
    p->port_ = port;
    p->dir_ = std::filesystem::temp_directory_path() / ("ssai-redis-test-" + std::to_string(::getpid()) + "-" +
                                                          std::to_string(port));
    std::filesystem::create_directories(p->dir_);
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", p->dir_.string(),
                                     "--daemonize", "no", "--loglevel", "warning", "--logfile",
                                     (p->dir_ / "redis.log").string(), "--repl-diskless-sync-delay", "0",
                                     "--repl-diskless-load", "on-empty-db"};
    if (replica_of != 0) {
      args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(replica_of)});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ);
    if (rc != 0) {
      p->error_ = "cannot start redis-server (" + std::string(std::strerror(rc)) +
                  "): install Debian redis-server (scripts/bootstrap.sh does; CI has it)";
      return p;
    }
    p->pid_ = pid;
    // Bounded wait until it answers PING.
    for (int i = 0; i < 250; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        p->pid_ = 0;
        p->error_ = "redis-server exited at start (port " + std::to_string(port) + " taken?)";
        return p;
      }
      Direct d(port);
      if (d.ok() && d.Cmd({"PING"}) == "PONG") return p;
      std::this_thread::sleep_for(20ms);
    }
    p->error_ = "redis-server did not answer PING within 5 s";
    return p;
  }
  ~RedisProcess() { Kill(); }
  void Kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  void Pause() { ::kill(pid_, SIGSTOP); }
  void Resume() { ::kill(pid_, SIGCONT); }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

 private:
  RedisProcess() = default;
  pid_t pid_ = 0;
  int port_ = 0;
  std::filesystem::path dir_;
  std::string error_;
};

}  // namespace ssai::server::redis_testing

#endif  // SSAI_REFERENCE_SERVER_REDIS_TESTING_H_
