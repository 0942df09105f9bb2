#include "cli/files.h"

#include "reference/io/files.h"

namespace ssai::cli {

bool ReadFile(const std::string& path, std::string* out) {
  Result<std::string> text = io::ReadFileToString(path);
  if (!text.ok()) return false;
  *out = std::move(text).value();
  return true;
}

bool WriteText(const std::string& path, const std::string& text) {
  return io::WriteStringToFile(path, text).ok();
}

}  // namespace ssai::cli
