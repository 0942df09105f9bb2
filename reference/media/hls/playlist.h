// HLS playlists (RFC 8216 and draft-pantos-hls-rfc8216bis): model, parser and writer.
//
// The model keeps every line it was given. A playlist is a sequence of tags (typed by TagType but
// stored with their value text exactly as written), comments, blank lines and URIs. Typed
// accessors parse from that text; mutators rewrite it. So there is one source of truth, and
// Serialize(Parse(x)) == x for any playlist Parse accepts (line endings included).
//
// Ownership: Tag and segment strings are owned by the model; AttributeList holds views into a
// Tag's value and must not outlive it.
//
// Parser notes (details in playlist.cc):
//  - Line endings: a playlist is CRLF when every line ending in it is CRLF; otherwise it is LF and
//    a stray '\r' stays in the line's text (so mixed input still round-trips byte for byte).
//  - A missing final line ending is remembered (final_newline()) and reproduced.
//  - A UTF-8 byte order mark is rejected (RFC 8216 §4.1: "MUST NOT contain any byte order mark").
//  - Only what the model needs is validated: EXTM3U first, EXTINF and the decimal-integer playlist
//    tags, segment/URI structure, and multivariant vs media tags. Attribute lists, dates and cue
//    markers are read leniently by the typed accessors; lint reports their form errors.
#ifndef SSAI_REFERENCE_MEDIA_HLS_PLAYLIST_H_
#define SSAI_REFERENCE_MEDIA_HLS_PLAYLIST_H_

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai::hls {

enum class TagType : uint8_t {
  // Basic and multivariant/media shared tags (RFC 8216 §4.3.1, §4.3.5).
  kExtM3u,               // EXTM3U
  kVersion,              // EXT-X-VERSION
  kIndependentSegments,  // EXT-X-INDEPENDENT-SEGMENTS
  kStart,                // EXT-X-START
  kDefine,               // EXT-X-DEFINE (bis §4.4.2.3)
  // Media playlist tags (RFC 8216 §4.3.3; bis §4.4.3).
  kTargetDuration,         // EXT-X-TARGETDURATION
  kMediaSequence,          // EXT-X-MEDIA-SEQUENCE
  kDiscontinuitySequence,  // EXT-X-DISCONTINUITY-SEQUENCE
  kEndList,                // EXT-X-ENDLIST
  kPlaylistType,           // EXT-X-PLAYLIST-TYPE
  kIFramesOnly,            // EXT-X-I-FRAMES-ONLY
  kPartInf,                // EXT-X-PART-INF
  kServerControl,          // EXT-X-SERVER-CONTROL
  kAllowCache,             // EXT-X-ALLOW-CACHE (removed in version 7, still seen)
  // Media segment tags (RFC 8216 §4.3.2; bis §4.4.4).
  kInf,               // EXTINF
  kByteRange,         // EXT-X-BYTERANGE
  kDiscontinuity,     // EXT-X-DISCONTINUITY
  kKey,               // EXT-X-KEY
  kMap,               // EXT-X-MAP
  kProgramDateTime,   // EXT-X-PROGRAM-DATE-TIME
  kGap,               // EXT-X-GAP
  kBitrate,           // EXT-X-BITRATE
  kPart,              // EXT-X-PART
  // Media metadata tags (bis §4.4.5).
  kDateRange,        // EXT-X-DATERANGE
  kSkip,             // EXT-X-SKIP
  kPreloadHint,      // EXT-X-PRELOAD-HINT
  kRenditionReport,  // EXT-X-RENDITION-REPORT
  // Multivariant (master) playlist tags (RFC 8216 §4.3.4; bis §4.4.6).
  kMedia,             // EXT-X-MEDIA
  kStreamInf,         // EXT-X-STREAM-INF (followed by a URI line)
  kIFrameStreamInf,   // EXT-X-I-FRAME-STREAM-INF
  kSessionData,       // EXT-X-SESSION-DATA
  kSessionKey,        // EXT-X-SESSION-KEY
  kContentSteering,   // EXT-X-CONTENT-STEERING
  // De-facto ad markers (not in RFC 8216; see fixtures/README.md for their sources).
  kCueOut,             // EXT-X-CUE-OUT
  kCueOutCont,         // EXT-X-CUE-OUT-CONT
  kCueIn,              // EXT-X-CUE-IN
  kCue,                // EXT-X-CUE (Adobe: TYPE=SpliceOut/SpliceIn)
  kOatclsScte35,       // EXT-OATCLS-SCTE35
  kAsset,              // EXT-X-ASSET
  kScte35,             // EXT-X-SCTE35
  kSplicepointScte35,  // EXT-X-SPLICEPOINT-SCTE35
  // Other lines, kept verbatim so output is lossless.
  kUnknown,  // a "#EXT" tag this parser does not know; `name` holds its name
  kComment,  // a "#" line that is not a tag; `value` holds the text after '#'
  kBlank,    // an empty (or whitespace-only) line; `value` holds it as written
};

// "EXT-X-TARGETDURATION" for kTargetDuration; "" for kUnknown, kComment and kBlank.
std::string_view TagName(TagType type);
// Looks up a tag name without the leading '#'. Unknown names give kUnknown.
TagType TagTypeFromName(std::string_view name);
// True for tags that apply to the whole playlist rather than to the next segment.
bool IsPlaylistLevelTag(TagType type);

struct Tag {
  TagType type = TagType::kUnknown;
  std::string name;       // set only for kUnknown: the tag name without '#'
  // The text after ':' exactly as written. When has_value is false: any whitespace written after
  // the name ("#EXT-X-ENDLIST " keeps its space here so output is exact), normally "".
  std::string value;
  bool has_value = false; // whether the line had a ':' after the name
  int line = 0;           // 1-based source line; 0 for tags built in code

  // "#EXT-X-KEY:METHOD=NONE" etc. (no line ending).
  std::string ToLine() const;

  static Tag Make(TagType type);                           // "#EXT-X-DISCONTINUITY"
  static Tag Make(TagType type, std::string value);        // "#EXT-X-CUE-OUT:30"
  static Tag Unknown(std::string name, std::string value); // "#EXT-X-FOO:bar"
  static Tag Comment(std::string text);                    // "# text"
};

// One attribute of an attribute list (RFC 8216 §4.2). `value` is the raw text; for a quoted-string
// it excludes the quotes.
struct Attribute {
  std::string_view name;
  std::string_view value;
  bool quoted = false;
};

// RFC 8216 §4.2 attribute list: AttributeName=AttributeValue pairs separated by commas.
class AttributeList {
 public:
  // Errors name the attribute and the 1-based column within `text`.
  static Result<AttributeList> Parse(std::string_view text);

  const std::vector<Attribute>& attributes() const { return attributes_; }
  const Attribute* Find(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  // Typed reads. nullopt when absent or when the value has the wrong form (e.g. a quoted-string
  // where an enumerated-string belongs); lint reports the form errors.
  std::optional<std::string_view> GetQuotedString(std::string_view name) const;
  std::optional<std::string_view> GetEnum(std::string_view name) const;  // unquoted
  std::optional<int64_t> GetInteger(std::string_view name) const;        // decimal-integer
  std::optional<double> GetFloat(std::string_view name) const;           // (signed-)decimal-floating-point
  std::optional<UnixMicros> GetDate(std::string_view name) const;        // quoted ISO 8601
  // decimal-resolution "1280x720".
  struct Resolution {
    int64_t width_px = 0;
    int64_t height_px = 0;
  };
  std::optional<Resolution> GetResolution(std::string_view name) const;
  // hexadecimal-sequence: the text including its "0x"/"0X" prefix.
  std::optional<std::string_view> GetHex(std::string_view name) const;

 private:
  std::vector<Attribute> attributes_;
};

// Builds an attribute-list value in insertion order: METHOD=NONE,URI="x",BANDWIDTH=1280000.
// AttributeList::Parse of a tag's value, with errors prefixed "line N: EXT-X-KEY: ".
Result<AttributeList> ParseTagAttributes(const Tag& tag);

class AttributeWriter {
 public:
  AttributeWriter& Quoted(std::string_view name, std::string_view value);
  AttributeWriter& Enum(std::string_view name, std::string_view value);
  AttributeWriter& Integer(std::string_view name, int64_t value);
  AttributeWriter& Float(std::string_view name, double value);  // shortest round-trip text
  AttributeWriter& Date(std::string_view name, UnixMicros value);  // quoted, millisecond precision
  AttributeWriter& Raw(std::string_view name, std::string_view value);  // hex, resolution, ...
  const std::string& str() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void Sep(std::string_view name);
  std::string text_;
};

// The EXT-X-MAP and EXT-X-KEYs in force at a point of a media playlist, as tag values written
// (RFC 8216 §4.3.2.4-5, bis §4.4.4.4-5): a MAP applies until the next MAP; a KEY until the next
// KEY of its KEYFORMAT (default "identity"), and METHOD=NONE ends them all (bis; RFC 8216 is
// silent). A DISCONTINUITY resets neither. One model for the splicer and the conformance checks.
struct MediaInitState {
  std::string map;  // the MAP's value; "" = none
  std::vector<std::pair<std::string, std::string>> keys;  // (KEYFORMAT, KEY value), in order
  void Apply(const Tag& tag);  // a MAP or KEY tag; other tags change nothing
  bool clear() const { return keys.empty(); }
  // Same MAP and the same KEY per KEYFORMAT, in any order.
  friend bool operator==(const MediaInitState& a, const MediaInitState& b);
};
// KEYFORMAT of an EXT-X-KEY value ("identity" when absent or unreadable); nullopt for METHOD=NONE.
std::optional<std::string> KeyFormatOf(std::string_view key_value);

// A media segment: the tag, comment and blank lines that precede its URI (in source order,
// EXTINF among them) and the URI. Tags that belong to a segment also include EXT-X-DATERANGE and
// cue markers written before it.
class MediaSegment {
 public:
  MediaSegment() = default;
  // A segment with "#EXTINF:<duration>," and `uri`.
  MediaSegment(double duration_s, std::string uri);

  double duration_s() const { return duration_s_; }  // EXTINF duration
  std::string_view title() const;                   // EXTINF title (after the comma)
  const std::string& uri() const { return uri_; }
  void set_uri(std::string uri) { uri_ = std::move(uri); }
  int line() const;  // line of EXTINF (0 if built in code)
  int uri_line() const { return uri_line_; }

  bool discontinuity() const { return Has(TagType::kDiscontinuity); }
  bool gap() const { return Has(TagType::kGap); }
  // The segment's own EXT-X-PROGRAM-DATE-TIME, if it has one and it parses.
  std::optional<UnixMicros> program_date_time() const;

  const std::vector<Tag>& tags() const { return tags_; }
  const Tag* Find(TagType type) const;  // first tag of `type`
  bool Has(TagType type) const { return Find(type) != nullptr; }

  // Mutators. New tags go just before EXTINF, so output order matches common packagers.
  void SetDuration(double duration_s);  // rewrites EXTINF, keeps the title; 3 decimals
  void SetDiscontinuity(bool on);
  void SetProgramDateTime(std::optional<UnixMicros> pdt);
  void AddTag(Tag tag);
  void RemoveTags(TagType type);
  // Raw access; call Refresh() after changing EXTINF through it.
  std::vector<Tag>& mutable_tags() { return tags_; }
  Status Refresh();  // re-reads the cached EXTINF duration

 private:
  friend class Parser;
  std::vector<Tag> tags_;
  std::string uri_;
  int uri_line_ = 0;
  double duration_s_ = 0;
};

class MediaPlaylist {
 public:
  // Tags and lines before the first segment's lines (EXTM3U, VERSION, TARGETDURATION, ...).
  const std::vector<Tag>& header() const { return header_; }
  std::vector<Tag>& mutable_header() { return header_; }
  const std::vector<MediaSegment>& segments() const { return segments_; }
  std::vector<MediaSegment>& mutable_segments() { return segments_; }
  // Lines after the last URI: EXT-X-ENDLIST, PRELOAD-HINT, RENDITION-REPORT, and markers such as
  // a CUE-OUT announced for the segment that is not published yet.
  const std::vector<Tag>& trailer() const { return trailer_; }
  std::vector<Tag>& mutable_trailer() { return trailer_; }

  // Typed playlist-level values with the RFC's defaults when absent.
  int version() const;                      // EXT-X-VERSION, 1 if absent (RFC 8216 §4.3.1.2)
  std::optional<int64_t> target_duration_s() const;  // EXT-X-TARGETDURATION (required)
  int64_t media_sequence() const;           // 0 if absent (RFC 8216 §4.3.3.2)
  int64_t discontinuity_sequence() const;   // 0 if absent (RFC 8216 §4.3.3.3)
  bool endlist() const;
  std::optional<std::string_view> playlist_type() const;  // "EVENT" or "VOD"

  // Mutators rewrite (or insert, in the header) the corresponding tag.
  void SetVersion(int version);
  void SetTargetDuration(int64_t seconds);
  void SetMediaSequence(int64_t msn);
  void SetDiscontinuitySequence(int64_t dsn);

  // Derived values.
  int64_t SequenceNumberOf(size_t index) const { return media_sequence() + static_cast<int64_t>(index); }
  // Discontinuity sequence number of segment `index` (RFC 8216 §4.3.3.3).
  int64_t DiscontinuitySequenceOf(size_t index) const;
  // Start instant of segment `index`: its own PDT, or the nearest earlier PDT plus the durations
  // in between, or the nearest later PDT minus them (RFC 8216 §4.3.2.6). nullopt without any PDT.
  std::optional<UnixMicros> SegmentStartTime(size_t index) const;
  // SegmentStartTime of every segment in one O(n) pass (calling it per segment is O(n^2) when
  // only the first segment carries a PDT, as many packagers write it).
  std::vector<std::optional<UnixMicros>> SegmentStartTimes() const;
  double TotalDuration() const;

  bool crlf() const { return crlf_; }
  void set_crlf(bool crlf) { crlf_ = crlf; }
  // False only when the parsed text did not end with a line ending; Serialize then omits the last.
  bool final_newline() const { return final_newline_; }
  void set_final_newline(bool on) { final_newline_ = on; }

 private:
  friend class Parser;
  const Tag* FindHeader(TagType type) const;
  Tag* FindOrInsertHeader(TagType type);
  // A playlist-level tag wherever it is: header, trailer, or (rarely) among a segment's lines.
  const Tag* FindPlaylistTag(TagType type) const;
  Tag* FindOrInsertPlaylistTag(TagType type);
  std::vector<Tag> header_;
  std::vector<MediaSegment> segments_;
  std::vector<Tag> trailer_;
  bool crlf_ = false;
  bool final_newline_ = true;
  // Set by the parser when a playlist-level tag sits among a segment's lines (after the header),
  // so lookups know to scan segments too; false keeps lookups to header + trailer.
  bool stray_playlist_tags_ = false;
};

// An item of a multivariant playlist: one tag line (with, for EXT-X-STREAM-INF, the URI that
// follows it), or a comment/blank/unknown line.
struct MasterItem {
  Tag tag;
  std::string uri;           // only for kStreamInf
  int uri_line = 0;
  std::vector<Tag> between;  // comment/blank lines between EXT-X-STREAM-INF and its URI
};

// A variant stream (EXT-X-STREAM-INF + URI) as seen through its attributes.
struct VariantInfo {
  size_t item_index = 0;
  int64_t bandwidth = 0;                 // BANDWIDTH (required)
  std::optional<int64_t> average_bandwidth;
  std::string codecs;
  std::string resolution;                // "1280x720" or ""
  std::string audio_group;               // AUDIO
  std::string subtitles_group;           // SUBTITLES
  std::string uri;
};

// An alternative rendition (EXT-X-MEDIA, RFC 8216 §4.3.4.1 / bis §4.4.6.1) as seen through its
// attributes. Attribute order and quoting are the packager's; values are as written (no
// unescaping exists in HLS). A malformed attribute list leaves every field empty.
struct MediaInfo {
  size_t item_index = 0;
  std::string type;          // AUDIO, VIDEO, SUBTITLES, CLOSED-CAPTIONS (enumerated-string)
  std::string group_id;      // GROUP-ID (required)
  std::string name;          // NAME (required)
  std::string language;      // LANGUAGE
  std::string uri;           // URI: "" = in the variant (AUDIO) or none (CLOSED-CAPTIONS)
  bool is_default = false;   // DEFAULT=YES
  bool autoselect = false;   // AUTOSELECT=YES
  bool forced = false;       // FORCED=YES (SUBTITLES only)
};

class MasterPlaylist {
 public:
  const std::vector<MasterItem>& items() const { return items_; }
  std::vector<MasterItem>& mutable_items() { return items_; }
  int version() const;
  std::vector<VariantInfo> Variants() const;
  std::vector<MediaInfo> Media() const;  // every EXT-X-MEDIA, in playlist order
  bool crlf() const { return crlf_; }
  void set_crlf(bool crlf) { crlf_ = crlf; }
  bool final_newline() const { return final_newline_; }  // as for MediaPlaylist
  void set_final_newline(bool on) { final_newline_ = on; }

 private:
  friend class Parser;
  std::vector<MasterItem> items_;
  bool crlf_ = false;
  bool final_newline_ = true;
};

using Playlist = std::variant<MasterPlaylist, MediaPlaylist>;

// Parsing limits: inputs beyond these are rejected with an error, not parsed slowly.
constexpr size_t kMaxPlaylistBytes = 16 * 1024 * 1024;
// Each line costs a Tag (~80 bytes); a day-long VOD playlist at 2 s segments has ~130k lines.
constexpr size_t kMaxPlaylistLines = 1024 * 1024;

// Parses either kind; EXT-X-STREAM-INF or EXT-X-MEDIA make it multivariant, EXTINF or
// EXT-X-TARGETDURATION make it a media playlist, both is an error. Errors say
// "line N: <what is wrong>".
Result<Playlist> Parse(std::string_view text);
Result<MediaPlaylist> ParseMedia(std::string_view text);
Result<MasterPlaylist> ParseMaster(std::string_view text);

// Every interstitial of a media playlist (an EXT-X-DATERANGE with CLASS="com.apple.hls.interstitial",
// bis Appendix D), in playlist order (each segment's tags, then the trailer's), its attributes
// parsed; a DATERANGE whose attributes do not parse is passed over (the linter reports it).
// The SGAI viewer model (what a viewer fetches) and the conformance checks (splice.sgai_*) read
// interstitials through this.
void ForEachInterstitial(const MediaPlaylist& playlist, const std::function<void(const AttributeList&)>& fn);

// Writers. Output uses the playlist's line ending and ends with one (unless final_newline() is
// false, which only parsing input without one produces).
std::string Serialize(const MediaPlaylist& playlist);
std::string Serialize(const MasterPlaylist& playlist);
void SerializeTo(const MediaPlaylist& playlist, std::string* out);  // appends
void SerializeTo(const MasterPlaylist& playlist, std::string* out);  // appends

}  // namespace ssai::hls

#endif  // SSAI_REFERENCE_MEDIA_HLS_PLAYLIST_H_
