#include "reference/base/time.h"

#include <string>

namespace ssai {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {

bool ReadDigits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

constexpr unsigned DaysInMonth(int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<UnixMicros> ParseIso8601(std::string_view s) {
  size_t p = 0;
  int year, month, day, hour, minute, second;
  auto bad = [&](std::string_view what) {
    return Status::InvalidArgument("date-time '" + std::string(s) + "': " + std::string(what) +
                                   " at character " + std::to_string(p + 1));
  };
  if (!ReadDigits(s, &p, 4, &year)) return bad("expected 4-digit year");
  if (!Expect(s, &p, '-')) return bad("expected '-'");
  if (!ReadDigits(s, &p, 2, &month) || month < 1 || month > 12) return bad("expected month 01-12");
  if (!Expect(s, &p, '-')) return bad("expected '-'");
  if (!ReadDigits(s, &p, 2, &day) || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)))
    return bad("expected a valid day of month");
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return bad("expected 'T'");
  ++p;
  if (!ReadDigits(s, &p, 2, &hour) || hour > 23) return bad("expected hour 00-23");
  if (!Expect(s, &p, ':')) return bad("expected ':'");
  if (!ReadDigits(s, &p, 2, &minute) || minute > 59) return bad("expected minute 00-59");
  if (!Expect(s, &p, ':')) return bad("expected ':'");
  // 60 is allowed for a leap second; it folds into the next minute like POSIX time does.
  if (!ReadDigits(s, &p, 2, &second) || second > 60) return bad("expected second 00-60");
  int64_t micros = 0;
  if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
    ++p;
    int digits = 0;
    int64_t scale = 100000;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (digits < 6) micros += (s[p] - '0') * scale;
      scale /= 10;
      ++digits;
      ++p;
    }
    if (digits == 0) return bad("expected digits after the decimal point");
  }
  int64_t offset_s = 0;
  if (p >= s.size()) return bad("expected a time zone (Z or ±hh:mm)");
  if (s[p] == 'Z' || s[p] == 'z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    const int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om = 0;
    if (!ReadDigits(s, &p, 2, &oh) || oh > 23) return bad("expected offset hours");
    if (p < s.size() && s[p] == ':') ++p;
    if (p < s.size() && !ReadDigits(s, &p, 2, &om)) return bad("expected offset minutes");
    if (om > 59) return bad("expected offset minutes 00-59");
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return bad("expected a time zone (Z or ±hh:mm)");
  }
  if (p != s.size()) return bad("unexpected trailing text");
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * kMicrosPerSecond + micros;
}

void AppendIso8601Millis(UnixMicros t, std::string* out) {
  int64_t secs = t >= 0 ? t / kMicrosPerSecond : -((-t + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const int64_t micros = t - secs * kMicrosPerSecond;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // Hand-formatted: this runs for every PROGRAM-DATE-TIME the splicer writes, and snprintf
  // costs several times more.
  auto put = [out](int64_t v, int width) {
    char digits[20];
    for (int i = width - 1; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    out->append(digits, static_cast<size_t>(width));
  };
  if (y < 0 || y > 9999) {  // outside ISO 8601's four digits: rare, keep it simple and exact
    out->append(std::to_string(y));
  } else {
    put(y, 4);
  }
  out->push_back('-');
  put(m, 2);
  out->push_back('-');
  put(d, 2);
  out->push_back('T');
  put(sod / 3600, 2);
  out->push_back(':');
  put(sod / 60 % 60, 2);
  out->push_back(':');
  put(sod % 60, 2);
  out->push_back('.');
  put(micros / 1000, 3);
  out->push_back('Z');
}

std::string FormatIso8601Millis(UnixMicros t) {
  std::string out;
  AppendIso8601Millis(t, &out);
  return out;
}

}  // namespace ssai
