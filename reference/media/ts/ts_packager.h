// A live HLS packager over an MPEG-TS file (issue 17, `ssai origin --ts FILE.ts`): the file is cut
// into segments at video random access points, served as a live sliding-window media playlist
// that advances with the clock (looping over the file if asked), and every SCTE-35 cue found in
// the TS (ts_scan.h) becomes playlist markers of a chosen flavour at the right segment.
//
// Sans-I/O: Create() takes the bytes, the playlist and segment calls take the instant; the CLI
// reads the file and the clock.
//
// Segmenting (ISO/IEC 13818-1). PAT → PMT → the program's first video stream (stream_type 0x01,
// 0x02, 0x1B, 0x24). A PAT with several programs: the first is packaged (as players pick it),
// the others named in a note; their packets stay in place and their SCTE-35 cues are ignored. A video PES is a random access point when its packet has
// random_access_indicator (§2.4.3.5) or its first bytes hold an H.264 IDR NAL unit (type 5,
// ITU-T H.264 §7.4.1.2) or an HEVC IRAP (types 16-21). A segment ends at the first random access
// point whose PTS is at least the target duration (less 10 ms) after the segment's first; the cut
// moves back over the PAT/PMT packets right before it. Audio (PES with a PTS on other PIDs) is
// cut by PTS instead of position: each PES goes to the segment whose PTS range holds its end (its
// PTS + the PID's median PES step), so a segment's audio covers the start of its video, leading
// it by less than one PES (a muxer interleaves audio up to ~0.7 s off the video). A segment
// that does not start with a PAT gets copies of the first PAT and PMT in front (each segment
// decodes on its own). Segment
// k's PTS range is [pts_k, pts_{k+1}); the last ends one frame after the last video PES (the
// median frame interval). The bytes are the file's; with `loop`, loop l of the file is the file
// with PTS/DTS/PCR moved by l × its length (mod 2^33) and continuity counters renumbered
// (origin::RetimeTs, as the segment pool of ts_pool.h), so the served stream never jumps; the
// SCTE-35 sections in it get pts_adjustment moved by the same amount (SCTE 35 §9.6; sections
// within one packet), so a scanner reading the served stream sees each loop's own splice times.
//
// Timeline. Segment n (media sequence number) = loop n / K, file segment n % K; it starts at
// pdt_start + (its PTS - the first segment's PTS + loop × file length), published once it has
// ended (like synthetic_origin.h): the playlist at `now` lists the newest `window_segments`
// published segments, PROGRAM-DATE-TIME on each, EXT-X-ENDLIST once the last one of a file
// played without loop is out.
//
// Cues (SCTE 35 2022b), in stream order:
//   - splice_insert out_of_network=1: a break at splice_time.pts_time + pts_adjustment (mod 2^33)
//     — splice_immediate: at the section's own position (the PTS of the video frame before it);
//     component mode (program_splice_flag 0, §9.7.3.1): the splice time of the video's
//     component (its component_tag from the PMT's stream_identifier_descriptor), else the
//     earliest component's, noted when components differ; duration from break_duration;
//   - splice_insert out_of_network=0: ends the break with that splice_event_id (else the latest
//     open one) at its splice time;
//   - splice_event_cancel_indicator (§9.7.3) / segmentation_event_cancel_indicator (§10.3.3):
//     removes the pending break with that id (one whose splice time is after the cancel's
//     position); a cancel during the break ends it at the cancel's position (an IN made there,
//     a later IN of that event ignored); one after the break ended is noted and ignored;
//   - time_signal + segmentation_descriptor: a start type (0x22, 0x30, 0x32, 0x34, 0x36, 0x38,
//     0x3A, 0x44, 0x46) opens a break with segmentation_event_id and segmentation_duration, its
//     end type (start + 1) with the same id ends it; other types are noted.
// A break's OUT marker goes on the segment whose PTS range contains its splice time (wrap-aware:
// times are taken relative to the first segment's PTS, mod 2^33), its IN marker on the segment
// containing the end (the IN's splice time, else start + duration); markers repeat on the segments
// between (CONT). A break with neither a duration nor an IN, one outside the file (without loop),
// one within a single segment, or (with loop) one not shorter than the file is noted and gets no
// markers. The marker text is the synthetic origin's
// (origin::AppendOutMarker and friends) with the TS's own sections as payloads (an IN section is
// made when the TS has none); DATERANGE START-DATE is the exact splice instant.
#ifndef SSAI_REFERENCE_MEDIA_TS_TS_PACKAGER_H_
#define SSAI_REFERENCE_MEDIA_TS_TS_PACKAGER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"

