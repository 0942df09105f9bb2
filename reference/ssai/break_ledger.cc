#include "reference/ssai/break_ledger.h"

namespace ssai {

BreakNumbering BreakLedger::NumberingOf(const BreakRecord& r, const std::optional<OriginGrid>& grid) const {
  if (!r.state.decision.IsPod()) return {2, 0};
  std::vector<PodTiming> timings;
  for (const AdItem& item : r.state.decision.items) {
    timings.push_back({item.duration_s, item.segment_duration_s.value_or(0)});
  }
  auto cached = numbering_cache_.find(r.state.event_id);
  if (!grid || grid->segment_us <= 0) {
    return cached != numbering_cache_.end() ? cached->second : BreakNumbering{2, 0};
  }
  const DurationMicros slot_us = grid->segment_us;
  const DurationMicros slate_us = slate_duration_s_ > 0 ? SecondsToMicros(slate_duration_s_) : slot_us;
  const DurationMicros span_us = SpanOnGrid(r.state.start_time, r.state.end_time, grid->boundary, slot_us);
  const BreakNumbering n = PodBreakNumbering(timings, span_us, slot_us, slate_us);
  numbering_cache_[r.state.event_id] = n;
  return n;
}

LedgerEntries BreakLedger::Entries(const BreakRecords& records, const std::optional<OriginGrid>& grid,
                                   int64_t* total, int64_t* msn_total) const {
  LedgerEntries ledger;
  int64_t d = retired_.discontinuities;
  int64_t m = retired_.media_sequence;
  for (const BreakRecord* r : SortedByStart(records)) {
    if (r->cancelled) continue;
    const BreakNumbering n = NumberingOf(*r, grid);
    ledger[r->state.event_id] = {d, m, n};
    d += n.discontinuities;
    m += n.media_sequence_delta;
  }
  *total = d;
  if (msn_total != nullptr) *msn_total = m;
  return ledger;
}

AdBreakState BreakLedger::Published(const BreakRecord& r, const LedgerEntries& ledger) {
  AdBreakState s = r.state;
  auto it = ledger.find(r.state.event_id);
  s.discontinuities_before = it == ledger.end() ? 0 : it->second.discontinuities_before;
  if (r.state.decision.IsPod() && it != ledger.end()) {
    s.discontinuities = it->second.own.discontinuities;
    s.media_sequence_delta = it->second.own.media_sequence_delta;
  }
  if (it != ledger.end() && it->second.media_sequence_before != 0) {
    s.media_sequence_before = it->second.media_sequence_before;
  }
  return s;
}

std::optional<BreakLedger::Retirement> BreakLedger::PlanRetirement(const BreakRecords& records,
                                                                   const std::optional<OriginGrid>& grid,
                                                                   UnixMicros now,
                                                                   DurationMicros keep_ended_us) const {
  std::vector<const BreakRecord*> sorted = SortedByStart(records);
  size_t n = 0;
  while (n < sorted.size()) {
    const BreakRecord* r = sorted[n];
    const UnixMicros gone = r->cancelled ? r->state.start_time : r->state.end_time;
    if (gone + keep_ended_us > now) break;
    ++n;
  }
  // Never split a group of records with one start time across the watermark.
  while (n > 0 && n < sorted.size() && sorted[n]->state.start_time == sorted[n - 1]->state.start_time) --n;
  if (n == 0) return std::nullopt;
  Retirement plan;
  plan.after = retired_;
  for (size_t i = 0; i < n; ++i) {
    if (sorted[i]->cancelled) continue;
    const BreakNumbering bn = NumberingOf(*sorted[i], grid);
    plan.after.discontinuities += bn.discontinuities;
    plan.after.media_sequence += bn.media_sequence_delta;
  }
  for (size_t i = 0; i < n; ++i) plan.ids.push_back(sorted[i]->state.event_id);
  plan.after.through = sorted[n - 1]->state.start_time;
  return plan;
}

}  // namespace ssai
