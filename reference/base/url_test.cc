#include "reference/base/url.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

TEST(UrlTest, ResolvesHlsReferences) {
  const char* base = "http://origin.example/live/ch1/v720.m3u8?token=abc";
  EXPECT_EQ(ResolveUrl(base, "seg_101.ts"), "http://origin.example/live/ch1/seg_101.ts");
  EXPECT_EQ(ResolveUrl(base, "../ads/a.ts"), "http://origin.example/live/ads/a.ts");
  EXPECT_EQ(ResolveUrl(base, "/x/y.ts?q=1"), "http://origin.example/x/y.ts?q=1");
  EXPECT_EQ(ResolveUrl(base, "//cdn.example/z.ts"), "http://cdn.example/z.ts");
  EXPECT_EQ(ResolveUrl(base, "https://ads.example/p.m3u8"), "https://ads.example/p.m3u8");
  EXPECT_EQ(ResolveUrl("http://h", "a.ts"), "http://h/a.ts");
  EXPECT_EQ(ResolveUrl("http://h/a/b/", "./c/../d.ts"), "http://h/a/b/d.ts");
  EXPECT_EQ(ResolveUrl("/local/dir/p.m3u8", "s.ts"), "/local/dir/s.ts");
  EXPECT_TRUE(HasScheme("data:text/plain,x"));
  EXPECT_FALSE(HasScheme("/abs"));
}

}  // namespace
}  // namespace ssai