namespace ssai::ts {

// A scenario's origin.ts file (conformance and simulator) is held in memory: at most this much.
inline constexpr size_t kMaxScenarioTsBytes = size_t{256} << 20;

struct TsPackagerOptions {
  double segment_s = 6;         // target segment duration, (0, 60]
  bool loop = false;            // start over at the end of the file, forever
  origin::CueFlavour flavour = origin::CueFlavour::kCueOut;
  UnixMicros pdt_start = 0;     // PROGRAM-DATE-TIME (and availability) of segment 0
  int window_segments = 6;      // segments per playlist, >= 1
  std::string name = "ts";      // media playlist "{name}.m3u8", segments "{name}_{msn}.ts"
  bool repeat_cue = true;       // CONT markers inside a break (as SyntheticStreamSpec::repeat_cue)
};

// One segment of the file.
struct TsSegment {
  // Byte range [begin, end) of the file between this segment's video cut and the next: its
  // video, PSI and SCTE-35 packets. Audio (any PES with a PTS on another PID) goes by PTS instead,
  // so a segment's packets may start before `begin` or end after `end` (TsPackager: runs).
  int64_t begin = 0;
  int64_t end = 0;
  int64_t pts_ticks = 0;      // PTS of its first video frame (33 bits)
  int64_t rel_ticks = 0;      // that PTS - the first segment's, unwrapped
  int64_t duration_ticks = 0;
  bool prepend_psi = false;   // PAT + PMT copies go in front
};

// One break as placed on the unrolled timeline of loop 0 (indices may pass the file's segment
// count when the break ends in the next loop).
struct TsBreak {
  std::string kind;          // "splice_insert" or "time_signal"
  uint32_t event_id = 0;
  int64_t out_rel_ticks = 0;  // splice time, relative to the first segment's PTS
  int64_t in_rel_ticks = 0;   // end
  int64_t out_segment = 0;    // file segment (loop 0) holding the OUT; >= K: a later loop
  int64_t in_segment = 0;
  double duration_s = 0;      // planned (break_duration / segmentation_duration / IN - OUT)
  bool explicit_in = false;   // ended by an IN section of the TS (or by a cancel)
  bool cancelled_in = false;  // ended early by a cancel during the break (the IN is made there)
  int64_t out_packet_offset = 0;  // where the OUT section starts in the file
  Bytes out_section, in_section;
};

class TsPackager {
 public:
  // Parses and segments the whole file. Errors (kInvalidArgument, "byte N: ..."): lost sync,
  // no PAT/PMT/video stream, no video PTS, no random access point, bad options.
  static Result<TsPackager> Create(std::string ts, TsPackagerOptions options);

  // The media playlist at `now`; MasterPlaylist names it once ("{name}.m3u8"). The second form
  // puts segment 0 at `pdt_start` instead of the options' (a conformance scenario moved in time).
  std::string MediaPlaylistAt(UnixMicros now) const { return MediaPlaylistAt(now, options_.pdt_start); }
  std::string MediaPlaylistAt(UnixMicros now, UnixMicros pdt_start) const;
  std::string MasterPlaylist() const;
  // The bytes of segment `msn` (loop msn / K), or kNotFound past the end of a file without loop.
  Result<std::string> Segment(int64_t msn) const;
  // The segment URI of `msn` ("ts_12.ts") and the inverse (nullopt when not one of ours).
  std::string SegmentUri(int64_t msn) const;
  std::optional<int64_t> ParseSegmentUri(std::string_view uri) const;

