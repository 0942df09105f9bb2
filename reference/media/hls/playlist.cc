// HLS playlist model, parser and writer. See playlist.h for the model; this file cites RFC 8216
// (and draft-pantos-hls-rfc8216bis, "bis") where behaviour comes from the spec.
#include "reference/media/hls/playlist.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "reference/base/strings.h"

namespace ssai::hls {
namespace {

// Tag names in TagType order (kUnknown, kComment and kBlank have none).
constexpr std::string_view kTagNames[] = {
    "EXTM3U",
    "EXT-X-VERSION",
    "EXT-X-INDEPENDENT-SEGMENTS",
    "EXT-X-START",
    "EXT-X-DEFINE",
    "EXT-X-TARGETDURATION",
    "EXT-X-MEDIA-SEQUENCE",
    "EXT-X-DISCONTINUITY-SEQUENCE",
    "EXT-X-ENDLIST",
    "EXT-X-PLAYLIST-TYPE",
    "EXT-X-I-FRAMES-ONLY",
    "EXT-X-PART-INF",
    "EXT-X-SERVER-CONTROL",
    "EXT-X-ALLOW-CACHE",
    "EXTINF",
    "EXT-X-BYTERANGE",
    "EXT-X-DISCONTINUITY",
    "EXT-X-KEY",
    "EXT-X-MAP",
    "EXT-X-PROGRAM-DATE-TIME",
    "EXT-X-GAP",
    "EXT-X-BITRATE",
    "EXT-X-PART",
    "EXT-X-DATERANGE",
    "EXT-X-SKIP",
    "EXT-X-PRELOAD-HINT",
    "EXT-X-RENDITION-REPORT",
    "EXT-X-MEDIA",
    "EXT-X-STREAM-INF",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-SESSION-DATA",
    "EXT-X-SESSION-KEY",
    "EXT-X-CONTENT-STEERING",
    "EXT-X-CUE-OUT",
    "EXT-X-CUE-OUT-CONT",
    "EXT-X-CUE-IN",
    "EXT-X-CUE",
    "EXT-OATCLS-SCTE35",
    "EXT-X-ASSET",
    "EXT-X-SCTE35",
    "EXT-X-SPLICEPOINT-SCTE35",
};
constexpr size_t kNumNamedTags = sizeof(kTagNames) / sizeof(kTagNames[0]);
static_assert(kNumNamedTags == static_cast<size_t>(TagType::kUnknown),
              "kTagNames must list every named TagType in order");

// Name lookup: a small open-addressing table keyed by a cheap hash of length and a few
// characters (most names share the "EXT-X-" prefix, so the hash looks past it).
constexpr size_t kTableSize = 128;

constexpr size_t NameHash(std::string_view n) {
  size_t h = n.size() * 7;
  h += static_cast<unsigned char>(n[n.size() - 1]) * 31u;
  if (n.size() > 1) h += static_cast<unsigned char>(n[n.size() - 2]) * 131u;
  if (n.size() > 6) h += static_cast<unsigned char>(n[6]) * 17u;
  if (n.size() > 8) h += static_cast<unsigned char>(n[8]) * 3u;
  return h & (kTableSize - 1);
}

struct NameTable {
  std::array<uint8_t, kTableSize> slot{};  // TagType + 1; 0 = empty
  constexpr NameTable() {
    for (size_t i = 0; i < kNumNamedTags; ++i) {
      size_t h = NameHash(kTagNames[i]);
      while (slot[h] != 0) h = (h + 1) & (kTableSize - 1);
      slot[h] = static_cast<uint8_t>(i + 1);
    }
  }
};
constexpr NameTable kNameTable;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view TrimSpace(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Quotes input text for an error message, cut short so a hostile line cannot bloat it.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 48;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

std::string LineError(int line, std::string_view what) {
  std::string s = "line ";
  s.append(std::to_string(line));
  s.append(": ");
  s.append(what);
  return s;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(p - buf));
}

// RFC 8216 §4.2 decimal-integer: [0-9]+ in 0..2^64-1. We hold int64, so values above 2^63-1 are
// out of range here (no real playlist comes near).
enum class IntForm { kOk, kNotInteger, kOutOfRange };

IntForm ParseDecimalInteger(std::string_view s, int64_t* out) {
  if (s.empty()) return IntForm::kNotInteger;
  for (char c : s) {
    if (!IsDigit(c)) return IntForm::kNotInteger;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec != std::errc() || p != s.data() + s.size()) return IntForm::kOutOfRange;
  return IntForm::kOk;
}

std::optional<int64_t> DecimalInteger(std::string_view s) {
  int64_t v;
  if (ParseDecimalInteger(s, &v) != IntForm::kOk) return std::nullopt;
  return v;
}

// RFC 8216 §4.2 (signed-)decimal-floating-point: -?[0-9]+(.[0-9]+)? (we also take "1." and ".5").
std::optional<double> DecimalFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (IsDigit(s[i])) {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// EXTINF:<duration>,[<title>] (RFC 8216 §4.3.2.1). The comma is required by the RFC but often
// missing in the wild; we accept its absence.
std::string_view InfDurationText(std::string_view value) {
  size_t comma = value.find(',');
  return TrimSpace(value.substr(0, comma));
}

Status ParseInfDuration(const Tag& tag, double* duration_s) {
  std::string_view text = InfDurationText(tag.value);
  if (text.empty()) return Status::InvalidArgument(LineError(tag.line, "EXTINF has no duration"));
  std::optional<double> d = ParseDouble(text);
  if (!d || !std::isfinite(*d)) {
    return Status::InvalidArgument(
        LineError(tag.line, "EXTINF duration " + Quote(text) + " is not a number"));
  }
  if (*d < 0) {
    return Status::InvalidArgument(
        LineError(tag.line, "EXTINF duration " + Quote(text) + " is negative"));
  }
  *duration_s = *d;
  return Status::Ok();
}

// Which kind of playlist a tag marks (RFC 8216 §4.1: a playlist is either a Media or a Master
// Playlist; §4.3.3/§4.3.4 list the tags that belong to each).
enum class Kind { kEither, kMedia, kMaster };

Kind KindOf(TagType t) {
  switch (t) {
    case TagType::kMedia:
    case TagType::kStreamInf:
    case TagType::kIFrameStreamInf:
    case TagType::kSessionData:
    case TagType::kSessionKey:
    case TagType::kContentSteering:
      return Kind::kMaster;
    case TagType::kTargetDuration:
    case TagType::kMediaSequence:
    case TagType::kDiscontinuitySequence:
    case TagType::kEndList:
    case TagType::kPlaylistType:
    case TagType::kIFramesOnly:
    case TagType::kPartInf:
    case TagType::kServerControl:
    case TagType::kInf:
    case TagType::kByteRange:
    case TagType::kDiscontinuity:
    case TagType::kKey:
    case TagType::kMap:
    case TagType::kProgramDateTime:
    case TagType::kGap:
    case TagType::kBitrate:
    case TagType::kPart:
    case TagType::kSkip:
    case TagType::kPreloadHint:
    case TagType::kRenditionReport:
      return Kind::kMedia;
    default:
      return Kind::kEither;
  }
}

// Splits text into lines. RFC 8216 §4.1: lines end with LF or CR LF. The playlist is CRLF only if
// every line ending is CRLF; otherwise a '\r' before LF stays in the line's text, which keeps
// mixed input lossless.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {
    size_t lf = 0, crlf = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
      const void* hit = std::memchr(p, '\n', static_cast<size_t>(end - p));
      if (hit == nullptr) break;
      const char* nl = static_cast<const char*>(hit);
      ++lf;
      if (nl > text.data() && nl[-1] == '\r') ++crlf;
      if (nl + 1 < end && nl[1] != '#' && nl[1] != '\n' && !IsSpace(nl[1])) ++uri_lines_;
      p = nl + 1;
    }
    crlf_ = lf > 0 && crlf == lf;
    lines_ = lf + 1;
  }

