#include "reference/server/media_library.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ssai::server {
namespace {

DecisionCatalogue TwoPods() {
  Result<DecisionCatalogue> c = ParseDecisionCatalogue(R"({"pods": {
    "a-pod": {"items": [{"id": "x", "duration": 4, "variants": {"800000": "u"}},
                        {"id": "y", "duration": 6, "variants": {"800000": "u", "2500000": "u"}}]},
    "b-pod": {"items": [{"id": "z", "duration": 2, "variants": {"800000": "u"}}]}}})");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : DecisionCatalogue{};
}

TEST(MediaLibraryTest, AdsContinueEachOthersTimelineWithinTheirPod) {
  const DecisionCatalogue c = TwoPods();
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 0), 0);
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 1), 1);
  EXPECT_EQ(AdTimelineIndex(c, 2, "y", 2500000, 0), 2);  // after x's 4 s
  EXPECT_EQ(AdTimelineIndex(c, 2, "y", 800000, 2), 4);
  EXPECT_EQ(AdTimelineIndex(c, 2, "z", 800000, 0), 0);  // first item of its pod
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, 2), std::nullopt);   // x has 2 segments
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 2500000, 0), std::nullopt);  // no such bitrate
  EXPECT_EQ(AdTimelineIndex(c, 2, "nope", 800000, 0), std::nullopt);
  EXPECT_EQ(AdTimelineIndex(c, 2, "x", 800000, -1), std::nullopt);
}

TEST(MediaLibraryTest, BadInputIsAClearError) {
  const std::string dir = (std::filesystem::temp_directory_path() / "ssai-media-test-unused").string();
  Result<std::shared_ptr<const MediaLibrary>> r = MediaLibrary::Open(dir, 2.002);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a whole number of 25 fps frames"), std::string::npos)
      << r.status().message();
  r = MediaLibrary::Open(dir, 2, "ssai-no-such-ffmpeg-binary");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ssai-no-such-ffmpeg-binary not found on PATH"), std::string::npos)
      << r.status().message();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace ssai::server
