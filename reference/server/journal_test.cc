// JournalDurableStore: replay, group commit on the writer thread (one write+fdatasync per group,
// completions on the caller's executor in submission order), compaction (write PATH.tmp, fsync,
// rename, fsync the directory), and the fault layer (issue 13): torn writes at every byte offset,
// ENOSPC, EIO, short writes, failed syncs and truncates, corrupted bytes, bad lines, legacy lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "reference/server/journal.h"

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
  std::string FileText() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
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

// ---- issue 13 regression tests that need no fault layer (written first, run against the old code).

TEST_F(JournalTest, ATornFinalRecordIsCutAndTheNextRecordStartsOnItsOwnLine) {
  {
    auto j = OpenOrDie();
    ASSERT_NE(j, nullptr);
    Put(*j, "a", "1");
    Put(*j, "b", "2");
    Drain();
  }
  std::ofstream(path_, std::ios::app) << "{\"op\":\"put\",\"key\":\"c\",\"va";  // crash mid-write
  {
    auto j = OpenOrDie();
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(ScanAll(*j), (Records{{"a", "1"}, {"b", "2"}}));
    Put(*j, "d", "4");
    Drain();
  }
  auto again = OpenOrDie();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(ScanAll(*again), (Records{{"a", "1"}, {"b", "2"}, {"d", "4"}}));
}

TEST_F(JournalTest, AValidJsonLineWithWrongTypesIsReportedWithItsLine) {
  std::ofstream(path_) << "{\"op\":\"put\",\"key\":\"a\",\"value\":\"1\"}\n"
                       << "{\"op\":\"put\",\"key\":1,\"value\":\"x\"}\n"
                       << "{\"op\":\"put\",\"key\":\"b\",\"value\":\"2\"}\n";
  auto j = JournalDurableStore::Open(path_, Poster());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(j.status().message().find(path_ + ": line 2: "), std::string::npos) << j.status().message();
}

TEST_F(JournalTest, AFlippedByteInARecordIsReportedWithItsLine) {
  {
    auto j = OpenOrDie();
    ASSERT_NE(j, nullptr);
    Put(*j, "a", "1");
    Put(*j, "b", "2");
    Put(*j, "c", "3");
    Drain();
  }
  std::string text = FileText();
  const size_t second = text.find('\n') + 1;
  const size_t at = text.find("\"2\"", second) + 1;  // the value of line 2
  text[at] = '7';
  std::ofstream(path_, std::ios::trunc) << text;
  auto j = JournalDurableStore::Open(path_, Poster());
  ASSERT_FALSE(j.ok()) << "a flipped byte loaded silently";
  EXPECT_NE(j.status().message().find("line 2: checksum mismatch"), std::string::npos) << j.status().message();
}

TEST_F(JournalTest, AJournalPathThatCannotBeReadIsAnErrorNotEmptyState) {
  std::filesystem::create_directories(path_);  // open(O_RDONLY) works, read(2) fails (EISDIR)
  auto j = JournalDurableStore::Open(path_, Poster());
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("cannot read"), std::string::npos) << j.status().message();
}

// ---- The journal fault layer (issue 13): a JournalFs over the real one that injects what a disk
// and a crash do to a write. Every scenario reopens the journal from disk with the real fs.

// Faults, set by the test between operations (the writer thread reads them only while it writes a
// group the test is waiting for, so there is no race).
class FaultFs : public JournalFs {
 public:
  int64_t write_budget = -1;   // bytes writes may still put on disk; -1: no limit
  int write_errno = ENOSPC;    // what a write fails with once the budget is spent
  bool crash = false;          // the budget's end is a crash: after it nothing reaches the disk
  size_t max_write = SIZE_MAX; // short writes: at most this many bytes per write(2); 0: no progress
  int failing_syncs = 0;       // the next N syncs fail with EIO (and do not sync)
  int failing_truncates = 0;   // the next N truncates fail with EIO
  bool fail_read = false;      // reads fail with EACCES (a journal mode 0200)
  bool tmp_open_fails = false, tmp_write_fails = false, tmp_sync_fails = false, rename_fails = false;
  std::atomic<bool> dead{false};