  bool crlf() const { return crlf_; }
  // Rough counts for reserving: lines, and lines that do not start with '#'.
  size_t lines_estimate() const { return lines_; }
  size_t uri_lines_estimate() const { return uri_lines_; }

  // Returns false at the end of input. *terminated is false only for a last line with no ending.
  bool Next(std::string_view* line, bool* terminated) {
    if (pos_ >= text_.size()) return false;
    ++line_no_;
    const void* hit = std::memchr(text_.data() + pos_, '\n', text_.size() - pos_);
    if (hit == nullptr) {
      *line = text_.substr(pos_);
      *terminated = false;
      pos_ = text_.size();
      return true;
    }
    size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - text_.data());
    size_t end = crlf_ ? nl - 1 : nl;
    *line = text_.substr(pos_, end - pos_);
    *terminated = true;
    pos_ = nl + 1;
    return true;
  }
  int line_no() const { return line_no_; }

  Status CheckLineCount() const {
    if (lines_ <= kMaxPlaylistLines) return Status::Ok();
    return Status::InvalidArgument("playlist has " + std::to_string(lines_) +
                                   " lines; the limit is " + std::to_string(kMaxPlaylistLines));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_no_ = 0;
  bool crlf_ = false;
  size_t lines_ = 0;
  size_t uri_lines_ = 0;
};

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (!IsSpace(c)) return false;
  }
  return true;
}

bool IsTagLine(std::string_view line) {
  return line.size() >= 4 && line[0] == '#' && line[1] == 'E' && line[2] == 'X' && line[3] == 'T';
}

// Name of a "#EXT..." line: up to ':' or, without one, up to trailing whitespace.
std::string_view TagLineName(std::string_view line, size_t* value_start, bool* has_value) {
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    *value_start = colon + 1;
    *has_value = true;
    return line.substr(1, colon - 1);
  }
  size_t end = line.size();
  while (end > 1 && IsSpace(line[end - 1])) --end;
  *value_start = end;
  *has_value = false;
  return line.substr(1, end - 1);
}

// Fills *tag from a line that is not a URI: a tag (RFC 8216 §4.1: "#EXT" lines), a comment
// (other '#' lines) or a blank line (ignored by clients; kept here).
void FillTag(std::string_view line, int line_no, Tag* tag) {
  tag->line = line_no;
  if (IsTagLine(line)) {
    size_t value_start;
    std::string_view name = TagLineName(line, &value_start, &tag->has_value);
    tag->type = TagTypeFromName(name);
    if (tag->type == TagType::kUnknown) tag->name.assign(name);
    tag->value.assign(line.substr(value_start));
  } else if (!line.empty() && line[0] == '#') {
    tag->type = TagType::kComment;
    tag->value.assign(line.substr(1));
  } else {
    tag->type = TagType::kBlank;
    tag->value.assign(line);
  }
}

bool IsUriLine(std::string_view line) { return !line.empty() && line[0] != '#' && !IsBlank(line); }

// Playlist-level decimal-integer tags are checked at parse time so the typed accessors can trust
// them (RFC 8216 §4.3.1.2, §4.3.3.1-3).
Status CheckIntegerTag(const Tag& tag) {
  std::string_view text = TrimSpace(tag.value);
  std::string name(TagName(tag.type));
  if (!tag.has_value || text.empty()) {
    return Status::InvalidArgument(LineError(tag.line, name + " has no value"));
  }
  int64_t v;
  switch (ParseDecimalInteger(text, &v)) {
    case IntForm::kOk:
      return Status::Ok();
    case IntForm::kNotInteger:
      return Status::InvalidArgument(
          LineError(tag.line, name + " value " + Quote(text) + " is not a decimal-integer"));
    case IntForm::kOutOfRange:
      break;
  }
  return Status::InvalidArgument(LineError(tag.line, name + " value " + Quote(text) + " is out of range"));
}

bool IsIntegerTag(TagType t) {
  return t == TagType::kVersion || t == TagType::kTargetDuration || t == TagType::kMediaSequence ||
         t == TagType::kDiscontinuitySequence;
}

