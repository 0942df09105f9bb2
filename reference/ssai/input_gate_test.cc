#include "reference/ssai/input_gate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssai {
namespace {

using Op = InputGate::Op;
using OpKind = InputGate::OpKind;

// An operation that logs its name and keeps its Done for the test to call (its I/O "pending").
Op Held(OpKind kind, std::string name, std::vector<std::string>* log, InputGate::Done* held,
        std::vector<std::string>* failed = nullptr) {
  return Op{kind,
            [=](InputGate::Done done) {
              log->push_back(name);
              *held = std::move(done);
            },
            [=](Status s) {
              if (failed) failed->push_back(name + ": " + s.message());
            },
            nullptr};
}

TEST(InputGateTest, RunsOneOperationAtATimeInArrivalOrder) {
  CoordinatorStats stats;
  InputGate gate(&stats);
  gate.Open();
  std::vector<std::string> log;
  InputGate::Done a, b, c;
  gate.Enqueue(Held(OpKind::kCue, "a", &log, &a));
  gate.Enqueue(Held(OpKind::kCue, "b", &log, &b));
  gate.Enqueue(Held(OpKind::kObserve, "c", &log, &c));
  EXPECT_EQ(log, std::vector<std::string>({"a"}));  // b and c wait for a's I/O
  EXPECT_EQ(stats.max_queue_depth, 2);
  a();
  EXPECT_EQ(log, std::vector<std::string>({"a", "b"}));
  b();
  c();
  EXPECT_EQ(log, std::vector<std::string>({"a", "b", "c"}));
  EXPECT_EQ(gate.queued(), 0u);
}

TEST(InputGateTest, SynchronousCompletionsDoNotRecurse) {
  CoordinatorStats stats;
  InputGate gate(&stats);
  gate.Open();
  int depth = 0, max_depth = 0, ran = 0;
  for (int i = 0; i < 10000; ++i) {
    gate.Enqueue(Op{OpKind::kCue,
                    [&](InputGate::Done done) {
                      ++depth;
                      max_depth = std::max(max_depth, depth);
                      ++ran;
                      done();  // completes before returning (env.h allows it)
                      --depth;
                    },
                    [](Status) {}, nullptr});
  }
  EXPECT_EQ(ran, 10000);
  EXPECT_EQ(max_depth, 1);
}

TEST(InputGateTest, OnlyTheStartRunsBeforeOpenAndItGoesFirst) {
  CoordinatorStats stats;
  InputGate gate(&stats);
  std::vector<std::string> log;
  InputGate::Done cue, start;
  gate.Enqueue(Held(OpKind::kCue, "cue", &log, &cue));
  EXPECT_TRUE(log.empty());
  gate.Enqueue(Held(OpKind::kStart, "start", &log, &start), /*front=*/true);
  EXPECT_EQ(log, std::vector<std::string>({"start"}));
  gate.Open();
  start();
  EXPECT_EQ(log, std::vector<std::string>({"start", "cue"}));
}

TEST(InputGateTest, AFailedStartFailsWaitingAndLaterOperationsUntilCleared) {
  CoordinatorStats stats;
  InputGate gate(&stats);
  std::vector<std::string> log, failed;
  InputGate::Done start, cue, later;
  gate.Enqueue(Held(OpKind::kStart, "start", &log, &start), /*front=*/true);
  gate.Enqueue(Held(OpKind::kCue, "cue", &log, &cue, &failed));
  gate.Fail(Status::Unavailable("store down"));
  start();
  gate.Enqueue(Held(OpKind::kGetState, "later", &log, &later, &failed));
  EXPECT_EQ(log, std::vector<std::string>({"start"}));
  EXPECT_EQ(failed, std::vector<std::string>({"cue: store down", "later: store down"}));
  // A new start: operations queue behind it again.
  gate.ClearFailure();
  gate.Enqueue(Held(OpKind::kStart, "start2", &log, &start), /*front=*/true);
  gate.Enqueue(Held(OpKind::kCue, "cue2", &log, &cue, &failed));
  gate.Open();
  start();
  EXPECT_EQ(log, std::vector<std::string>({"start", "start2", "cue2"}));
  EXPECT_EQ(failed.size(), 2u);
}

TEST(InputGateTest, TakesTheReadsQueuedRightBehindTheRunningOperation) {
  CoordinatorStats stats;
  InputGate gate(&stats);
  gate.Open();
  std::vector<std::string> log;
  InputGate::Done first, cue;
  gate.Enqueue(Held(OpKind::kGetState, "first", &log, &first));
  int answered = 0;
  auto read = [&] {
    return Op{OpKind::kGetState, [&](InputGate::Done d) { log.push_back("read ran"); d(); }, [](Status) {},
              [&](Result<ChannelState>) { ++answered; }};
  };
  gate.Enqueue(read());
  gate.Enqueue(read());
  gate.Enqueue(Held(OpKind::kCue, "cue", &log, &cue));
  gate.Enqueue(read());  // behind the cue: not taken
  auto reads = gate.TakeWaitingStateReads();
  ASSERT_EQ(reads.size(), 2u);
  for (auto& r : reads) r(ChannelState());
  EXPECT_EQ(answered, 2);
  EXPECT_EQ(stats.operations, 2);  // each read answered counts as an operation served
  first();
  EXPECT_EQ(log, std::vector<std::string>({"first", "cue"}));
  cue();
  EXPECT_EQ(log, std::vector<std::string>({"first", "cue", "read ran"}));
}

}  // namespace
}  // namespace ssai
