#include "cli/files.h"

#include <iostream>

#include "reference/io/files.h"

namespace ssai::cli {

bool ReadInput(const std::string& command, const std::string& path, size_t max_bytes, std::string* out) {
  Result<std::string> text = io::ReadInputToString(path, max_bytes);
  if (!text.ok()) {
    std::cerr << command << ": " << text.status().message() << "\n";
    return false;
  }
  *out = std::move(text).value();
  return true;
}

bool WriteText(const std::string& path, const std::string& text) {
  return io::WriteStringToFile(path, text).ok();
}

}  // namespace ssai::cli
