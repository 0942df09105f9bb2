#include "reference/media/origin/ts_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssai::origin {
namespace {

void PutTimestamp(unsigned char* b, int prefix, int64_t t) {
  b[0] = static_cast<unsigned char>((prefix << 4) | ((t >> 29) & 0x0E) | 1);
  b[1] = static_cast<unsigned char>(t >> 22);
  b[2] = static_cast<unsigned char>(((t >> 14) & 0xFE) | 1);
  b[3] = static_cast<unsigned char>(t >> 7);
  b[4] = static_cast<unsigned char>(((t << 1) & 0xFE) | 1);
}

int64_t GetTimestamp(const unsigned char* b) {
  return (int64_t{(b[0] >> 1) & 7} << 30) | (int64_t{b[1]} << 22) | (int64_t{b[2] >> 1} << 15) |
         (int64_t{b[3]} << 7) | (b[4] >> 1);
}

int64_t GetPcrBase(const unsigned char* b) {
  return (int64_t{b[0]} << 25) | (int64_t{b[1]} << 17) | (int64_t{b[2]} << 9) | (int64_t{b[3]} << 1) | (b[4] >> 7);
}

// A video PES start: adaptation field with PCR, then a PES header with PTS and DTS.
std::string VideoPacket(int64_t pts, int64_t dts, int64_t pcr) {
  std::string s(kTsPacketBytes, '\xff');
  auto* p = reinterpret_cast<unsigned char*>(s.data());
  p[0] = 0x47;
  p[1] = 0x40 | 0x01;  // PUSI, PID 0x100
  p[2] = 0x00;
  p[3] = 0x30;  // adaptation field + payload, cc 0
  p[4] = 7;     // flags + PCR
  p[5] = 0x10;  // PCR_flag
  p[6] = static_cast<unsigned char>(pcr >> 25);
  p[7] = static_cast<unsigned char>(pcr >> 17);
  p[8] = static_cast<unsigned char>(pcr >> 9);
  p[9] = static_cast<unsigned char>(pcr >> 1);
  p[10] = static_cast<unsigned char>(((pcr & 1) << 7) | 0x7E);  // reserved bits, extension 0
  p[11] = 0;
  unsigned char* pes = p + 12;
  pes[0] = 0, pes[1] = 0, pes[2] = 1, pes[3] = 0xE0, pes[4] = 0, pes[5] = 0, pes[6] = 0x80, pes[7] = 0xC0;
  pes[8] = 10;
  PutTimestamp(pes + 9, 3, pts);
  PutTimestamp(pes + 14, 1, dts);
  return s;
}

// A continuation packet of PID 0x100 (payload only, no PES start).
std::string ContinuationPacket() {
  std::string s(kTsPacketBytes, '\x00');
  s[0] = 0x47, s[1] = 0x01, s[2] = 0x00, s[3] = 0x10;
  return s;
}

constexpr int kPtsAt = 12 + 9, kDtsAt = 12 + 14, kPcrAt = 6;

TEST(TsPoolTest, RetimeShiftsPtsDtsAndPcrAndKeepsMarkerBits) {
  const std::string in = VideoPacket(126000, 122400, 120000);
  Result<std::string> out = RetimeTs(in, 720000, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto* p = reinterpret_cast<const unsigned char*>(out->data());
  EXPECT_EQ(GetTimestamp(p + kPtsAt), 846000);
  EXPECT_EQ(GetTimestamp(p + kDtsAt), 842400);
  EXPECT_EQ(GetPcrBase(p + kPcrAt), 840000);
  EXPECT_EQ(p[kPtsAt] >> 4, 3);  // '0011' prefix kept
  EXPECT_EQ(p[kDtsAt] >> 4, 1);
  EXPECT_EQ(p[kPtsAt + 2] & 1, 1);
  EXPECT_EQ(p[kPtsAt + 4] & 1, 1);
  EXPECT_EQ(p[kPcrAt + 4] & 0x7F, 0x7E);
}

TEST(TsPoolTest, RetimeWrapsAt33Bits) {
  const std::string in = VideoPacket(kPtsWrap - 100, kPtsWrap - 100, kPtsWrap - 100);
  Result<std::string> out = RetimeTs(in, 300, {});
  ASSERT_TRUE(out.ok());
  const auto* p = reinterpret_cast<const unsigned char*>(out->data());
  EXPECT_EQ(GetTimestamp(p + kPtsAt), 200);
  EXPECT_EQ(GetPcrBase(p + kPcrAt), 200);
}

TEST(TsPoolTest, SegmentsOfALoopHaveContinuousTimestampsAndCounters) {
  // Pool of 2 segments of 3600 ticks; segment 0 has 3 payload packets of PID 0x100, segment 1 has 2.
  std::vector<std::string> segs = {VideoPacket(1000, 1000, 1000) + ContinuationPacket() + ContinuationPacket(),
                                   VideoPacket(4600, 4600, 4600) + ContinuationPacket()};
  Result<TsPool> pool = TsPool::Create(segs, 3600);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  int expected_cc = 0;
  for (int64_t n = 0; n < 9; ++n) {
    Result<std::string> s = pool->Segment(n);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    const auto* p = reinterpret_cast<const unsigned char*>(s->data());
    EXPECT_EQ(GetTimestamp(p + kPtsAt), 1000 + n * 3600) << "segment " << n;
    for (size_t i = 0; i < s->size() / kTsPacketBytes; ++i) {
      EXPECT_EQ(p[i * kTsPacketBytes + 3] & 0x0F, expected_cc) << "segment " << n << " packet " << i;
      expected_cc = (expected_cc + 1) % 16;
    }
  }
  // Far along the live edge: the shift is exact mod 2^33 (no overflow).
  // (2^40 + 3) * 3600 = 3 * 3600 (mod 2^33), as 2^40 * 3600 is a multiple of 2^33.
  Result<std::string> s = pool->Segment((int64_t{1} << 40) + 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(GetTimestamp(reinterpret_cast<const unsigned char*>(s->data()) + kPtsAt), 1000 + 3 * 3600);
  EXPECT_FALSE(pool->Segment(-1).ok());
}

TEST(TsPoolTest, BadInputIsAnErrorNamingThePacket) {
  EXPECT_EQ(CountPayloadPackets(std::string(100, '\x47')).status().message(),
            "MPEG-TS: 100 bytes is not a multiple of 188");
  std::string two = ContinuationPacket() + ContinuationPacket();
  two[kTsPacketBytes] = 0x00;
  EXPECT_EQ(RetimeTs(two, 0, {}).status().message(), "MPEG-TS packet 1: no sync byte 0x47");
  std::string af = ContinuationPacket();
  af[3] = 0x30, af[4] = static_cast<char>(200);
  EXPECT_EQ(CountPayloadPackets(af).status().message(), "MPEG-TS packet 0: adaptation_field_length past the packet end");
  EXPECT_FALSE(TsPool::Create({}, 3600).ok());
  EXPECT_EQ(TsPool::Create({two}, 3600).status().message(), "TS pool segment 0: MPEG-TS packet 1: no sync byte 0x47");
}

}  // namespace
}  // namespace ssai::origin