// RFC 8216 §4.1: no BOM; §4.3.1.1: the first line is EXTM3U.
Status CheckPreamble(std::string_view text) {
  if (text.size() > kMaxPlaylistBytes) {
    return Status::InvalidArgument("playlist is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxPlaylistBytes));
  }
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    return Status::InvalidArgument(
        LineError(1, "playlist starts with a byte order mark, which RFC 8216 §4.1 forbids"));
  }
  size_t nl = text.find('\n');
  std::string_view first = text.substr(0, nl);
  size_t value_start;
  bool has_value;
  if (!IsTagLine(first) || TagLineName(first, &value_start, &has_value) != "EXTM3U") {
    return Status::InvalidArgument(LineError(1, "playlist must start with #EXTM3U"));
  }
  return Status::Ok();
}

void AppendTagLine(const Tag& t, std::string* out) {
  switch (t.type) {
    case TagType::kBlank:
      out->append(t.value);
      return;
    case TagType::kComment:
      out->push_back('#');
      out->append(t.value);
      return;
    case TagType::kUnknown:
      out->push_back('#');
      out->append(t.name);
      break;
    default:
      out->push_back('#');
      out->append(TagName(t.type));
      break;
  }
  if (t.has_value) out->push_back(':');
  out->append(t.value);
}

size_t TagLineSize(const Tag& t) { return 2 + t.name.size() + TagName(t.type).size() + t.value.size(); }

void SetIntValue(Tag* tag, int64_t v) {
  tag->value.clear();
  AppendInt(v, &tag->value);
  tag->has_value = true;
}

// Canonical header order for tags the mutators insert (RFC 8216 §8 examples, packager practice).
int HeaderRank(TagType t) {
  switch (t) {
    case TagType::kExtM3u: return 0;
    case TagType::kVersion: return 1;
    case TagType::kTargetDuration: return 2;
    case TagType::kMediaSequence: return 3;
    case TagType::kDiscontinuitySequence: return 4;
    default: return -1;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tag table

std::string_view TagName(TagType type) {
  size_t i = static_cast<size_t>(type);
  return i < kNumNamedTags ? kTagNames[i] : std::string_view();
}

TagType TagTypeFromName(std::string_view name) {
  if (name.empty()) return TagType::kUnknown;
  size_t h = NameHash(name);
  for (size_t probes = 0; probes < kTableSize; ++probes) {
    uint8_t s = kNameTable.slot[h];
    if (s == 0) return TagType::kUnknown;
    if (kTagNames[s - 1] == name) return static_cast<TagType>(s - 1);
    h = (h + 1) & (kTableSize - 1);
  }
  return TagType::kUnknown;
}

bool IsPlaylistLevelTag(TagType type) {
  switch (type) {
    case TagType::kExtM3u:
    case TagType::kVersion:
    case TagType::kIndependentSegments:
    case TagType::kStart:
    case TagType::kDefine:
    case TagType::kTargetDuration:
    case TagType::kMediaSequence:
    case TagType::kDiscontinuitySequence:
    case TagType::kEndList:
    case TagType::kPlaylistType:
    case TagType::kIFramesOnly:
    case TagType::kPartInf:
    case TagType::kServerControl:
    case TagType::kAllowCache:
    case TagType::kRenditionReport:
    case TagType::kMedia:
    case TagType::kStreamInf:
    case TagType::kIFrameStreamInf:
    case TagType::kSessionData:
    case TagType::kSessionKey:
    case TagType::kContentSteering:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Tag

std::string Tag::ToLine() const {
  std::string s;
  s.reserve(TagLineSize(*this));
  AppendTagLine(*this, &s);
  return s;
}

Tag Tag::Make(TagType type) {
  Tag t;
  t.type = type;
  return t;
}

Tag Tag::Make(TagType type, std::string value) {
  Tag t;
  t.type = type;
  t.has_value = !value.empty() && type != TagType::kComment && type != TagType::kBlank;
  t.value = std::move(value);
  return t;
}

Tag Tag::Unknown(std::string name, std::string value) {
  Tag t;
  t.type = TagType::kUnknown;
  t.name = std::move(name);
  t.has_value = !value.empty();
  t.value = std::move(value);
  return t;
}

Tag Tag::Comment(std::string text) {
  Tag t;
  t.type = TagType::kComment;
  t.value = std::move(text);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Attribute lists (RFC 8216 §4.2)

namespace {
constexpr size_t kLinearDuplicateCheck = 32;
}  // namespace

Result<AttributeList> AttributeList::Parse(std::string_view text) {
  AttributeList list;
  const size_t n = text.size();
  size_t i = 0;
  auto error = [](size_t pos, std::string what) {
    return Status::InvalidArgument("column " + std::to_string(pos + 1) + ": " + what);
  };
  while (true) {
    // Whitespace around names is not allowed by §4.2 but common after commas; skip it.
    while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= n) break;  // empty list, or a trailing comma (sloppy but harmless)
    const size_t name_start = i;
    while (i < n && text[i] != '=' && text[i] != ',') ++i;
    std::string_view name = TrimSpace(text.substr(name_start, i - name_start));
    if (name.empty()) return error(name_start, "expected an attribute name");
    for (size_t k = 0; k < name.size(); ++k) {
      char c = name[k];
      // §4.2 allows [A-Z0-9-]; lowercase appears in de-facto markers (CUE-OUT-CONT:ElapsedTime=).
      if (c == '"' || c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x20) {
        return error(name_start + k, "attribute name " + Quote(name) + " contains an invalid character");
      }
    }
    if (i >= n || text[i] != '=') {
      return error(i, "attribute " + Quote(name) + " has no '=' and value");
    }
    ++i;
    Attribute attr;
    attr.name = name;
    if (i < n && text[i] == '"') {
      // quoted-string: no '"', CR or LF inside (§4.2).
      const size_t open = i;
      size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) {
        return error(open, "attribute " + Quote(name) + ": quoted-string is not terminated");
      }
      attr.value = text.substr(open + 1, close - open - 1);
      attr.quoted = true;
      i = close + 1;
      while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < n && text[i] != ',') {
        return error(i, "attribute " + Quote(name) + ": unexpected text after the quoted-string");
      }
    } else {
      const size_t value_start = i;
      while (i < n && text[i] != ',') ++i;
      attr.value = TrimSpace(text.substr(value_start, i - value_start));
      if (attr.value.empty()) return error(value_start, "attribute " + Quote(name) + " has no value");
      size_t quote = attr.value.find('"');
      if (quote != std::string_view::npos) {
        return error(static_cast<size_t>(attr.value.data() - text.data()) + quote,
                     "attribute " + Quote(name) + ": unexpected '\"' in an unquoted value");
      }
    }
    // §4.2: "An AttributeName MUST NOT appear more than once in a given attribute-list."
    // Checked here for short lists; long (hostile) ones are checked below in O(n log n).
    if (list.attributes_.size() < kLinearDuplicateCheck && list.Find(name) != nullptr) {
      return error(name_start, "attribute " + Quote(name) + " appears more than once");
    }
    list.attributes_.push_back(attr);
    if (i < n) ++i;  // the comma
  }
  if (list.attributes_.size() > kLinearDuplicateCheck) {
    std::vector<const Attribute*> sorted;
    sorted.reserve(list.attributes_.size());
    for (const Attribute& a : list.attributes_) sorted.push_back(&a);
    std::sort(sorted.begin(), sorted.end(), [](const Attribute* a, const Attribute* b) {
      return a->name != b->name ? a->name < b->name : a->name.data() < b->name.data();
    });
    for (size_t k = 1; k < sorted.size(); ++k) {
      if (sorted[k]->name == sorted[k - 1]->name) {
        return error(static_cast<size_t>(sorted[k]->name.data() - text.data()),
                     "attribute " + Quote(sorted[k]->name) + " appears more than once");
      }
    }
  }
  return list;
}

const Attribute* AttributeList::Find(std::string_view name) const {
  for (const Attribute& a : attributes_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::optional<std::string_view> AttributeList::GetQuotedString(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || !a->quoted) return std::nullopt;
  return a->value;
}

std::optional<std::string_view> AttributeList::GetEnum(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || a->quoted) return std::nullopt;
  return a->value;
}

std::optional<int64_t> AttributeList::GetInteger(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || a->quoted) return std::nullopt;
  return DecimalInteger(a->value);
}

std::optional<double> AttributeList::GetFloat(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || a->quoted) return std::nullopt;
  return DecimalFloat(a->value);
}

