// Cue markers → ad-break events, across successive reloads of one live media playlist.
//
// Origins repeat markers on every segment (CUE-OUT-CONT, OATCLS, EXT-X-SCTE35) and every reload
// repeats the whole window, so a marker is seen many times. The Normalizer keeps plain state
// (no clocks, no I/O: sans-I/O, DESIGN.md) and reports each break once:
//
//   start   a break begins (splice_time = where content is left)
//   end     it ends: explicit IN (CUE-IN, SCTE35-IN, splice_insert out_of_network=0, segmentation
//           end type), its duration elapsed (no IN; Adobe style never sends one), the next OUT,
//           or Finish() at end of input
//   cancel  splice_event_cancel_indicator / segmentation_event_cancel_indicator (SCTE 35 §9.7.3,
//           §10.3.3): the break with that id is dropped (no end follows); for an id never started,
//           the cancel is reported alone (no start)
//
// Timeline. Times are EXT-X-PROGRAM-DATE-TIME instants (MediaPlaylist::SegmentStartTime,
// RFC 8216 §4.3.2.6). A marker's splice time is the start of the segment it is attached to
// (trailer markers: the end of the last segment), or START-DATE for EXT-X-DATERANGE
// (RFC 8216 §4.3.2.7.1: "START-DATE ... MUST be the splice time"). A playlist without any PDT gets
// a synthetic timeline: the first segment ever observed starts at 0 (1970-01-01T00:00:00Z) and
// later segments follow by cumulative EXTINF durations, matched across reloads by media sequence
// number; events then say time_source "synthetic".
//
// Event ids (BreakEvent::event_id), by the marker that opened the break:
//   SCTE-35 splice_insert        splice_event_id in decimal ("1207959695")
//   SCTE-35 time_signal          segmentation_event_id of the break descriptor, decimal
//   EXT-X-DATERANGE OUT/IN       the DATERANGE ID (RFC 8216 §4.3.2.7.1 makes it unique per splice)
//   EXT-X-SCTE35 / Adobe without a decodable section: their ID attribute, if any
//   anything else (CUE-OUT, CUE-OUT-CONT join)  "cue-<msn>", msn = the break's first segment
// Scoping: ids are scoped to one Normalizer (one stream). When a later break reuses an id already
// used by an earlier break of this stream (splice_event_id reuse, scte35.md §5), it is reported as
// "<id>#<msn>" (msn of its first segment), so two breaks never share an id. End and cancel events
// carry the id of the break they close. Consumers should still key state by channel as well.
//
// Dedupe: a marker already seen at the same media sequence number with the same text is skipped
// (reload repeats); an SCTE-35 signal is identified by (event id, command/segmentation type, PTS)
// and DATERANGE by (ID, OUT|IN, START-DATE), and a signal seen before is skipped while its copies
// keep arriving (identity is forgotten two windows after the last copy slid out). An OUT within
// `same_break_tolerance_us` of the open break's start is the same break (CUE-OUT + OATCLS +
// DATERANGE for one splice). A plain CUE-OUT (no id) inside the open break's planned span is a
// repeat, not a new break; one from same_break_tolerance_us before the open break's planned end
// on (or after it) starts the next break (back-to-back pods). A repeat is never recognised by
// closeness to the previous break's end. A CUE-OUT-CONT with no break open (a player joining mid-break) opens one at segment_time -
// ElapsedTime, unless that matches a break that already ended.
//
// Durations, in precedence order (scte35.md §4): splice_insert break_duration, segmentation
// duration of the break descriptor, the OUT marker's own duration (CUE-OUT, EXT-X-SCTE35 DURATION,
// Adobe DURATION), CUE-OUT-CONT Duration, DATERANGE PLANNED-DURATION; a DATERANGE DURATION (the
// actual duration, RFC 8216 §4.3.2.7) wins over all of them. A break with a duration ends when the
// playlist's timeline passes start + duration (+ expiry_grace_us), unless splice_insert
// break_duration.auto_return is 0 (SCTE 35 §9.8.2), in which case it waits for an explicit IN (or
// the next OUT, or Finish()).
//
// Segmentation types (SCTE 35 Table 22) treated as ad breaks: 0x22/0x23 Break, 0x30/0x31 Provider
// Advertisement, 0x32/0x33 Distributor Advertisement, 0x34/0x35 Provider Placement Opportunity,
// 0x36/0x37 Distributor Placement Opportunity. A start type opens, its pair (type + 1) with the
// same segmentation_event_id closes. Ads or placement opportunities nested in an open 0x22 break
// (or ads in an open PO) are inside it, not new breaks. Other types (program start 0x10, chapters,
// ...) are not ad breaks: they produce a note, not an event.
#ifndef SSAI_REFERENCE_MEDIA_CUES_NORMALIZER_H_
#define SSAI_REFERENCE_MEDIA_CUES_NORMALIZER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/time.h"
#include "reference/media/cues/markers.h"
#include "reference/media/hls/playlist.h"

