// A deterministic synthetic live HLS origin: the media playlists a live packager would publish at
// any instant, for a stream described by a SyntheticStreamSpec, with ad-break cue markers in every
// flavour real origins use and real SCTE-35 payloads (built with the scte35 encoder).
//
// Pure: MediaPlaylistAt(spec, rendition, now) is a function of its arguments only, so the same
// (spec, now) gives the same bytes on every call and machine. The CLI (`ssai origin --synthetic`),
// the simulator and the tests all use it.
//
// Timeline. Segment n (its media sequence number, MSN) starts at
//     start_time + n * segment_duration   (segment_duration rounded to the millisecond)
// and is published once it has ended: the playlist at `now` lists the newest `window_segments`
// segments whose end is <= now (the live edge). PROGRAM-DATE-TIME is written on every segment (or
// only the first, if asked) with millisecond precision (RFC 8216 §4.3.2.6 / bis §4.4.4.6).
//
// Cues. Break times are kept as given, not snapped to segment boundaries: like a real packager,
// the OUT marker goes on the first segment whose start is >= the break start and the IN marker on
// the first segment whose start is >= the break end. A break that covers no segment start gets no
// markers. Payloads are splice_insert (SCTE 35 §9.7.3) with splice_event_id = event_id:
// out_of_network_indicator=1 plus break_duration (auto_return) for OUT, 0 for IN; the splice time
// is the break start/end on a 90 kHz clock whose 0 is start_time (mod 2^33).
#ifndef SSAI_REFERENCE_MEDIA_ORIGIN_SYNTHETIC_ORIGIN_H_
#define SSAI_REFERENCE_MEDIA_ORIGIN_SYNTHETIC_ORIGIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai::origin {

// How the origin marks ad breaks (fixtures/streams/ has a captured example of each).
enum class CueFlavour : uint8_t {
  kNone,         // no markers
  kCueOut,       // EXT-X-CUE-OUT:DURATION=d / EXT-X-CUE-OUT-CONT / EXT-X-CUE-IN (MediaTailor input)
  kOatcls,       // EXT-OATCLS-SCTE35:<b64> + EXT-X-CUE-OUT:d ... EXT-X-CUE-IN (MediaPackage)
  kDateRange,    // EXT-X-DATERANGE SCTE35-OUT=0x.. / SCTE35-IN=0x.. (RFC 8216 §4.3.2.7.1)
  kExtXScte35,   // EXT-X-SCTE35:CUE="<b64>",CUE-OUT=YES|CONT / CUE-IN=YES
  kSplicepoint,  // EXT-X-SPLICEPOINT-SCTE35:<b64>
};
// "none", "cue_out", "oatcls", "daterange", "ext_x_scte35", "splicepoint".
std::string_view CueFlavourName(CueFlavour flavour);
std::optional<CueFlavour> CueFlavourFromName(std::string_view name);

struct Rendition {
  std::string name;           // "v720": used in segment URIs and "{name}.m3u8"
  int64_t bandwidth_bps = 0;  // EXT-X-STREAM-INF BANDWIDTH
  std::string resolution;     // "1280x720", or "" (audio only)
  std::string codecs;         // "avc1.64001f,mp4a.40.2", or ""
  // Messy origins: this rendition's cue markers sit this many segments later than the schedule
  // says (a packager that cuts renditions at different segments). >= 0.
  int cue_offset_segments = 0;
};

// A demuxed audio or subtitle rendition (issue 14): an EXT-X-MEDIA entry of the multivariant
// playlist (bis §4.4.6.1) whose media playlist "{id}.m3u8" runs on the same timeline as the
// variants (same MSNs, PDTs and cue markers: bis §6.2.4). Audio is in group "aud" (fMP4 with its
// own EXT-X-MAP and the stream's EXT-X-KEY when container is "cmaf", else packed audio
// "{id}_{msn}.aac"); subtitles are WebVTT "{id}_{msn}.vtt" in group "sub" (never encrypted, no
// MAP; WebVttSegment gives a segment's text).
struct AlternateRendition {
  std::string id;        // playlist and segment name: letters, digits, '_' and '-'
  std::string name;      // NAME (unique in its group)
  std::string language;  // LANGUAGE (RFC 5646), may be ""
  bool is_default = false;  // DEFAULT=YES (at most one per group); AUTOSELECT is always YES
};

