// Child processes for benchmarks (ssai serve, ssai origin, nginx, redis-server): spawned with
// posix_spawn, stdout on a pipe we read for the "listening on" line, stderr to a log file, and
// always stopped (SIGTERM, bounded wait, then SIGKILL), also when the benchmark fails.
#ifndef SSAI_BENCH_LOAD_PROCESS_H_
#define SSAI_BENCH_LOAD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reference/base/status.h"

namespace ssai::load {

class ChildProcess {
 public:
  // argv[0] is a path (or a name looked up on PATH). `env_add` ("K=V") extends this process's
  // environment. stderr goes to `stderr_path` ("" = /dev/null).
  static Result<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                     const std::vector<std::string>& env_add,
                                                     const std::string& stderr_path);
  ~ChildProcess();  // Stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stdout until a line holds "listening on http://HOST:PORT"; returns that URL. Fails
  // (naming the command and the tail of its stderr log) on exit or after timeout_ms.
  Result<std::string> WaitForListening(int64_t timeout_ms);
  // SIGTERM, then SIGKILL after timeout_ms. Returns the wait status (or -1). Idempotent.
  int Stop(int64_t timeout_ms = 5000);
  // Reads stdout until EOF (the process exited or closed it) or timeout_ms; then stops it.
  Result<std::string> ReadAll(int64_t timeout_ms);
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  ChildProcess() = default;
  std::string StderrTail() const;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool stopped_ = false;
  int wait_status_ = -1;
  std::string name_;
  std::string stderr_path_;
  std::string pending_;  // stdout read so far, not yet a whole line
};

// On SIGINT/SIGTERM/SIGHUP, sends SIGTERM to every child still running, then dies of the signal
// (so `timeout` or Ctrl-C on `ssai bench` leaves no server behind). Idempotent.
void StopChildrenOnSignal();

// Polls a TCP connect to host:port until it succeeds or timeout_ms passes.
Status WaitForTcpPort(const std::string& host, int port, int64_t timeout_ms);
// A port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close).
Result<int> PickFreePort();
// This executable (/proc/self/exe).
std::string SelfExecutable();
// A fresh directory under $TMPDIR (or /tmp).
Result<std::string> MakeTempDir(const std::string& prefix);
// Finds `name` on PATH (and in /usr/sbin, /sbin: nginx lives there); "" if absent.
std::string FindProgram(const std::string& name);

}  // namespace ssai::load

#endif  // SSAI_BENCH_LOAD_PROCESS_H_