  // The file segment whose PTS range contains `pts_ticks` (mod 2^33, relative to the first
  // segment; a time before it maps to nullopt, one after the file to K + ... only with loop).
  // Returned as an index on the unrolled timeline (loop × K + k), nullopt when outside.
  std::optional<int64_t> SegmentForPts(int64_t pts_ticks) const;
  std::optional<int64_t> SegmentForRelTicks(int64_t rel_ticks) const;

  // A scenario's `origin.ts` (conformance/scenario.h and simulator/scenario.h alike, issue 17):
  // both model one segment duration, so every segment must last `segment_s` (±1 ms); else
  // kInvalidArgument "segment K lasts X s, not segment_duration_s (...)".
  Status CheckUniformSegments(double segment_s) const;
  // Break `b` of loop `loop` as its playlist markers carry it in the packager's flavour, segment 0
  // of loop 0 at `pdt_start`: what a server reads, so the scenario's ground truth (the harnesses
  // apply the splicer's rule to it: world::SlotsOf kRecording, as to a capture's markers).
  //  - a tag (cue_out, oatcls, ext_x_scte35, splicepoint) goes on the segment holding the splice
  //    instant, and a tag's splice time is its segment's start (cues/normalizer.h): from the OUT
  //    segment's start to the IN segment's start;
  //  - a DATERANGE carries the instants (START-DATE, to the millisecond, + DURATION).
  // The two differ when a TS splices mid-segment: the SCTE-35 instants put a tag-flavour break one
  // slot late (the conformance checks failed every correct build), the marked segments a DATERANGE
  // break one slot early (the simulator counted missed and ghost time), issue 18.
  origin::ScheduledBreak MarkedBreakOf(const TsBreak& b, int64_t loop, UnixMicros pdt_start) const;

  const std::vector<TsSegment>& segments() const { return segments_; }
  const std::vector<TsBreak>& breaks() const { return breaks_; }
  // Cues not turned into markers and why ("byte N: ..."), and scanner issues.
  const std::vector<std::string>& notes() const { return notes_; }
  int64_t loop_ticks() const { return loop_ticks_; }
  int64_t TargetDurationS() const;
  // The newest published segment at `now` (its end <= now; the last one without loop); -1 when none.
  int64_t LiveEdgeMsn(UnixMicros now) const { return LiveEdgeMsn(now, options_.pdt_start); }
  int64_t LiveEdgeMsn(UnixMicros now, UnixMicros pdt_start) const;
  const std::string& name() const { return options_.name; }
  const TsPackagerOptions& options() const { return options_; }
  // Start instant of segment `msn`.
  UnixMicros SegmentStart(int64_t msn) const { return SegmentStart(msn, options_.pdt_start); }
  UnixMicros SegmentStart(int64_t msn, UnixMicros pdt_start) const;

 private:
  TsPackager() = default;
  Status Segmentize();
  void PlaceCues();
  int64_t RelTicks(int64_t pts) const;  // wrap-aware, relative to the first segment's PTS
  int64_t SegmentTicks(int64_t msn) const;  // msn's start on the unrolled 90 kHz timeline
  int64_t DurationTicks(int64_t msn) const;
  std::string SegmentBytes(const TsSegment& s) const;  // PAT/PMT copies + the file's bytes
  void MoveSpliceSections(std::string* ts, int64_t shift) const;

  std::string ts_;
  TsPackagerOptions options_;
  std::string psi_;  // the first PAT and PMT packets (prepended to segments)
  uint16_t video_pid_ = 0;
  uint16_t program_number_ = 0;  // the packaged program: the PAT's first
  std::optional<uint8_t> video_component_tag_;  // the video ES's stream_identifier_descriptor
  std::vector<uint16_t> scte35_pids_;  // PMT stream_type 0x86
  std::vector<TsSegment> segments_;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> runs_;  // per segment: its packets' byte runs
  std::vector<TsBreak> breaks_;
  std::vector<std::string> notes_;
  std::vector<std::map<uint16_t, int64_t>> before_;  // payload packets per PID before segment k
  std::map<uint16_t, int64_t> per_loop_;              // ... in the whole file
  int64_t first_pts_ = 0;
  int64_t loop_ticks_ = 0;
};

}  // namespace ssai::ts

#endif  // SSAI_REFERENCE_MEDIA_TS_TS_PACKAGER_H_
