#include "reference/media/hls/lint.h"

#include "reference/base/url.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <set>
#include <utility>

#include "reference/base/strings.h"
#include "reference/base/time.h"

namespace ssai::hls {

// ---------------------------------------------------------------------------------------------
// Rule catalogue.
// ---------------------------------------------------------------------------------------------

namespace {

constexpr Severity kE = Severity::kError;
constexpr Severity kW = Severity::kWarning;

const std::vector<RuleInfo>& Catalogue() {
  static const std::vector<RuleInfo> kRules = {
      // Both kinds of playlist.
      {"hls.extm3u.first_line", "RFC 8216 §4.3.1.1 / bis §4.4.1.1", kE, RuleScope::kBoth,
       "the first line is #EXTM3U"},
      {"hls.attributes.valid", "RFC 8216 §4.2 / bis §4.2", kE, RuleScope::kBoth,
       "attribute lists parse and name no attribute twice"},
      {"hls.tags.once", "RFC 8216 §4.3.1.2, §4.3.3 / bis §4.4.1.2, §4.4.3, §4.4.5.2", kE,
       RuleScope::kBoth, "EXT-X-VERSION, Media Playlist tags and EXT-X-SKIP appear at most once"},
      {"hls.version.min_for_features", "RFC 8216 §7 / bis §8", kE, RuleScope::kBoth,
       "EXT-X-VERSION is high enough for the tags and attributes used (float EXTINF 3, BYTERANGE "
       "4, "
       "KEYFORMAT 5, MAP 6, DEFINE 8, SKIP 9, ...)"},
      {"hls.version.not_higher_than_needed", "bis §6.2.1, §8", kW, RuleScope::kBoth,
       "EXT-X-VERSION is not greater than the tags and attributes require"},
      // Media playlists.
      {"hls.target_duration.required", "RFC 8216 §4.3.3.1 / bis §4.4.3.1", kE, RuleScope::kMedia,
       "EXT-X-TARGETDURATION is present and a decimal-integer of at least 1"},
      {"hls.target_duration.bound", "RFC 8216 §4.3.3.1 / bis §4.4.3.1, §6.2.1", kE,
       RuleScope::kMedia,
       "every EXTINF, rounded to the nearest integer, is <= EXT-X-TARGETDURATION"},
      {"hls.segment.tag_order", "RFC 8216 §4.3.2 / bis §4.4.4", kW, RuleScope::kMedia,
       "a segment's tags come before its EXTINF (\"a series of Media Segment tags followed by a URI\" "
       "allows them between EXTINF and the URI, but players and packagers differ)"},
      {"hls.segment.duration_positive", "RFC 8216 §4.3.2.1 / bis §4.4.4.1", kE, RuleScope::kMedia,
       "every segment has an EXTINF whose duration is a decimal number, not negative"},
      {"hls.segment.duration_zero", "RFC 8216 §4.3.2.1 / bis §4.4.4.1 (not a spec rule)", kW,
       RuleScope::kMedia,
       "no EXTINF of 0: legal (the spec asks only for a decimal number) but a segment that plays "
       "for no time"},
      {"hls.segment.short_at_splice", "hls.js #2924 (not a spec rule)", kW, RuleScope::kMedia,
       "no segment shorter than 0.5 s at a DISCONTINUITY or cue (players stall on them)"},
      {"hls.media_sequence.before_first_segment", "RFC 8216 §4.3.3.2 / bis §4.4.3.2", kE,
       RuleScope::kMedia, "EXT-X-MEDIA-SEQUENCE appears before the first media segment"},
      {"hls.discontinuity_sequence.before_first_segment", "RFC 8216 §4.3.3.3 / bis §4.4.3.3", kE,
       RuleScope::kMedia,
       "EXT-X-DISCONTINUITY-SEQUENCE appears before the first segment and any EXT-X-DISCONTINUITY"},
      {"hls.playlist.min_duration", "RFC 8216 §6.2.2 / bis §6.2.2", kW, RuleScope::kMedia,
       "a live playlist that has had segments removed lasts at least 3 x target duration"},
      {"hls.pdt.valid", "RFC 8216 §4.3.2.6 / bis §4.4.4.6", kE, RuleScope::kMedia,
       "EXT-X-PROGRAM-DATE-TIME is an ISO 8601 date-time"},
      {"hls.pdt.on_discontinuity", "bis §6.2.1", kW, RuleScope::kMedia,
       "when PDT is used, every segment with EXT-X-DISCONTINUITY has its own PDT"},
      {"hls.pdt.unambiguous", "RFC 8216 §6.2.1 / bis §6.2.1", kE, RuleScope::kMedia,
       "PDTs keep the date-to-segment mapping unambiguous (only sub-second partial overlap)"},
      {"hls.daterange.id_required_unique", "RFC 8216 §4.3.2.7 / bis §4.4.5.1, §6.2.1", kE,
       RuleScope::kMedia,
       "every EXT-X-DATERANGE has a quoted-string ID, not reused for a new range across reloads"},
      {"hls.daterange.start_date", "RFC 8216 §4.3.2.7 / bis §4.4.5.1", kE, RuleScope::kMedia,
       "the first EXT-X-DATERANGE of an ID has a quoted ISO 8601 START-DATE"},
      {"hls.daterange.requires_pdt", "RFC 8216 §4.3.2.7 / bis §4.4.5.1", kE, RuleScope::kMedia,
       "a playlist with EXT-X-DATERANGE has at least one EXT-X-PROGRAM-DATE-TIME"},
      {"hls.daterange.end_consistency", "RFC 8216 §4.3.2.7 / bis §4.4.5.1", kE, RuleScope::kMedia,
       "END-DATE >= START-DATE, DURATION and PLANNED-DURATION >= 0, END-DATE = START-DATE + "
       "DURATION"},
      {"hls.daterange.end_on_next", "bis §4.4.5.1", kE, RuleScope::kMedia,
       "END-ON-NEXT=YES has a CLASS and no DURATION/END-DATE; ranges of its CLASS do not overlap"},
      {"hls.daterange.cue_values", "bis §4.4.5.1", kE, RuleScope::kMedia,
       "CUE is a quoted list of PRE, POST, ONCE without both PRE and POST"},
      {"hls.daterange.same_id_same_values", "RFC 8216 §4.3.2.7 / bis §4.4.5.1, §4.4.5.1.1", kE,
       RuleScope::kMedia,
       "EXT-X-DATERANGE tags with the same ID (in one playlist or across reloads) do not change "
       "an attribute"},
      {"hls.scte35.hex_attributes", "RFC 8216 §4.3.2.7.1 / bis §4.4.5.1.1", kE, RuleScope::kMedia,
       "SCTE35-CMD/OUT/IN are unquoted hexadecimal-sequences (0x...) of whole bytes"},
      {"hls.interstitial.class", "bis Appendix D.2", kE, RuleScope::kMedia,
       "a date range with X-ASSET-URI or X-ASSET-LIST has CLASS=\"com.apple.hls.interstitial\""},
      {"hls.interstitial.asset_xor", "bis Appendix D.2", kE, RuleScope::kMedia,
       "an interstitial has exactly one of X-ASSET-URI (absolute) and X-ASSET-LIST"},
      {"hls.interstitial.snap_restrict", "bis Appendix D.2", kE, RuleScope::kMedia,
       "X-SNAP is a quoted list of OUT/IN; X-RESTRICT a quoted list of SKIP/JUMP"},
      {"hls.interstitial.resume_offset", "bis Appendix D.2", kE, RuleScope::kMedia,
       "X-RESUME-OFFSET is a signed decimal float; X-PLAYOUT-LIMIT a non-negative one"},
      {"hls.cue.out_duration_valid", "de-facto EXT-X-CUE-OUT (MediaTailor, Adobe)", kE,
       RuleScope::kMedia,
       "EXT-X-CUE-OUT / CUE-OUT-CONT durations and elapsed times are non-negative numbers"},
      {"hls.cue.out_without_in", "de-facto EXT-X-CUE-OUT/IN; bis §6.2.1 (splice must end)", kE,
       RuleScope::kMedia,
       "a CUE-OUT is closed by a CUE-IN once the window runs past the break's duration"},
      {"hls.cue.in_without_out", "de-facto EXT-X-CUE-OUT/IN", kW, RuleScope::kMedia,
       "a CUE-IN follows a CUE-OUT or CUE-OUT-CONT in the window"},
      {"hls.cue.cont_elapsed_increasing", "de-facto EXT-X-CUE-OUT-CONT", kE, RuleScope::kMedia,
       "CUE-OUT-CONT ElapsedTime grows with the segment durations and stays within Duration"},
      // Multivariant playlists.
      {"hls.master.bandwidth_required", "RFC 8216 §4.3.4.2 / bis §4.4.6.2, §4.4.6.3", kE,
       RuleScope::kMaster,
       "EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF have a decimal-integer BANDWIDTH"},
      {"hls.master.codecs_present", "bis §4.4.6.2", kW, RuleScope::kMaster,
       "every EXT-X-STREAM-INF has a CODECS attribute"},
      {"hls.master.stream_inf_uri", "RFC 8216 §4.3.4.2 / bis §4.4.6.2, §4.4.6.3", kE,
       RuleScope::kMaster,
       "EXT-X-STREAM-INF is followed by a URI line; EXT-X-I-FRAME-STREAM-INF has URI"},
      {"hls.master.group_defined", "RFC 8216 §4.3.4.2 / bis §4.4.6.2", kE, RuleScope::kMaster,
       "AUDIO/VIDEO/SUBTITLES/CLOSED-CAPTIONS name an EXT-X-MEDIA group of that TYPE"},
      // Reloads of one media playlist.
      {"hls.media_sequence.monotonic", "RFC 8216 §6.2.2 / bis §6.2.2", kE, RuleScope::kReload,
       "EXT-X-MEDIA-SEQUENCE never decreases between reloads"},
      {"hls.media_sequence.stable_mapping", "RFC 8216 §6.2.1 / bis §6.2.1, §6.2.2", kE,
       RuleScope::kReload,
       "a segment keeps its URI and duration under its media sequence number across reloads"},
      {"hls.playlist.head_only_removal", "RFC 8216 §6.2.2 / bis §6.2.1, §6.2.2", kE,
       RuleScope::kReload, "segments are removed only from the head of the playlist, in order"},
      {"hls.discontinuity_sequence.on_removal", "RFC 8216 §6.2.2 / bis §6.2.2, §4.4.3.3", kE,
       RuleScope::kReload,
       "when an EXT-X-DISCONTINUITY slides out, DISCONTINUITY-SEQUENCE grows so every segment "
       "keeps its DSN"},
      {"hls.discontinuity_sequence.monotonic", "RFC 8216 §6.2.2 / bis §6.2.2", kE,
       RuleScope::kReload, "EXT-X-DISCONTINUITY-SEQUENCE never decreases between reloads"},
      {"hls.discontinuity.stable_position", "RFC 8216 §4.3.2.3, §6.2.1 / bis §4.4.4.3, §6.2.1", kE,
       RuleScope::kReload,
       "an EXT-X-DISCONTINUITY stays on its segment across reloads (the head segment aside, where "
       "DISCONTINUITY-SEQUENCE may stand for it)"},
      {"hls.target_duration.constant", "RFC 8216 §6.2.1 / bis §6.2.1", kE, RuleScope::kReload,
       "EXT-X-TARGETDURATION does not change between reloads"},
      {"hls.daterange.no_early_removal", "RFC 8216 §6.2.1 / bis §6.2.1", kE, RuleScope::kReload,
       "a date range is not removed while a date in it maps to a segment still in the playlist"},
      {"hls.playlist_type.absent_live", "bis §6.2.2, §6.2.1, §4.4.3.5", kE, RuleScope::kReload,
       "a playlist that removes segments (sliding live window) has no EXT-X-PLAYLIST-TYPE"},
      {"hls.playlist.endlist_final", "RFC 8216 §6.2.1 / bis §4.4.3.4, §6.2.1", kE,
       RuleScope::kReload,
       "after EXT-X-ENDLIST (or with PLAYLIST-TYPE:VOD) the segment list no longer changes"},
  };
  return kRules;
}

size_t RuleIndex(std::string_view id) {
  const auto& rules = Catalogue();
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].id == id) return i;
  }
  return rules.size();
}

