#include "reference/ssai/break_records.h"

#include <algorithm>

namespace ssai {

UnixMicros FloorMillis(UnixMicros t) {
  UnixMicros q = t / kMicrosPerMilli;
  if (t % kMicrosPerMilli != 0 && t < 0) --q;
  return q * kMicrosPerMilli;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

void SetBreakEnd(BreakRecord* r, UnixMicros end) {
  r->state.end_time = end;
  r->state.duration_s = MicrosToSeconds(end - r->state.start_time);
  r->duration_known = true;
}

void CancelBreak(BreakRecord* r, StagedBreaks* s) {
  r->cancelled = true;
  ++s->cancelled;
}

namespace {
bool StartsBefore(const BreakRecord* a, const BreakRecord* b) {
  return a->state.start_time != b->state.start_time ? a->state.start_time < b->state.start_time
                                                    : a->seq < b->seq;
}
}  // namespace

void ResolveOverlaps(StagedBreaks* s) {
  std::vector<BreakRecord*> live;
  for (auto& [id, r] : s->records) {
    if (!r.cancelled) live.push_back(&r);
  }
  std::sort(live.begin(), live.end(), StartsBefore);
  BreakRecord* prev = nullptr;
  for (BreakRecord* b : live) {
    if (prev && prev->state.end_time > b->state.start_time) {
      if (prev->state.start_time == b->state.start_time) {
        CancelBreak(prev, s);
      } else {
        SetBreakEnd(prev, b->state.start_time);
      }
    }
    prev = b;
  }
}

bool HasOverlaps(const BreakRecords& records) {
  std::vector<const BreakRecord*> live;
  for (const auto& [id, r] : records) {
    if (!r.cancelled) live.push_back(&r);
  }
  std::sort(live.begin(), live.end(), StartsBefore);
  for (size_t i = 1; i < live.size(); ++i) {
    if (live[i - 1]->state.end_time > live[i]->state.start_time) return true;
  }
  return false;
}

std::vector<const BreakRecord*> SortedByStart(const BreakRecords& records) {
  std::vector<const BreakRecord*> v;
  for (const auto& [id, r] : records) v.push_back(&r);
  std::sort(v.begin(), v.end(), StartsBefore);
  return v;
}

}  // namespace ssai
