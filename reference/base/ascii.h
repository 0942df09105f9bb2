// ASCII helpers for protocol tokens (HTTP header names, MIME types, VAST attribute values).
#ifndef SSAI_REFERENCE_BASE_ASCII_H_
#define SSAI_REFERENCE_BASE_ASCII_H_

#include <cctype>
#include <string_view>

namespace ssai {

// Case-insensitive equality over ASCII letters (RFC 9110 §5.1 field names, MIME types).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_ASCII_H_