struct ScheduledBreak {
  UnixMicros start_time = 0;
  double duration_s = 0;
  uint32_t event_id = 0;  // SCTE-35 splice_event_id
  // Messy origins. in_after_s > 0: the IN marker (and IN splice time) comes this long after the
  // start, before the announced duration ends (an early CUE-IN). cancelled: the OUT section has
  // splice_event_cancel_indicator=1 (SCTE 35 §9.7.3) and is written alone (only the tag that
  // carries the section: OATCLS, EXT-X-SCTE35 CUE, SPLICEPOINT; CUE-OUT and DATERANGE write
  // nothing), repeated inside the break when repeat_cue, and no IN follows.
  double in_after_s = 0;
  bool cancelled = false;
};

struct SyntheticStreamSpec {
  double segment_duration_s = 6;  // > 0, <= 60; rounded to the millisecond (e.g. 2.002)
  int window_segments = 6;        // segments listed per playlist, >= 1
  UnixMicros start_time = 0;      // PROGRAM-DATE-TIME of MSN 0 (millisecond aligned)
  // EXT-X-TARGETDURATION; 0 = the segment duration rounded to the nearest integer (at least 1),
  // the smallest value RFC 8216 §4.3.3.1 allows.
  int64_t target_duration_s = 0;
  std::vector<Rendition> renditions;
  CueFlavour cue_flavour = CueFlavour::kCueOut;
  std::vector<ScheduledBreak> breaks;  // sorted by start_time, not overlapping
  // Repeat the break's marker on every segment inside it (CUE-OUT-CONT for the CUE-OUT flavours,
  // CUE-OUT=CONT for EXT-X-SCTE35, the OUT tag again for DATERANGE and SPLICEPOINT).
  bool repeat_cue = true;
  bool omit_cue_in = false;           // a defective origin: no IN marker
  bool pdt_on_every_segment = true;   // false: PROGRAM-DATE-TIME on the first segment only
  // The 90 kHz PTS at start_time (mod 2^33); splice times count from it. Near 2^33, breaks cross
  // the 33-bit wrap (SCTE 35 §9.7.1: pts_time is 33 bits).
  int64_t pts_offset_ticks = 0;
  // "{rendition}" and "{msn}" are replaced.
  std::string segment_uri_template = "seg_{rendition}_{msn}.ts";
  // What `ssai origin` serves at the segment URIs: "none" (playlists only; segments 404) or
  // "ffmpeg" (real MPEG-TS made once with ffmpeg and cached: reference/server/media_library.h).
  std::string media = "none";
  // CMAF and encryption (issue 14). container "ts" (default) or "cmaf": fMP4 segments with
  // EXT-X-MAP:URI="{init}" (init_uri_template, "{rendition}" replaced) declared on every window's
  // first segment, EXT-X-VERSION 6 (RFC 8216 §7). encryption "none" (default), "aes-128" or
  // "sample-aes": EXT-X-KEY with URI="key_{k}.bin" (k = msn / key_rotation_segments, 0 without
  // rotation) and IV = k as 128 bits (an AES-128 init needs an IV), written before the MAP on
  // the window's first segment and on every segment where the key changes (RFC 8216 §4.3.2.4);
  // SAMPLE-AES adds KEYFORMAT="identity" and needs version 5 (cbcs in fMP4).
  std::string container = "ts";
  std::string encryption = "none";
  int64_t key_rotation_segments = 0;  // 0 = one key for the whole stream
  std::string init_uri_template = "init_{rendition}.mp4";
  std::vector<AlternateRendition> audio;      // EXT-X-MEDIA TYPE=AUDIO, GROUP-ID="aud"
  std::vector<AlternateRendition> subtitles;  // EXT-X-MEDIA TYPE=SUBTITLES, GROUP-ID="sub"
};