namespace ssai::cues {

enum class EventKind : uint8_t { kStart, kEnd, kCancel };
std::string_view EventKindName(EventKind kind);  // "start", "end", "cancel"

enum class DurationSource : uint8_t {
  kNone,
  kBreakDuration,         // "splice_insert.break_duration" (SCTE 35 §9.8.2)
  kSegmentationDuration,  // "segmentation_duration" (SCTE 35 §10.3.3)
  kCueOut,                // "cue_out": the OUT marker's own duration (CUE-OUT, EXT-X-SCTE35, Adobe)
  kDaterangePlanned,      // "daterange_planned": PLANNED-DURATION
  kDaterangeDuration,     // "daterange_duration": DURATION (actual)
  kCueOutCont,            // "cue_out_cont": CUE-OUT-CONT Duration / EXT-X-SCTE35 CONT DURATION
  kMeasured,              // "measured": end events ended by an IN / next OUT: end - start
};
std::string_view DurationSourceName(DurationSource source);  // "" for kNone

enum class TimeSource : uint8_t {
  kProgramDateTime,  // "pdt"
  kDateRange,        // "daterange_start_date"
  kSynthetic,        // "synthetic": no PDT in the playlist
};
std::string_view TimeSourceName(TimeSource source);

enum class EndReason : uint8_t {
  kNone,      // start events
  kIn,        // "in": an explicit IN marker / signal
  kDuration,  // "duration": start + duration reached without an IN
  kNextOut,   // "next_out": another break started first
  kFinish,    // "finish": Finish() with auto_return=0 and no IN: ended by its duration
  kCancel,    // "cancel"
};
std::string_view EndReasonName(EndReason reason);  // "" for kNone

struct BreakEvent {
  EventKind kind = EventKind::kStart;
  std::string event_id;
  UnixMicros splice_time = 0;
  TimeSource time_source = TimeSource::kProgramDateTime;
  // start: the planned duration; end: the actual duration (end - start); cancel: none.
  std::optional<double> duration_s;
  DurationSource duration_source = DurationSource::kNone;
  EndReason reason = EndReason::kNone;
  Flavour flavour = Flavour::kCueOut;  // the marker that caused the event (expiry: the start's)
  int64_t msn = 0;                     // media sequence number of the segment at splice_time
  int line = 0;                        // source line of that marker (expiry: the segment's EXTINF)
  std::optional<int64_t> pts_ticks;    // SCTE-35 (pts_time + pts_adjustment) mod 2^33, if any
  std::optional<uint8_t> segmentation_type_id;
  friend bool operator==(const BreakEvent&, const BreakEvent&) = default;
};

struct NormalizerOptions {
  // Two OUTs whose splice times differ by at most this are one break.
  DurationMicros same_break_tolerance_us = 1'000'000;
  // A break without an IN ends once the timeline passes start + duration + this.
  DurationMicros expiry_grace_us = 1'000'000;
  // A PTS-derived break length (SCTE-35 OUT → IN) that differs from the playlist timeline by more
  // than this is a warning.
  DurationMicros pts_mismatch_warn_us = 1'000'000;
};

struct NormalizeResult {
  std::vector<BreakEvent> events;
  std::vector<Diagnostic> warnings;  // malformed or inconsistent input (with lines)
  std::vector<Diagnostic> notes;     // things ignored on purpose: repeats, non-break signals
};

class Normalizer {
 public:
  explicit Normalizer(NormalizerOptions options = {});

