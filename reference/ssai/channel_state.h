// ChannelState: everything an edge needs to splice one channel at one moment, as one document.
//
// The coordinator owns it. It answers GetActiveBreak with it (do-only, kv-hybrid fallback), and
// the `kv-channel-state` build also writes it to KV under one key per channel ("chstate:{id}"),
// always present while the channel runs, so an edge can tell "no break" from "KV has not heard"
// (a plain KV miss). See reference/ssai/README.md for the builds.
#ifndef SSAI_REFERENCE_SSAI_CHANNEL_STATE_H_
#define SSAI_REFERENCE_SSAI_CHANNEL_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"

namespace ssai {

struct ChannelState {
  std::string channel_id;
  int64_t version = 0;      // +1 on every change the coordinator makes
  UnixMicros updated_at = 0;
  // Breaks sorted by start_time that an edge may still need: upcoming, active, and ended ones whose
  // slots can still be in a playlist window (kept for a while after their end). Each carries its
  // discontinuities_before (the ledger); ...
  std::vector<AdBreakState> breaks;
  // ... and this is the ledger value after the last break in `breaks` (or of all breaks when empty):
  // inserted DISCONTINUITY tags of every break so far.
  int64_t discontinuities_total = 0;
  // The MEDIA-SEQUENCE ledger after the last break (splicer.h "Pods of creatives"): sum of K - M
  // of every pod break so far. JSON "mediaSequenceTotal", absent = 0.
  int64_t media_sequence_total = 0;

  // The break covering `now` ([start, end)), or nullptr.
  const AdBreakState* ActiveAt(UnixMicros now) const;
  // Ledger value before breaks.front() (discontinuities_total when there are no breaks).
  int64_t DiscontinuitiesBeforeFirst() const;
  int64_t MediaSequenceBeforeFirst() const;
  friend bool operator==(const ChannelState&, const ChannelState&) = default;
};

constexpr std::string_view kChannelStateKeyPrefix = "chstate:";
std::string ChannelStateKey(std::string_view channel_id);  // "chstate:{channelId}"

// JSON: {"channelId","version","updatedAt","discontinuitiesTotal","breaks":[AdBreakState...]}.
Result<ChannelState> ParseChannelState(std::string_view json);

// Breaks an edge assembled from per-break KV keys, sorted by start and made not to overlap the
// way the coordinator does it (coordinator.h: a later start ends the running break; the same
// start: the later one read wins). Keys read at different ages can disagree: a POP's cached copy
// of a break stopped early still shows the planned end while the next break's key is fresh, and
// the splicer refuses overlapping breaks (found by the conformance suite, issue 16: kv-stateless
// answered 500 to every viewer in serve_short).
void SortAndEndOverlaps(std::vector<AdBreakState>* breaks);
std::string SerializeChannelState(const ChannelState& state);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_CHANNEL_STATE_H_
