#include "reference/ssai/break_journal.h"

#include <algorithm>

#include "reference/ssai/adbreak_state_json.h"

namespace ssai {

using internal::Json;

BreakJournal::BreakJournal(std::string channel_id, DurableStore* store, CoordinatorStats* stats)
    : channel_id_(std::move(channel_id)), store_(store), stats_(stats) {}

std::string BreakJournal::SerializeRecord(const BreakRecord& r) {
  Json j;
  j["seq"] = r.seq;
  j["cancelled"] = r.cancelled;
  j["decided"] = r.decided;
  j["durationKnown"] = r.duration_known;
  j["requestedDuration"] = internal::Seconds(r.requested_duration_s);
  j["podRequest"] = r.pod_request;
  j["state"] = internal::AdBreakStateToJson(r.state);
  return j.dump();
}

Result<BreakRecord> BreakJournal::ParseRecord(std::string_view text) {
  SSAI_ASSIGN_OR_RETURN(Json j, internal::ParseObject(text, "break record"));
  BreakRecord r;
  SSAI_ASSIGN_OR_RETURN(r.seq, internal::GetInteger(j, "seq", "seq"));
  const std::pair<const char*, bool*> flags[] = {
      {"cancelled", &r.cancelled}, {"decided", &r.decided}, {"durationKnown", &r.duration_known}};
  for (const auto& [name, field] : flags) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_boolean()) return internal::FieldError(name, "must be a boolean");
    *field = it->get<bool>();
  }
  SSAI_ASSIGN_OR_RETURN(r.requested_duration_s, internal::GetNumber(j, "requestedDuration", "requestedDuration"));
  SSAI_ASSIGN_OR_RETURN(r.pod_request, internal::GetString(j, "podRequest", "podRequest"));
  auto st = j.find("state");
  if (st == j.end()) return internal::FieldError("state", "missing");
  SSAI_ASSIGN_OR_RETURN(r.state, internal::AdBreakStateFromJson(*st, "state."));
  r.state.discontinuities_before.reset();
  return r;
}

std::string BreakJournal::SerializeMeta(const JournalMeta& meta) {
  Json j;
  j["version"] = meta.version;
  j["retiredDiscontinuities"] = meta.retired.discontinuities;
  if (meta.retired.media_sequence != 0) j["retiredMediaSequence"] = meta.retired.media_sequence;
  if (meta.retired.through) {
    j["retiredThroughUs"] = *meta.retired.through;
  } else {
    j["retiredThroughUs"] = nullptr;
  }
  j["nextSeq"] = meta.next_seq;
  return j.dump();
}

const std::string& BreakJournal::Serialized(const std::string& id, const BreakRecord& r, size_t live_records) {
  auto it = serialized_.find(id);
  if (it == serialized_.end() || !(it->second.first == r)) {
    // Erase forgets a retired record's entry; this only bounds ids that never became records.
    if (serialized_.size() > 2 * live_records + 16) serialized_.clear();
    auto& slot = serialized_[id];
    slot = {r, SerializeRecord(r)};
    return slot.second;
  }
  return it->second.second;
}

const std::string& BreakJournal::SerializedMeta(const JournalMeta& meta) {
  if (!serialized_meta_ || !(serialized_meta_->first == meta)) serialized_meta_.emplace(meta, SerializeMeta(meta));
  return serialized_meta_->second;
}

void BreakJournal::PutSequential(std::shared_ptr<Rows> puts, size_t i, std::function<void(Status)> done) {
  if (i == puts->size()) return done(Status::Ok());
  const std::string key = (*puts)[i].first;
  std::string value = (*puts)[i].second;
  store_->Put(key, value, Guard([this, puts, i, key, value, done](Status s) {
                if (!s.ok()) {
                  ++stats_->durable_failures;
                  return done(s);
                }
                image_[key] = value;
                PutSequential(puts, i + 1, done);
              }));
}

