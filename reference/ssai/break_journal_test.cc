#include "reference/ssai/break_journal.h"

#include <gtest/gtest.h>

#include "reference/ssai/testing/fake_env.h"

namespace ssai {
namespace {

using testing::FakeDurableStore;
using testing::ManualScheduler;

constexpr UnixMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;

BreakRecord Break(const std::string& id, int64_t seq, UnixMicros start) {
  BreakRecord r;
  r.seq = seq;
  r.decided = true;
  r.requested_duration_s = 30;
  r.pod_request = "pod";
  r.state.channel_id = "ch";
  r.state.event_id = id;
  r.state.start_time = start;
  r.state.end_time = start + 30 * kMicrosPerSecond;
  r.state.duration_s = 30;
  r.state.created_at = start;
  r.state.decision.pod_id = "pod";
  return r;
}

class BreakJournalTest : public ::testing::Test {
 protected:
  ManualScheduler sched_{kT0};
  FakeDurableStore store_{&sched_};
  CoordinatorStats stats_;
  BreakJournal journal_{"ch", &store_, &stats_};

  Status Write(const BreakRecords& recs, const JournalMeta* meta = nullptr) {
    std::optional<Status> got;
    journal_.WriteChanged(recs, meta, recs.size(), [&](Status s) { got = s; });
    sched_.RunDue();
    EXPECT_TRUE(got.has_value());
    return got.value_or(Status::Unavailable("no answer"));
  }
  BreakJournal::Rows Scan() {
    BreakJournal::Rows rows;
    journal_.Scan([&](Result<BreakJournal::Rows> r) {
      ASSERT_TRUE(r.ok());
      rows = *r;
    });
    sched_.RunDue();
    return rows;
  }
};

TEST_F(BreakJournalTest, ARecordReadsBackEqual) {
  BreakRecord r = Break("e1", 4, kT0);
  r.duration_known = false;
  Result<BreakRecord> back = BreakJournal::ParseRecord(BreakJournal::SerializeRecord(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, r);
  EXPECT_FALSE(BreakJournal::ParseRecord("{\"seq\":1}").ok());
  EXPECT_FALSE(BreakJournal::ParseRecord("not json").ok());
}

TEST_F(BreakJournalTest, UnchangedIsTrueExactlyWhenWriteChangedWouldWriteNothing) {
  BreakRecords recs{{"e1", Break("e1", 1, kT0)}};
  EXPECT_FALSE(journal_.Unchanged(recs, recs.size()));  // never written
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_TRUE(journal_.Unchanged(recs, recs.size()));
  EXPECT_TRUE(journal_.Unchanged({}, 0));
  recs["e1"].decided = false;  // a change not yet written
  EXPECT_FALSE(journal_.Unchanged(recs, recs.size()));
  recs["e2"] = Break("e2", 2, kT0 + 60 * kMicrosPerSecond);
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_TRUE(journal_.Unchanged(recs, recs.size()));
}

TEST_F(BreakJournalTest, TheMetaIsWrittenWhenItChangesAndOnlyThen) {
  JournalMeta meta{7, {}, 3};
  ASSERT_TRUE(Write({}, &meta).ok());
  ASSERT_EQ(store_.contents().size(), 1u);
  const std::string first = store_.contents().begin()->second;
  EXPECT_EQ(first, BreakJournal::SerializeMeta(meta));
  store_.set_down(true);
  EXPECT_TRUE(Write({}, &meta).ok());  // the same meta: nothing to write
  meta.version = 8;
  EXPECT_FALSE(Write({}, &meta).ok());  // changed: written (refused while down)
  store_.set_down(false);
  ASSERT_TRUE(Write({}, &meta).ok());
  EXPECT_EQ(store_.contents().begin()->second, BreakJournal::SerializeMeta(meta));
  meta.retired.through = kT0;
  ASSERT_TRUE(Write({}, &meta).ok());
  EXPECT_EQ(store_.contents().begin()->second, BreakJournal::SerializeMeta(meta));
  meta.retired.through.reset();
  ASSERT_TRUE(Write({}, &meta).ok());  // back to an earlier meta: its text again
  EXPECT_EQ(store_.contents().begin()->second, BreakJournal::SerializeMeta(meta));
}

TEST_F(BreakJournalTest, WritesOnlyWhatDiffersFromWhatTheStoreConfirmed) {
  BreakRecords recs{{"e1", Break("e1", 1, kT0)}, {"e2", Break("e2", 2, kT0 + 60 * kMicrosPerSecond)}};
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_EQ(store_.contents().size(), 2u);
  EXPECT_TRUE(store_.contents().count("ch:break:e1"));
  // Nothing changed: nothing to write, even with the store down.
  store_.set_down(true);
  EXPECT_TRUE(Write(recs).ok());
  // A change is refused while the store is down, and counted; it is in the next diff.
  recs["e2"].cancelled = true;
  EXPECT_FALSE(Write(recs).ok());
  EXPECT_EQ(stats_.durable_failures, 1);
  store_.set_down(false);
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_TRUE(BreakJournal::ParseRecord(store_.contents().at("ch:break:e2"))->cancelled);
}

TEST_F(BreakJournalTest, RecoversRecordsAndMetaSkippingRetiredAndUnreadableRows) {
  BreakRecords recs{{"old", Break("old", 1, kT0)}, {"new", Break("new", 2, kT0 + 60 * kMicrosPerSecond)}};
  JournalMeta meta;
  meta.version = 7;
  meta.retired = {4, 0, kT0};  // "old" is at the watermark: retired, its delete lost
  meta.next_seq = 3;
  ASSERT_TRUE(Write(recs, &meta).ok());
  std::optional<Status> put;
  store_.Put("ch:break:bad", "{", [&](Status s) { put = s; });
  sched_.RunDue();
  BreakJournal fresh("ch", &store_, &stats_);
  BreakJournal::Recovered r = fresh.Recover(Scan(), RetiredLedger{}, 1);
  EXPECT_EQ(r.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status.message().find("ch:break:bad"), std::string::npos);
  EXPECT_EQ(r.version, 7);
  EXPECT_EQ(r.retired, meta.retired);
  EXPECT_EQ(r.next_seq, 3);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records.at("new"), recs.at("new"));
  sched_.RunDue();
  EXPECT_FALSE(store_.contents().count("ch:break:old"));  // the retired row is deleted
}

TEST_F(BreakJournalTest, EraseForgetsTheRecordSoItIsWrittenAgainWhenBack) {
  BreakRecords recs{{"e1", Break("e1", 1, kT0)}};
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_EQ(journal_.serialized_records(), 1u);
  journal_.Erase("e1");
  sched_.RunDue();
  EXPECT_TRUE(store_.contents().empty());
  EXPECT_EQ(journal_.serialized_records(), 0u);
  ASSERT_TRUE(Write(recs).ok());
  EXPECT_EQ(store_.contents().size(), 1u);
}

}  // namespace
}  // namespace ssai
