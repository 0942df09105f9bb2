#include "reference/media/origin/fmp4_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ssai::origin {
namespace {

std::string Be(uint64_t v, int bytes) {
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}
uint64_t GetBe(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

std::string MakeBox(const std::string& type, const std::string& body) { return Be(8 + body.size(), 4) + type + body; }
std::string FullBox(const std::string& type, int version, const std::string& body) {
  return MakeBox(type, Be(static_cast<uint64_t>(version), 1) + Be(0, 3) + body);
}

// ftyp + moov{trak(track 1, timescale 12800), trak(track 2, 64000), mvex}.
std::string Init(uint32_t video_timescale = 12800) {
  auto trak = [](uint32_t id, uint32_t ts) {
    return MakeBox("trak", FullBox("tkhd", 0, Be(0, 8) + Be(id, 4) + std::string(68, '\0')) +
                               MakeBox("mdia", FullBox("mdhd", 0, Be(0, 8) + Be(ts, 4) + Be(0, 8))));
  };
  return MakeBox("ftyp", "iso6" + Be(0, 4) + "iso6cmfc") +
         MakeBox("moov", trak(1, video_timescale) + trak(2, 64000) + MakeBox("mvex", FullBox("trex", 0, Be(1, 4))));
}

// styp, sidx (v0, timescale 12800), moof{mfhd(seq), traf(1, tfdt v1), traf(2, tfdt v0)}, mdat.
std::string Fragment(uint32_t seq, uint64_t video_time, uint32_t audio_time) {
  const std::string sidx = FullBox("sidx", 0, Be(1, 4) + Be(12800, 4) + Be(video_time, 4) + Be(0, 4) + Be(0, 4));
  const std::string moof =
      MakeBox("moof", FullBox("mfhd", 0, Be(seq, 4)) +
                          MakeBox("traf", FullBox("tfhd", 0, Be(1, 4)) + FullBox("tfdt", 1, Be(video_time, 8))) +
                          MakeBox("traf", FullBox("tfhd", 0, Be(2, 4)) + FullBox("tfdt", 0, Be(audio_time, 4))));
  return MakeBox("styp", "msdh" + Be(0, 4)) + sidx + moof + MakeBox("mdat", "payload");
}

// Offsets in Fragment(): styp 16, sidx 32 bytes; the sidx time at 16 + 20; moof at 48.
constexpr size_t kSidxTime = 16 + 20;
constexpr size_t kMfhdSeq = 48 + 8 + 12;
constexpr size_t kVideoTfdt = 48 + 8 + 16 + 8 + 16 + 12;
constexpr size_t kAudioTfdt = kVideoTfdt + 8 + 8 + 16 + 12;

TEST(Fmp4PoolTest, ParsesInitTimescales) {
  Result<Fmp4Timescales> ts = ParseFmp4Init(Init());
  ASSERT_TRUE(ts.ok()) << ts.status().message();
  EXPECT_EQ(*ts, (Fmp4Timescales{{1, 12800}, {2, 64000}}));
}

TEST(Fmp4PoolTest, FragmentsOfLaterLoopsContinueTheTimeline) {
  // A 2-fragment loop of 2 s: fragment 5 is pool fragment 1 moved by 2 loops (8 s).
  std::vector<std::string> frags = {Fragment(1, 0, 0), Fragment(2, 25600, 128000)};
  Result<Fmp4Pool> pool = Fmp4Pool::Create(Init(), frags, 2000);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  EXPECT_EQ(pool->Init(), Init());
  for (int64_t n = 0; n < 8; ++n) {
    Result<std::string> f = pool->Fragment(n);
    ASSERT_TRUE(f.ok()) << f.status().message();
    ASSERT_EQ(f->size(), frags[0].size());
    EXPECT_EQ(GetBe(*f, kMfhdSeq, 4), static_cast<uint64_t>(n + 1)) << n;
    EXPECT_EQ(GetBe(*f, kVideoTfdt, 8), static_cast<uint64_t>(n * 25600)) << n;
    EXPECT_EQ(GetBe(*f, kAudioTfdt, 4), static_cast<uint64_t>(n * 128000)) << n;
    EXPECT_EQ(GetBe(*f, kSidxTime, 4), static_cast<uint64_t>(n * 25600)) << n;
    EXPECT_EQ(f->substr(f->size() - 7), "payload");
  }
  EXPECT_FALSE(pool->Fragment(-1).ok());
}

TEST(Fmp4PoolTest, LargesizeAndSizeZeroBoxesAreWalked) {
  // The mdat written with a 64-bit largesize, then a final box of size 0 (to the end).
  std::string f = Fragment(1, 0, 0);
  f.resize(f.size() - 15);  // drop the mdat
  f += Be(1, 4) + "mdat" + Be(16 + 7, 8) + "payload";
  f += Be(0, 4) + "free" + "tail";
  Result<std::string> out = RetimeFmp4Fragment(f, *ParseFmp4Init(Init()), 2000, 1);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(GetBe(*out, kVideoTfdt, 8), 25600u);
}

TEST(Fmp4PoolTest, VersionZeroTimeThatOverflowsIsRefused) {
  Result<std::string> out = RetimeFmp4Fragment(Fragment(1, 0, 0xfffff000), *ParseFmp4Init(Init()), 1000, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("moof/traf/tfdt"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("32 (version 0)"), std::string::npos) << out.status().message();
}

TEST(Fmp4PoolTest, MalformedInputGetsAClearError) {
  const Fmp4Timescales ts = *ParseFmp4Init(Init());
  const std::string good = Fragment(1, 0, 0);
  struct Case {
    std::string bytes, want;
  };
  std::string big = good;
  big.replace(48, 4, Be(100000, 4));  // moof size past the end
  std::string tiny = good;
  tiny.replace(48, 4, Be(4, 4));  // moof smaller than its header
  std::string cut_large = Be(1, 4) + "mdat" + Be(16, 4);
  std::string no_tfdt = MakeBox("moof", FullBox("mfhd", 0, Be(1, 4)) + MakeBox("traf", FullBox("tfhd", 0, Be(1, 4))));
  std::string unknown_track =
      MakeBox("moof", FullBox("mfhd", 0, Be(1, 4)) +
                          MakeBox("traf", FullBox("tfhd", 0, Be(9, 4)) + FullBox("tfdt", 1, Be(0, 8))));
  std::string short_tfdt = MakeBox(
      "moof", FullBox("mfhd", 0, Be(1, 4)) + MakeBox("traf", FullBox("tfhd", 0, Be(1, 4)) + FullBox("tfdt", 1, Be(0, 4))));
  const std::vector<Case> cases = {
      {good.substr(0, good.size() - 3), "runs past its parent's end"},
      {good.substr(0, 20), "top level at byte 16: 4 bytes left, too few for a box header"},
      {big, "moof at byte 48: box size 100000 runs past"},
      {tiny, "moof at byte 48: box size 4 is smaller than its header"},
      {cut_large, "largesize cut off"},
      {"abc", "too few for a box header"},
      {MakeBox("mdat", "x"), "no moof box"},
      {no_tfdt, "traf without tfdt"},
      {unknown_track, "track_ID 9 is not in the init segment"},
      {short_tfdt, "moof/traf/tfdt at byte 48: body of 8 bytes is too short (needs 12)"},
      {MakeBox("moof", ""), "moof without mfhd"},
      // fmp4_fuzzer: a full box with no body at all (its version byte was read past the end).
      {std::string("\0\0\0\0\0sidx", 9).substr(1), "sidx at byte 0: body of 0 bytes is too short (needs 4)"},
      {MakeBox("moof", FullBox("mfhd", 0, Be(1, 4)) + MakeBox("traf", FullBox("tfhd", 0, Be(1, 4)) + MakeBox("tfdt", ""))),
       "tfdt at byte 48: body of 0 bytes is too short (needs 4)"},
  };
  for (const Case& c : cases) {
    // An exact-size heap buffer (no terminating NUL as std::string has): ASan sees any read past it.
    const std::vector<char> buf(c.bytes.begin(), c.bytes.end());
    Result<std::string> out = RetimeFmp4Fragment(std::string_view(buf.data(), buf.size()), ts, 2000, 1);
    ASSERT_FALSE(out.ok()) << c.want;
    EXPECT_NE(out.status().message().find(c.want), std::string::npos) << out.status().message();
    EXPECT_EQ(out.status().message().rfind("fmp4 fragment: ", 0), 0u) << out.status().message();
  }
  EXPECT_FALSE(RetimeFmp4Fragment(good, ts, -1, 0).ok());
}

TEST(Fmp4PoolTest, MalformedInitGetsAClearError) {
  const std::string init = Init();
  EXPECT_NE(ParseFmp4Init(init.substr(24)).status().message().find("no ftyp"), std::string::npos);
  EXPECT_NE(ParseFmp4Init(init.substr(0, 24)).status().message().find("no moov"), std::string::npos);
  EXPECT_NE(ParseFmp4Init(MakeBox("ftyp", "iso6") + MakeBox("moov", "")).status().message().find("no mvex"),
            std::string::npos);
  EXPECT_NE(ParseFmp4Init(init.substr(0, init.size() - 1)).status().message().find("runs past"), std::string::npos);
  EXPECT_NE(ParseFmp4Init(Init(0)).status().message().find("timescale 0"), std::string::npos);
  const std::string empty_tkhd = MakeBox("ftyp", "iso6") +
                                 MakeBox("moov", MakeBox("trak", MakeBox("tkhd", "") + MakeBox("mdia", "")) +
                                                     MakeBox("mvex", ""));
  EXPECT_NE(ParseFmp4Init(empty_tkhd).status().message().find("moov/trak/tkhd at byte 28: body of 0 bytes is too short (needs 4)"),
            std::string::npos)
      << ParseFmp4Init(empty_tkhd).status().message();
}

TEST(Fmp4PoolTest, PoolRefusesALoopThatIsNotWholeTicks) {
  // 3 fragments of 40 ms at timescale 90001: 120 ms is not whole ticks.
  Result<Fmp4Pool> pool = Fmp4Pool::Create(Init(90001), {Fragment(1, 0, 0)}, 41);
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.status().message().find("not a whole number of ticks"), std::string::npos);
  Result<Fmp4Pool> broken = Fmp4Pool::Create(Init(), {Fragment(1, 0, 0), "junk"}, 2000);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("fmp4 pool fragment 1: "), std::string::npos) << broken.status().message();
}

TEST(Fmp4PoolTest, FarFragmentIsOutOfRangeNotUndefined) {
  Result<Fmp4Pool> pool = Fmp4Pool::Create(Init(), {Fragment(1, 0, 0)}, 60000);
  ASSERT_TRUE(pool.ok());
  EXPECT_FALSE(pool->Fragment(int64_t{1} << 62).ok());
}

}  // namespace
}  // namespace ssai::origin
