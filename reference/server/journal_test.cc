// JournalDurableStore: replay, group commit on the writer thread (one write+fdatasync per group,
// completions on the caller's executor in submission order), and compaction (write PATH.tmp,
// fsync, rename, fsync the directory).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "reference/server/asio_env.h"

namespace ssai::server {
namespace {

namespace asio = boost::asio;
using Records = std::vector<std::pair<std::string, std::string>>;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ssai-journal-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "journal.jsonl").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The "core thread" of these tests: completions are posted to io_ and run by Drain.
  JournalDurableStore::Post Poster() {
    return [this](std::function<void()> fn) { asio::post(io_, std::move(fn)); };
  }
  std::unique_ptr<JournalDurableStore> OpenOrDie(JournalDurableStore::Options options = {}) {
    auto s = JournalDurableStore::Open(path_, Poster(), options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Runs completions until every submitted operation is acknowledged (bounded: 10 s).
  void Drain() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pending_ > 0 && std::chrono::steady_clock::now() < deadline) io_.run_one_for(std::chrono::milliseconds(50));
    ASSERT_EQ(pending_, 0) << "operations not acknowledged in 10 s";
  }
  Records ScanAll(JournalDurableStore& s) {
    Records out;
    s.Scan("", [&](Result<Records> r) {
      ASSERT_TRUE(r.ok());
      out = *r;
    });
    return out;
  }
  void Put(JournalDurableStore& s, const std::string& k, const std::string& v) {
    ++pending_;
    s.Put(k, v, [this](Status st) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      --pending_;
    });
  }
  void Delete(JournalDurableStore& s, const std::string& k) {
    ++pending_;
    s.Delete(k, [this](Status st) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      --pending_;
    });
  }
  int64_t Lines() const {
    std::ifstream in(path_);
    int64_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  int pending_ = 0;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(JournalTest, CompactsToTheLiveRecordsAndReplaysTheSame) {
  Records want;
  {
    auto j = OpenOrDie({.compact_after_records = 10});
    ASSERT_NE(j, nullptr);
    // One at a time, as a coordinator writes a break: each acknowledged before the next.
    Put(*j, "break/a", "1");
    Put(*j, "break/b", "2");
    Put(*j, "break/c", "3");
    Drain();
    Delete(*j, "break/c");
    Drain();
    for (int i = 0; i < 20; ++i) {  // rewrites of one key
      Put(*j, "meta", "v" + std::to_string(i));
      Drain();
    }
    EXPECT_GE(j->compactions(), 1);
    EXPECT_EQ(j->compaction_failures(), 0);
    EXPECT_LE(j->records(), 10);  // never more than the threshold, here
    EXPECT_EQ(Lines(), j->records()) << "appends after a compaction go to the new file";
    want = ScanAll(*j);
    EXPECT_EQ(want, (Records{{"break/a", "1"}, {"break/b", "2"}, {"meta", "v19"}}));
  }
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  auto reopened = OpenOrDie({.compact_after_records = 10});
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ScanAll(*reopened), want);
}

TEST_F(JournalTest, NoCompactionWhileMostRecordsAreLive) {
  auto j = OpenOrDie({.compact_after_records = 4});
  ASSERT_NE(j, nullptr);
  for (int i = 0; i < 8; ++i) Put(*j, "k" + std::to_string(i), "v");
  Drain();
  EXPECT_EQ(j->compactions(), 0) << "8 records, 8 live keys: nothing to gain";
  EXPECT_EQ(Lines(), 8);
}

