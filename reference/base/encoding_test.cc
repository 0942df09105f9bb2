#include "reference/base/encoding.h"

#include <gtest/gtest.h>

namespace ssai {
namespace {

TEST(EncodingTest, Base64RoundTrip) {
  // SCTE 35 splice_null heartbeat (published test vector).
  auto b = Base64Decode("/DARAAAAAAAAAP/wAAAAAHpPv/8=");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 20u);
  EXPECT_EQ((*b)[0], 0xFC);
  EXPECT_EQ(Base64Encode(*b), "/DARAAAAAAAAAP/wAAAAAHpPv/8=");
  // Unpadded input decodes the same.
  EXPECT_EQ(*Base64Decode("/DARAAAAAAAAAP/wAAAAAHpPv/8"), *b);
  for (size_t n = 0; n < 8; ++n) {
    Bytes x;
    for (size_t i = 0; i < n; ++i) x.push_back(static_cast<uint8_t>(i * 37 + 1));
    EXPECT_EQ(*Base64Decode(Base64Encode(x)), x);
  }
}

TEST(EncodingTest, Base64NamesBadCharacter) {
  auto r = Base64Decode("/DAR*AAA");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 4"), std::string::npos);
  EXPECT_FALSE(Base64Decode("A").ok());
}

TEST(EncodingTest, Hex) {
  EXPECT_EQ(*HexDecode("0xFC30"), (Bytes{0xFC, 0x30}));
  EXPECT_EQ(*HexDecode("fc30"), (Bytes{0xFC, 0x30}));
  EXPECT_EQ(HexEncode({0xFC, 0x0a}), "fc0a");
  EXPECT_FALSE(HexDecode("0xFC3").ok());
  auto r = HexDecode("FCZ0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 2"), std::string::npos);
}

}  // namespace
}  // namespace ssai