void BreakJournal::WriteChanged(const BreakRecords& records, const JournalMeta* meta, size_t live_records,
                                std::function<void(Status)> done) {
  auto puts = std::make_shared<Rows>();
  for (const auto& [id, rec] : records) {
    std::string key = BreakKey(id);
    const std::string& value = Serialized(id, rec, live_records);
    auto it = image_.find(key);
    if (it == image_.end() || it->second != value) puts->emplace_back(key, value);
  }
  if (meta != nullptr) {
    const std::string& text = SerializedMeta(*meta);
    auto it = image_.find(MetaKey());
    if (it == image_.end() || it->second != text) puts->emplace_back(MetaKey(), text);
  }
  PutSequential(puts, 0, std::move(done));
}

bool BreakJournal::Unchanged(const BreakRecords& records, size_t live_records) {
  for (const auto& [id, rec] : records) {
    const std::string& value = Serialized(id, rec, live_records);
    auto it = image_.find(BreakKey(id));
    if (it == image_.end() || it->second != value) return false;
  }
  return true;
}

void BreakJournal::WriteMeta(const JournalMeta& meta, std::function<void(Status)> done) {
  std::string text = SerializeMeta(meta);
  store_->Put(MetaKey(), text, Guard([this, text, done](Status s) {
                if (!s.ok()) {
                  ++stats_->durable_failures;
                  return done(s);
                }
                image_[MetaKey()] = text;
                done(s);
              }));
}

void BreakJournal::Erase(const std::string& event_id) {
  serialized_.erase(event_id);
  const std::string key = BreakKey(event_id);
  image_.erase(key);
  store_->Delete(key, Guard([this](Status s) {
                   if (!s.ok()) ++stats_->durable_failures;
                 }));
}

void BreakJournal::Scan(std::function<void(Result<Rows>)> done) {
  store_->Scan(Prefix(), Guard([this, done](Result<Rows> rows) {
                 if (!rows.ok()) ++stats_->durable_failures;
                 done(std::move(rows));
               }));
}

BreakJournal::Recovered BreakJournal::Recover(const Rows& rows, RetiredLedger retired, int64_t next_seq) {
  Recovered out;
  image_.clear();
  std::string errors;
  int bad = 0;
  const std::string meta_key = MetaKey();
  const std::string break_prefix = channel_id_ + ":break:";
  for (const auto& [key, value] : rows) {
    if (key != meta_key) continue;
    Result<Json> j = internal::ParseObject(value, "meta record");
    Result<int64_t> v = j.ok() ? internal::GetInteger(*j, "version", "version") : Result<int64_t>(j.status());
    Result<int64_t> rd = j.ok() ? internal::GetInteger(*j, "retiredDiscontinuities", "retiredDiscontinuities")
                                : Result<int64_t>(j.status());
    Result<int64_t> ns = j.ok() ? internal::GetInteger(*j, "nextSeq", "nextSeq") : Result<int64_t>(j.status());
    if (!v.ok() || !rd.ok() || !ns.ok()) {
      ++bad;
      errors += " " + key + ": " + (!v.ok() ? v.status() : !rd.ok() ? rd.status() : ns.status()).message();
      continue;
    }
    out.version = *v;
    retired.discontinuities = *rd;
    if (auto rm = j->find("retiredMediaSequence"); rm != j->end() && rm->is_number_integer()) {
      retired.media_sequence = rm->get<int64_t>();
    }
    next_seq = std::max(next_seq, *ns);
    auto t = j->find("retiredThroughUs");
    if (t != j->end() && t->is_number_integer()) retired.through = t->get<int64_t>();
    image_[key] = value;
  }
  for (const auto& [key, value] : rows) {
    if (key.rfind(break_prefix, 0) != 0) continue;
    Result<BreakRecord> r = ParseRecord(value);
    if (!r.ok()) {
      ++bad;
      errors += " " + key + ": " + r.status().message();
      continue;
    }
    if (retired.through && r->state.start_time <= *retired.through) {
      store_->Delete(key, Guard([](Status) {}));  // retired; its delete had not gone through
      continue;
    }
    next_seq = std::max(next_seq, r->seq + 1);
    image_[key] = value;
    const std::string id = r->state.event_id;
    out.records[id] = std::move(r).value();
  }
  out.retired = retired;
  out.next_seq = next_seq;
  if (bad > 0) out.status = Status::DataLoss(std::to_string(bad) + " durable record(s) unreadable:" + errors);
  return out;
}

}  // namespace ssai