// The 16-byte AES-128 key the origin serves at KeyUri(k) (deterministic; a test stream's key, not a
// secret): bytes i = (k * 31 + i) mod 256.
std::string KeyUri(int64_t k);                // "key_{k}.bin"
std::string KeyBytes(int64_t k);
// The EXT-X-KEY value for key k of `spec` ("" when encryption is "none").
std::string KeyTagValue(const SyntheticStreamSpec& spec, int64_t k);

// Checks ranges and ordering; the message names the field ("breaks[1].start_time: ...").
Status ValidateSpec(const SyntheticStreamSpec& spec);

// JSON form (snake_case keys, times as ISO 8601 strings):
// {"segment_duration_s": 2.002, "window_segments": 6, "start_time": "2026-01-15T12:00:00Z",
//  "target_duration_s": 0, "cue_flavour": "cue_out", "repeat_cue": true, "omit_cue_in": false,
//  "pdt_on_every_segment": true, "segment_uri_template": "seg_{rendition}_{msn}.ts", "media": "none",
//  "container": "ts", "encryption": "none", "key_rotation_segments": 0,
//  "init_uri_template": "init_{rendition}.mp4",
//  "audio": [{"id": "aud_en", "name": "English", "language": "en", "default": true}],
//  "subtitles": [{"id": "sub_en", "name": "English", "language": "en"}],
//  "renditions": [{"name": "v720", "bandwidth_bps": 2500000, "resolution": "1280x720",
//                  "codecs": "avc1.64001f,mp4a.40.2"}],
//  "breaks": [{"start_time": "2026-01-15T12:01:00Z", "duration_s": 30, "event_id": 1001}]}
// Only segment_duration_s, start_time and renditions are required. The result is validated.
// Unknown keys are refused by name ("renditions[0].codec: unknown key (allowed: ...)"), nesting
// is bounded (kMaxJsonDepth), at most kMaxRenditions renditions and kMaxBreaks breaks. `path`
// names the spec inside a larger document: errors then read "scenario.origin.FIELD: ..." instead
// of "synthetic stream spec: FIELD: ...".
inline constexpr size_t kMaxRenditions = 64;
inline constexpr size_t kMaxBreaks = 10000;
Result<SyntheticStreamSpec> ParseSpec(std::string_view json, std::string_view path = "");
// The "audio" and "subtitles" arrays of `object` (a JSON object shaped like a spec: other keys are
// the caller's) into spec->audio / spec->subtitles, parsed exactly as ParseSpec parses them (the
// simulator's scenario.origin uses it: one parser for the fields). Errors are prefixed with
// `path` ("scenario.origin.audio[0].id: missing"); ValidateSpec checks them against the renditions.
Status ParseAlternates(const nlohmann::json& object, std::string_view path, SyntheticStreamSpec* spec);
std::string SerializeSpec(const SyntheticStreamSpec& spec);

// Timeline helpers.
DurationMicros SegmentDurationMicros(const SyntheticStreamSpec& spec);  // rounded to 1 ms
int64_t TargetDurationSeconds(const SyntheticStreamSpec& spec);
UnixMicros SegmentStart(const SyntheticStreamSpec& spec, int64_t msn);
// MSN of the newest published segment at `now` (its end <= now); -1 when none is.
int64_t LiveEdgeMsn(const SyntheticStreamSpec& spec, UnixMicros now);
// MSN of the first segment whose start is >= t (0 when t is before the stream start).
int64_t FirstSegmentAtOrAfter(const SyntheticStreamSpec& spec, UnixMicros t);
std::string SegmentUri(const SyntheticStreamSpec& spec, std::string_view rendition, int64_t msn);

