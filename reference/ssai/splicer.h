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
// Markers: the origin's own cue tags (CUE-OUT/-CONT/-IN, DATERANGE SCTE35-*) stay where they are
// so downstream players and monitors still see the break.
//
// No ad after end_time: slots at or after a break's end are content, whatever KV still holds.
#ifndef SSAI_REFERENCE_SSAI_SPLICER_H_
#define SSAI_REFERENCE_SSAI_SPLICER_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/hls/playlist.h"

namespace ssai {

enum class InsertionMode { kSsai, kSgai };
std::string_view InsertionModeName(InsertionMode mode);  // "ssai" | "sgai"

constexpr DurationMicros kSpliceToleranceUs = 250'000;

struct AdSegment {
  std::string uri;
  double duration_s = 0;
};

// One ad break as the splicer needs it: the AdBreakState's times plus the pod resolved for this
// rendition (the ad items' media playlists for the chosen bitrate, concatenated).
struct SpliceBreak {
  std::string event_id;
  UnixMicros start_time = 0;
  UnixMicros end_time = 0;
  std::vector<AdSegment> ad_segments;  // SSAI: in play order; empty = all slate
  // SGAI: exactly one of these becomes X-ASSET-URI / X-ASSET-LIST.
  std::string asset_uri;
  std::string asset_list_uri;
};

struct SpliceOptions {
  InsertionMode mode = InsertionMode::kSsai;
  AdSegment slate;  // SSAI fill for slots past the pod; one segment of the channel's duration
  // DISCONTINUITY tags inserted for breaks before the first one in `breaks` (the ledger).
  int64_t inserted_discontinuities_before = 0;
};

struct SpliceResult {
  hls::MediaPlaylist playlist;
  int ad_segments = 0;     // ad segments in the output
  int slate_segments = 0;  // slate segments in the output
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

// Picks the ad variant for a rendition: the highest bitrate not above `rendition_bandwidth_bps`,
// else the lowest (RFC 8216 §4.3.4.2 BANDWIDTH is an upper bound). Index into `bitrates_bps`
// (any order); -1 when empty.
int PickVariant(std::span<const int64_t> bitrates_bps, int64_t rendition_bandwidth_bps);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_SPLICER_H_