TEST_F(JournalTest, ALeftoverTempFileFromACrashIsIgnoredAndReplaced) {
  {
    auto j = OpenOrDie({.compact_after_records = 3});
    ASSERT_NE(j, nullptr);
    Put(*j, "a", "1");
    Drain();
  }
  // A crash during a compaction, before the rename: PATH.tmp is torn, PATH is the journal.
  std::ofstream(path_ + ".tmp") << "{\"op\":\"put\",\"key\":\"zz\",\"val";
  auto j = OpenOrDie({.compact_after_records = 3});
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(ScanAll(*j), (Records{{"a", "1"}}));
  for (int i = 0; i < 6; ++i) {
    Put(*j, "a", std::to_string(i));
    Drain();
  }
  EXPECT_GE(j->compactions(), 1);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  auto again = OpenOrDie({.compact_after_records = 3});
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(ScanAll(*again), (Records{{"a", "5"}}));
}

// A burst (many cues at once) is one write and one fdatasync; Put returns before the disk is
// touched; the acknowledgements come back on the caller's executor in submission order, and only
// then does Scan see the records.
TEST_F(JournalTest, ABurstIsOneSyncAcknowledgedInOrder) {
  auto j = OpenOrDie();
  ASSERT_NE(j, nullptr);
  j->HoldWriterForTest(true);
  std::vector<int> acked;
  for (int i = 0; i < 100; ++i) {
    ++pending_;
    j->Put("k" + std::to_string(1000 + i), "v", [this, i, &acked](Status st) {
      EXPECT_TRUE(st.ok()) << st.ToString();
      acked.push_back(i);
      --pending_;
    });
  }
  Delete(*j, "k1000");
  io_.poll();
  EXPECT_TRUE(acked.empty()) << "nothing is acknowledged before it is on disk";
  EXPECT_EQ(Lines(), 0);
  EXPECT_TRUE(ScanAll(*j).empty());
  j->HoldWriterForTest(false);
  Drain();
  EXPECT_EQ(j->syncs(), 1);
  EXPECT_EQ(Lines(), 101);
  EXPECT_EQ(j->records(), 101);
  std::vector<int> in_order(100);
  for (int i = 0; i < 100; ++i) in_order[i] = i;
  EXPECT_EQ(acked, in_order);
  EXPECT_EQ(j->size(), 99u);  // the delete came after its put
  const Records want = ScanAll(*j);
  j.reset();
  auto reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(ScanAll(*reopened), want);
}

TEST_F(JournalTest, GroupsAreCappedAtMaxGroupRecords) {
  auto j = OpenOrDie({.max_group_records = 2});
  ASSERT_NE(j, nullptr);
  j->HoldWriterForTest(true);
  for (int i = 0; i < 5; ++i) Put(*j, "k" + std::to_string(i), "v");
  j->HoldWriterForTest(false);
  Drain();
  EXPECT_EQ(j->syncs(), 3);  // 2 + 2 + 1
  EXPECT_EQ(Lines(), 5);
}

// Shutdown with records queued: they are written (they were submitted); the completions, posted
// after the store is gone, do nothing (no use-after-free under ASan).
TEST_F(JournalTest, DestroyedWithQueuedRecordsWritesThemAndDropsTheCompletions) {
  auto j = OpenOrDie();
  ASSERT_NE(j, nullptr);
  j->HoldWriterForTest(true);
  int called = 0;
  for (int i = 0; i < 3; ++i) j->Put("k" + std::to_string(i), "v", [&called](Status) { ++called; });
  j.reset();
  io_.poll();
  EXPECT_EQ(called, 0);
  EXPECT_EQ(Lines(), 3);
  auto reopened = OpenOrDie();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->size(), 3u);
}

TEST_F(JournalTest, MemoryOnlyAcknowledgesThroughTheExecutorToo) {
  auto s = JournalDurableStore::Open("", Poster());
  ASSERT_TRUE(s.ok());
  JournalDurableStore& j = **s;
  Put(j, "a", "1");
  EXPECT_EQ(pending_, 1) << "done never runs inside Put";
  Drain();
  EXPECT_EQ(ScanAll(j), (Records{{"a", "1"}}));
  EXPECT_EQ(j.syncs(), 0);
}

}  // namespace
}  // namespace ssai::server