  // Feeds the next reload of the playlist. Events are those newly known after this reload.
  NormalizeResult Push(const hls::MediaPlaylist& playlist);
  // End of input: ends an open break that has a duration at start + duration.
  NormalizeResult Finish();

  bool break_open() const { return open_.has_value(); }

 private:
  struct Seg {
    int64_t msn = 0;
    UnixMicros start = 0;
    DurationMicros duration = 0;
    int line = 0;
  };
  struct Timeline {
    std::vector<Seg> segs;
    TimeSource source = TimeSource::kProgramDateTime;
    UnixMicros end = 0;          // end of the last segment
    int64_t next_msn = 0;        // msn of the segment after the last
    DurationMicros nominal = 0;  // a typical segment duration, for extrapolation
  };
  enum class IdKind : uint8_t { kDerived, kScte35, kNamed };
  enum class Action : uint8_t { kIn, kCancel, kOut, kCont };
  struct Signal;
  struct OpenBreak {
    std::string event_id;
    std::string raw_id;
    IdKind id_kind = IdKind::kDerived;
    UnixMicros start = 0;
    TimeSource time_source = TimeSource::kProgramDateTime;
    std::optional<DurationMicros> duration;
    DurationSource duration_source = DurationSource::kNone;
    bool auto_end = true;
    Flavour flavour = Flavour::kCueOut;
    int64_t msn = 0;
    std::optional<int64_t> pts;
    uint8_t seg_type = 0;
    std::set<std::string> nested_ids;
    size_t start_event = static_cast<size_t>(-1);  // index in the current result, if emitted now
  };
  struct ClosedBreak {
    std::string raw_id;
    UnixMicros start = 0;
    UnixMicros end = 0;
  };

  Timeline BuildTimeline(const hls::MediaPlaylist& playlist, NormalizeResult* r);
  std::vector<Signal> SignalsOf(const Marker& m, const Timeline& tl, NormalizeResult* r) const;
  void Process(const Signal& s, const Timeline& tl, NormalizeResult* r);
  void Open(const Signal& s, UnixMicros start, int64_t msn, const Timeline& tl, NormalizeResult* r);
  void Close(UnixMicros end, EndReason reason, const Signal* s, const Timeline& tl,
             NormalizeResult* r);
  void ExpireBefore(UnixMicros t, const Timeline& tl, NormalizeResult* r);
  std::string MakeEventId(const std::string& raw_id, int64_t msn);
  // The segment containing `t` (extrapolated beyond the window) and its EXTINF line (0 outside).
  void Locate(UnixMicros t, const Timeline& tl, int64_t* msn, int* line) const;

  NormalizerOptions options_;
  std::optional<OpenBreak> open_;
  std::deque<ClosedBreak> recent_;
  std::map<std::string, int64_t> seen_positions_;  // "msn|text" → msn
  std::map<std::string, int64_t> seen_signals_;    // identity key → last msn seen
  std::set<std::string> used_ids_;
  // Synthetic timeline: segment msn → (start, duration).
  std::map<int64_t, std::pair<UnixMicros, DurationMicros>> synthetic_;
  bool noted_synthetic_ = false;
  std::optional<int64_t> last_first_msn_;
  Timeline last_timeline_;
  bool have_timeline_ = false;
};

// Convenience for tests and tools: runs one Normalizer over `reloads` then Finish(); events and
// diagnostics concatenated in order.
NormalizeResult NormalizeReloads(const std::vector<hls::MediaPlaylist>& reloads,
                                 NormalizerOptions options = {});

// One JSON object, no newline, keys in this order: kind, event_id, splice_time (ISO 8601, ms),
// time_source, duration_s (null if none), duration_source (null if none), reason (end and cancel
// only), flavour, msn, file, line, then pts_ticks and segmentation_type_id ("0x34") when known.
// This is the `ssai hls cues` output line (fixtures/streams/*/expected_cues.jsonl).
std::string EventToJsonLine(const BreakEvent& event, std::string_view file);

}  // namespace ssai::cues

#endif  // SSAI_REFERENCE_MEDIA_CUES_NORMALIZER_H_
