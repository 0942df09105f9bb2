// Wall-clock instants as integers: microseconds since the Unix epoch (UTC). The core never reads a
// clock; instants come in as parameters. ISO 8601 / RFC 3339 text is what HLS (EXT-X-PROGRAM-
// DATE-TIME, RFC 8216 §4.3.2.6) and the seed's AdBreakState JSON use.
#ifndef SSAI_REFERENCE_BASE_TIME_H_
#define SSAI_REFERENCE_BASE_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "reference/base/status.h"

namespace ssai {

using UnixMicros = int64_t;  // microseconds since 1970-01-01T00:00:00Z
using DurationMicros = int64_t;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerMilli = 1'000;

// Parses "YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)". A missing offset is rejected: an
// ambiguous instant is worse than an error. Fractions beyond microseconds are truncated.
Result<UnixMicros> ParseIso8601(std::string_view text);

// Formats with millisecond precision and a Z suffix: "2025-11-04T05:21:34.000Z" (the seed's form).
std::string FormatIso8601Millis(UnixMicros t);
// Appends the same text to *out (no allocation when *out has capacity).
void AppendIso8601Millis(UnixMicros t, std::string* out);

// Seconds (possibly fractional) to microseconds, rounded to nearest.
constexpr DurationMicros SecondsToMicros(double s) {
  return static_cast<DurationMicros>(s * 1e6 + (s >= 0 ? 0.5 : -0.5));
}
constexpr double MicrosToSeconds(DurationMicros us) { return static_cast<double>(us) / 1e6; }

// Proleptic Gregorian calendar <-> days since epoch (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d);

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_TIME_H_
