// CLI11 checks shared by the commands' numeric flags.
#ifndef SSAI_CLI_FLAGS_H_
#define SSAI_CLI_FLAGS_H_

#include <string>

namespace ssai::cli {

// --seed (uint64): digits only. CLI11 alone wraps "-1" to 2^64 - 1 (issue 13); a value past
// 2^64 - 1 fails CLI11's own conversion.
inline std::string CheckSeed(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
    return "must be an integer in [0, 2^64-1], got '" + s + "'";
  }
  return "";
}

}  // namespace ssai::cli

#endif  // SSAI_CLI_FLAGS_H_
