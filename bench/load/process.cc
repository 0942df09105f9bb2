#include "bench/load/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "reference/io/files.h"

extern char** environ;

namespace ssai::load {

namespace {

// Live children, for the signal handler (async-signal-safe: plain atomics and kill()).
constexpr int kMaxChildren = 256;
std::atomic<pid_t> g_children[kMaxChildren];

void Register(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void Unregister(pid_t pid) {
  for (auto& slot : g_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

extern "C" void StopChildrenHandler(int sig) {
  for (auto& slot : g_children) {
    const pid_t pid = slot.load();
    if (pid > 0) kill(pid, SIGTERM);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                          const std::vector<std::string>& env_add,
                                                          const std::string& stderr_path) {
  if (argv.empty()) return Status::InvalidArgument("spawn: empty command");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& kv : env_add) env_strings.push_back(kv);
  std::vector<char*> envp, args;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  // Children must not inherit a blocked SIGTERM/SIGINT from a caller that blocks them.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return Status::Unavailable("spawn " + argv[0] + ": " + std::strerror(rc));
  }
  auto p = std::unique_ptr<ChildProcess>(new ChildProcess());
  p->pid_ = pid;
  Register(pid);
  p->stdout_fd_ = pipe_fds[0];
  p->name_ = argv[0].substr(argv[0].rfind('/') + 1) + (argv.size() > 1 ? " " + argv[1] : "");
  p->stderr_path_ = stderr_path;
  return p;
}

ChildProcess::~ChildProcess() { Stop(); }

std::string ChildProcess::StderrTail() const {
  if (stderr_path_.empty()) return "";
  // A child that never wrote (or a file already gone) has no tail to show.
  Result<std::string> text = io::ReadFileToString(stderr_path_);
  if (!text.ok()) return "";
  std::string s = std::move(text).value();
  if (s.size() > 600) s = "..." + s.substr(s.size() - 600);
  return s.empty() ? "" : " (stderr: " + s + ")";
}

Result<std::string> ChildProcess::WaitForListening(int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      const size_t at = line.find("listening on http://");
      if (at != std::string::npos) {
        std::string url = line.substr(at + 13);
        url = url.substr(0, url.find_first_of(" \t\r"));
        return url;
      }
    }
    const int64_t left = deadline - NowMs();
    if (left <= 0) return Status::DeadlineExceeded(name_ + ": no 'listening on' line within " +
                                                   std::to_string(timeout_ms) + " ms" + StderrTail());
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int r = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (r > 0) {
      char buf[4096];
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) {
        Stop(1000);
        return Status::Unavailable(name_ + ": exited before listening" + StderrTail());
      }
      pending_.append(buf, static_cast<size_t>(n));
    }
  }
}

Result<std::string> ChildProcess::ReadAll(int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  std::string out = std::move(pending_);
  pending_.clear();
  while (stdout_fd_ >= 0) {
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      Stop(1000);
      return Status::DeadlineExceeded(name_ + ": did not finish within " + std::to_string(timeout_ms) + " ms" +
                                      StderrTail());
    }
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 100))) > 0) {
      char buf[4096];
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  Stop(5000);
  return out;
}

int ChildProcess::Stop(int64_t timeout_ms) {
  if (stopped_ || pid_ <= 0) return wait_status_;
  stopped_ = true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    wait_status_ = status;
  } else {
    kill(pid_, SIGTERM);
    const int64_t deadline = NowMs() + timeout_ms;
    bool reaped = false;
    while (NowMs() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    wait_status_ = status;
  }
  Unregister(pid_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  return wait_status_;
}

void StopChildrenOnSignal() {
  struct sigaction sa {};
  sa.sa_handler = StopChildrenHandler;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

Status WaitForTcpPort(const std::string& host, int port, int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("host: need an IPv4 address, got '" + host + "'");
  }
  while (true) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (fd >= 0) close(fd);
    if (ok) return Status::Ok();
    if (NowMs() >= deadline) {
      return Status::DeadlineExceeded(host + ":" + std::to_string(port) + " not accepting connections after " +
                                      std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return Status::Internal(std::string("bind: ") + std::strerror(errno));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string SelfExecutable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::string> MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) return Status::Internal("mkdtemp " + templ + ": " + std::strerror(errno));
  return templ;
}

std::string FindProgram(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      const std::string full = dir + "/" + name;
      if (access(full.c_str(), X_OK) == 0) return full;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace ssai::load