std::optional<UnixMicros> AttributeList::GetDate(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || !a->quoted) return std::nullopt;
  Result<UnixMicros> t = ParseIso8601(a->value);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::optional<AttributeList::Resolution> AttributeList::GetResolution(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || a->quoted) return std::nullopt;
  size_t x = a->value.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  std::optional<int64_t> w = DecimalInteger(a->value.substr(0, x));
  std::optional<int64_t> h = DecimalInteger(a->value.substr(x + 1));
  if (!w || !h) return std::nullopt;
  return Resolution{*w, *h};
}

std::optional<std::string_view> AttributeList::GetHex(std::string_view name) const {
  const Attribute* a = Find(name);
  if (a == nullptr || a->quoted) return std::nullopt;
  std::string_view v = a->value;
  if (v.size() < 3 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) return std::nullopt;
  for (size_t i = 2; i < v.size(); ++i) {
    char c = v[i];
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) return std::nullopt;
  }
  return v;
}

Result<AttributeList> ParseTagAttributes(const Tag& tag) {
  Result<AttributeList> list = AttributeList::Parse(tag.value);
  if (list.ok()) return list;
  std::string name(tag.type == TagType::kUnknown ? std::string_view(tag.name) : TagName(tag.type));
  return Status::InvalidArgument(LineError(tag.line, name + ": " + list.status().message()));
}

void AttributeWriter::Sep(std::string_view name) {
  if (!text_.empty()) text_.push_back(',');
  text_.append(name);
  text_.push_back('=');
}

AttributeWriter& AttributeWriter::Quoted(std::string_view name, std::string_view value) {
  Sep(name);
  text_.push_back('"');
  text_.append(value);
  text_.push_back('"');
  return *this;
}

AttributeWriter& AttributeWriter::Enum(std::string_view name, std::string_view value) {
  Sep(name);
  text_.append(value);
  return *this;
}

AttributeWriter& AttributeWriter::Integer(std::string_view name, int64_t value) {
  Sep(name);
  AppendInt(value, &text_);
  return *this;
}

AttributeWriter& AttributeWriter::Float(std::string_view name, double value) {
  Sep(name);
  AppendDouble(value, &text_);
  return *this;
}

AttributeWriter& AttributeWriter::Date(std::string_view name, UnixMicros value) {
  Sep(name);
  text_.push_back('"');
  AppendIso8601Millis(value, &text_);
  text_.push_back('"');
  return *this;
}

AttributeWriter& AttributeWriter::Raw(std::string_view name, std::string_view value) {
  Sep(name);
  text_.append(value);
  return *this;
}

// ---------------------------------------------------------------------------------------------
// MediaSegment

MediaSegment::MediaSegment(double duration_s, std::string uri) : uri_(std::move(uri)) {
  std::string value;
  AppendFixed(duration_s, 3, &value);
  value.push_back(',');
  tags_.push_back(Tag::Make(TagType::kInf, std::move(value)));
  duration_s_ = duration_s;
}

std::string_view MediaSegment::title() const {
  const Tag* inf = Find(TagType::kInf);
  if (inf == nullptr) return {};
  size_t comma = inf->value.find(',');
  if (comma == std::string::npos) return {};
  return std::string_view(inf->value).substr(comma + 1);
}

int MediaSegment::line() const {
  const Tag* inf = Find(TagType::kInf);
  return inf == nullptr ? 0 : inf->line;
}

