// The splicer: a pure function (origin media playlist, ad breaks, rendition) -> media playlist.
//
// SSAI mode replaces the content segments that fall inside a break with ad segments; SGAI mode
// leaves the content alone and announces the break as an HLS Interstitial (EXT-X-DATERANGE with
// CLASS="com.apple.hls.interstitial", bis Appendix D).
//
// Numbering scheme (why two edges, two renditions and two reloads always agree):
//  - Slots. Every origin segment is a slot; its start time comes from PROGRAM-DATE-TIME
//    (MediaPlaylist::SegmentStartTime). A slot belongs to a break when
//        break.start_time - kSpliceToleranceUs <= slot_start < break.end_time - kSpliceToleranceUs
//    so the splice lands on the first segment boundary at or after the cue (a cue a few ms after a
//    boundary, from PDT rounding, still takes that boundary).
//  - One output segment per slot. MEDIA-SEQUENCE is never changed: the output segment in slot n
//    has media sequence number n, whatever it carries. The pod timeline starts at the splice
//    point (the first ad slot, i.e. the first slot starting at or after start - tolerance); a
//    slot gets the ad segment playing at the slot's MIDPOINT on that timeline (slot_start -
//    splice_point + slot_duration / 2); slots whose midpoint is past the end of the pod get
//    slate; a pod longer than the break is cut at the break end. (Measuring from the break start
//    itself would give the same ad segment to two slots when a cue lands a few ms after a
//    boundary: offsets -0.003 and 1.997 both fall in ad segment 0's [0, 2).) This needs ads
//    conditioned to the channel's segment duration (as MediaTailor transcodes ads to the
//    content's profile); SpliceResult::warnings reports a mismatch.
//  - Slots before the window. When the splice point or the return slot has already slid out of
//    the window, its start is extrapolated on the slot grid: first window slot's start minus
//    whole multiples of the first window slot's duration (packagers cut one segment duration).
//    Exact for constant-duration origins; otherwise only a cue within a few ms of (boundary +
//    tolerance) could be placed differently once its slot slides out.
//  - Discontinuities. A DISCONTINUITY tag goes on the first ad slot and on the first content slot
//    after the break (a slot that is both, between back-to-back breaks, carries one). Output
//    DISCONTINUITY-SEQUENCE = origin's + discontinuities this splicer inserted on slots strictly
//    BEFORE the first slot of the window (RFC 8216 §4.3.3.3, §6.2.2: a DISCONTINUITY on the first
//    segment still counts for that segment, so it is added to the header only once it has slid
//    out): those of the breaks passed in, plus `inserted_discontinuities_before` for every
//    earlier break (the coordinator's ledger, AdBreakState::discontinuities_before: 2 per break
//    that covered at least one slot start, i.e. any break longer than a segment; the junction
//    slot of back-to-back breaks counts once). A break may leave `breaks` (and enter the ledger)
//    only once its return slot has left the window, and not while that return slot is the first
//    ad slot of a break still passed (back-to-back breaks leave together), else the junction
//    would be counted twice.
//    Origins are assumed to carry no DISCONTINUITY of their own on splice slots; one found there
//    is kept (never doubled) and reported as a warning, since the count would then be off by one
//    once it slides out. In SGAI mode nothing is inserted: DISCONTINUITY-SEQUENCE is the origin's
//    and the ledger is ignored.
//  - Every input of the function is the same for every rendition of a channel at the same time
//    (slots are aligned across renditions by the packager), so renditions get the same sequence
//    numbers, discontinuities and date ranges; only the ad URIs differ (bitrate-matched).
//
// Pods of creatives (SpliceBreak::creatives non-empty; the VAST path and JSON decisions whose
// items give a segmentDuration). Each creative keeps its own duration and is segmented at its own
// segment duration (floor(d / s) segments of s, then the remainder), as a packager cuts it; it is
// its own timeline, so every creative starts with a DISCONTINUITY (MediaTailor: content->ad,
// ad->ad and ad->content all get one). LayOutPod places the creatives back to back from the
// splice point over the break's span (splice slot start -> return slot start): the creative
// playing at the return is cut there (MediaTailor's truncation at CUE-IN; its last EXTINF is
// shortened), and a pod shorter than the span is followed by slate segments of the slate's
// duration (the last one shortened), one piece with one DISCONTINUITY. Choosing which whole ads
// fit the planned duration is the decision's job (PodFromDecision drops tail ads that do not fit).
//  - A pod break emits K segments for the M origin slots it replaces, so MEDIA-SEQUENCE is no
//    longer the origin's: the output is one sequence (content slots and pod segments in time
//    order) numbered consecutively, and the segment after a pod break has the number of its
//    origin slot + the MEDIA-SEQUENCE ledger (sum of K - M over earlier pod breaks:
//    SpliceOptions::media_sequence_offset_before for breaks before the first passed, the
//    coordinator's AdBreakState::media_sequence_before; the splicer adds the breaks passed). A
//    pod segment's number is its splice slot's number + the ledger + its index in the layout.
//    Every input is the same for every rendition (durations come from the decision, not from the
//    rendition's ad playlist), so renditions and edges agree; the window slides in time, so
//    MEDIA-SEQUENCE never goes back.
//  - A pod segment is in the window when it ends after the first window slot starts and is
//    published (it ends by the last origin slot's end + tolerance): the output never runs ahead
//    of the origin's live edge.
//  - Discontinuities of a pod break: one per piece (each creative, the slate) + the return:
//    PodBreakNumbering. The coordinator's ledger adds that instead of 2.
//  - The origin's marker tags of a replaced slot go on the pod segment playing at the slot's start
//    (one tag of each type per segment).
//
// Media initialization and keys (RFC 8216 §4.3.2.4 EXT-X-KEY, §4.3.2.5 EXT-X-MAP; bis §4.4.4.4-5).
// A MAP or KEY applies to every later segment until the next one (a KEY: the next with the same
// KEYFORMAT, or METHOD=NONE), and a DISCONTINUITY resets neither. So the origin's tags must not
// be left on ad segments (they would declare the content's init and key for the ad), and every
// segment of the output must have the right ones in force, in every window:
//  - an ad segment (or slate) gets its own AdMedia: its MAP when the one in force differs, and
//    METHOD=NONE when the content was encrypted and the ad is clear (as MediaTailor opens each
//    avail), or the ad's own KEYs. So the first ad segment after the DISCONTINUITY declares the
//    ad's init and key, each creative its own init, and a window starting mid-break declares them
//    on its first segment;
//  - the first content segment after ads declares again the content's MAP and every content KEY
//    in force at its slot (each KEYFORMAT: bis ends them all at NONE; real_world_ssai.md), as the
//    origin wrote them, unless it carries its own.
//  The tags go right after the segment's DISCONTINUITY (KEY before MAP: a KEY also applies to the
//  MAP's init, bis §4.4.4.4). An MPEG-TS ad in fMP4 content (or the reverse) cannot be expressed
//  (there is no "no MAP"): the splice is made and SpliceResult::warnings says so. EXT-X-VERSION is
//  raised to what the added tags need (hls::MinVersionForTag: 6 for MAP), never lowered.
//
// Markers: the origin's own cue tags (CUE-OUT/-CONT/-IN, DATERANGE SCTE35-*) stay where they are
// so downstream players and monitors still see the break.
//
// No ad after end_time: slots at or after a break's end are content, whatever KV still holds.
#ifndef SSAI_REFERENCE_SSAI_SPLICER_H_
#define SSAI_REFERENCE_SSAI_SPLICER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/hls/playlist.h"

