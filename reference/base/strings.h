// Small, allocation-free text helpers shared by the parsers.
#ifndef SSAI_REFERENCE_BASE_STRINGS_H_
#define SSAI_REFERENCE_BASE_STRINGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssai {

std::string_view TrimWhitespace(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);

// Whole-string numeric parses (locale independent, via std::from_chars); nullopt on any junk.
std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<uint64_t> ParseUint64(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);

// Shortest text that parses back to the same double ("6.006", "2", "0.1").
void AppendDouble(double v, std::string* out);
std::string FormatDouble(double v);
// Fixed number of decimals ("6.000" for decimals=3), for EXTINF and JSON seconds.
void AppendFixed(double v, int decimals, std::string* out);

// UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);
// `s` with every byte that is not part of a valid UTF-8 sequence written as the four ASCII
// characters "\xHH"; valid text is returned unchanged. For messages that quote input (JSON error
// bodies, logs): the result can always be serialised, and it still shows the offending byte.
std::string EscapeInvalidUtf8(std::string_view s);

// Text safe inside HTML elements and in single- or double-quoted attributes (& < > " ').
std::string HtmlEscape(std::string_view text);

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_STRINGS_H_
