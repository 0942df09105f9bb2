// Whole-file reads and writes: the one place the libraries and the CLI turn a path into bytes.
#ifndef SSAI_REFERENCE_IO_FILES_H_
#define SSAI_REFERENCE_IO_FILES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/status.h"

namespace ssai::io {

// No cap: only for files the program wrote itself (caches, its own logs). Input a user or a
// peer supplies is read with an explicit cap (kMaxInputBytes or smaller).
inline constexpr size_t kUnlimitedBytes = SIZE_MAX;
// The default cap for a file named on the command line: as large as the largest playlist
// (hls::kMaxPlaylistBytes) and far larger than any scenario, config or spec in fixtures/.
inline constexpr size_t kMaxInputBytes = size_t{16} << 20;

// The file's bytes, exactly (binary; no newline translation). Errors name the path and the
// system's reason: "fixtures/x.json: cannot read: No such file or directory" (kNotFound when
// the file or a parent directory does not exist, kInvalidArgument for a directory, kUnavailable
// for any other open or read failure, e.g. permission denied).
// At most `max_bytes`: the cap is applied while reading (chunks; a regular file's size is
// checked first), so /dev/zero, a FIFO or a file that grows costs at most max_bytes + one chunk
// of memory. More is kResourceExhausted: "x.m3u8: larger than 16 MiB".
Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes = kUnlimitedBytes);

// ReadFileToString, except that "-" reads standard input (named "stdin" in errors), with the
// same cap applied while reading. For the CLI's FILE|- arguments.
Result<std::string> ReadInputToString(const std::string& path, size_t max_bytes);

// "16 MiB", "64 KiB", "1000 bytes": a cap as the errors above print it.
std::string FormatByteSize(size_t bytes);

// Writes `text` to `path` (created or truncated), creating missing parent directories first.
// Errors name the path and the reason ("reports/x/report.json: cannot write: No space left on
// device"). Not atomic: a crash can leave a partial file.
Status WriteStringToFile(const std::string& path, std::string_view text);

// A fresh directory under the system's temporary directory ("{prefix}-XXXXXX", mode 0700, by
// mkdtemp), removed with everything in it when this goes out of scope. path() is "" when it
// could not be created.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ssai::io

#endif  // SSAI_REFERENCE_IO_FILES_H_