  static Status Err(const std::string& what, int e) { return Status::Unavailable(what + ": " + std::strerror(e)); }

  Result<std::string> ReadAll(const std::string& path) override {
    if (fail_read) return Err(path + ": cannot read", EACCES);
    return JournalFs::Posix()->ReadAll(path);
  }
  Result<std::unique_ptr<JournalFile>> OpenAppend(const std::string& path, bool truncate) override;
  Status Rename(const std::string& from, const std::string& to) override {
    if (dead || rename_fails) return Err(to + ": rename", EIO);
    return JournalFs::Posix()->Rename(from, to);
  }
  Status Remove(const std::string& path) override {
    if (dead) return Err(path + ": unlink", EIO);
    return JournalFs::Posix()->Remove(path);
  }
  Status SyncDir(const std::string& dir) override {
    if (dead) return Err(dir + ": fsync", EIO);
    return JournalFs::Posix()->SyncDir(dir);
  }
};

class FaultFile : public JournalFile {
 public:
  FaultFile(FaultFs* fs, std::unique_ptr<JournalFile> inner, bool tmp) : fs_(fs), inner_(std::move(inner)), tmp_(tmp) {}
  Result<size_t> Write(std::string_view data) override {
    if (fs_->dead) return FaultFs::Err("write", EIO);
    if (tmp_ && fs_->tmp_write_fails) return FaultFs::Err("write", ENOSPC);
    size_t n = std::min(data.size(), fs_->max_write);
    if (n == 0) return size_t{0};
    if (fs_->write_budget >= 0) {
      if (fs_->write_budget == 0) {
        if (fs_->crash) fs_->dead = true;
        return FaultFs::Err("write", fs_->write_errno);
      }
      n = std::min<size_t>(n, static_cast<size_t>(fs_->write_budget));
      fs_->write_budget -= static_cast<int64_t>(n);
    }
    return inner_->Write(data.substr(0, n));
  }
  Status Sync() override {
    if (fs_->crash && fs_->write_budget == 0) fs_->dead = true;  // the crash came before the sync
    if (fs_->dead || (tmp_ && fs_->tmp_sync_fails)) return FaultFs::Err("fdatasync", EIO);
    if (fs_->failing_syncs > 0) {
      --fs_->failing_syncs;
      return FaultFs::Err("fdatasync", EIO);
    }
    return inner_->Sync();
  }
  Status Truncate(uint64_t size) override {
    if (fs_->dead) return FaultFs::Err("ftruncate", EIO);
    if (fs_->failing_truncates > 0) {
      --fs_->failing_truncates;
      return FaultFs::Err("ftruncate", EIO);
    }
    return inner_->Truncate(size);
  }

 private:
  FaultFs* fs_;
  std::unique_ptr<JournalFile> inner_;
  bool tmp_;
};

Result<std::unique_ptr<JournalFile>> FaultFs::OpenAppend(const std::string& path, bool truncate) {
  const bool tmp = path.ends_with(".tmp");
  if (dead || (tmp && tmp_open_fails)) return Err(path + ": open", EIO);
  SSAI_ASSIGN_OR_RETURN(std::unique_ptr<JournalFile> inner, JournalFs::Posix()->OpenAppend(path, truncate));
  return std::unique_ptr<JournalFile>(std::make_unique<FaultFile>(this, std::move(inner), tmp));
}

