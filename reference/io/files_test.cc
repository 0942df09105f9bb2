#include "reference/io/files.h"

#include <unistd.h>

#include <filesystem>
#include <string>

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

}  // namespace
}  // namespace ssai::io