// ---------------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kInterstitialClass = "com.apple.hls.interstitial";
constexpr DurationMicros kMaxPdtOverlap = kMicrosPerSecond;  // bis §6.2.1: "sub-second" overlap
constexpr double kShortSegmentS = 0.5;
constexpr double kCueToleranceS = 1.0;

class Sink {
 public:
  explicit Sink(std::vector<Finding>* out) : out_(out) {}
  void Add(std::string_view id, int line, std::string message) {
    const RuleInfo* rule = FindRule(id);
    assert(rule != nullptr && "lint rule missing from the catalogue");
    Finding f;
    f.rule_id = std::string(id);
    f.line = line;
    f.severity = rule != nullptr ? rule->severity : Severity::kError;
    f.message = std::move(message);
    out_->push_back(std::move(f));
  }

 private:
  std::vector<Finding>* out_;
};

// By line, then catalogue order; stable otherwise (source order within a rule).
void SortFindings(std::vector<Finding>* findings) {
  std::vector<std::pair<std::pair<int, size_t>, size_t>> keys;
  keys.reserve(findings->size());
  for (size_t i = 0; i < findings->size(); ++i) {
    keys.push_back({{(*findings)[i].line, RuleIndex((*findings)[i].rule_id)}, i});
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Finding> sorted;
  sorted.reserve(findings->size());
  for (const auto& k : keys) sorted.push_back(std::move((*findings)[k.second]));
  *findings = std::move(sorted);
}

std::string Sec(double s) { return FormatDouble(s); }

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out.push_back('"');
  return out;
}

// An attribute value as written: quoted-strings with their quotes.
std::string Shown(const Attribute& a) { return a.quoted ? Quote(a.value) : std::string(a.value); }

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Splits on `sep`, ignoring separators inside double quotes; pieces are trimmed.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool in_quotes = false;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == sep && !in_quotes)) {
      out.push_back(TrimWhitespace(s.substr(start, i - start)));
      start = i + 1;
    } else if (s[i] == '"') {
      in_quotes = !in_quotes;
    }
  }
  return out;
}

std::string_view StripQuotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// ISO 8601 date-time. bis §4.4.5.1: "If no time zone is indicated, the client SHOULD treat the
// time zone as UTC", so a missing offset is accepted here as UTC (ParseIso8601 rejects it).
std::optional<UnixMicros> ParseDate(std::string_view text) {
  text = TrimWhitespace(text);
  Result<UnixMicros> r = ParseIso8601(text);
  if (r.ok()) return *r;
  if (text.empty()) return std::nullopt;
  std::string with_zone(text);
  with_zone.push_back('Z');
  Result<UnixMicros> r2 = ParseIso8601(with_zone);
  if (r2.ok()) return *r2;
  return std::nullopt;
}