class JournalFaultTest : public JournalTest {
 protected:
  std::unique_ptr<JournalDurableStore> OpenWith(JournalFs* fs, JournalDurableStore::Options options = {}) {
    options.fs = fs;
    options.log = [this](const std::string& note) { log_.push_back(note); };
    auto s = JournalDurableStore::Open(path_, Poster(), options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Submits and waits for the acknowledgement (bounded by Drain).
  Status PutAndWait(JournalDurableStore& s, const std::string& k, const std::string& v) {
    Status got = Status::Internal("not acknowledged");
    ++pending_;
    s.Put(k, v, [this, &got](Status st) {
      got = st;
      --pending_;
    });
    Drain();
    return got;
  }
  // Reopens from disk with the real fs: the journal must open; returns its records.
  Records Reopened() {
    auto j = OpenWith(JournalFs::Posix());
    if (j == nullptr) return {{"<journal did not reopen>", ""}};
    return ScanAll(*j);
  }
  // a=1, b=2 acknowledged through `fs`; returns the store.
  std::unique_ptr<JournalDurableStore> TwoAcked(FaultFs* fs) {
    auto j = OpenWith(fs);
    if (j == nullptr) return nullptr;
    EXPECT_TRUE(PutAndWait(*j, "a", "1").ok());
    EXPECT_TRUE(PutAndWait(*j, "b", "2").ok());
    return j;
  }
  void Fresh() {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    log_.clear();
  }

  std::vector<std::string> log_;
};

const Records kAB = {{"a", "1"}, {"b", "2"}};

// A crash after k bytes of a record, for every k: the acknowledged records survive, the journal
// reopens (the torn bytes cut and logged), and the next record starts on its own line.
TEST_F(JournalFaultTest, ACrashAtEveryByteOffsetOfARecordLosesNothingAcknowledged) {
  const std::string record = JournalRecordLine("c", "3");
  for (size_t k = 0; k <= record.size(); ++k) {
    SCOPED_TRACE("crash after " + std::to_string(k) + " of " + std::to_string(record.size()) + " bytes");
    Fresh();
    FaultFs fs;
    {
      auto j = TwoAcked(&fs);
      ASSERT_NE(j, nullptr);
      const size_t before = FileText().size();
      fs.write_budget = static_cast<int64_t>(k);
      fs.crash = true;
      EXPECT_FALSE(PutAndWait(*j, "c", "3").ok()) << "acknowledged without its sync";
      EXPECT_TRUE(j->failed_closed());
      EXPECT_FALSE(PutAndWait(*j, "d", "4").ok());
      EXPECT_EQ(FileText().size(), before + k) << "nothing after the crash reaches the disk";
    }
    {
      auto j = OpenWith(JournalFs::Posix());
      ASSERT_NE(j, nullptr);
      const Records got = ScanAll(*j);
      if (k < record.size()) {
        EXPECT_EQ(got, kAB);
        EXPECT_EQ(j->torn_bytes_cut(), static_cast<int64_t>(k));
        EXPECT_EQ(log_.size(), k > 0 ? 1u : 0u);
      } else {  // whole but never synced: it may come back (it was answered with an error)
        EXPECT_EQ(got, (Records{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
      }
      EXPECT_TRUE(PutAndWait(*j, "e", "5").ok());
    }
    Records want = Reopened();
    EXPECT_EQ(want.back(), (std::pair<std::string, std::string>("e", "5")));
    EXPECT_EQ(want.size(), k < record.size() ? 3u : 4u);
  }
}

// The same within a group of three: a crash anywhere in the group's one write.
TEST_F(JournalFaultTest, ACrashAtEveryByteOffsetOfAGroupLosesNothingAcknowledged) {
  const size_t group_bytes = JournalRecordLine("c", "3").size() + JournalRecordLine("d", "4").size() +
                             JournalRecordLine("c", std::nullopt).size();
  for (size_t k = 0; k < group_bytes; ++k) {
    SCOPED_TRACE("crash after " + std::to_string(k) + " bytes of the group");
    Fresh();
    FaultFs fs;
    {
      auto j = TwoAcked(&fs);
      ASSERT_NE(j, nullptr);
      fs.write_budget = static_cast<int64_t>(k);
      fs.crash = true;
      j->HoldWriterForTest(true);
      int errors = 0;
      for (auto [key, value] : {std::pair<const char*, const char*>{"c", "3"}, {"d", "4"}}) {
        ++pending_;
        j->Put(key, value, [&](Status st) {
          errors += !st.ok();
          --pending_;
        });
      }
      ++pending_;
      j->Delete("c", [&](Status st) {
        errors += !st.ok();
        --pending_;
      });
      j->HoldWriterForTest(false);
      Drain();
      EXPECT_EQ(errors, 3);
    }
    const Records got = Reopened();
    // Complete lines of the unacknowledged group may replay (never acknowledged, never torn).
    ASSERT_GE(got.size(), 2u);
    EXPECT_EQ(Records(got.begin(), got.begin() + 2), kAB);
    auto j = OpenWith(JournalFs::Posix());
    ASSERT_NE(j, nullptr);
    EXPECT_TRUE(PutAndWait(*j, "z", "9").ok());
    j.reset();
    EXPECT_EQ(Reopened().back(), (std::pair<std::string, std::string>("z", "9")));
  }
}

// ENOSPC or EIO after k bytes of a record (short writes before it): the record is answered with
// the error, the partial bytes are cut at once, and the next record (the disk has room again) is
// acknowledged and replayed — no torn tail is ever left for a restart to find.
TEST_F(JournalFaultTest, ENOSPCOrEIOAtEveryByteOffsetCutsThePartialRecord) {
  const std::string record = JournalRecordLine("c", "3");
  for (int err : {ENOSPC, EIO}) {
    for (size_t max_write : {SIZE_MAX, size_t{7}}) {
      for (size_t k = 0; k < record.size(); ++k) {
        SCOPED_TRACE(std::string(std::strerror(err)) + " after " + std::to_string(k) + " bytes, max write " +
                     std::to_string(max_write));
        Fresh();
        FaultFs fs;
        fs.max_write = max_write;
        auto j = TwoAcked(&fs);
        ASSERT_NE(j, nullptr);
        const size_t before = FileText().size();
        fs.write_budget = static_cast<int64_t>(k);
        fs.write_errno = err;
        const Status st = PutAndWait(*j, "c", "3");
        EXPECT_FALSE(st.ok());
        EXPECT_NE(st.message().find(std::strerror(err)), std::string::npos) << st.message();
        EXPECT_EQ(FileText().size(), before) << "the partial record is cut back";
        EXPECT_FALSE(j->failed_closed());
        EXPECT_EQ(j->write_failures(), 1);
        fs.write_budget = -1;
        EXPECT_TRUE(PutAndWait(*j, "d", "4").ok());
        EXPECT_EQ(ScanAll(*j), (Records{{"a", "1"}, {"b", "2"}, {"d", "4"}}));
        j.reset();
        EXPECT_EQ(Reopened(), (Records{{"a", "1"}, {"b", "2"}, {"d", "4"}}));
        EXPECT_TRUE(log_.empty()) << "nothing torn to cut";
      }
    }
  }
}

TEST_F(JournalFaultTest, ShortWritesAreCompletedInOneGroup) {
  FaultFs fs;
  fs.max_write = 1;  // write(2) returning one byte at a time
  auto j = OpenWith(&fs);
  ASSERT_NE(j, nullptr);
  j->HoldWriterForTest(true);
  for (int i = 0; i < 20; ++i) Put(*j, "k" + std::to_string(i), std::string(static_cast<size_t>(i), 'x'));
  j->HoldWriterForTest(false);
  Drain();
  EXPECT_EQ(j->syncs(), 1);
  const Records want = ScanAll(*j);
  EXPECT_EQ(want.size(), 20u);
  j.reset();
  EXPECT_EQ(Reopened(), want);
}

TEST_F(JournalFaultTest, AWriteThatMakesNoProgressIsAnErrorNotALoop) {
  FaultFs fs;
  auto j = TwoAcked(&fs);
  ASSERT_NE(j, nullptr);
  fs.max_write = 0;
  const Status st = PutAndWait(*j, "c", "3");
  EXPECT_NE(st.message().find("no progress"), std::string::npos) << st.ToString();
  fs.max_write = SIZE_MAX;
  EXPECT_TRUE(PutAndWait(*j, "d", "4").ok());
  j.reset();
  EXPECT_EQ(Reopened(), (Records{{"a", "1"}, {"b", "2"}, {"d", "4"}}));
}

// fdatasync fails: the record is in the page cache but not known durable. Not acknowledged, and
// cut from the file, so it does not come back after a restart either.
TEST_F(JournalFaultTest, AFailedSyncIsNotAcknowledgedAndTheRecordIsCut) {
  FaultFs fs;
  auto j = TwoAcked(&fs);
  ASSERT_NE(j, nullptr);
  const size_t before = FileText().size();
  fs.failing_syncs = 1;
  const Status st = PutAndWait(*j, "c", "3");
  EXPECT_NE(st.message().find("fdatasync"), std::string::npos) << st.ToString();
  EXPECT_EQ(FileText().size(), before);
  EXPECT_EQ(ScanAll(*j), kAB);
  EXPECT_TRUE(PutAndWait(*j, "d", "4").ok());
  j.reset();
  EXPECT_EQ(Reopened(), (Records{{"a", "1"}, {"b", "2"}, {"d", "4"}}));
}

// The cut itself fails: the store fails closed (no append after an unknown tail), with a message
// that says so; a restart cuts the torn tail and has every acknowledged record.
TEST_F(JournalFaultTest, WhenTheCutFailsTheStoreFailsClosed) {
  for (bool sync_fails : {false, true}) {
    SCOPED_TRACE(sync_fails ? "the sync of the cut fails" : "ftruncate fails");
    Fresh();
    FaultFs fs;
    auto j = TwoAcked(&fs);
    ASSERT_NE(j, nullptr);
    const size_t before = FileText().size();
    fs.write_budget = 5;
    if (sync_fails) {
      fs.failing_syncs = 1;
    } else {
      fs.failing_truncates = 1;
    }
    EXPECT_FALSE(PutAndWait(*j, "c", "3").ok());
    EXPECT_TRUE(j->failed_closed());
    fs.write_budget = -1;  // the disk has room again: still closed
    const Status later = PutAndWait(*j, "d", "4");
    EXPECT_NE(later.message().find("failed closed"), std::string::npos) << later.ToString();
    EXPECT_EQ(FileText().size(), sync_fails ? before : before + 5) << "nothing appended after the failure";
    j.reset();
    EXPECT_EQ(Reopened(), kAB);
  }
}

TEST_F(JournalFaultTest, AJournalThatCannotBeReadIsAnErrorNotEmptyState) {
  {
    auto j = OpenOrDie();
    ASSERT_NE(j, nullptr);
    Put(*j, "a", "1");
    Drain();
  }
  FaultFs fs;
  fs.fail_read = true;  // what mode 0200 does to a non-root server
  JournalDurableStore::Options options;
  options.fs = &fs;
  auto j = JournalDurableStore::Open(path_, Poster(), options);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("journal " + path_ + ": cannot read: Permission denied"), std::string::npos)
      << j.status().message();
}

// Compaction goes through the same fs; each of its failures leaves the old journal, still
// appended to, and no PATH.tmp.
TEST_F(JournalFaultTest, ACompactionFailureLeavesTheOldJournal) {
  for (int point = 0; point < 4; ++point) {
    SCOPED_TRACE("failure point " + std::to_string(point));
    Fresh();
    FaultFs fs;
    fs.tmp_open_fails = point == 0;
    fs.tmp_write_fails = point == 1;
    fs.tmp_sync_fails = point == 2;
    fs.rename_fails = point == 3;
    auto j = OpenWith(&fs, {.compact_after_records = 3});
    ASSERT_NE(j, nullptr);
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(PutAndWait(*j, "a", std::to_string(i)).ok());
    EXPECT_GE(j->compaction_failures(), 1);
    EXPECT_EQ(j->compactions(), 0);
    EXPECT_EQ(Lines(), 6) << "the old journal, appended to";
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
    j.reset();
    EXPECT_EQ(Reopened(), (Records{{"a", "5"}}));
  }
}

// A corrupted byte anywhere in an acknowledged record (its newline included) is reported with
// the record's line, whatever the byte becomes.
TEST_F(JournalFaultTest, ACorruptedByteAnywhereInARecordIsReportedWithItsLine) {
  {
    auto j = OpenOrDie();
    ASSERT_NE(j, nullptr);
    Put(*j, "break/a", "{\"start\":1}");
    Put(*j, "break/b", "{\"start\":2}");
    Put(*j, "break/c", "{\"start\":3}");
    Drain();
  }
  const std::string good = FileText();
  const size_t line2 = good.find('\n') + 1;
  const size_t line3 = good.find('\n', line2) + 1;
  int checked = 0;
  for (size_t i = line2; i < line3; ++i) {
    for (unsigned char mask : {0x01, 0x20, 0x80}) {
      SCOPED_TRACE("byte " + std::to_string(i - line2) + " of line 2 ^ " + std::to_string(mask));
      std::string bad = good;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
      std::ofstream(path_, std::ios::binary | std::ios::trunc) << bad;
      auto j = JournalDurableStore::Open(path_, Poster());
      ASSERT_FALSE(j.ok()) << "loaded a corrupted record";
      EXPECT_EQ(j.status().code(), StatusCode::kDataLoss);
      EXPECT_EQ(j.status().message().rfind("journal " + path_ + ": line 2: ", 0), 0u) << j.status().message();
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(3 * (line3 - line2)));
}

// Each way a line can fail, with the reason in the message.
TEST_F(JournalFaultTest, EveryKindOfBadLineIsNamed) {
  const std::string ok = JournalRecordLine("a", "1");
  const std::string body = ok.substr(0, ok.size() - 1);
  struct Case {
    std::string line;
    std::string reason;
  } cases[] = {
      {"{\"op\":\"put\",\"key\":1,\"value\":\"x\"}", "\"key\" is missing or not a string"},
      {"{\"op\":\"put\",\"key\":\"k\",\"value\":7}", "put: \"value\" is missing or not a string"},
      {"{\"op\":[],\"key\":\"k\"}", "\"op\" is missing or not a string"},
      {"{\"op\":\"zap\",\"key\":\"k\"}", "unknown op 'zap'"},
      {"{\"op\":\"del\",\"key\":\"k\",\"value\":\"v\"}", "del with a \"value\""},
      {"{\"op\":\"put\",\"key\":\"k\",\"value\":\"v\",\"vlaue\":\"w\"}", "unknown field 'vlaue'"},
      {"[1,2]", "not a journal record (not a JSON object)"},
      {"{\"op\":\"put\",\"key\":\"k\",\"crc32\":\"0\"}", "malformed checksum"},
      {body.substr(0, body.size() - 4) + "XY\"}", "malformed checksum '"},
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "not a journal record"},
      {"\xff\xfe", "not a journal record"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << ok << c.line << "\n" << ok;
    auto j = JournalDurableStore::Open(path_, Poster());
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.status().message().find("line 2: " + c.reason), std::string::npos) << j.status().message();
  }
}

// A journal written before checksums loads (an upgrade keeps its state); new records carry a
// checksum; an unchecksummed line after a checksummed one is corruption.
TEST_F(JournalFaultTest, ALegacyJournalLoadsAndNewRecordsAreChecksummed) {
  std::ofstream(path_) << "{\"key\":\"a\",\"op\":\"put\",\"value\":\"1\"}\n"
                       << "{\"key\":\"b\",\"op\":\"put\",\"value\":\"2\"}\n"
                       << "{\"key\":\"a\",\"op\":\"del\"}\n";
  {
    auto j = OpenWith(JournalFs::Posix());
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(ScanAll(*j), (Records{{"b", "2"}}));
    EXPECT_TRUE(PutAndWait(*j, "c", "3").ok());
  }
  const std::string text = FileText();
  EXPECT_TRUE(text.ends_with(JournalRecordLine("c", "3"))) << text;
  EXPECT_NE(JournalRecordLine("c", "3").find(",\"crc32\":\""), std::string::npos);
  EXPECT_EQ(Reopened(), (Records{{"b", "2"}, {"c", "3"}}));
  std::ofstream(path_, std::ios::app) << "{\"key\":\"d\",\"op\":\"put\",\"value\":\"4\"}\n";
  auto j = JournalDurableStore::Open(path_, Poster());
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("line 5: checksum missing"), std::string::npos) << j.status().message();
}

TEST_F(JournalFaultTest, AKeyOrValueThatIsNotUtf8IsRefusedNotAnAbort) {
  auto j = OpenWith(JournalFs::Posix());
  ASSERT_NE(j, nullptr);
  const Status st = PutAndWait(*j, "a", "bad \x80 byte");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(PutAndWait(*j, "b", "2").ok());
  j.reset();
  EXPECT_EQ(Reopened(), (Records{{"b", "2"}}));
}

}  // namespace
}  // namespace ssai::server
