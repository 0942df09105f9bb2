// JournalDurableStore: replay, and compaction (write PATH.tmp, fsync, rename, fsync the directory).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "reference/server/asio_env.h"

namespace ssai::server {
namespace {

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

  static Records ScanAll(JournalDurableStore& s) {
    Records out;
    s.Scan("", [&](Result<Records> r) {
      ASSERT_TRUE(r.ok());
      out = *r;
    });
    return out;
  }
  static void Put(JournalDurableStore& s, const std::string& k, const std::string& v) {
    s.Put(k, v, [](Status st) { ASSERT_TRUE(st.ok()) << st.ToString(); });
  }
  int64_t Lines() const {
    std::ifstream in(path_);
    int64_t n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(JournalTest, CompactsToTheLiveRecordsAndReplaysTheSame) {
  Records want;
  {
    auto s = JournalDurableStore::Open(path_, /*compact_after_records=*/10);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    JournalDurableStore& j = **s;
    Put(j, "break/a", "1");
    Put(j, "break/b", "2");
    Put(j, "break/c", "3");
    j.Delete("break/c", [](Status st) { ASSERT_TRUE(st.ok()); });
    for (int i = 0; i < 20; ++i) Put(j, "meta", "v" + std::to_string(i));  // rewrites of one key
    EXPECT_GE(j.compactions, 1);
    EXPECT_EQ(j.compaction_failures, 0);
    EXPECT_LE(j.records(), 10);  // never more than the threshold, here
    EXPECT_EQ(Lines(), j.records()) << "appends after a compaction go to the new file";
    want = ScanAll(j);
    EXPECT_EQ(want, (Records{{"break/a", "1"}, {"break/b", "2"}, {"meta", "v19"}}));
  }
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  auto reopened = JournalDurableStore::Open(path_, 10);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(ScanAll(**reopened), want);
}

TEST_F(JournalTest, NoCompactionWhileMostRecordsAreLive) {
  auto s = JournalDurableStore::Open(path_, 4);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 8; ++i) Put(**s, "k" + std::to_string(i), "v");
  EXPECT_EQ((*s)->compactions, 0) << "8 records, 8 live keys: nothing to gain";
  EXPECT_EQ(Lines(), 8);
}

TEST_F(JournalTest, ALeftoverTempFileFromACrashIsIgnoredAndReplaced) {
  {
    auto s = JournalDurableStore::Open(path_, 3);
    ASSERT_TRUE(s.ok());
    Put(**s, "a", "1");
  }
  // A crash during a compaction, before the rename: PATH.tmp is torn, PATH is the journal.
  std::ofstream(path_ + ".tmp") << "{\"op\":\"put\",\"key\":\"zz\",\"val";
  auto s = JournalDurableStore::Open(path_, 3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ScanAll(**s), (Records{{"a", "1"}}));
  for (int i = 0; i < 6; ++i) Put(**s, "a", std::to_string(i));
  EXPECT_GE((*s)->compactions, 1);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  auto again = JournalDurableStore::Open(path_, 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ScanAll(**again), (Records{{"a", "5"}}));
}

}  // namespace
}  // namespace ssai::server
