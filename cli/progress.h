// A progress line on stderr (issue 19): on a terminal it is rewritten in place with \r; when
// stderr is a file or a pipe (CI logs) each update is a plain line, at most one every 5 s, so logs
// do not fill with ^M. Nothing is shown in the first second (quick runs stay quiet).
#ifndef SSAI_CLI_PROGRESS_H_
#define SSAI_CLI_PROGRESS_H_

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace ssai::cli {

class ProgressLine {
 public:
  explicit ProgressLine(bool tty = isatty(STDERR_FILENO) != 0)
      : tty_(tty), start_(std::chrono::steady_clock::now()), last_(start_) {}
  ~ProgressLine() { Clear(); }

  bool tty() const { return tty_; }

  // Shows `text` unless the last update was too recent (250 ms on a terminal, 5 s otherwise).
  void Show(const std::string& text) {
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1)) return;
    if (shown_ && now - last_ < (tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000))) return;
    last_ = now;
    shown_ = true;
    if (tty_) {
      std::fprintf(stderr, "\r%-72s", text.c_str());
    } else {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
  }

  // Erases the line on a terminal (nothing to erase in a log).
  void Clear() {
    if (tty_ && shown_) std::fprintf(stderr, "\r%-72s\r", "");
    shown_ = false;
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace ssai::cli

#endif  // SSAI_CLI_PROGRESS_H_
