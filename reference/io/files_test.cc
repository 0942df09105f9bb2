#include "reference/io/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace ssai::io {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ssai_files_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(FilesTest, RoundTrip) {
  const std::string path = Path("a.json");
  ASSERT_TRUE(WriteStringToFile(path, "{\"x\": 1}\n").ok());
  Result<std::string> back = ReadFileToString(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "{\"x\": 1}\n");
  // Truncates: a shorter second write leaves nothing of the first.
  ASSERT_TRUE(WriteStringToFile(path, "y").ok());
  EXPECT_EQ(ReadFileToString(path).value(), "y");
}

TEST_F(FilesTest, EmptyBinaryAndLargeFiles) {
  ASSERT_TRUE(WriteStringToFile(Path("empty"), "").ok());
  EXPECT_EQ(ReadFileToString(Path("empty")).value(), "");

  const std::string binary("\0\x01\xff\r\n\x47\0", 7);
  ASSERT_TRUE(WriteStringToFile(Path("bin.ts"), binary).ok());
  EXPECT_EQ(ReadFileToString(Path("bin.ts")).value(), binary);

  std::string large;
  for (int i = 0; i < 300'000; ++i) large += static_cast<char>('a' + i % 26);
  ASSERT_TRUE(WriteStringToFile(Path("large"), large).ok());
  Result<std::string> back = ReadFileToString(Path("large"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), large.size());
  EXPECT_EQ(*back, large);
}

TEST_F(FilesTest, MissingFileNamesThePathAndTheReason) {
  const std::string path = Path("nope.json");
  Result<std::string> r = ReadFileToString(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), path + ": cannot read: No such file or directory");
  // A missing parent directory too.
  Result<std::string> deeper = ReadFileToString(Path("no/such/dir/x"));
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.status().code(), StatusCode::kNotFound);
  EXPECT_NE(deeper.status().message().find("no/such/dir/x: cannot read"), std::string::npos);
}

TEST_F(FilesTest, DirectoryIsNotAFile) {
  Result<std::string> r = ReadFileToString(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), dir_.string() + ": cannot read: Is a directory");
}

TEST_F(FilesTest, WriteCreatesParentDirectories) {
  const std::string path = Path("reports/run-1/report.json");
  ASSERT_TRUE(WriteStringToFile(path, "{}").ok());
  EXPECT_EQ(ReadFileToString(path).value(), "{}");
}

TEST_F(FilesTest, WriteErrorsNameThePath) {
  // The parent is a regular file: neither the directory nor the file can be made.
  ASSERT_TRUE(WriteStringToFile(Path("plain"), "x").ok());
  const std::string path = Path("plain/inside.json");
  Status s = WriteStringToFile(path, "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ": "), std::string::npos) << s.message();
  // Writing over a directory.
  Status d = WriteStringToFile(dir_.string(), "x");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find(dir_.string() + ": cannot write: Is a directory"), std::string::npos) << d.message();
}

// issue 13: the cap is applied while reading, never after reading everything.
TEST_F(FilesTest, CapAllowsExactlyMaxBytes) {
  const std::string path = Path("cap.txt");
  ASSERT_TRUE(WriteStringToFile(path, std::string(100'000, 'x')).ok());
  EXPECT_EQ(ReadFileToString(path, 100'000).value().size(), 100'000u);
  Result<std::string> r = ReadFileToString(path, 99'999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), path + ": larger than 99999 bytes");
}

TEST_F(FilesTest, SparseHugeFileIsRefusedBeforeReading) {
  // 1.5 GB of holes: refused from its size, at no memory cost.
  const std::string path = Path("huge.m3u8");
  ASSERT_TRUE(WriteStringToFile(path, "").ok());
  ASSERT_EQ(::truncate(path.c_str(), 1'500'000'000), 0);
  Result<std::string> r = ReadFileToString(path, kMaxInputBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": larger than 16 MiB");
}

TEST_F(FilesTest, EndlessDeviceStopsAtTheCap) {
  // /dev/zero never ends and reports size 0: only a cap applied while reading stops it.
  Result<std::string> r = ReadFileToString("/dev/zero", size_t{1} << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/dev/zero: larger than 1 MiB");
  EXPECT_EQ(ReadInputToString("/dev/zero", 64 << 10).status().message(), "/dev/zero: larger than 64 KiB");
}

TEST_F(FilesTest, FifoIsCappedWhileReading) {
  const std::string path = Path("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // The writer stops when the reader closes its end (EPIPE; SIGPIPE ignored here for the test).
  std::thread writer([path] {
    ::signal(SIGPIPE, SIG_IGN);
    const int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) return;
    const std::string chunk(4096, 'y');
    for (int i = 0; i < 1024; ++i) {  // 4 MiB at most: bounded
      if (::write(fd, chunk.data(), chunk.size()) < 0) break;
    }
    ::close(fd);
  });
  Result<std::string> r = ReadFileToString(path, 100'000);
  writer.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": larger than 100000 bytes");
}

TEST(FormatByteSizeTest, Units) {
  EXPECT_EQ(FormatByteSize(16u << 20), "16 MiB");
  EXPECT_EQ(FormatByteSize(64u << 10), "64 KiB");
  EXPECT_EQ(FormatByteSize(1000), "1000 bytes");
}

// A TempDir is private to this process and goes, with what was written in it, at scope end.
TEST(TempDirTest, CreatedPrivateAndRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir("ssai-files-test");
    path = dir.path();
    ASSERT_FALSE(path.empty());
    EXPECT_NE(fs::path(path).filename().string().find("ssai-files-test-"), std::string::npos);
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
    ASSERT_TRUE(WriteStringToFile(path + "/a/b.txt", "x").ok());
    TempDir other("ssai-files-test");
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace ssai::io
