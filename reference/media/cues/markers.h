// Ad-break cue markers in live HLS media playlists: extraction of every flavour found in real
// origins, with the SCTE-35 section they carry decoded.
//
// Flavours (see /work/shared/reference/scte35.md §3 and fixtures/streams/README.md):
//   EXT-X-CUE-OUT[:30 | :DURATION=30]                       Elemental / MediaTailor input markers
//   EXT-X-CUE-OUT-CONT:ElapsedTime=8.3,Duration=30[,SCTE35=<b64>] or :8.308/30
//   EXT-X-CUE-IN
//   EXT-OATCLS-SCTE35:<base64>                               "SCTE-35 enhanced" (AWS MediaLive
//   docs) EXT-X-DATERANGE:...,SCTE35-OUT=0xFC...|SCTE35-IN=|SCTE35-CMD=   RFC 8216 §4.3.2.7.1
//                                                            (bis §4.4.5.1.1); hex, not base64
//   EXT-X-SCTE35:CUE="<b64>"[,CUE-OUT=YES|CONT][,CUE-IN=YES][,DURATION=][,ELAPSED=][,ID=]
//   EXT-X-SPLICEPOINT-SCTE35:<base64>
//   EXT-X-CUE:TYPE=SpliceOut|SpliceIn,DURATION=..,ID=..,TIME=..   Adobe (AWS MediaLive docs)
//
// Attachment: a marker applies to the segment that follows it (the segment whose tags include
// it). Markers in MediaPlaylist::trailer() apply to the next segment, not published yet: their
// segment_index is segments().size() and their msn is one past the last segment's.
//
// Extraction never fails: a malformed value (bad base64, CRC_32 mismatch, "CUE-OUT:abc") becomes
// a Diagnostic naming the line, and the marker is kept with the parts that did parse (a CUE-OUT
// with a garbage duration is still an OUT) or dropped when nothing of it is usable.
#ifndef SSAI_REFERENCE_MEDIA_CUES_MARKERS_H_
#define SSAI_REFERENCE_MEDIA_CUES_MARKERS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/time.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::cues {

enum class Flavour : uint8_t {
  kCueOut,             // EXT-X-CUE-OUT
  kCueOutCont,         // EXT-X-CUE-OUT-CONT
  kCueIn,              // EXT-X-CUE-IN
  kOatclsScte35,       // EXT-OATCLS-SCTE35
  kDateRange,          // EXT-X-DATERANGE with SCTE35-OUT / SCTE35-IN / SCTE35-CMD
  kScte35,             // EXT-X-SCTE35
  kSplicepointScte35,  // EXT-X-SPLICEPOINT-SCTE35
  kAdobeCue,           // EXT-X-CUE (Adobe)
};
// "cue_out", "cue_out_cont", "cue_in", "oatcls_scte35", "daterange", "ext_x_scte35",
// "splicepoint_scte35", "adobe_cue".
std::string_view FlavourName(Flavour flavour);

// Marker durations and elapsed times above this (about 3 years) are rejected as malformed.
inline constexpr double kMaxMarkerSeconds = 1e8;

// What the HLS syntax of the marker says. kSignal: only the SCTE-35 section tells (OATCLS,
// SPLICEPOINT, DATERANGE SCTE35-CMD, EXT-X-SCTE35 without CUE-OUT/CUE-IN).
enum class Direction : uint8_t { kOut, kCont, kIn, kSignal };
std::string_view DirectionName(Direction direction);  // "out", "cont", "in", "signal"

// A warning about the input, tied to a 1-based source line (0 when no line applies).
struct Diagnostic {
  int line = 0;
  std::string message;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};
// "line 12: <message>" (or just the message for line 0).
std::string FormatDiagnostic(const Diagnostic& d);

struct Marker {
  Flavour flavour = Flavour::kCueOut;
  Direction direction = Direction::kSignal;
  int line = 0;              // 1-based source line of the tag
  size_t segment_index = 0;  // index into segments(); segments().size() for trailer markers
  int64_t msn = 0;           // media sequence number of that segment
  bool in_trailer = false;
  std::string text;  // the tag line as written, e.g. "#EXT-X-CUE-OUT:30"

  // HLS-level values, when the marker gives them (and they parse).
  std::optional<double>
      duration_s;                   // CUE-OUT, CUE-OUT-CONT Duration, EXT-X-SCTE35 / Adobe DURATION
  std::optional<double> elapsed_s;  // CUE-OUT-CONT ElapsedTime, EXT-X-SCTE35 ELAPSED
  std::string id;                   // DATERANGE / EXT-X-SCTE35 / Adobe ID ("" if none)
  // EXT-X-DATERANGE (RFC 8216 §4.3.2.7; bis §4.4.5.1).
  std::optional<UnixMicros> start_date;
  std::optional<UnixMicros> end_date;
  std::optional<double> planned_duration_s;    // PLANNED-DURATION
  std::optional<double> daterange_duration_s;  // DURATION (the actual duration, once known)

  // The SCTE-35 payload as written (base64, or hex for DATERANGE) and its decode. `scte35` is
  // empty when there is no payload or it was rejected (a Diagnostic says why).
  std::string scte35_text;
  std::optional<scte35::SpliceInfoSection> scte35;
};

struct ExtractResult {
  std::vector<Marker> markers;  // in source order
  std::vector<Diagnostic> warnings;
};

// All cue markers of `playlist` (header, segments, trailer), in source order.
ExtractResult ExtractMarkers(const hls::MediaPlaylist& playlist);

// Parses one marker tag; nullopt (and maybe a warning) when the tag is not a cue marker or is
// unusable. `segment_index`, `msn` and `in_trailer` are left for the caller to fill.
std::optional<Marker> ParseMarkerTag(const hls::Tag& tag, std::vector<Diagnostic>* warnings);

// The same marker tag with its elapsed time moved by `shift_s` (floored at 0): EXT-X-CUE-OUT-CONT's
// ElapsedTime (attribute form, and the "elapsed/duration" form of AWS MediaLive) and
// EXT-X-SCTE35's ELAPSED, every other byte kept. A splicer that carries a content slot's marker
// onto an ad segment starting `shift_s` later (a pod whose segments are not on the slot grid)
// keeps the marker true of the segment it is on (de-facto: ElapsedTime is the time since the
// CUE-OUT at that segment's start; lint rule hls.cue.cont_elapsed_increasing). nullopt when the
// tag carries no elapsed time it could move.
std::optional<hls::Tag> ShiftElapsed(const hls::Tag& tag, double shift_s);

// A loose attribute list for the de-facto tags, which break RFC 8216 §4.2 in practice (unquoted
// base64 with '=' padding, "ElapsedTime=8.3", quoted enums): NAME=VALUE pairs split on commas
// outside double quotes; quotes are stripped. Names keep their case; look-ups ignore it.
struct LooseAttribute {
  std::string name;
  std::string value;
  bool quoted = false;
  // Where `value` is in the parsed text, [value_begin, value_end) (inside the quotes): what a
  // rewrite of one value replaces (ShiftElapsed).
  size_t value_begin = 0;
  size_t value_end = 0;
};
Result<std::vector<LooseAttribute>> ParseLooseAttributes(std::string_view text);
const LooseAttribute* FindLoose(const std::vector<LooseAttribute>& attrs, std::string_view name);

}  // namespace ssai::cues

#endif  // SSAI_REFERENCE_MEDIA_CUES_MARKERS_H_
