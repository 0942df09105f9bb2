// The discontinuity and MEDIA-SEQUENCE ledgers of a channel's breaks (coordinator.h), sans-I/O.
//
// Every edge numbers its playlists from these sums (AdBreakState::discontinuities_before,
// media_sequence_before; ChannelState::*_total): a seed-style break inserts 2 DISCONTINUITY tags
// and keeps MEDIA-SEQUENCE, a pod of creatives adds one tag per piece + the return and K - M to
// MEDIA-SEQUENCE, laid out on the origin's slot grid as the splicer lays it out (splicer.h
// PodBreakNumbering). Breaks that left every window are folded into the retired part, which is
// persisted in the coordinator's meta record (break_journal.h).
#ifndef SSAI_REFERENCE_SSAI_BREAK_LEDGER_H_
#define SSAI_REFERENCE_SSAI_BREAK_LEDGER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/break_records.h"
#include "reference/ssai/splicer.h"

namespace ssai {

// The origin's segment grid as the coordinator last saw it: the end of its newest segment, that
// segment's duration and the target duration.
struct OriginGrid {
  UnixMicros boundary = 0;        // end of the newest segment (PDT + duration)
  DurationMicros segment_us = 0;  // its duration
  DurationMicros target_duration_us = 0;
  UnixMicros seen_at = 0;
};

// The ledger's part for breaks already retired (no longer in the records).
struct RetiredLedger {
  int64_t discontinuities = 0;
  int64_t media_sequence = 0;
  std::optional<UnixMicros> through;  // start time of the last retired break
  friend bool operator==(const RetiredLedger&, const RetiredLedger&) = default;
};

struct LedgerEntry {
  int64_t discontinuities_before = 0;
  int64_t media_sequence_before = 0;
  BreakNumbering own;
};
using LedgerEntries = std::map<std::string, LedgerEntry>;  // by event id

class BreakLedger {
 public:
  // slate_duration_s: the channel's slate segment (pods' slate pieces); <= 0: one grid slot.
  explicit BreakLedger(double slate_duration_s = 0) : slate_duration_s_(slate_duration_s) {}

  // What one break adds. Without a grid seen yet, the last numbering computed for the break is
  // kept (a seed-style break needs no grid).
  BreakNumbering NumberingOf(const BreakRecord& r, const std::optional<OriginGrid>& grid) const;

  // Each live break's sums over the breaks before it, retired ones included; `total` (and
  // `msn_total`) the sums over all of them.
  LedgerEntries Entries(const BreakRecords& records, const std::optional<OriginGrid>& grid, int64_t* total,
                        int64_t* msn_total = nullptr) const;

  // The break as edges get it: its state with the ledger filled in.
  static AdBreakState Published(const BreakRecord& r, const LedgerEntries& ledger);

  // The breaks that can be retired at `now` (cancelled ones from their start, others from their
  // end, keep_ended_us later), in start order, never splitting a group with one start time;
  // and the retired part once they are folded in.
  struct Retirement {
    std::vector<std::string> ids;
    RetiredLedger after;
  };
  std::optional<Retirement> PlanRetirement(const BreakRecords& records, const std::optional<OriginGrid>& grid,
                                           UnixMicros now, DurationMicros keep_ended_us) const;

  const RetiredLedger& retired() const { return retired_; }
  void set_retired(RetiredLedger retired) { retired_ = retired; }
  // Drops what is remembered about a retired break.
  void Forget(const std::string& event_id) { numbering_cache_.erase(event_id); }

 private:
  double slate_duration_s_;
  RetiredLedger retired_;
  mutable std::map<std::string, BreakNumbering> numbering_cache_;  // by event id (NumberingOf)
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_BREAK_LEDGER_H_