std::optional<UnixMicros> MediaSegment::program_date_time() const {
  const Tag* t = Find(TagType::kProgramDateTime);
  if (t == nullptr) return std::nullopt;
  Result<UnixMicros> pdt = ParseIso8601(TrimSpace(t->value));
  if (!pdt.ok()) return std::nullopt;
  return *pdt;
}

const Tag* MediaSegment::Find(TagType type) const {
  for (const Tag& t : tags_) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

void MediaSegment::SetDuration(double duration_s) {
  std::string value;
  AppendFixed(duration_s, 3, &value);
  value.push_back(',');
  for (Tag& t : tags_) {
    if (t.type == TagType::kInf) {
      value.append(title());
      t.value = std::move(value);
      t.has_value = true;
      duration_s_ = duration_s;
      return;
    }
  }
  tags_.push_back(Tag::Make(TagType::kInf, std::move(value)));
  duration_s_ = duration_s;
}

void MediaSegment::SetDiscontinuity(bool on) {
  if (!on) {
    RemoveTags(TagType::kDiscontinuity);
  } else if (!discontinuity()) {
    AddTag(Tag::Make(TagType::kDiscontinuity));
  }
}

void MediaSegment::SetProgramDateTime(std::optional<UnixMicros> pdt) {
  if (!pdt) {
    RemoveTags(TagType::kProgramDateTime);
    return;
  }
  std::string value;
  AppendIso8601Millis(*pdt, &value);
  for (Tag& t : tags_) {
    if (t.type == TagType::kProgramDateTime) {
      t.value = std::move(value);
      t.has_value = true;
      return;
    }
  }
  AddTag(Tag::Make(TagType::kProgramDateTime, std::move(value)));
}

void MediaSegment::AddTag(Tag tag) {
  auto inf = std::find_if(tags_.begin(), tags_.end(),
                          [](const Tag& t) { return t.type == TagType::kInf; });
  if (tag.type == TagType::kInf) {
    double d;
    if (inf == tags_.end() && ParseInfDuration(tag, &d).ok()) duration_s_ = d;
    tags_.push_back(std::move(tag));
    return;
  }
  tags_.insert(inf, std::move(tag));
}

void MediaSegment::RemoveTags(TagType type) {
  std::erase_if(tags_, [type](const Tag& t) { return t.type == type; });
  if (type == TagType::kInf) duration_s_ = 0;
}

Status MediaSegment::Refresh() {
  const Tag* inf = Find(TagType::kInf);
  if (inf == nullptr) {
    duration_s_ = 0;
    return Status::InvalidArgument("segment " + Quote(uri_) + " has no EXTINF");
  }
  double d;
  SSAI_RETURN_IF_ERROR(ParseInfDuration(*inf, &d));
  duration_s_ = d;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// MediaPlaylist

const Tag* MediaPlaylist::FindHeader(TagType type) const {
  for (const Tag& t : header_) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

Tag* MediaPlaylist::FindOrInsertHeader(TagType type) {
  for (Tag& t : header_) {
    if (t.type == type) return &t;
  }
  if (header_.empty() && type != TagType::kExtM3u) header_.push_back(Tag::Make(TagType::kExtM3u));
  // After the last header tag that canonically comes before this one; else at the end.
  const int rank = HeaderRank(type);
  size_t pos = header_.size();
  if (rank >= 0) {
    pos = 0;
    for (size_t i = 0; i < header_.size(); ++i) {
      int r = HeaderRank(header_[i].type);
      if (r >= 0 && r < rank) pos = i + 1;
    }
  }
  return &*header_.insert(header_.begin() + static_cast<std::ptrdiff_t>(pos), Tag::Make(type));
}

// The first occurrence in source order (header, segments, trailer), so that what an accessor
// reads is what a mutator rewrites, and both stay the same after Serialize + Parse moves a stray
// tag into the header (found by hls_playlist_fuzzer with a duplicated EXT-X-MEDIA-SEQUENCE).
const Tag* MediaPlaylist::FindPlaylistTag(TagType type) const {
  if (const Tag* t = FindHeader(type)) return t;
  if (stray_playlist_tags_) {
    for (const MediaSegment& s : segments_) {
      if (const Tag* t = s.Find(type)) return t;
    }
  }
  for (const Tag& t : trailer_) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

Tag* MediaPlaylist::FindOrInsertPlaylistTag(TagType type) {
  if (const Tag* t = FindPlaylistTag(type)) return const_cast<Tag*>(t);
  return FindOrInsertHeader(type);
}

int MediaPlaylist::version() const {
  const Tag* t = FindPlaylistTag(TagType::kVersion);
  if (t == nullptr) return 1;
  std::optional<int64_t> v = DecimalInteger(TrimSpace(t->value));
  if (!v || *v > 1'000'000) return 1;
  return static_cast<int>(*v);
}

std::optional<int64_t> MediaPlaylist::target_duration_s() const {
  const Tag* t = FindPlaylistTag(TagType::kTargetDuration);
  if (t == nullptr) return std::nullopt;
  return DecimalInteger(TrimSpace(t->value));
}

int64_t MediaPlaylist::media_sequence() const {
  const Tag* t = FindPlaylistTag(TagType::kMediaSequence);
  if (t == nullptr) return 0;
  return DecimalInteger(TrimSpace(t->value)).value_or(0);
}

int64_t MediaPlaylist::discontinuity_sequence() const {
  const Tag* t = FindPlaylistTag(TagType::kDiscontinuitySequence);
  if (t == nullptr) return 0;
  return DecimalInteger(TrimSpace(t->value)).value_or(0);
}

bool MediaPlaylist::endlist() const {
  // Usually the last line, so look at the trailer first.
  for (auto it = trailer_.rbegin(); it != trailer_.rend(); ++it) {
    if (it->type == TagType::kEndList) return true;
  }
  return FindPlaylistTag(TagType::kEndList) != nullptr;
}

std::optional<std::string_view> MediaPlaylist::playlist_type() const {
  const Tag* t = FindPlaylistTag(TagType::kPlaylistType);
  if (t == nullptr) return std::nullopt;
  return TrimSpace(t->value);
}

void MediaPlaylist::SetVersion(int version) {
  SetIntValue(FindOrInsertPlaylistTag(TagType::kVersion), version);
}

void MediaPlaylist::SetTargetDuration(int64_t seconds) {
  SetIntValue(FindOrInsertPlaylistTag(TagType::kTargetDuration), seconds);
}

void MediaPlaylist::SetMediaSequence(int64_t msn) {
  SetIntValue(FindOrInsertPlaylistTag(TagType::kMediaSequence), msn);
}

void MediaPlaylist::SetDiscontinuitySequence(int64_t dsn) {
  SetIntValue(FindOrInsertPlaylistTag(TagType::kDiscontinuitySequence), dsn);
}

// RFC 8216 §4.3.3.3 / bis §4.4.3.3 with §6.2.2: a DISCONTINUITY tag on segment i starts a new
// discontinuity sequence number at i. The tag on the first segment counts too: while it is still
// in the playlist the server has not bumped DISCONTINUITY-SEQUENCE for it (§6.2.2 bumps it only
// when the tag is removed), so counting it keeps every segment's number stable across reloads.
int64_t MediaPlaylist::DiscontinuitySequenceOf(size_t index) const {
  int64_t dsn = discontinuity_sequence();
  const size_t end = std::min(index + 1, segments_.size());
  for (size_t i = 0; i < end; ++i) {
    if (segments_[i].discontinuity()) ++dsn;
  }
  return dsn;
}

// RFC 8216 §4.3.2.6: PDT applies to the segment it precedes; later segments' times follow by
// adding EXTINF durations. Segments before the first PDT are placed by subtracting durations
// (what players do; the RFC leaves it implicit).
std::optional<UnixMicros> MediaPlaylist::SegmentStartTime(size_t index) const {
  if (index >= segments_.size()) return std::nullopt;
  DurationMicros offset_us = 0;
  for (size_t i = index + 1; i-- > 0;) {
    if (i < index) offset_us += SecondsToMicros(segments_[i].duration_s());
    if (std::optional<UnixMicros> pdt = segments_[i].program_date_time()) return *pdt + offset_us;
  }
  offset_us = 0;
  for (size_t i = index; i + 1 < segments_.size(); ++i) {
    offset_us += SecondsToMicros(segments_[i].duration_s());
    if (std::optional<UnixMicros> pdt = segments_[i + 1].program_date_time()) return *pdt - offset_us;
  }
  return std::nullopt;
}

std::vector<std::optional<UnixMicros>> MediaPlaylist::SegmentStartTimes() const {
  const size_t n = segments_.size();
  std::vector<std::optional<UnixMicros>> out(n);
  // Forward: the nearest earlier PDT plus the durations since (the same integer sums as
  // SegmentStartTime, so the same instants).
  std::optional<UnixMicros> running;
  size_t first_pdt = n;
  for (size_t i = 0; i < n; ++i) {
    if (std::optional<UnixMicros> pdt = segments_[i].program_date_time()) {
      running = *pdt;
      if (first_pdt == n) first_pdt = i;
    }
    out[i] = running;
    if (running) *running += SecondsToMicros(segments_[i].duration_s());
  }
  // Backward from the first PDT for the segments before it.
  if (first_pdt < n) {
    UnixMicros t = *out[first_pdt];
    for (size_t i = first_pdt; i-- > 0;) {
      t -= SecondsToMicros(segments_[i].duration_s());
      out[i] = t;
    }
  }
  return out;
}

double MediaPlaylist::TotalDuration() const {
  double total_s = 0;
  for (const MediaSegment& s : segments_) total_s += s.duration_s();
  return total_s;
}

// ---------------------------------------------------------------------------------------------
// MasterPlaylist

int MasterPlaylist::version() const {
  for (const MasterItem& item : items_) {
    if (item.tag.type == TagType::kVersion) {
      std::optional<int64_t> v = DecimalInteger(TrimSpace(item.tag.value));
      if (!v || *v > 1'000'000) return 1;
      return static_cast<int>(*v);
    }
  }
  return 1;
}

std::vector<VariantInfo> MasterPlaylist::Variants() const {
  std::vector<VariantInfo> out;
  for (size_t i = 0; i < items_.size(); ++i) {
    const MasterItem& item = items_[i];
    if (item.tag.type != TagType::kStreamInf) continue;
    VariantInfo v;
    v.item_index = i;
    v.uri = item.uri;
    // A malformed attribute list leaves the fields at their defaults; lint reports it.
    Result<AttributeList> attrs = AttributeList::Parse(item.tag.value);
    if (attrs.ok()) {
      v.bandwidth = attrs->GetInteger("BANDWIDTH").value_or(0);
      v.average_bandwidth = attrs->GetInteger("AVERAGE-BANDWIDTH");
      v.codecs = std::string(attrs->GetQuotedString("CODECS").value_or(""));
      v.resolution = std::string(attrs->GetEnum("RESOLUTION").value_or(""));
      v.audio_group = std::string(attrs->GetQuotedString("AUDIO").value_or(""));
      v.subtitles_group = std::string(attrs->GetQuotedString("SUBTITLES").value_or(""));
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<MediaInfo> MasterPlaylist::Media() const {
  std::vector<MediaInfo> out;
  for (size_t i = 0; i < items_.size(); ++i) {
    const MasterItem& item = items_[i];
    if (item.tag.type != TagType::kMedia) continue;
    MediaInfo m;
    m.item_index = i;
    Result<AttributeList> attrs = AttributeList::Parse(item.tag.value);
    if (attrs.ok()) {
      m.type = std::string(attrs->GetEnum("TYPE").value_or(""));
      m.group_id = std::string(attrs->GetQuotedString("GROUP-ID").value_or(""));
      m.name = std::string(attrs->GetQuotedString("NAME").value_or(""));
      m.language = std::string(attrs->GetQuotedString("LANGUAGE").value_or(""));
      m.uri = std::string(attrs->GetQuotedString("URI").value_or(""));
      m.is_default = attrs->GetEnum("DEFAULT").value_or("") == "YES";
      m.autoselect = attrs->GetEnum("AUTOSELECT").value_or("") == "YES";
      m.forced = attrs->GetEnum("FORCED").value_or("") == "YES";
    }
    out.push_back(std::move(m));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
 public:
  static Result<MediaPlaylist> Media(std::string_view text);
  static Result<MasterPlaylist> Master(std::string_view text);
};

namespace {

std::string KindError(const Tag& tag, Kind own, int own_line, TagType own_type) {
  const bool media = own == Kind::kMedia;
  std::string s(TagName(tag.type));
  s += media ? " is a multivariant playlist tag, but this is a media playlist"
             : " is a media playlist tag, but this is a multivariant playlist";
  if (own_line > 0) {
    s += " (";
    s += TagName(own_type);
    s += " at line ";
    s += std::to_string(own_line);
    s += ")";
  }
  return LineError(tag.line, s);
}

}  // namespace

Result<MediaPlaylist> Parser::Media(std::string_view text) {
  SSAI_RETURN_IF_ERROR(CheckPreamble(text));
  MediaPlaylist pl;
  LineReader reader(text);
  pl.crlf_ = reader.crlf();
  SSAI_RETURN_IF_ERROR(reader.CheckLineCount());
  // Capped: the estimate comes from untrusted input, and vectors grow fine past it.
  pl.segments_.reserve(std::min<size_t>(reader.uri_lines_estimate(), 4096));
  pl.header_.reserve(8);

  bool in_header = true;
  MediaSegment current;
  current.tags_.reserve(4);
  int inf_line = 0;           // line of the pending segment's EXTINF, 0 if none yet
  bool pending_stray = false; // a playlist-level tag among the pending segment's lines
  int first_media_line = 0;   // first media-only tag, for mixed-playlist errors
  TagType first_media_type = TagType::kInf;

  std::string_view line;
  bool terminated = true;
  while (reader.Next(&line, &terminated)) {
    const int line_no = reader.line_no();
    if (IsUriLine(line)) {
      // RFC 8216 §4.3.2.1: "This tag is REQUIRED for each Media Segment."
      if (inf_line == 0) {
        return Status::InvalidArgument(LineError(line_no, "URI " + Quote(line) + " has no EXTINF"));
      }
      current.uri_.assign(line);
      current.uri_line_ = line_no;
      pl.segments_.push_back(std::move(current));
      current = MediaSegment();
      current.tags_.reserve(4);
      if (pending_stray) pl.stray_playlist_tags_ = true;
      pending_stray = false;
      inf_line = 0;
      in_header = false;
      continue;
    }
    Tag tag;
    FillTag(line, line_no, &tag);
    const TagType type = tag.type;
    const Kind kind = KindOf(type);
    if (kind == Kind::kMaster) {
      return Status::InvalidArgument(KindError(tag, Kind::kMedia, first_media_line, first_media_type));
    }
    if (kind == Kind::kMedia && first_media_line == 0) {
      first_media_line = line_no;
      first_media_type = type;
    }
    if (type == TagType::kInf) {
      if (inf_line != 0) {
        return Status::InvalidArgument(LineError(inf_line, "EXTINF without a URI"));
      }
      SSAI_RETURN_IF_ERROR(ParseInfDuration(tag, &current.duration_s_));
      inf_line = line_no;
    } else if (IsIntegerTag(type)) {
      SSAI_RETURN_IF_ERROR(CheckIntegerTag(tag));
    }
    const bool playlist_level = IsPlaylistLevelTag(type);
    if (in_header) {
      // The header runs until the first segment-level tag (or URI); comments, blank lines and
      // unknown tags before that stay in it.
      const bool segment_level = !playlist_level && type != TagType::kUnknown &&
                                 type != TagType::kComment && type != TagType::kBlank;
      if (!segment_level) {
        pl.header_.push_back(std::move(tag));
        continue;
      }
      in_header = false;
    }
    if (playlist_level) pending_stray = true;
    current.tags_.push_back(std::move(tag));
  }
  if (inf_line != 0) return Status::InvalidArgument(LineError(inf_line, "EXTINF without a URI"));
  pl.trailer_ = std::move(current.tags_);
  pl.final_newline_ = terminated;
  return pl;
}

Result<MasterPlaylist> Parser::Master(std::string_view text) {
  SSAI_RETURN_IF_ERROR(CheckPreamble(text));
  MasterPlaylist pl;
  LineReader reader(text);
  pl.crlf_ = reader.crlf();
  SSAI_RETURN_IF_ERROR(reader.CheckLineCount());
  pl.items_.reserve(std::min<size_t>(reader.lines_estimate(), 64));
  int first_master_line = 0;
  TagType first_master_type = TagType::kStreamInf;
  size_t pending = SIZE_MAX;  // index of an EXT-X-STREAM-INF still waiting for its URI

  std::string_view line;
  bool terminated = true;
  while (reader.Next(&line, &terminated)) {
    const int line_no = reader.line_no();
    if (IsUriLine(line)) {
      // RFC 8216 §4.3.4.2: EXT-X-STREAM-INF is followed by the URI of its Media Playlist.
      if (pending == SIZE_MAX) {
        return Status::InvalidArgument(
            LineError(line_no, "URI " + Quote(line) + " does not follow an EXT-X-STREAM-INF"));
      }
      pl.items_[pending].uri.assign(line);
      pl.items_[pending].uri_line = line_no;
      pending = SIZE_MAX;
      continue;
    }
    Tag tag;
    FillTag(line, line_no, &tag);
    const TagType type = tag.type;
    if (pending != SIZE_MAX) {
      if (type == TagType::kComment || type == TagType::kBlank || type == TagType::kUnknown) {
        pl.items_[pending].between.push_back(std::move(tag));
        continue;
      }
      return Status::InvalidArgument(LineError(pl.items_[pending].tag.line,
                                               "EXT-X-STREAM-INF without a URI (line " +
                                                   std::to_string(line_no) + " is a tag)"));
    }
    const Kind kind = KindOf(type);
    if (kind == Kind::kMedia) {
      return Status::InvalidArgument(KindError(tag, Kind::kMaster, first_master_line, first_master_type));
    }
    if (kind == Kind::kMaster && first_master_line == 0) {
      first_master_line = line_no;
      first_master_type = type;
    }
    if (type == TagType::kVersion) SSAI_RETURN_IF_ERROR(CheckIntegerTag(tag));
    MasterItem& item = pl.items_.emplace_back();
    item.tag = std::move(tag);
    if (type == TagType::kStreamInf) pending = pl.items_.size() - 1;
  }
  if (pending != SIZE_MAX) {
    return Status::InvalidArgument(LineError(pl.items_[pending].tag.line, "EXT-X-STREAM-INF without a URI"));
  }
  pl.final_newline_ = terminated;
  return pl;
}

Result<MediaPlaylist> ParseMedia(std::string_view text) { return Parser::Media(text); }

Result<MasterPlaylist> ParseMaster(std::string_view text) { return Parser::Master(text); }

Result<Playlist> Parse(std::string_view text) {
  SSAI_RETURN_IF_ERROR(CheckPreamble(text));
  // The first tag that belongs to only one kind decides; the kind's parser reports any tag of the
  // other kind with this one as context.
  LineReader reader(text);
  std::string_view line;
  bool terminated;
  Kind kind = Kind::kEither;
  while (kind == Kind::kEither && reader.Next(&line, &terminated)) {
    if (!IsTagLine(line)) continue;
    size_t value_start;
    bool has_value;
    kind = KindOf(TagTypeFromName(TagLineName(line, &value_start, &has_value)));
  }
  if (kind == Kind::kMaster) {
    SSAI_ASSIGN_OR_RETURN(MasterPlaylist master, Parser::Master(text));
    return Playlist(std::move(master));
  }
  SSAI_ASSIGN_OR_RETURN(MediaPlaylist media, Parser::Media(text));
  return Playlist(std::move(media));
}

// ---------------------------------------------------------------------------------------------
// Writers

void SerializeTo(const MediaPlaylist& playlist, std::string* out) {
  const std::string_view eol = playlist.crlf() ? "\r\n" : "\n";
  size_t size = 0;
  // Exact, line ends included, so a large playlist is written without one reallocation.
  for (const Tag& t : playlist.header()) size += TagLineSize(t) + eol.size();
  for (const MediaSegment& s : playlist.segments()) {
    for (const Tag& t : s.tags()) size += TagLineSize(t) + eol.size();
    size += s.uri().size() + eol.size();
  }
  for (const Tag& t : playlist.trailer()) size += TagLineSize(t) + eol.size();
  out->reserve(out->size() + size);
  const size_t start = out->size();
  for (const Tag& t : playlist.header()) {
    AppendTagLine(t, out);
    out->append(eol);
  }
  for (const MediaSegment& s : playlist.segments()) {
    for (const Tag& t : s.tags()) {
      AppendTagLine(t, out);
      out->append(eol);
    }
    out->append(s.uri());
    out->append(eol);
  }
  for (const Tag& t : playlist.trailer()) {
    AppendTagLine(t, out);
    out->append(eol);
  }
  if (!playlist.final_newline() && out->size() - start >= eol.size()) {
    out->resize(out->size() - eol.size());
  }
}

void SerializeTo(const MasterPlaylist& playlist, std::string* out) {
  const std::string_view eol = playlist.crlf() ? "\r\n" : "\n";
  const size_t start = out->size();
  for (const MasterItem& item : playlist.items()) {
    AppendTagLine(item.tag, out);
    out->append(eol);
    if (item.tag.type != TagType::kStreamInf) continue;
    for (const Tag& t : item.between) {
      AppendTagLine(t, out);
      out->append(eol);
    }
    out->append(item.uri);
    out->append(eol);
  }
  if (!playlist.final_newline() && out->size() - start >= eol.size()) {
    out->resize(out->size() - eol.size());
  }
}

std::string Serialize(const MediaPlaylist& playlist) {
  std::string out;
  SerializeTo(playlist, &out);
  return out;
}

std::string Serialize(const MasterPlaylist& playlist) {
  std::string out;
  SerializeTo(playlist, &out);
  return out;
}

std::optional<std::string> KeyFormatOf(std::string_view key_value) {
  Result<AttributeList> a = AttributeList::Parse(key_value);
  if (!a.ok()) return std::string("identity");  // unreadable: one key of the default format
  if (a->GetEnum("METHOD") == std::optional<std::string_view>("NONE")) return std::nullopt;
  return std::string(a->GetQuotedString("KEYFORMAT").value_or("identity"));
}

void MediaInitState::Apply(const Tag& tag) {
  if (tag.type == TagType::kMap) {
    map = tag.value;
    return;
  }
  if (tag.type != TagType::kKey) return;
  std::optional<std::string> format = KeyFormatOf(tag.value);
  if (!format) {
    keys.clear();
    return;
  }
  for (auto& k : keys) {
    if (k.first == *format) {
      k.second = tag.value;
      return;
    }
  }
  keys.emplace_back(std::move(*format), tag.value);
}

bool operator==(const MediaInitState& a, const MediaInitState& b) {
  if (a.map != b.map || a.keys.size() != b.keys.size()) return false;
  for (const auto& k : a.keys) {
    if (std::find(b.keys.begin(), b.keys.end(), k) == b.keys.end()) return false;
  }
  return true;
}

void ForEachInterstitial(const MediaPlaylist& playlist, const std::function<void(const AttributeList&)>& fn) {
  auto scan = [&](const Tag& t) {
    if (t.type != TagType::kDateRange) return;
    Result<AttributeList> a = AttributeList::Parse(t.value);
    if (!a.ok() || a->GetQuotedString("CLASS") != std::optional<std::string_view>("com.apple.hls.interstitial")) return;
    fn(*a);
  };
  for (const MediaSegment& s : playlist.segments()) {
    for (const Tag& t : s.tags()) scan(t);
  }
  for (const Tag& t : playlist.trailer()) scan(t);
}

}  // namespace ssai::hls