namespace ssai {

enum class InsertionMode { kSsai, kSgai };
std::string_view InsertionModeName(InsertionMode mode);  // "ssai" | "sgai"

constexpr DurationMicros kSpliceToleranceUs = 250'000;

// What a segment needs declared before it besides its URI (RFC 8216 §4.3.2.4 EXT-X-KEY,
// §4.3.2.5 EXT-X-MAP), as tag values with absolute URIs: what the ad's own playlist has in force
// for it. Default: MPEG-TS in the clear.
struct AdMedia {
  std::string map;                // EXT-X-MAP value (fMP4 init segment); "" = none (MPEG-TS)
  std::vector<std::string> keys;  // EXT-X-KEY values in force, one per KEYFORMAT; empty = clear
  friend bool operator==(const AdMedia&, const AdMedia&) = default;
};

struct AdSegment {
  std::string uri;
  double duration_s = 0;
  AdMedia media = {};
};

// One creative of a pod, for one rendition: its own duration and segment duration (the same
// for every rendition), and this rendition's segment URIs in play order (from its ad playlist;
// a missing URI is played as slate with a warning, the timing stays).
struct PodCreative {
  std::string id;
  double duration_s = 0;
  double segment_duration_s = 0;
  std::vector<std::string> segment_uris;
  AdMedia media = {};  // this rendition's init and keys (one per creative rendition, as packagers write)
};

// The layout of a pod over a break's span (see "Pods of creatives" above).
struct PodTiming {
  double duration_s = 0;
  double segment_duration_s = 0;
};
struct PodLayoutSegment {
  int creative = -1;  // index into the creatives; -1 = slate
  int index = 0;      // segment index within its creative (or within the slate piece)
  DurationMicros offset_us = 0;    // from the splice point
  DurationMicros duration_us = 0;
  bool discontinuity = false;      // first segment of a piece (creative or slate)
  bool cut = false;                // shortened by the break's end (the creative is truncated)
};
// Pieces shorter than this (rounding remainders) are not emitted.
constexpr DurationMicros kMinPodSegmentUs = 1000;
std::vector<PodLayoutSegment> LayOutPod(std::span<const PodTiming> creatives, DurationMicros span_us,
                                        DurationMicros slate_us);
// What a pod break adds to the ledgers: DISCONTINUITY tags (each piece + the return) and
// MEDIA-SEQUENCE (K segments - M slots, M = span / slot_us rounded). {2, 0} without slots.
struct BreakNumbering {
  int64_t discontinuities = 0;
  int64_t media_sequence_delta = 0;
};
BreakNumbering PodBreakNumbering(std::span<const PodTiming> creatives, DurationMicros span_us,
                                 DurationMicros slot_us, DurationMicros slate_us);
// The break's span on a constant slot grid (a boundary and the slot duration): splice slot start
// (first boundary >= start - tolerance) to return slot start (first boundary >= end - tolerance).
DurationMicros SpanOnGrid(UnixMicros start, UnixMicros end, UnixMicros grid_boundary,
                          DurationMicros slot_us);

// One ad break as the splicer needs it: the AdBreakState's times plus the pod resolved for this
// rendition (the ad items' media playlists for the chosen bitrate, concatenated).
struct SpliceBreak {
  std::string event_id;
  UnixMicros start_time = 0;
  UnixMicros end_time = 0;
  std::vector<AdSegment> ad_segments;  // SSAI: in play order; empty = all slate
  // SSAI pod mode when non-empty (then ad_segments is ignored): creatives with their own timelines.
  std::vector<PodCreative> creatives;
  // SGAI: exactly one of these becomes X-ASSET-URI / X-ASSET-LIST.
  std::string asset_uri;
  std::string asset_list_uri;
};

struct SpliceOptions {
  InsertionMode mode = InsertionMode::kSsai;
  AdSegment slate;  // SSAI fill for slots past the pod; one segment of the channel's duration
  // DISCONTINUITY tags inserted for breaks before the first one in `breaks` (the ledger).
  int64_t inserted_discontinuities_before = 0;
  // The MEDIA-SEQUENCE ledger before the first break in `breaks`: sum of K - M of earlier pod
  // breaks (may be negative; the output MEDIA-SEQUENCE must stay >= 0).
  int64_t media_sequence_offset_before = 0;
  // A rendition with no ad media by design (a subtitle rendition, issue 14): every ad segment of
  // the layout is the slate (a blank WebVTT segment), on the same timeline and numbering as the
  // variants, without the per-segment "creative has no segment" warning.
  bool blank_ads = false;
};

// A creative's segment in the output (pod mode), for server-side tracking (beacons.h): which
// creative of which break, and where in the creative it plays.
struct PodSegmentRef {
  std::string event_id;
  int creative = 0;                  // index into SpliceBreak::creatives (= the decision's items)
  UnixMicros start = 0;              // its PROGRAM-DATE-TIME
  DurationMicros duration_us = 0;
  DurationMicros creative_offset_us = 0;  // from the creative's start
  bool cut = false;                  // shortened by the break's end
};

struct SpliceResult {
  hls::MediaPlaylist playlist;
  // Pod mode: the creative segments in the output, in play order.
  std::vector<PodSegmentRef> pod_segments;
  int ad_segments = 0;     // ad segments in the output
  int slate_segments = 0;  // slate segments in the output
  // Pod mode: creative segments in the output whose creative was cut at the break's end.
  int truncated_creatives = 0;
  bool in_break = false;   // the newest slot is inside a break
  std::vector<std::string> warnings;
};

// Returns the spliced playlist. `breaks` must be sorted by start_time and not overlap; they may
// lie wholly before or after the window (then they only count for the numbering). Errors: no
// PROGRAM-DATE-TIME in a playlist that overlaps a break (the break cannot be placed), breaks out
// of order or overlapping.
// SGAI: one EXT-X-DATERANGE per break (ID="ssai-{event_id}", CLASS="com.apple.hls.interstitial",
// START-DATE, DURATION, X-ASSET-URI or X-ASSET-LIST, X-RESUME-OFFSET = X-PLAYOUT-LIMIT = DURATION,
// X-SNAP="OUT,IN", X-RESTRICT="SKIP,JUMP"), written before the splice-point slot, or before the
// first slot when that has slid out, or after the last segment when it is not published yet.
// START-DATE is the start of the splice-point slot and START-DATE + DURATION the start of the
// return slot: the segment boundaries SSAI replaces between, not the cue's start/end times (a
// boundary needs no client-side snapping, bis Appendix D.2 X-SNAP; unpublished slots are placed
// on the slot grid). A break containing no slot start gets no interstitial (SSAI inserts nothing
// either). It stays while any window slot overlaps [START-DATE, START-DATE + DURATION)
// (bis §6.2.1). Same text in every rendition.
// Errors also: SSAI slot past the pod with no slate configured; SGAI break without exactly one
// asset URI or with an event_id that cannot be a quoted-string.
Result<SpliceResult> Splice(const hls::MediaPlaylist& origin, std::span<const SpliceBreak> breaks,
                            const SpliceOptions& options);
// Same, consuming `origin` (no copy: the manifest path parses, splices and serializes).
Result<SpliceResult> Splice(hls::MediaPlaylist&& origin, std::span<const SpliceBreak> breaks,
                            const SpliceOptions& options);

// What each segment of an ad's media playlist needs declared before it (the MAP and KEYs in
// force for it), URIs resolved against `playlist_url`: one AdMedia per segment.
std::vector<AdMedia> AdMediaOf(const hls::MediaPlaylist& ad_playlist, std::string_view playlist_url);
// An EXT-X-MAP / EXT-X-KEY value with its quoted URI resolved against `base`, everything else as
// written (an unreadable value, or a URI with a scheme such as data: or skd:, is returned as is).
std::string ResolveTagUri(std::string_view value, std::string_view base);

// Picks the ad variant for a rendition: the highest bitrate not above `rendition_bandwidth_bps`,
// else the lowest (RFC 8216 §4.3.4.2 BANDWIDTH is an upper bound). Index into `bitrates_bps`
// (any order); -1 when empty.
int PickVariant(std::span<const int64_t> bitrates_bps, int64_t rendition_bandwidth_bps);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_SPLICER_H_