// Tags whose value is an attribute list (RFC 8216 §4.2 / bis §4.2).
bool HasAttributeList(TagType type) {
  switch (type) {
    case TagType::kStart:
    case TagType::kDefine:
    case TagType::kPartInf:
    case TagType::kServerControl:
    case TagType::kKey:
    case TagType::kMap:
    case TagType::kPart:
    case TagType::kDateRange:
    case TagType::kSkip:
    case TagType::kPreloadHint:
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

std::string TagLabel(const Tag& tag) {
  if (tag.type == TagType::kUnknown) return "#" + tag.name;
  return "#" + std::string(TagName(tag.type));
}

// A tag of the playlist together with where it sits.
struct TagRef {
  const Tag* tag;
  size_t segment;  // index of the segment it precedes; segments().size() for the trailer
  enum Where : uint8_t { kHeader, kSegment, kTrailer } where;
  std::optional<AttributeList> attrs;  // parsed once, for attribute-list tags that parse
};

// Runs the attribute-list check on one tag and returns the parsed list when it is valid.
std::optional<AttributeList> ParseAttributes(const Tag& tag, Sink& sink) {
  if (!HasAttributeList(tag.type)) return std::nullopt;
  Result<AttributeList> parsed = AttributeList::Parse(tag.value);
  if (!parsed.ok()) {
    sink.Add("hls.attributes.valid", tag.line, TagLabel(tag) + ": " + parsed.status().message());
    return std::nullopt;
  }
  // AttributeList::Parse also rejects a repeated AttributeName (RFC 8216 §4.2).
  return std::move(parsed).value();
}

// ---------------------------------------------------------------------------------------------
// Rules shared by both kinds of playlist.
// ---------------------------------------------------------------------------------------------

void CheckFirstLine(const Tag* first, Sink& sink) {
  // RFC 8216 §4.3.1.1: "It MUST be the first line of every Media Playlist and every Master
  // Playlist."
  if (first == nullptr || first->type != TagType::kExtM3u) {
    sink.Add("hls.extm3u.first_line", first != nullptr ? first->line : 1,
             "the first line must be #EXTM3U");
  } else if (first->line > 1) {
    sink.Add("hls.extm3u.first_line", first->line,
             "#EXTM3U must be line 1, not line " + std::to_string(first->line));
  }
}

// A feature that needs a minimum EXT-X-VERSION (bis §8).
struct VersionFeature {
  int version;
  std::string what;
  int line;
};

class VersionNeeds {
 public:
  void Need(int version, std::string_view what, int line) {
    for (const auto& f : features_) {
      if (f.what == what) return;  // first occurrence only
    }
    features_.push_back({version, std::string(what), line});
  }
  // Something that makes a version legitimate without being required by §8 (v6 target-duration
  // rounding semantics).
  void Justify(int version) { justified_ = std::max(justified_, version); }

  void Check(const Tag* version_tag, Sink& sink) const {
    int declared = 1;
    if (version_tag != nullptr) {
      std::optional<int64_t> v = ParseInt64(TrimWhitespace(version_tag->value));
      if (!v || *v < 1) {
        sink.Add("hls.version.min_for_features", version_tag->line,
                 "EXT-X-VERSION '" + version_tag->value + "' is not a positive decimal-integer");
        return;
      }
      declared = static_cast<int>(std::min<int64_t>(*v, 1000));
    }
    int needed = 1;
    for (const auto& f : features_) {
      needed = std::max(needed, f.version);
      if (f.version > declared) {
        sink.Add("hls.version.min_for_features", f.line,
                 f.what + " needs EXT-X-VERSION " + std::to_string(f.version) + " or higher; " +
                     (version_tag != nullptr ? "playlist declares " + std::to_string(declared)
                                             : std::string("playlist has no EXT-X-VERSION (1)")));
      }
    }
    // bis §6.2.1: "The value of the EXT-X-VERSION tag SHOULD NOT be greater than what is required
    // for the tags and attributes in the Playlist."
    if (version_tag != nullptr && declared > std::max(needed, justified_)) {
      sink.Add("hls.version.not_higher_than_needed", version_tag->line,
               "EXT-X-VERSION " + std::to_string(declared) +
                   " is higher than the playlist needs (" + std::to_string(needed) + ")");
    }
  }

 private:
  std::vector<VersionFeature> features_;
  int justified_ = 1;
};

// Version needs common to every attribute-list tag: REQ- attributes (12), variable references (8).
void NoteAttributeVersionNeeds(const Tag& tag, const std::optional<AttributeList>& attrs,
                               VersionNeeds& needs) {
  if (tag.value.find("{$") != std::string::npos) {
    needs.Need(8, "variable substitution ({$...})", tag.line);
  }
  if (!attrs) return;
  for (const Attribute& a : attrs->attributes()) {
    if (StartsWith(a.name, "REQ-")) needs.Need(12, "a REQ- attribute", tag.line);
  }
  if (tag.type == TagType::kDefine) {
    needs.Need(8, "EXT-X-DEFINE", tag.line);
    if (attrs->Has("QUERYPARAM")) needs.Need(11, "EXT-X-DEFINE with QUERYPARAM", tag.line);
  }
}

void CheckOnce(const std::vector<const Tag*>& tags, Sink& sink) {
  static constexpr TagType kOnce[] = {TagType::kVersion,        TagType::kTargetDuration,
                                      TagType::kMediaSequence,  TagType::kDiscontinuitySequence,
                                      TagType::kEndList,        TagType::kPlaylistType,
                                      TagType::kIFramesOnly,    TagType::kPartInf,
                                      TagType::kServerControl,  TagType::kSkip,
                                      TagType::kContentSteering};
  int first_line[std::size(kOnce)] = {};
  bool seen[std::size(kOnce)] = {};
  for (const Tag* t : tags) {
    for (size_t k = 0; k < std::size(kOnce); ++k) {
      if (t->type != kOnce[k]) continue;
      if (seen[k]) {
        sink.Add("hls.tags.once", t->line,
                 TagLabel(*t) + " appears more than once (first on line " +
                     std::to_string(first_line[k]) + ")");
      } else {
        seen[k] = true;
        first_line[k] = t->line;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Media playlist context: every tag in source order, parsed attribute lists, start times.
// ---------------------------------------------------------------------------------------------

struct MediaContext {
  const MediaPlaylist& p;
  std::vector<TagRef> tags;  // header, then each segment's tags, then trailer
  std::optional<int64_t> target_duration;
  const Tag* version_tag = nullptr;
  bool endlist = false;
  bool has_playlist_type = false;
  bool i_frames_only = false;
  bool has_skip = false;
  int64_t skipped_segments = 0;
  std::vector<std::optional<UnixMicros>> starts;  // start instant of each segment (RFC §4.3.2.6)
  std::vector<int64_t> dsn;                       // discontinuity sequence number of each segment
  bool any_pdt = false;

  MediaContext(const MediaPlaylist& playlist, Sink* sink);
  int64_t FirstMsn() const { return p.media_sequence() + skipped_segments; }
};

const Tag* FirstTag(const std::vector<Tag>& tags, TagType type) {
  for (const Tag& t : tags) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

int SegmentLine(const MediaSegment& s) { return s.line() > 0 ? s.line() : s.uri_line(); }

MediaContext::MediaContext(const MediaPlaylist& playlist, Sink* sink) : p(playlist) {
  const auto& segs = p.segments();
  auto add = [&](const Tag& t, size_t seg, TagRef::Where where) {
    TagRef ref{&t, seg, where, std::nullopt};
    if (sink != nullptr) {
      ref.attrs = ParseAttributes(t, *sink);
    } else if (HasAttributeList(t.type)) {
      Result<AttributeList> parsed = AttributeList::Parse(t.value);
      if (parsed.ok()) ref.attrs = std::move(parsed).value();
    }
    tags.push_back(std::move(ref));
  };
  for (const Tag& t : p.header()) add(t, 0, TagRef::kHeader);
  for (size_t i = 0; i < segs.size(); ++i) {
    for (const Tag& t : segs[i].tags()) add(t, i, TagRef::kSegment);
  }
  for (const Tag& t : p.trailer()) add(t, segs.size(), TagRef::kTrailer);

  int64_t dsn_base = 0;
  bool have_dsn_tag = false;
  for (const TagRef& r : tags) {
    switch (r.tag->type) {
      case TagType::kTargetDuration:
        if (!target_duration) target_duration = ParseInt64(TrimWhitespace(r.tag->value));
        break;
      case TagType::kVersion:
        if (version_tag == nullptr) version_tag = r.tag;
        break;
      case TagType::kEndList:
        endlist = true;
        break;
      case TagType::kPlaylistType:
        has_playlist_type = true;
        break;
      case TagType::kIFramesOnly:
        i_frames_only = true;
        break;
      case TagType::kDiscontinuitySequence:
        if (!have_dsn_tag) {
          dsn_base = ParseInt64(TrimWhitespace(r.tag->value)).value_or(0);
          have_dsn_tag = true;
        }
        break;
      case TagType::kSkip:
        has_skip = true;
        if (r.attrs) skipped_segments = r.attrs->GetInteger("SKIPPED-SEGMENTS").value_or(0);
        break;
      default:
        break;
    }
  }

  // Discontinuity sequence numbers (bis §6.2.1): DSN tag plus the EXT-X-DISCONTINUITY tags before
  // the segment's URI line. A DISCONTINUITY in the header applies to the first segment.
  dsn.resize(segs.size());
  int64_t d = dsn_base;
  for (const Tag& t : p.header()) {
    if (t.type == TagType::kDiscontinuity) ++d;
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    for (const Tag& t : segs[i].tags()) {
      if (t.type == TagType::kDiscontinuity) ++d;
    }
    dsn[i] = d;
  }

  // Start instants (RFC 8216 §4.3.2.6): a segment's own PDT, else the previous start plus its
  // duration; segments before the first PDT count back from it.
  starts.assign(segs.size(), std::nullopt);
  std::optional<UnixMicros> cur;
  std::optional<size_t> first_pdt;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (const Tag* pdt = FirstTag(segs[i].tags(), TagType::kProgramDateTime)) {
      any_pdt = true;
      if (std::optional<UnixMicros> t = ParseDate(pdt->value)) {
        cur = *t;
        if (!first_pdt) first_pdt = i;
      }
    }
    starts[i] = cur;
    if (cur) *cur += SecondsToMicros(segs[i].duration_s());
  }
  if (first_pdt) {
    for (size_t i = *first_pdt; i-- > 0;) {
      starts[i] = *starts[i + 1] - SecondsToMicros(segs[i].duration_s());
    }
  }
  if (!any_pdt) {
    for (const TagRef& r : tags) {
      if (r.tag->type == TagType::kProgramDateTime) any_pdt = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Media rules.
// ---------------------------------------------------------------------------------------------

void CheckTargetDuration(const MediaContext& c, Sink& sink) {
  const Tag* td_tag = nullptr;
  for (const TagRef& r : c.tags) {
    if (r.tag->type == TagType::kTargetDuration) {
      td_tag = r.tag;
      break;
    }
  }
  if (td_tag == nullptr) {
    sink.Add("hls.target_duration.required", c.p.header().empty() ? 1 : c.p.header()[0].line,
             "EXT-X-TARGETDURATION is missing (it is REQUIRED in a media playlist)");
    return;
  }
  if (!c.target_duration || *c.target_duration < 1) {
    sink.Add("hls.target_duration.required", td_tag->line,
             "EXT-X-TARGETDURATION '" + td_tag->value + "' is not a decimal-integer >= 1");
    return;
  }
  const int64_t td = *c.target_duration;
  for (const MediaSegment& s : c.p.segments()) {
    double rounded = std::floor(s.duration_s() + 0.5);
    if (rounded > static_cast<double>(td)) {
      sink.Add("hls.target_duration.bound", SegmentLine(s),
               "EXTINF " + Sec(s.duration_s()) + " rounds to " + Sec(rounded) +
                   " s, above EXT-X-TARGETDURATION " + std::to_string(td) + " (" + s.uri() + ")");
    }
  }
}

// The EXT-X-VERSION a media playlist tag needs by itself (bis §8): calls need(version, what) for
// each feature of `t`. One model for CheckVersion and MinVersionForTag.
template <typename F>
void ForEachTagVersionNeed(const Tag& t, const std::optional<AttributeList>& attrs, bool i_frames_only,
                           F&& need) {
  switch (t.type) {
    case TagType::kInf: {
      std::string_view dur = std::string_view(t.value).substr(0, t.value.find(','));
      if (dur.find_first_of(".eE") != std::string_view::npos) {
        need(3, "a floating-point EXTINF duration");
      }
      break;
    }
    case TagType::kByteRange:
      need(4, "EXT-X-BYTERANGE");
      break;
    case TagType::kIFramesOnly:
      need(4, "EXT-X-I-FRAMES-ONLY");
      break;
    case TagType::kKey:
      if (attrs) {
        if (attrs->Has("IV")) need(2, "the IV attribute of EXT-X-KEY");
        if (attrs->Has("KEYFORMAT") || attrs->Has("KEYFORMATVERSIONS")) {
          need(5, "KEYFORMAT/KEYFORMATVERSIONS on EXT-X-KEY");
        }
        if (attrs->GetEnum("METHOD") == std::optional<std::string_view>("SAMPLE-AES")) {
          need(5, "EXT-X-KEY METHOD=SAMPLE-AES");
        }
      }
      break;
    case TagType::kMap:
      if (i_frames_only) {
        need(5, "EXT-X-MAP");
      } else {
        need(6, "EXT-X-MAP outside an I-frame playlist");
      }
      break;
    case TagType::kSkip:
      need(9, "EXT-X-SKIP");
      if (attrs && attrs->Has("RECENTLY-REMOVED-DATERANGES")) {
        need(10, "EXT-X-SKIP with RECENTLY-REMOVED-DATERANGES");
      }
      break;
    default:
      break;
  }
}

void CheckVersion(const MediaContext& c, Sink& sink) {
  VersionNeeds needs;
  const double td = c.target_duration ? static_cast<double>(*c.target_duration) : 0;
  for (const TagRef& r : c.tags) {
    const Tag& t = *r.tag;
    NoteAttributeVersionNeeds(t, r.attrs, needs);
    ForEachTagVersionNeed(t, r.attrs, c.i_frames_only,
                          [&](int version, std::string_view what) { needs.Need(version, what, t.line); });
  }
  for (const MediaSegment& s : c.p.segments()) {
    if (s.uri().find("{$") != std::string::npos) {
      needs.Need(8, "variable substitution ({$...})", s.uri_line());
    }
    // bis §8: from version 6 the target duration bounds the *rounded* EXTINF; a segment longer than
    // the target duration but within it when rounded legitimately asks for version 6.
    if (td > 0 && s.duration_s() > td) needs.Justify(6);
  }
  needs.Check(c.version_tag, sink);
}

// A tag written between a segment's EXTINF and its URI: legal (RFC 8216 §4.3.2 only asks that a
// segment's tags precede its URI), but some players and packagers expect EXTINF right before
// the URI. One warning per playlist, at the first such tag, with the count. EXT-X-BYTERANGE is
// exempt: EXTINF, BYTERANGE, URI is how Apple's own segmenters write byte-range playlists.
void CheckTagOrder(const MediaContext& c, Sink& sink) {
  const Tag* first = nullptr;
  const MediaSegment* first_seg = nullptr;
  int64_t count = 0;
  for (const MediaSegment& s : c.p.segments()) {
    bool after_inf = false;
    for (const Tag& t : s.tags()) {
      if (t.type == TagType::kInf) {
        after_inf = true;
      } else if (after_inf && t.type != TagType::kComment && t.type != TagType::kBlank &&
                 t.type != TagType::kByteRange) {  // Apple's segmenters write BYTERANGE there
        if (count++ == 0) first = &t, first_seg = &s;
      }
    }
  }
  if (first == nullptr) return;
  sink.Add("hls.segment.tag_order", first->line,
           "#" + (first->type == TagType::kUnknown ? first->name : std::string(TagName(first->type))) +
               " sits between EXTINF and the URI of " + first_seg->uri() +
               (count > 1 ? " (and " + std::to_string(count - 1) + " more tags so placed)" : "") +
               "; RFC 8216 §4.3.2 allows it, but write segment tags before EXTINF for players that expect "
               "EXTINF next to its URI");
}

void CheckSegments(const MediaContext& c, Sink& sink) {
  CheckTagOrder(c, sink);
  const auto& segs = c.p.segments();
  auto at_splice = [&](size_t i) {
    const MediaSegment& s = segs[i];
    return s.discontinuity() || s.Has(TagType::kCueIn) || s.Has(TagType::kCueOut);
  };
  for (size_t i = 0; i < segs.size(); ++i) {
    const MediaSegment& s = segs[i];
    const Tag* inf = s.Find(TagType::kInf);
    if (inf == nullptr) {
      sink.Add("hls.segment.duration_positive", s.uri_line(),
               "segment " + s.uri() + " has no EXTINF (REQUIRED for each segment)");
      continue;
    }
    std::string_view dur_text = TrimWhitespace(
        std::string_view(inf->value).substr(0, std::min(inf->value.size(), inf->value.find(','))));
    std::optional<double> dur = ParseDouble(dur_text);
    if (!dur || !std::isfinite(*dur)) {
      sink.Add("hls.segment.duration_positive", inf->line,
               "EXTINF duration '" + std::string(dur_text) + "' is not a number");
      continue;
    }
    if (*dur < 0) {
      sink.Add("hls.segment.duration_positive", inf->line,
               "EXTINF duration " + Sec(*dur) + " is negative (" + s.uri() + ")");
      continue;
    }
    if (*dur == 0) {
      // RFC 8216 §4.3.2.1 requires a decimal-integer or decimal-floating-point number, which 0 is.
      sink.Add("hls.segment.duration_zero", inf->line, "EXTINF duration 0 (" + s.uri() + ")");
      continue;
    }
    if (*dur < kShortSegmentS && (at_splice(i) || (i + 1 < segs.size() && at_splice(i + 1)))) {
      sink.Add("hls.segment.short_at_splice", inf->line,
               "segment " + s.uri() + " lasts " + Sec(*dur) +
                   " s at a splice point; players stall on sub-0.5 s segments there");
    }
  }
}

// First line of the first segment's own lines (its first tag or its URI), or 0.
int FirstSegmentLine(const MediaPlaylist& p) {
  if (p.segments().empty()) return 0;
  const MediaSegment& s = p.segments()[0];
  for (const Tag& t : s.tags()) {
    if (t.type != TagType::kBlank && t.type != TagType::kComment && t.line > 0) return t.line;
  }
  return s.uri_line();
}

void CheckSequenceTagPlacement(const MediaContext& c, Sink& sink) {
  const int first_seg = FirstSegmentLine(c.p);
  int first_disc_line = 0;
  for (const TagRef& r : c.tags) {
    if (r.tag->type == TagType::kDiscontinuity && r.tag->line > 0) {
      first_disc_line = r.tag->line;
      break;
    }
  }
  for (const TagRef& r : c.tags) {
    const bool msn = r.tag->type == TagType::kMediaSequence;
    const bool dsn = r.tag->type == TagType::kDiscontinuitySequence;
    if (!msn && !dsn) continue;
    const char* rule = msn ? "hls.media_sequence.before_first_segment"
                           : "hls.discontinuity_sequence.before_first_segment";
    const bool after_segment =
        r.where != TagRef::kHeader || (first_seg > 0 && r.tag->line > first_seg);
    if (after_segment) {
      sink.Add(rule, r.tag->line, TagLabel(*r.tag) + " must appear before the first media segment");
    } else if (dsn && first_disc_line > 0 && r.tag->line > first_disc_line) {
      sink.Add(rule, r.tag->line,
               "EXT-X-DISCONTINUITY-SEQUENCE must appear before any EXT-X-DISCONTINUITY (line " +
                   std::to_string(first_disc_line) + ")");
    }
  }
}

void CheckLiveDuration(const MediaContext& c, Sink& sink) {
  // bis §6.2.2: the server MUST NOT remove a segment from a live playlist if that leaves it shorter
  // than three target durations. A media sequence above 0 shows segments have been removed.
  if (c.endlist || c.has_playlist_type || !c.target_duration || *c.target_duration < 1) return;
  if (c.FirstMsn() <= 0 || c.p.segments().empty()) return;
  double total = 0;
  for (const MediaSegment& s : c.p.segments()) total += s.duration_s();
  const double min_s = 3.0 * static_cast<double>(*c.target_duration);
  if (total + 1e-3 < min_s) {
    int line = 0;
    for (const Tag& t : c.p.header()) {
      if (t.type == TagType::kMediaSequence) line = t.line;
    }
    sink.Add("hls.playlist.min_duration", line,
             "live playlist lasts " + Sec(total) +
                 " s after removing segments; it must last at "
                 "least 3 x EXT-X-TARGETDURATION = " +
                 Sec(min_s) + " s");
  }
}

void CheckPdt(const MediaContext& c, Sink& sink) {
  const auto& segs = c.p.segments();
  bool any_valid_pdt = false;
  for (const TagRef& r : c.tags) {
    if (r.tag->type != TagType::kProgramDateTime) continue;
    if (ParseDate(r.tag->value)) {
      any_valid_pdt = true;
    } else {
      sink.Add("hls.pdt.valid", r.tag->line,
               "EXT-X-PROGRAM-DATE-TIME '" + r.tag->value + "' is not an ISO 8601 date-time");
    }
  }
  if (!any_valid_pdt) return;
  for (size_t i = 0; i < segs.size(); ++i) {
    const MediaSegment& s = segs[i];
    const Tag* pdt_tag = FirstTag(s.tags(), TagType::kProgramDateTime);
    if (s.discontinuity() && pdt_tag == nullptr) {
      sink.Add("hls.pdt.on_discontinuity", SegmentLine(s),
               "segment " + s.uri() +
                   " has EXT-X-DISCONTINUITY but no EXT-X-PROGRAM-DATE-TIME of its own");
    }
    if (i == 0 || pdt_tag == nullptr || !c.starts[i - 1]) continue;
    std::optional<UnixMicros> pdt = ParseDate(pdt_tag->value);
    if (!pdt) continue;
    const UnixMicros prev_start = *c.starts[i - 1];
    const UnixMicros prev_end = prev_start + SecondsToMicros(segs[i - 1].duration_s());
    // bis §6.2.1: only a small (sub-second) overlap is allowed, and "the later segment MUST only
    // partially overlap the preceding segment".
    if (*pdt <= prev_start || prev_end - *pdt >= kMaxPdtOverlap) {
      sink.Add("hls.pdt.unambiguous", pdt_tag->line,
               "EXT-X-PROGRAM-DATE-TIME " + FormatIso8601Millis(*pdt) + " of " + s.uri() +
                   " overlaps the previous segment (" + FormatIso8601Millis(prev_start) + " to " +
                   FormatIso8601Millis(prev_end) + ") by " + Sec(MicrosToSeconds(prev_end - *pdt)) +
                   " s; the date mapping is ambiguous");
    }
  }
}

// ---- EXT-X-DATERANGE --------------------------------------------------------------------------

struct MergedAttr {
  const Attribute* attr;
  int line;
};

struct DateRange {
  std::string id;
  int line = 0;  // first tag
  size_t first_tag_index = 0;
  std::vector<std::pair<std::string_view, MergedAttr>> attrs;  // first occurrence of each name

  const MergedAttr* Find(std::string_view name) const {
    for (const auto& [n, a] : attrs) {
      if (n == name) return &a;
    }
    return nullptr;
  }
  std::optional<std::string_view> Quoted(std::string_view name) const {
    const MergedAttr* a = Find(name);
    if (a == nullptr || !a->attr->quoted) return std::nullopt;
    return a->attr->value;
  }
  std::optional<UnixMicros> Date(std::string_view name) const {
    std::optional<std::string_view> v = Quoted(name);
    return v ? ParseDate(*v) : std::nullopt;
  }
  std::optional<double> Float(std::string_view name) const {
    const MergedAttr* a = Find(name);
    if (a == nullptr || a->attr->quoted) return std::nullopt;
    return ParseDouble(a->attr->value);
  }
  // End instant: END-DATE, else START-DATE + DURATION.
  std::optional<UnixMicros> End() const {
    if (std::optional<UnixMicros> e = Date("END-DATE")) return e;
    std::optional<UnixMicros> s = Date("START-DATE");
    std::optional<double> d = Float("DURATION");
    if (s && d && *d >= 0) return *s + SecondsToMicros(*d);
    return std::nullopt;
  }
};

// Collects date ranges by ID, merging repeated tags (bis §4.4.5.1). With a sink, runs the
// per-tag rules (ID, START-DATE, same values, SCTE35, CUE).
std::vector<DateRange> CollectDateRanges(const std::vector<TagRef>& tags, Sink* sink) {
  std::vector<DateRange> ranges;
  std::map<std::string, size_t, std::less<>> by_id;
  for (size_t ti = 0; ti < tags.size(); ++ti) {
    const TagRef& r = tags[ti];
    if (r.tag->type != TagType::kDateRange || !r.attrs) continue;
    const AttributeList& al = *r.attrs;
    const int line = r.tag->line;
    if (sink != nullptr) {
      // bis §4.4.5.1.1: SCTE35-CMD/OUT/IN carry the splice_info_section() as a
      // hexadecimal-sequence.
      for (const Attribute& a : al.attributes()) {
        if (a.name != "SCTE35-CMD" && a.name != "SCTE35-OUT" && a.name != "SCTE35-IN") continue;
        std::string_view v = a.value;
        bool ok = !a.quoted && v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
        size_t digits = ok ? v.size() - 2 : 0;
        for (size_t k = 2; ok && k < v.size(); ++k) ok = IsHexDigit(v[k]);
        if (!ok) {
          sink->Add("hls.scte35.hex_attributes", line,
                    std::string(a.name) +
                        " must be an unquoted hexadecimal-sequence (0x...), got " + Shown(a));
        } else if (digits % 2 != 0) {
          sink->Add("hls.scte35.hex_attributes", line,
                    std::string(a.name) + " has an odd number of hex digits (" +
                        std::to_string(digits) + "); a splice_info_section is whole bytes");
        }
      }
      // bis §4.4.5.1: CUE is an enumerated-string-list of PRE, POST, ONCE; not both PRE and POST.
      if (const Attribute* cue = al.Find("CUE")) {
        if (!cue->quoted) {
          sink->Add("hls.daterange.cue_values", line,
                    "CUE must be a quoted-string list, got " + std::string(cue->value));
        } else {
          bool pre = false, post = false;
          for (std::string_view item : SplitOutsideQuotes(cue->value, ',')) {
            if (item == "PRE") {
              pre = true;
            } else if (item == "POST") {
              post = true;
            } else if (item != "ONCE") {
              sink->Add("hls.daterange.cue_values", line,
                        "CUE value '" + std::string(item) + "' is not PRE, POST or ONCE");
            }
          }
          if (pre && post) {
            sink->Add("hls.daterange.cue_values", line, "CUE must not contain both PRE and POST");
          }
        }
      }
    }
    const Attribute* id = al.Find("ID");
    if (id == nullptr || !id->quoted || id->value.empty()) {
      if (sink != nullptr) {
        sink->Add("hls.daterange.id_required_unique", line,
                  id == nullptr
                      ? std::string("EXT-X-DATERANGE has no ID (REQUIRED)")
                      : "EXT-X-DATERANGE ID must be a non-empty quoted-string, got " + Shown(*id));
      }
      continue;
    }
    auto it = by_id.find(id->value);
    if (it == by_id.end()) {
      DateRange dr;
      dr.id = std::string(id->value);
      dr.line = line;
      dr.first_tag_index = ti;
      for (const Attribute& a : al.attributes()) dr.attrs.push_back({a.name, {&a, line}});
      by_id.emplace(dr.id, ranges.size());
      ranges.push_back(std::move(dr));
      if (sink != nullptr) {
        const Attribute* start = al.Find("START-DATE");
        if (start == nullptr) {
          sink->Add("hls.daterange.start_date", line,
                    "EXT-X-DATERANGE " + Quote(id->value) + " has no START-DATE");
        }
      }
    } else {
      DateRange& dr = ranges[it->second];
      for (const Attribute& a : al.attributes()) {
        const MergedAttr* prev = dr.Find(a.name);
        if (prev == nullptr) {
          dr.attrs.push_back({a.name, {&a, line}});
        } else if (sink != nullptr &&
                   (prev->attr->value != a.value || prev->attr->quoted != a.quoted)) {
          // bis §4.4.5.1: "any AttributeName that appears in both tags MUST have the same
          // AttributeValue".
          sink->Add("hls.daterange.same_id_same_values", line,
                    "EXT-X-DATERANGE " + Quote(id->value) + " changes " + std::string(a.name) +
                        " (line " + std::to_string(prev->line) + ")");
        }
      }
    }
    if (sink != nullptr) {
      if (const Attribute* start = al.Find("START-DATE")) {
        if (!start->quoted || !ParseDate(start->value)) {
          sink->Add("hls.daterange.start_date", line,
                    "START-DATE of " + Quote(id->value) +
                        " must be a quoted ISO 8601 date-time, got " + Shown(*start));
        }
      }
    }
  }
  return ranges;
}

void CheckDateRanges(const MediaContext& c, Sink& sink) {
  int first_dr_line = -1;
  for (const TagRef& r : c.tags) {
    if (r.tag->type == TagType::kDateRange) {
      first_dr_line = r.tag->line;
      break;
    }
  }
  if (first_dr_line < 0) return;
  if (!c.any_pdt) {
    sink.Add("hls.daterange.requires_pdt", first_dr_line,
             "playlist has EXT-X-DATERANGE but no EXT-X-PROGRAM-DATE-TIME");
  }
  std::vector<DateRange> ranges = CollectDateRanges(c.tags, &sink);

  // Classes that use END-ON-NEXT: their ranges must not overlap (bis §4.4.5.1).
  std::set<std::string_view> eon_classes;
  for (const DateRange& dr : ranges) {
    const std::string q = Quote(dr.id);
    const auto start = dr.Date("START-DATE");
    // END-DATE / DURATION / PLANNED-DURATION (bis §4.4.5.1).
    if (const MergedAttr* end = dr.Find("END-DATE")) {
      std::optional<UnixMicros> e = dr.Date("END-DATE");
      if (!e) {
        sink.Add("hls.daterange.end_consistency", end->line,
                 "END-DATE of " + q + " must be a quoted ISO 8601 date-time");
      } else if (start && *e < *start) {
        sink.Add("hls.daterange.end_consistency", end->line,
                 "END-DATE of " + q + " is before its START-DATE");
      }
    }
    for (std::string_view name :
         {std::string_view("DURATION"), std::string_view("PLANNED-DURATION")}) {
      const MergedAttr* a = dr.Find(name);
      if (a == nullptr) continue;
      std::optional<double> v = dr.Float(name);
      if (!v || !std::isfinite(*v) || *v < 0) {
        sink.Add("hls.daterange.end_consistency", a->line,
                 std::string(name) + " of " + q +
                     " must be a non-negative decimal-floating-point, got " + Shown(*a->attr));
      }
    }
    {
      std::optional<UnixMicros> e = dr.Date("END-DATE");
      std::optional<double> d = dr.Float("DURATION");
      if (start && e && d && *d >= 0) {
        DurationMicros diff = *e - (*start + SecondsToMicros(*d));
        if (diff > kMicrosPerMilli || diff < -kMicrosPerMilli) {
          sink.Add("hls.daterange.end_consistency", dr.Find("END-DATE")->line,
                   "END-DATE of " + q + " is not START-DATE + DURATION (" + Sec(*d) +
                       " s); off by " + Sec(MicrosToSeconds(diff)) + " s");
        }
      }
    }
    // END-ON-NEXT (bis §4.4.5.1).
    if (const MergedAttr* eon = dr.Find("END-ON-NEXT")) {
      if (eon->attr->quoted || eon->attr->value != "YES") {
        sink.Add("hls.daterange.end_on_next", eon->line,
                 "END-ON-NEXT of " + q + " must be the enumerated-string YES");
      }
      if (!dr.Quoted("CLASS")) {
        sink.Add("hls.daterange.end_on_next", eon->line,
                 "EXT-X-DATERANGE " + q + " has END-ON-NEXT=YES but no CLASS");
      } else {
        eon_classes.insert(*dr.Quoted("CLASS"));
      }
      if (dr.Find("DURATION") != nullptr || dr.Find("END-DATE") != nullptr) {
        sink.Add("hls.daterange.end_on_next", eon->line,
                 "EXT-X-DATERANGE " + q + " has END-ON-NEXT=YES and DURATION or END-DATE");
      }
    }
    // Interstitials (bis Appendix D.2).
    const MergedAttr* asset_uri = dr.Find("X-ASSET-URI");
    const MergedAttr* asset_list = dr.Find("X-ASSET-LIST");
    std::optional<std::string_view> klass = dr.Quoted("CLASS");
    const bool interstitial = klass && *klass == kInterstitialClass;
    if ((asset_uri != nullptr || asset_list != nullptr) && !interstitial) {
      sink.Add("hls.interstitial.class", dr.line,
               "EXT-X-DATERANGE " + q + " has " +
                   (asset_uri != nullptr ? "X-ASSET-URI" : "X-ASSET-LIST") + " but its CLASS is " +
                   (klass ? Quote(*klass) : std::string("missing")) +
                   ", not \"com.apple.hls.interstitial\"");
    }
    if (!interstitial) continue;
    if ((asset_uri != nullptr) == (asset_list != nullptr)) {
      sink.Add("hls.interstitial.asset_xor", dr.line,
               "interstitial " + q +
                   (asset_uri != nullptr ? " has both X-ASSET-URI and X-ASSET-LIST"
                                         : " has neither X-ASSET-URI nor X-ASSET-LIST"));
    } else if (asset_uri != nullptr &&
               (!asset_uri->attr->quoted || !HasScheme(asset_uri->attr->value))) {
      sink.Add("hls.interstitial.asset_xor", asset_uri->line,
               "X-ASSET-URI of " + q + " must be a quoted-string absolute URI, got " +
                   Shown(*asset_uri->attr));
    } else if (asset_list != nullptr && !asset_list->attr->quoted) {
      sink.Add("hls.interstitial.asset_xor", asset_list->line,
               "X-ASSET-LIST of " + q + " must be a quoted-string URI");
    }
    struct ListRule {
      std::string_view name;
      std::string_view allowed[2];
    };
    for (const ListRule& lr :
         {ListRule{"X-SNAP", {"OUT", "IN"}}, ListRule{"X-RESTRICT", {"SKIP", "JUMP"}}}) {
      const MergedAttr* a = dr.Find(lr.name);
      if (a == nullptr) continue;
      if (!a->attr->quoted) {
        sink.Add("hls.interstitial.snap_restrict", a->line,
                 std::string(lr.name) + " of " + q + " must be a quoted-string list");
        continue;
      }
      for (std::string_view item : SplitOutsideQuotes(a->attr->value, ',')) {
        if (item != lr.allowed[0] && item != lr.allowed[1]) {
          sink.Add("hls.interstitial.snap_restrict", a->line,
                   std::string(lr.name) + " of " + q + " contains '" + std::string(item) +
                       "'; allowed: " + std::string(lr.allowed[0]) + ", " +
                       std::string(lr.allowed[1]));
        }
      }
    }
    if (const MergedAttr* ro = dr.Find("X-RESUME-OFFSET")) {
      std::optional<double> v = ro->attr->quoted ? std::nullopt : ParseDouble(ro->attr->value);
      if (!v || !std::isfinite(*v)) {
        sink.Add("hls.interstitial.resume_offset", ro->line,
                 "X-RESUME-OFFSET of " + q +
                     " must be an unquoted signed-decimal-floating-point, got " + Shown(*ro->attr));
      }
    }
    if (const MergedAttr* pl = dr.Find("X-PLAYOUT-LIMIT")) {
      std::optional<double> v = pl->attr->quoted ? std::nullopt : ParseDouble(pl->attr->value);
      if (!v || !std::isfinite(*v) || *v < 0) {
        sink.Add("hls.interstitial.resume_offset", pl->line,
                 "X-PLAYOUT-LIMIT of " + q +
                     " must be a non-negative decimal-floating-point, got " + Shown(*pl->attr));
      }
    }
  }

  // Same-CLASS overlap where END-ON-NEXT is used.
  for (std::string_view klass : eon_classes) {
    struct Span {
      UnixMicros start;
      std::optional<UnixMicros> end;
      bool end_on_next;
      const DateRange* dr;
    };
    std::vector<Span> spans;
    for (const DateRange& dr : ranges) {
      if (dr.Quoted("CLASS") != std::optional<std::string_view>(klass)) continue;
      std::optional<UnixMicros> s = dr.Date("START-DATE");
      if (!s) continue;
      spans.push_back({*s, dr.End(), dr.Find("END-ON-NEXT") != nullptr, &dr});
    }
    std::stable_sort(spans.begin(), spans.end(),
                     [](const Span& a, const Span& b) { return a.start < b.start; });
    for (size_t k = 1; k < spans.size(); ++k) {
      const Span& prev = spans[k - 1];
      if (prev.end_on_next || !prev.end) continue;
      if (*prev.end > spans[k].start) {
        sink.Add("hls.daterange.end_on_next", spans[k].dr->line,
                 "date range " + Quote(spans[k].dr->id) + " overlaps " + Quote(prev.dr->id) +
                     " of the same CLASS " + Quote(klass));
      }
    }
  }
}

// ---- EXT-X-CUE-OUT / -CONT / -IN ---------------------------------------------------------------

struct CueNumbers {
  bool malformed = false;
  std::string problem;
  std::optional<double> duration;
  std::optional<double> elapsed;
};

std::optional<double> CueNumber(std::string_view text) {
  std::optional<double> v = ParseDouble(StripQuotes(TrimWhitespace(text)));
  if (v && !std::isfinite(*v)) return std::nullopt;
  return v;
}

// EXT-X-CUE-OUT:30 | :30.000 | :DURATION=30[,...] | :30,ATTR=...[,...] (duration first, then
// attributes: MediaConvert-style) | bare. EXT-X-CUE-OUT-CONT:ElapsedTime=x,Duration=y[,SCTE35=...]
// | :x/y | bare.
CueNumbers ParseCue(const Tag& tag) {
  CueNumbers out;
  std::string_view v = TrimWhitespace(tag.value);
  if (v.empty()) return out;
  const bool cont = tag.type == TagType::kCueOutCont;
  if (v.find('=') != std::string_view::npos) {
    bool first_item = true;
    for (std::string_view item : SplitOutsideQuotes(v, ',')) {
      size_t eq = item.find('=');
      if (eq == std::string_view::npos && first_item && !cont) {
        // The unnamed leading duration of "CUE-OUT:4,SpliceType=VOD_DAI,...".
        out.duration = CueNumber(item);
        if (!out.duration) {
          out.malformed = true;
          out.problem = "duration '" + std::string(TrimWhitespace(item)) + "' is not a number";
          return out;
        }
      }
      first_item = false;
      if (eq == std::string_view::npos) continue;
      std::string_view key = TrimWhitespace(item.substr(0, eq));
      std::string_view val = item.substr(eq + 1);
      std::optional<double>* slot = nullptr;
      if (EqualsIgnoreCase(key, "DURATION")) slot = &out.duration;
      if (cont && EqualsIgnoreCase(key, "ELAPSEDTIME")) slot = &out.elapsed;
      if (slot == nullptr) continue;
      *slot = CueNumber(val);
      if (!*slot) {
        out.malformed = true;
        out.problem = std::string(key) + " '" + std::string(val) + "' is not a number";
        return out;
      }
    }
  } else if (cont && v.find('/') != std::string_view::npos) {
    size_t slash = v.find('/');
    out.elapsed = CueNumber(v.substr(0, slash));
    out.duration = CueNumber(v.substr(slash + 1));
    if (!out.elapsed || !out.duration) {
      out.malformed = true;
      out.problem = "'" + std::string(v) + "' is not elapsed/duration";
      return out;
    }
  } else if (!cont) {
    std::string_view first = v.substr(0, v.find(','));
    out.duration = CueNumber(first);
    if (!out.duration) {
      out.malformed = true;
      out.problem = "duration '" + std::string(first) + "' is not a number";
      return out;
    }
  }
  if (out.duration && *out.duration <= 0) {
    out.malformed = true;
    out.problem = "duration " + Sec(*out.duration) + " is not positive";
  } else if (out.elapsed && *out.elapsed < 0) {
    out.malformed = true;
    out.problem = "elapsed time " + Sec(*out.elapsed) + " is negative";
  }
  return out;
}

void CheckCues(const MediaContext& c, Sink& sink) {
  struct OpenBreak {
    int line;
    std::optional<double> duration;
    double elapsed_s;  // time from the break start to the current position
    bool reported = false;
  };
  std::optional<OpenBreak> open;
  const auto& segs = c.p.segments();

  bool on_first_segment = false;
  auto on_tag = [&](const Tag& t) {
    switch (t.type) {
      case TagType::kCueOut: {
        CueNumbers n = ParseCue(t);
        if (n.malformed) {
          sink.Add("hls.cue.out_duration_valid", t.line, "#EXT-X-CUE-OUT: " + n.problem);
        }
        open = OpenBreak{t.line, n.malformed ? std::nullopt : n.duration, 0.0};
        break;
      }
      case TagType::kCueOutCont: {
        CueNumbers n = ParseCue(t);
        if (n.malformed) {
          sink.Add("hls.cue.out_duration_valid", t.line, "#EXT-X-CUE-OUT-CONT: " + n.problem);
          break;
        }
        if (!open) {
          // The CUE-OUT slid out of the window: the break continues from the CONT.
          open = OpenBreak{t.line, n.duration, n.elapsed.value_or(0.0)};
          if (n.elapsed && n.duration && *n.elapsed > *n.duration + kCueToleranceS) {
            sink.Add("hls.cue.cont_elapsed_increasing", t.line,
                     "CUE-OUT-CONT ElapsedTime " + Sec(*n.elapsed) +
                         " exceeds the break duration " + Sec(*n.duration));
            open->reported = true;  // one finding for this break
          }
          break;
        }
        if (n.elapsed) {
          const double expected = open->elapsed_s;
          if (std::fabs(*n.elapsed - expected) > kCueToleranceS) {
            sink.Add("hls.cue.cont_elapsed_increasing", t.line,
                     "CUE-OUT-CONT ElapsedTime " + Sec(*n.elapsed) + " but " + Sec(expected) +
                         " s of segments have played since the break started");
          }
          std::optional<double> dur = n.duration ? n.duration : open->duration;
          if (dur && *n.elapsed > *dur + kCueToleranceS) {
            sink.Add("hls.cue.cont_elapsed_increasing", t.line,
                     "CUE-OUT-CONT ElapsedTime " + Sec(*n.elapsed) +
                         " exceeds the break duration " + Sec(*dur));
          }
          open->elapsed_s = *n.elapsed;  // resynchronise so one error does not cascade
        }
        if (n.duration && open->duration && std::fabs(*n.duration - *open->duration) > 0.5) {
          sink.Add("hls.cue.cont_elapsed_increasing", t.line,
                   "CUE-OUT-CONT Duration " + Sec(*n.duration) + " differs from the CUE-OUT's " +
                       Sec(*open->duration));
        }
        if (!open->duration) open->duration = n.duration;
        break;
      }
      case TagType::kCueIn:
        // On the first segment the break's CUE-OUT and ad segments have simply slid out.
        if (!open && !on_first_segment) {
          sink.Add("hls.cue.in_without_out", t.line,
                   "#EXT-X-CUE-IN without a CUE-OUT or CUE-OUT-CONT before it in the playlist");
        }
        open.reset();
        break;
      default:
        break;
    }
  };

  for (size_t i = 0; i < segs.size(); ++i) {
    on_first_segment = i == 0;
    for (const Tag& t : segs[i].tags()) on_tag(t);
    on_first_segment = false;
    if (open && open->duration && !open->reported &&
        open->elapsed_s >= *open->duration + kCueToleranceS) {
      sink.Add("hls.cue.out_without_in", open->line,
               "ad break of " + Sec(*open->duration) + " s has no CUE-IN, but segment " +
                   segs[i].uri() + " starts " + Sec(open->elapsed_s) + " s after it");
      open->reported = true;
    }
    if (open) open->elapsed_s += segs[i].duration_s();
  }
  for (const Tag& t : c.p.trailer()) on_tag(t);
}

// ---------------------------------------------------------------------------------------------
// Master rules.
// ---------------------------------------------------------------------------------------------

void LintMasterImpl(const MasterPlaylist& p, Sink& sink) {
  const auto& items = p.items();
  CheckFirstLine(items.empty() ? nullptr : &items[0].tag, sink);
  std::vector<const Tag*> all;
  std::vector<std::optional<AttributeList>> attrs;
  all.reserve(items.size());
  for (const MasterItem& it : items) {
    all.push_back(&it.tag);
    attrs.push_back(ParseAttributes(it.tag, sink));
  }
  CheckOnce(all, sink);

  VersionNeeds needs;
  const Tag* version_tag = nullptr;
  // (TYPE, GROUP-ID) of every EXT-X-MEDIA.
  std::set<std::pair<std::string, std::string>> groups;
  for (size_t i = 0; i < items.size(); ++i) {
    const Tag& t = items[i].tag;
    NoteAttributeVersionNeeds(t, attrs[i], needs);
    if (t.type == TagType::kVersion && version_tag == nullptr) version_tag = &t;
    if (t.type == TagType::kStreamInf && items[i].uri.find("{$") != std::string::npos) {
      needs.Need(8, "variable substitution ({$...})", items[i].uri_line);
    }
    if (t.type != TagType::kMedia || !attrs[i]) continue;
    const AttributeList& a = *attrs[i];
    std::optional<std::string_view> type = a.GetEnum("TYPE");
    std::optional<std::string_view> group = a.GetQuotedString("GROUP-ID");
    if (type && group) groups.emplace(std::string(*type), std::string(*group));
    if (std::optional<std::string_view> instream = a.GetQuotedString("INSTREAM-ID")) {
      if (StartsWith(*instream, "SERVICE")) {
        needs.Need(7, "INSTREAM-ID=\"SERVICEn\" on EXT-X-MEDIA", t.line);
      }
      if (type && *type != "CLOSED-CAPTIONS") {
        needs.Need(13, "INSTREAM-ID on a non-CLOSED-CAPTIONS EXT-X-MEDIA", t.line);
      }
    }
  }
  needs.Check(version_tag, sink);

  for (size_t i = 0; i < items.size(); ++i) {
    const Tag& t = items[i].tag;
    if (t.type != TagType::kStreamInf && t.type != TagType::kIFrameStreamInf) continue;
    const bool iframe = t.type == TagType::kIFrameStreamInf;
    if (!iframe && TrimWhitespace(items[i].uri).empty()) {
      sink.Add("hls.master.stream_inf_uri", t.line,
               "EXT-X-STREAM-INF is not followed by a URI line");
    }
    if (!attrs[i]) continue;
    const AttributeList& a = *attrs[i];
    const Attribute* bw = a.Find("BANDWIDTH");
    if (bw == nullptr) {
      sink.Add("hls.master.bandwidth_required", t.line,
               TagLabel(t) + " has no BANDWIDTH (REQUIRED)");
    } else if (bw->quoted || !ParseUint64(bw->value)) {
      sink.Add(
          "hls.master.bandwidth_required", t.line,
          TagLabel(t) + " BANDWIDTH '" + std::string(bw->value) + "' is not a decimal-integer");
    }
    if (iframe) {
      if (!a.GetQuotedString("URI")) {
        sink.Add("hls.master.stream_inf_uri", t.line,
                 "EXT-X-I-FRAME-STREAM-INF has no quoted-string URI (REQUIRED)");
      }
    } else if (!a.Has("CODECS")) {
      // bis §4.4.6.2: "Every EXT-X-STREAM-INF tag SHOULD include a CODECS attribute."
      sink.Add("hls.master.codecs_present", t.line, "EXT-X-STREAM-INF has no CODECS attribute");
    }
    static constexpr std::pair<std::string_view, std::string_view> kGroupAttrs[] = {
        {"AUDIO", "AUDIO"},
        {"VIDEO", "VIDEO"},
        {"SUBTITLES", "SUBTITLES"},
        {"CLOSED-CAPTIONS", "CLOSED-CAPTIONS"}};
    for (const auto& [attr, type] : kGroupAttrs) {
      if (iframe && attr != "VIDEO") continue;
      const Attribute* g = a.Find(attr);
      if (g == nullptr) continue;
      if (attr == "CLOSED-CAPTIONS" && !g->quoted && g->value == "NONE") continue;
      if (!g->quoted || groups.count({std::string(type), std::string(g->value)}) == 0) {
        sink.Add("hls.master.group_defined", t.line,
                 TagLabel(t) + " " + std::string(attr) + "=" +
                     (g->quoted ? Quote(g->value) : std::string(g->value)) +
                     " names no EXT-X-MEDIA with TYPE=" + std::string(type) + " and that GROUP-ID");
      }
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API.
// ---------------------------------------------------------------------------------------------

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

const std::vector<RuleInfo>& LintRules() { return Catalogue(); }

const RuleInfo* FindRule(std::string_view id) {
  size_t i = RuleIndex(id);
  return i < Catalogue().size() ? &Catalogue()[i] : nullptr;
}

std::vector<Finding> LintMedia(const MediaPlaylist& playlist) {
  std::vector<Finding> out;
  Sink sink(&out);
  CheckFirstLine(playlist.header().empty() ? nullptr : &playlist.header()[0], sink);
  MediaContext c(playlist, &sink);  // reports hls.attributes.valid
  std::vector<const Tag*> all;
  all.reserve(c.tags.size());
  for (const TagRef& r : c.tags) all.push_back(r.tag);
  CheckOnce(all, sink);
  CheckTargetDuration(c, sink);
  CheckVersion(c, sink);
  CheckSegments(c, sink);
  CheckSequenceTagPlacement(c, sink);
  CheckLiveDuration(c, sink);
  CheckPdt(c, sink);
  CheckDateRanges(c, sink);
  CheckCues(c, sink);
  SortFindings(&out);
  return out;
}

std::vector<Finding> LintMaster(const MasterPlaylist& playlist) {
  std::vector<Finding> out;
  Sink sink(&out);
  LintMasterImpl(playlist, sink);
  SortFindings(&out);
  return out;
}

std::vector<Finding> LintPlaylist(const Playlist& playlist) {
  if (const auto* media = std::get_if<MediaPlaylist>(&playlist)) return LintMedia(*media);
  return LintMaster(std::get<MasterPlaylist>(playlist));
}

int MinVersionForTag(const Tag& tag, bool i_frames_only) {
  std::optional<AttributeList> attrs;
  if (HasAttributeList(tag.type)) {
    Result<AttributeList> parsed = AttributeList::Parse(tag.value);
    if (parsed.ok()) attrs = std::move(parsed).value();
  }
  int version = 1;
  ForEachTagVersionNeed(tag, attrs, i_frames_only,
                        [&](int v, std::string_view) { version = std::max(version, v); });
  return version;
}

std::string FormatFinding(const Finding& finding) {
  std::string out;
  if (!finding.file.empty()) {
    out += finding.file;
    out += ": ";
  }
  out += finding.rule_id;
  out += " line ";
  out += std::to_string(finding.line);
  out += ": ";
  out += finding.message;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reload rules (bis §6.2.1, §6.2.2).
// ---------------------------------------------------------------------------------------------

void ReloadLinter::Reset() {
  prev_.reset();
  date_ranges_.clear();
  observed_ = 0;
}

namespace {

const Tag* FindAnywhere(const MediaPlaylist& p, TagType type) {
  if (const Tag* t = FirstTag(p.header(), type)) return t;
  for (const MediaSegment& s : p.segments()) {
    if (const Tag* t = FirstTag(s.tags(), type)) return t;
  }
  return FirstTag(p.trailer(), type);
}

int HeaderLine(const MediaPlaylist& p, TagType type) {
  const Tag* t = FindAnywhere(p, type);
  return t != nullptr ? t->line : 0;
}

}  // namespace

std::vector<Finding> ReloadLinter::Observe(const MediaPlaylist& next) {
  std::vector<Finding> out;
  Sink sink(&out);
  ++observed_;
  MediaContext n(next, nullptr);
  std::vector<DateRange> next_ranges = CollectDateRanges(n.tags, nullptr);
  std::set<std::string, std::less<>> prev_ids;

  if (prev_) {
    MediaContext p(*prev_, nullptr);
    std::vector<DateRange> prev_ranges = CollectDateRanges(p.tags, nullptr);
    for (const DateRange& dr : prev_ranges) prev_ids.insert(dr.id);
    const auto& ps = prev_->segments();
    const auto& ns = next.segments();
    const int64_t p_first = p.FirstMsn(), n_first = n.FirstMsn();
    const int64_t p_end = p_first + static_cast<int64_t>(ps.size());  // one past the last
    const int64_t n_end = n_first + static_cast<int64_t>(ns.size());
    const int msn_line = HeaderLine(next, TagType::kMediaSequence);

    // bis §6.2.1: "The value of the EXT-X-TARGETDURATION tag in the Media Playlist MUST NOT
    // change."
    if (p.target_duration && n.target_duration && *p.target_duration != *n.target_duration) {
      sink.Add("hls.target_duration.constant", HeaderLine(next, TagType::kTargetDuration),
               "EXT-X-TARGETDURATION changed from " + std::to_string(*p.target_duration) + " to " +
                   std::to_string(*n.target_duration));
    }

    // bis §6.2.2: the media sequence "MUST NOT decrease or wrap".
    const bool msn_went_back = next.media_sequence() < prev_->media_sequence();
    if (msn_went_back) {
      sink.Add("hls.media_sequence.monotonic", msn_line,
               "EXT-X-MEDIA-SEQUENCE went back from " + std::to_string(prev_->media_sequence()) +
                   " to " + std::to_string(next.media_sequence()));
    }
    // bis §6.2.2: DISCONTINUITY-SEQUENCE "MUST NOT decrease or wrap".
    if (next.discontinuity_sequence() < prev_->discontinuity_sequence()) {
      sink.Add("hls.discontinuity_sequence.monotonic",
               HeaderLine(next, TagType::kDiscontinuitySequence),
               "EXT-X-DISCONTINUITY-SEQUENCE went back from " +
                   std::to_string(prev_->discontinuity_sequence()) + " to " +
                   std::to_string(next.discontinuity_sequence()));
    }

    const bool prev_final =
        p.endlist || prev_->playlist_type() == std::optional<std::string_view>("VOD");
    const bool removed_head = n_first > p_first;

    // Segments removed only from the head, in order (bis §6.2.1, §6.2.2).
    if (!msn_went_back && n_end < p_end && n_first <= p_end) {
      sink.Add("hls.playlist.head_only_removal", ns.empty() ? msn_line : SegmentLine(ns.back()),
               "segments " + std::to_string(std::max(n_end, p_first)) + ".." +
                   std::to_string(p_end - 1) +
                   " disappeared from the end of the playlist; only the head may be removed");
    }

    // A URI keeps its media sequence number; a segment keeps its duration and DSN.
    // (After a media sequence reset the numbers mean nothing; monotonic has reported it.)
    const int64_t lo = std::max(p_first, n_first);
    const int64_t hi = msn_went_back ? lo : std::min(p_end, n_end);
    int uri_mismatches = 0;
    size_t mapping_finding = 0;
    bool dsn_reported = false;
    bool moved_reported = false;
    for (int64_t msn = lo; msn < hi; ++msn) {
      const size_t pi = static_cast<size_t>(msn - p_first), ni = static_cast<size_t>(msn - n_first);
      const MediaSegment& a = ps[pi];
      const MediaSegment& b = ns[ni];
      if (a.uri() != b.uri() || std::fabs(a.duration_s() - b.duration_s()) > 1e-3) {
        if (uri_mismatches++ == 0) {
          std::string what = a.uri() != b.uri() ? "was " + a.uri() + ", now " + b.uri()
                                                : "duration changed from " + Sec(a.duration_s()) +
                                                      " to " + Sec(b.duration_s());
          mapping_finding = out.size();
          sink.Add("hls.media_sequence.stable_mapping", SegmentLine(b),
                   "media sequence number " + std::to_string(msn) + " " + what);
        }
      }
      // A splice whose DISCONTINUITY moves between reloads sends players that loaded different
      // versions down different timelines. The head segment may drop its tag (the
      // DISCONTINUITY-SEQUENCE then accounts for it), so it is not compared.
      if (!moved_reported && pi > 0 && ni > 0 && a.uri() == b.uri() && a.discontinuity() != b.discontinuity()) {
        moved_reported = true;
        sink.Add("hls.discontinuity.stable_position", SegmentLine(b),
                 "segment " + b.uri() + " (MSN " + std::to_string(msn) + ") " +
                     (a.discontinuity() ? "lost its EXT-X-DISCONTINUITY" : "gained an EXT-X-DISCONTINUITY") +
                     " since the previous reload");
      }
      if (!p.has_skip && !n.has_skip && !dsn_reported && p.dsn[pi] != n.dsn[ni]) {
        dsn_reported = true;
        const bool disc_gone =
            prev_->discontinuity_sequence() == next.discontinuity_sequence() && removed_head;
        sink.Add("hls.discontinuity_sequence.on_removal", SegmentLine(b),
                 "segment " + b.uri() + " (MSN " + std::to_string(msn) +
                     ") had discontinuity sequence " + std::to_string(p.dsn[pi]) + ", now " +
                     std::to_string(n.dsn[ni]) +
                     (disc_gone ? "; an EXT-X-DISCONTINUITY slid out without bumping "
                                  "EXT-X-DISCONTINUITY-SEQUENCE"
                                : ""));
      }
    }
    if (uri_mismatches > 1) {
      out[mapping_finding].message +=
          " (and " + std::to_string(uri_mismatches - 1) + " more segments)";
    }

    // bis §6.2.2: "A Live Playlist MUST NOT contain the EXT-X-PLAYLIST-TYPE tag, as no value of
    // that tag allows Media Segments to be removed."
    if (removed_head && (p.has_playlist_type || n.has_playlist_type)) {
      sink.Add("hls.playlist_type.absent_live", HeaderLine(next, TagType::kPlaylistType),
               "segments were removed from the head (media sequence " + std::to_string(p_first) +
                   " -> " + std::to_string(n_first) + ") but the playlist has EXT-X-PLAYLIST-TYPE");
    }

    // bis §4.4.3.4, §6.2.1: no more segments after ENDLIST; a VOD playlist MUST NOT change.
    if (prev_final && (n_first != p_first || n_end != p_end)) {
      sink.Add("hls.playlist.endlist_final", ns.empty() ? msn_line : SegmentLine(ns.back()),
               std::string("the playlist changed after ") +
                   (p.endlist ? "EXT-X-ENDLIST" : "EXT-X-PLAYLIST-TYPE:VOD") + " (segments " +
                   std::to_string(p_first) + ".." + std::to_string(p_end - 1) + " -> " +
                   std::to_string(n_first) + ".." + std::to_string(n_end - 1) + ")");
    }

    // bis §6.2.1: "The server MUST NOT remove an EXT-X-DATERANGE tag from a Playlist if any date
    // in the range maps to a Media Segment in the Playlist."
    if (!n.has_skip && !ns.empty()) {
      std::set<std::string_view> still;
      for (const DateRange& dr : next_ranges) still.insert(dr.id);
      for (const DateRange& dr : prev_ranges) {
        if (still.count(dr.id) != 0) continue;
        std::optional<UnixMicros> s = dr.Date("START-DATE");
        if (!s) continue;
        UnixMicros e = dr.End().value_or(*s);
        if (dr.Find("END-ON-NEXT") != nullptr) {
          // Ends at the START-DATE of the following range of its CLASS, if known.
          std::optional<UnixMicros> following;
          for (const DateRange& o : prev_ranges) {
            std::optional<UnixMicros> os = o.Date("START-DATE");
            if (&o != &dr && os && *os > *s && o.Quoted("CLASS") == dr.Quoted("CLASS") &&
                (!following || *os < *following)) {
              following = *os;
            }
          }
          e = following.value_or(*s);
        }
        for (size_t i = 0; i < ns.size(); ++i) {
          // The segment's date in `next`, else (no PDT left in `next`) its date in `prev`.
          std::optional<UnixMicros> start = n.starts[i];
          const int64_t msn = n_first + static_cast<int64_t>(i);
          if (!start && msn >= p_first && msn < p_end) {
            start = p.starts[static_cast<size_t>(msn - p_first)];
          }
          if (!start) continue;
          const UnixMicros seg_start = *start;
          const UnixMicros seg_end = seg_start + SecondsToMicros(ns[i].duration_s());
          // A range [START, END) covers a segment it overlaps; an instant covers the segment
          // that contains it.
          const bool covers =
              e > *s ? (seg_start < e && seg_end > *s) : (seg_start <= *s && seg_end > *s);
          if (covers) {
            sink.Add("hls.daterange.no_early_removal", SegmentLine(ns[i]),
                     "EXT-X-DATERANGE " + Quote(dr.id) + " (" + FormatIso8601Millis(*s) + " to " +
                         FormatIso8601Millis(e) + ") was removed while segment " + ns[i].uri() +
                         " it covers is still in the playlist");
            break;
          }
        }
      }
    }
  }

  // Date-range IDs across every reload seen (bis §4.4.5.1, §4.4.5.1.1, §6.2.1): a repeated ID may
  // add attributes but not change them, and an ID is never reused for a new range.
  for (const DateRange& dr : next_ranges) {
    auto it = date_ranges_.find(dr.id);
    if (it == date_ranges_.end()) {
      DateRangeRecord rec;
      for (const auto& [name, a] : dr.attrs) {
        rec.attributes.emplace(std::string(name), Shown(*a.attr));
      }
      date_ranges_.emplace(dr.id, std::move(rec));
      continue;
    }
    DateRangeRecord& rec = it->second;
    const bool reappeared = prev_ids.count(dr.id) == 0;
    for (const auto& [name, a] : dr.attrs) {
      std::string value = Shown(*a.attr);
      auto old = rec.attributes.find(name);
      if (old == rec.attributes.end()) {
        rec.attributes.emplace(std::string(name), std::move(value));
      } else if (old->second != value) {
        if (reappeared && name == "START-DATE") {
          sink.Add("hls.daterange.id_required_unique", a.line,
                   "EXT-X-DATERANGE ID " + Quote(dr.id) +
                       " was reused for a new range (START-DATE " + old->second + " -> " + value +
                       ")");
          old->second = std::move(value);
          continue;
        }
        sink.Add("hls.daterange.same_id_same_values", a.line,
                 "EXT-X-DATERANGE " + Quote(dr.id) + " changed " + std::string(name) + " from " +
                     old->second + " to " + value + " since an earlier reload");
      }
    }
  }

  prev_ = next;
  SortFindings(&out);
  return out;
}

}  // namespace ssai::hls