const Rendition* FindRendition(const SyntheticStreamSpec& spec, std::string_view name);

// The rendition's media playlist at `now`. Before the first segment ends the playlist has no
// segments. `spec` is expected to be valid (ValidateSpec); an invalid one still gives a playlist,
// never a crash.
std::string MediaPlaylistAt(const SyntheticStreamSpec& spec, const Rendition& rendition,
                            UnixMicros now);
// The multivariant playlist: one EXT-X-STREAM-INF per rendition, URI "{name}.m3u8"; with
// alternates, their EXT-X-MEDIA lines first and AUDIO="aud" / SUBTITLES="sub" on every variant.
std::string MasterPlaylist(const SyntheticStreamSpec& spec);
// An audio or subtitle rendition's media playlist at `now` (nullptr-safe lookup below).
const AlternateRendition* FindAlternate(const SyntheticStreamSpec& spec, std::string_view id, bool* subtitles);
std::string AlternatePlaylistAt(const SyntheticStreamSpec& spec, const AlternateRendition& alt, bool subtitles,
                                UnixMicros now);
// WebVTT segment `msn` (RFC 8216 §3.5 / bis §3.1.4): the header with X-TIMESTAMP-MAP mapping cue
// time 0 to the segment timeline's 90 kHz origin (pts_offset_ticks), and one cue over the segment.
std::string WebVttSegment(const SyntheticStreamSpec& spec, const AlternateRendition& alt, int64_t msn);
// A WebVTT segment with the same header and no cue (bis §3.1.4: valid): what a subtitle rendition
// plays during an ad break (the lockstep splice's subtitle slate, reference/ssai/README.md).
std::string BlankWebVtt(const SyntheticStreamSpec& spec);

// The SCTE-35 splice_insert payloads the origin writes for a break (binary section).
std::vector<uint8_t> BreakOutSection(const SyntheticStreamSpec& spec, const ScheduledBreak& brk);
std::vector<uint8_t> BreakInSection(const SyntheticStreamSpec& spec, const ScheduledBreak& brk);

// The marker writers of MediaPlaylistAt, for other packagers of the same flavours (the TS
// packager, reference/media/ts/ts_packager.h): the lines written before a break's first segment
// (OUT), before each later segment inside it when markers repeat (CONT), and before the segment
// where it ends (IN). A cancelled break writes only its cancel section, in the tags that carry one.
struct BreakMarkerText {
  uint32_t event_id = 0;       // splice_event_id / segmentation_event_id: EXT-X-SCTE35 ID
  UnixMicros start_time = 0;   // the splice instant: DATERANGE START-DATE
  bool cancelled = false;
  std::string daterange_id;    // DATERANGE ID; "" = "splice-{event_id}"
  std::string out_b64, in_b64, out_hex, in_hex;  // the OUT / IN splice_info_sections
  std::string duration_text;     // planned duration, shortest form ("30", "30.5")
  std::string in_duration_text;  // DATERANGE DURATION on the IN tag (actual); "" = duration_text
};
BreakMarkerText MakeBreakMarkerText(uint32_t event_id, UnixMicros start_time, double duration_s,
                                    const std::vector<uint8_t>& out_section,
                                    const std::vector<uint8_t>& in_section, bool cancelled = false);
void AppendOutMarker(CueFlavour flavour, const BreakMarkerText& m, std::string* out);
void AppendContMarker(CueFlavour flavour, const BreakMarkerText& m, double elapsed_s, std::string* out);
void AppendInMarker(CueFlavour flavour, const BreakMarkerText& m, std::string* out);

}  // namespace ssai::origin

#endif  // SSAI_REFERENCE_MEDIA_ORIGIN_SYNTHETIC_ORIGIN_H_
