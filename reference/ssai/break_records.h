// The coordinator's records of the breaks it accepted (coordinator.h), and the edits every
// source of breaks (cue API, SCTE-35) makes to them. Pure data and pure functions: no I/O.
//
// One BreakRecord per break ever accepted (until retired), keyed by event id. A change is made on
// a StagedBreaks copy and applied only once it is durable (break_journal.h), so a refused cue
// leaves no trace in memory.
#ifndef SSAI_REFERENCE_SSAI_BREAK_RECORDS_H_
#define SSAI_REFERENCE_SSAI_BREAK_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"

namespace ssai {

struct BreakRecord {
  AdBreakState state;  // discontinuities_before is never set here (it is derived: break_ledger.h)
  int64_t seq = 0;     // acceptance order (ties on start_time: the later one wins)
  bool cancelled = false;
  bool decided = false;
  bool duration_known = true;
  double requested_duration_s = 0;  // manual: the cue's duration (duplicate detection)
  std::string pod_request;          // the pod id asked of the decision service
  friend bool operator==(const BreakRecord&, const BreakRecord&) = default;
};
using BreakRecords = std::map<std::string, BreakRecord>;  // by event id

// A change in preparation: applied only once durable.
struct StagedBreaks {
  BreakRecords records;
  std::map<std::string, std::string> alias;  // normalizer event id -> record id
  int64_t next_seq = 1;
  std::vector<std::string> created;
  int64_t cancelled = 0;
};

// Break times are kept at millisecond precision, the precision of the JSON documents, so a
// record read back from the DurableStore equals the one written.
UnixMicros FloorMillis(UnixMicros t);
int64_t FloorDiv(int64_t a, int64_t b);

// Ends `r` at `end` (its duration is then known).
void SetBreakEnd(BreakRecord* r, UnixMicros end);
// Cancels `r` (counted in `s`): it never plays and adds nothing to the ledger.
void CancelBreak(BreakRecord* r, StagedBreaks* s);
// Breaks never overlap (splicer.h): sorted by start, a break that starts before the previous
// one ends cuts it there ("the next OUT ends the previous", normalizer.h); one that starts at
// the same instant replaces it (the earlier one is dropped, as if cancelled before its start).
void ResolveOverlaps(StagedBreaks* s);
// True when ResolveOverlaps would change something: two live records overlap.
bool HasOverlaps(const BreakRecords& records);
// The records by start time, then acceptance order (cancelled ones included).
std::vector<const BreakRecord*> SortedByStart(const BreakRecords& records);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_BREAK_RECORDS_H_
