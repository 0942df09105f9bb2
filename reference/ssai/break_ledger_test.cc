#include "reference/ssai/break_ledger.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

constexpr UnixMicros kT0 = 1'700'000'000LL * kMicrosPerSecond;
constexpr DurationMicros kS = kMicrosPerSecond;

BreakRecord Break(const std::string& id, int64_t seq, UnixMicros start, DurationMicros length) {
  BreakRecord r;
  r.seq = seq;
  r.state.event_id = id;
  r.state.start_time = start;
  r.state.end_time = start + length;
  r.state.duration_s = MicrosToSeconds(length);
  return r;
}

// Two 7.5 s creatives segmented at 2 s: a pod (splicer.h "Pods of creatives").
BreakRecord PodBreak(const std::string& id, int64_t seq, UnixMicros start, DurationMicros length) {
  BreakRecord r = Break(id, seq, start, length);
  for (const char* ad : {"a", "b"}) {
    AdItem item{ad, 7.5, {{800000, std::string("https://ads.test/") + ad + "/800k.m3u8"}}};
    item.segment_duration_s = 2;
    r.state.decision.items.push_back(item);
  }
  return r;
}

const std::optional<OriginGrid> kGrid2s = OriginGrid{kT0, 2 * kS, 2 * kS, kT0};

TEST(BreakLedgerTest, ASeedStyleBreakAddsTwoDiscontinuitiesAndKeepsTheMediaSequence) {
  BreakLedger ledger;
  BreakNumbering n = ledger.NumberingOf(Break("e", 1, kT0, 30 * kS), kGrid2s);
  EXPECT_EQ(n.discontinuities, 2);
  EXPECT_EQ(n.media_sequence_delta, 0);
}

TEST(BreakLedgerTest, APodIsLaidOutOnTheGridAndRemembered) {
  BreakLedger ledger;
  const BreakRecord pod = PodBreak("p", 1, kT0 + 300'000, 20 * kS);
  // No grid seen yet and nothing remembered: counted as a seed-style break.
  EXPECT_EQ(ledger.NumberingOf(pod, std::nullopt).discontinuities, 2);
  // 10 slots: 2, 2, 2, 1.5 | 2, 2, 2, 1.5 | slate 2, 2, 1: 11 segments, 4 discontinuities.
  BreakNumbering n = ledger.NumberingOf(pod, kGrid2s);
  EXPECT_EQ(n.discontinuities, 4);
  EXPECT_EQ(n.media_sequence_delta, 1);
  n = ledger.NumberingOf(pod, std::nullopt);  // the grid gone: the last numbering is kept
  EXPECT_EQ(n.discontinuities, 4);
  ledger.Forget("p");
  EXPECT_EQ(ledger.NumberingOf(pod, std::nullopt).discontinuities, 2);
}

TEST(BreakLedgerTest, EntriesSumTheBreaksBeforeEachSkippingCancelledOnes) {
  BreakLedger ledger;
  ledger.set_retired({6, 1, kT0 - 600 * kS});
  BreakRecords recs;
  recs["p"] = PodBreak("p", 1, kT0 + 300'000, 20 * kS);
  recs["x"] = Break("x", 2, kT0 + 40 * kS, 10 * kS);
  recs["x"].cancelled = true;
  recs["s"] = Break("s", 3, kT0 + 60 * kS, 10 * kS);
  int64_t total = 0, msn_total = 0;
  LedgerEntries e = ledger.Entries(recs, kGrid2s, &total, &msn_total);
  EXPECT_EQ(e.count("x"), 0u);
  EXPECT_EQ(e.at("p").discontinuities_before, 6);
  EXPECT_EQ(e.at("p").media_sequence_before, 1);
  EXPECT_EQ(e.at("s").discontinuities_before, 10);
  EXPECT_EQ(e.at("s").media_sequence_before, 2);
  EXPECT_EQ(total, 12);
  EXPECT_EQ(msn_total, 2);
  const AdBreakState pod = BreakLedger::Published(recs["p"], e);
  EXPECT_EQ(pod.discontinuities_before, 6);
  EXPECT_EQ(pod.discontinuities, 4);
  EXPECT_EQ(pod.media_sequence_delta, 1);
  const AdBreakState seed = BreakLedger::Published(recs["s"], e);
  EXPECT_EQ(seed.discontinuities_before, 10);
  EXPECT_FALSE(seed.discontinuities.has_value());
  EXPECT_EQ(seed.media_sequence_before, 2);
}

TEST(BreakLedgerTest, RetirementFoldsEndedBreaksInStartOrderWithoutSplittingAStartTime) {
  BreakLedger ledger;
  BreakRecords recs;
  recs["a"] = Break("a", 1, kT0, 10 * kS);
  recs["b"] = Break("b", 2, kT0 + 20 * kS, 10 * kS);
  recs["b2"] = Break("b2", 3, kT0 + 20 * kS, 100 * kS);  // same start, still playing
  recs["b2"].cancelled = false;
  recs["c"] = Break("c", 4, kT0 + 200 * kS, 10 * kS);
  const DurationMicros keep = 120 * kS;
  EXPECT_FALSE(ledger.PlanRetirement(recs, kGrid2s, kT0 + 100 * kS, keep).has_value());
  std::optional<BreakLedger::Retirement> plan = ledger.PlanRetirement(recs, kGrid2s, kT0 + 160 * kS, keep);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ids, std::vector<std::string>({"a"}));  // b ended too, but b2 shares its start
  EXPECT_EQ(plan->after.discontinuities, 2);
  EXPECT_EQ(plan->after.through, kT0);
  EXPECT_EQ(ledger.retired().discontinuities, 0);  // a plan changes nothing
  plan = ledger.PlanRetirement(recs, kGrid2s, kT0 + 300 * kS, keep);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->ids, std::vector<std::string>({"a", "b", "b2"}));
  EXPECT_EQ(plan->after.discontinuities, 6);
  EXPECT_EQ(plan->after.through, kT0 + 20 * kS);
}

}  // namespace
}  // namespace ssai
