#include "reference/io/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>

namespace ssai::io {
namespace {

Status ErrnoStatus(const std::string& path, std::string_view what, int err) {
  std::string m = path + ": " + std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(std::move(m));
    case EISDIR:
      return Status::InvalidArgument(std::move(m));
    default:
      return Status::Unavailable(std::move(m));
  }
}

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close(2) reports deferred write errors (NFS, quota): the caller of a write must see them.
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

}  // namespace

std::string FormatByteSize(size_t bytes) {
  if (bytes >= (size_t{1} << 20) && bytes % (size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (size_t{1} << 10) && bytes % (size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

namespace {

Status TooLarge(const std::string& name, size_t max_bytes) {
  return Status::ResourceExhausted(name + ": larger than " + FormatByteSize(max_bytes));
}

// Reads `fd` to its end, stopping as soon as more than `max_bytes` arrived: a device or pipe
// with no end (/dev/zero, `yes |`) costs at most max_bytes plus one buffer.
Result<std::string> ReadFd(int fd, const std::string& name, size_t max_bytes) {
  struct stat st {};
  const bool have_stat = ::fstat(fd, &st) == 0;
  if (have_stat && S_ISDIR(st.st_mode)) return ErrnoStatus(name, "cannot read", EISDIR);
  std::string out;
  if (have_stat && S_ISREG(st.st_mode) && st.st_size > 0) {
    // Refuse a large regular file before reading a byte of it (a sparse 1.5 GB file costs nothing).
    if (static_cast<uint64_t>(st.st_size) > max_bytes) return TooLarge(name, max_bytes);
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[64 * 1024];
  while (true) {
    // Never ask for more than one byte past the cap: reaching cap + 1 proves "too large".
    const size_t left = max_bytes - out.size();  // out.size() <= max_bytes here
    const ssize_t n = ::read(fd, buf, left < sizeof buf ? left + 1 : sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(name, "cannot read", errno);
    }
    if (static_cast<size_t>(n) > max_bytes - out.size()) return TooLarge(name, max_bytes);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(path, "cannot read", errno);
  return ReadFd(fd.get(), path, max_bytes);
}

Result<std::string> ReadInputToString(const std::string& path, size_t max_bytes) {
  if (path == "-") return ReadFd(STDIN_FILENO, "stdin", max_bytes);
  return ReadFileToString(path, max_bytes);
}

Status WriteStringToFile(const std::string& path, std::string_view text) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return ErrnoStatus(path, "cannot create its directory", ec.value());
  }
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus(path, "cannot write", errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(path, "cannot write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (fd.Close() != 0) return ErrnoStatus(path, "cannot write", errno);
  return Status::Ok();
}

TempDir::TempDir(std::string_view prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace ssai::io
