// The coordinator's durable journal of accepted breaks (coordinator.h), over the DurableStore of
// env.h (the Durable Object's transactional storage in the seed). Sans-I/O.
//
// Layout: one record per break under "{channelId}:break:{eventId}" and "{channelId}:meta" (the
// version, the retired part of the ledger, the next acceptance number). The journal remembers
// what the store confirmed (the durable image), so a write sends only what differs, and what
// failed is in the next diff. Records are written one after the other, so a store that is down
// refuses the first and nothing is half written.
#ifndef SSAI_REFERENCE_SSAI_BREAK_JOURNAL_H_
#define SSAI_REFERENCE_SSAI_BREAK_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/base/lifetime.h"
#include "reference/base/status.h"
#include "reference/ssai/break_ledger.h"
#include "reference/ssai/break_records.h"
#include "reference/ssai/coordinator.h"
#include "reference/ssai/env.h"

namespace ssai {

// The meta record.
struct JournalMeta {
  int64_t version = 0;  // ChannelState::version last published
  RetiredLedger retired;
  int64_t next_seq = 1;
  friend bool operator==(const JournalMeta&, const JournalMeta&) = default;
};

class BreakJournal {
 public:
  using Rows = std::vector<std::pair<std::string, std::string>>;
  // `stats`: durable_failures is counted there.
  BreakJournal(std::string channel_id, DurableStore* store, CoordinatorStats* stats);

  std::string BreakKey(std::string_view event_id) const { return channel_id_ + ":break:" + std::string(event_id); }
  std::string MetaKey() const { return channel_id_ + ":meta"; }
  std::string Prefix() const { return channel_id_ + ":"; }

  static std::string SerializeRecord(const BreakRecord& r);
  static Result<BreakRecord> ParseRecord(std::string_view text);
  static std::string SerializeMeta(const JournalMeta& meta);

  // Writes every record of `records` (and `meta`, when given) that differs from what the store
  // confirmed, one after the other; `done` gets the first failure (nothing after it is tried).
  // `live_records`: how many records the coordinator holds (bounds the serialization memo).
  void WriteChanged(const BreakRecords& records, const JournalMeta* meta, size_t live_records,
                    std::function<void(Status)> done);
  // True when WriteChanged(records, nullptr, live_records, ...) would write nothing: every record
  // serializes to what the store confirmed.
  bool Unchanged(const BreakRecords& records, size_t live_records);
  // Writes the meta record alone.
  void WriteMeta(const JournalMeta& meta, std::function<void(Status)> done);
  // Deletes a retired break's record (best effort: Recover skips records at or before the
  // retired watermark).
  void Erase(const std::string& event_id);

  // Everything the channel has in the store, in key order.
  void Scan(std::function<void(Result<Rows>)> done);
  // Rebuilds the records from Scan's rows. `retired` and `next_seq` are the current values, which
  // the meta record (when readable) replaces. Unreadable rows are skipped and reported (DataLoss).
  struct Recovered {
    BreakRecords records;
    RetiredLedger retired;
    int64_t next_seq = 1;
    int64_t version = 0;
    Status status;
  };
  Recovered Recover(const Rows& rows, RetiredLedger retired, int64_t next_seq);

  size_t serialized_records() const { return serialized_.size(); }

 private:
  // Callbacks that run only while this object lives (reference/base/lifetime.h).
  template <typename F>
  auto Guard(F f) { return lifetime_.Guard(std::move(f)); }
  // SerializeRecord, remembered per record id: every operation diffs every record against the
  // durable image (twice per GetChannelState) and records rarely change, so the JSON is only
  // rebuilt for a record that differs (operator==) from the one it was built from.
  const std::string& Serialized(const std::string& id, const BreakRecord& r, size_t live_records);
  void PutSequential(std::shared_ptr<Rows> puts, size_t i, std::function<void(Status)> done);
  // SerializeMeta, remembered for the last meta: every operation persists the meta and it
  // changes only with the version or a retirement (its JSON was ~2 % of a simulator run).
  const std::string& SerializedMeta(const JournalMeta& meta);

  std::string channel_id_;
  DurableStore* store_;
  CoordinatorStats* stats_;
  std::map<std::string, std::string> image_;  // key -> value the store confirmed
  std::map<std::string, std::pair<BreakRecord, std::string>> serialized_;
  std::optional<std::pair<JournalMeta, std::string>> serialized_meta_;
  LifetimeToken lifetime_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_BREAK_JOURNAL_H_
