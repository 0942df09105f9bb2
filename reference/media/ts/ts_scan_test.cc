#include "reference/media/ts/ts_scan.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"
#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_writer.h"

namespace ssai::ts {
namespace {

using ::testing::HasSubstr;

constexpr uint16_t kPmtPid = 0x1000;
constexpr uint16_t kVideoPid = 0x0100;
constexpr uint16_t kAudioPid = 0x0101;
constexpr uint16_t kScte35Pid = 0x01F5;

// SCTE 35 §14.2 splice_insert, §14.1 time_signal + segmentation descriptor.
constexpr char kSpliceInsert[] = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
constexpr char kTimeSignal[] = "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";

Bytes Cue(const char* b64) { return *Base64Decode(b64); }

void Append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

// A private_command section of about `size` bytes (to span packets).
Bytes BigSection(size_t private_bytes) {
  scte35::SpliceInfoSection s;
  scte35::PrivateCommand cmd;
  cmd.identifier = 0x43554549;
  cmd.private_bytes.assign(private_bytes, 0xAB);
  s.command = cmd;
  return *scte35::Encode(s);
}

// PAT + PMT (video, audio, SCTE-35 with a CUEI registration descriptor).
struct Mux {
  TsWriter w;
  Bytes out;
  Mux() {
    Append(out, w.Section(kPatPid, PatSection(1, kPmtPid)));
    Append(out, w.Section(kPmtPid, PmtSection(1, kVideoPid,
                                              {{0x1B, kVideoPid, {}},
                                               {0x0F, kAudioPid, {}},
                                               {kStreamTypeScte35, kScte35Pid, RegistrationDescriptor(kCueiRegistration)}},
                                              RegistrationDescriptor(kCueiRegistration))));
  }
  void Video(int64_t pts, size_t bytes = 3000) { Append(out, w.Pes(kVideoPid, 0xE0, pts, bytes, true)); }
  void Audio(int64_t pts) { Append(out, w.Pes(kAudioPid, 0xC0, pts, 400)); }
  size_t Scte35(const Bytes& section) {
    const size_t at = out.size();
    Append(out, w.Section(kScte35Pid, section));
    return at;
  }
};

ScanResult Scan(const Bytes& ts) {
  Result<ScanResult> r = ScanAll(ts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : ScanResult{};
}

std::vector<std::string> Messages(const std::vector<Issue>& issues) {
  std::vector<std::string> out;
  for (const Issue& i : issues) out.push_back(i.status.message());
  return out;
}

TEST(TsScan, FindsCueWithPidOffsetAndVideoPts) {
  Mux m;
  m.Video(900000);
  m.Audio(899000);
  const size_t at = m.Scte35(Cue(kSpliceInsert));
  m.Video(903600);
  const ScanResult r = Scan(m.out);
  EXPECT_THAT(Messages(r.issues), ::testing::IsEmpty());
  ASSERT_EQ(r.cues.size(), 1u);
  const ts::Cue& c = r.cues[0];
  EXPECT_EQ(c.pid, kScte35Pid);
  EXPECT_EQ(c.program_number, 1);
  EXPECT_EQ(c.packet_offset, static_cast<int64_t>(at));
  EXPECT_EQ(c.video_pts_ticks, 900000);
  EXPECT_EQ(c.section, Cue(kSpliceInsert));
  EXPECT_EQ(c.decoded, *scte35::Decode(Cue(kSpliceInsert)));
  EXPECT_EQ(r.stats.cues, 1);
  EXPECT_EQ(r.stats.packets, static_cast<int64_t>(m.out.size() / 188));
}

TEST(TsScan, CueBeforeAnyVideoHasNoPts) {
  Mux m;
  m.Scte35(Cue(kTimeSignal));
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_FALSE(r.cues[0].video_pts_ticks.has_value());
}

TEST(TsScan, IgnoresScte35PidNotDeclaredInPmt) {
  TsWriter w;
  Bytes ts;
  Append(ts, w.Section(kPatPid, PatSection(1, kPmtPid)));
  Append(ts, w.Section(kPmtPid, PmtSection(1, kVideoPid, {{0x1B, kVideoPid, {}}})));
  Append(ts, w.Section(kScte35Pid, Cue(kSpliceInsert)));
  EXPECT_TRUE(Scan(ts).cues.empty());
}

TEST(TsScan, ChunksOfAnySizeGiveTheSameCues) {
  Mux m;
  for (int i = 0; i < 6; ++i) {
    m.Video(90000 * i, 1500 + 100 * i);
    m.Scte35(i % 2 ? Cue(kSpliceInsert) : BigSection(300 + 50 * i));
  }
  const ScanResult whole = Scan(m.out);
  ASSERT_EQ(whole.cues.size(), 6u);
  for (size_t chunk : {1u, 7u, 187u, 188u, 189u, 1000u}) {
    Scte35Scanner s;
    for (size_t pos = 0; pos < m.out.size(); pos += chunk) {
      const size_t n = std::min(chunk, m.out.size() - pos);
      ASSERT_TRUE(s.Push(std::span<const uint8_t>(m.out.data() + pos, n)).ok());
    }
    ASSERT_TRUE(s.Finish().ok());
    const std::vector<ts::Cue> cues = s.TakeCues();
    ASSERT_EQ(cues.size(), whole.cues.size()) << "chunk " << chunk;
    for (size_t i = 0; i < cues.size(); ++i) {
      EXPECT_EQ(cues[i].packet_offset, whole.cues[i].packet_offset);
      EXPECT_EQ(cues[i].video_pts_ticks, whole.cues[i].video_pts_ticks);
      EXPECT_EQ(cues[i].section, whole.cues[i].section);
    }
    EXPECT_TRUE(s.TakeIssues().empty());
  }
}

TEST(TsScan, SectionSpanningPacketsIsReassembled) {
  Mux m;
  const Bytes big = BigSection(1000);  // 6 packets
  m.Video(1234);
  const size_t at = m.Scte35(big);
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].section, big);
  EXPECT_EQ(r.cues[0].packet_offset, static_cast<int64_t>(at));
  EXPECT_EQ(r.cues[0].video_pts_ticks, 1234);
}

TEST(TsScan, LargestSectionIsAccepted) {
  Mux m;
  const Bytes big = BigSection(kMaxSectionBytes - 24);
  ASSERT_EQ(big.size(), static_cast<size_t>(kMaxSectionBytes));
  m.Scte35(big);
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u) << ::testing::PrintToString(Messages(r.issues));
}

TEST(TsScan, SeveralSectionsInOnePacket) {
  Mux m;
  const size_t at = m.out.size();
  Append(m.out, m.w.Sections(kScte35Pid, {Cue(kSpliceInsert), Cue(kTimeSignal), Cue(kSpliceInsert)}));
  ASSERT_EQ(m.out.size() - at, 188u);  // all three in one packet, then 0xFF stuffing
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 3u);
  EXPECT_EQ(r.cues[1].section, Cue(kTimeSignal));
  for (const auto& c : r.cues) EXPECT_EQ(c.packet_offset, static_cast<int64_t>(at));
}

TEST(TsScan, PointerFieldSkipsTheEndOfThePreviousSection) {
  // First section 250 bytes: ends in packet 2, where the second starts (pointer_field > 0).
  Mux m;
  const Bytes first = BigSection(226);
  ASSERT_EQ(first.size(), 250u);
  const size_t at = m.out.size();
  Append(m.out, m.w.Sections(kScte35Pid, {first, Cue(kSpliceInsert)}));
  ASSERT_EQ(m.out[at + 188 + 1] & 0x40, 0x40);     // payload_unit_start_indicator in packet 2
  ASSERT_EQ(m.out[at + 188 + 4], 250 - 183);       // pointer_field
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 2u);
  EXPECT_EQ(r.cues[0].section, first);
  EXPECT_EQ(r.cues[1].section, Cue(kSpliceInsert));
  EXPECT_EQ(r.cues[1].packet_offset, static_cast<int64_t>(at + 188));
}

TEST(TsScan, SectionHeaderSplitAcrossPackets) {
  // The first section ends 2 bytes before the packet's end: the next section's table_id and
  // first length byte are in packet 1, the rest in packet 2.
  Mux m;
  const Bytes first = BigSection(157);  // 181 bytes: 183 - 181 = 2 bytes left in packet 1
  ASSERT_EQ(first.size(), 181u);
  Append(m.out, m.w.Sections(kScte35Pid, {first, Cue(kTimeSignal)}));
  const ScanResult r = Scan(m.out);
  EXPECT_THAT(Messages(r.issues), ::testing::IsEmpty());
  ASSERT_EQ(r.cues.size(), 2u);
  EXPECT_EQ(r.cues[1].section, Cue(kTimeSignal));
}

TEST(TsScan, AdaptationFieldBeforeSectionPayloadIsSkipped) {
  Mux m;
  Bytes pkt(188, 0xFF);
  const Bytes cue = Cue(kSpliceInsert);
  pkt[0] = 0x47;
  pkt[1] = 0x40 | (kScte35Pid >> 8);
  pkt[2] = kScte35Pid & 0xFF;
  pkt[3] = 0x30;  // adaptation field + payload, cc 0
  pkt[4] = 20;    // adaptation_field_length
  pkt[5] = 0x00;
  pkt[25] = 0;    // pointer_field
  std::copy(cue.begin(), cue.end(), pkt.begin() + 26);
  Append(m.out, pkt);
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].section, cue);
}

TEST(TsScan, CrcMismatchIsAnIssueAndTheScanGoesOn) {
  Mux m;
  Bytes bad = Cue(kSpliceInsert);
  bad[20] ^= 0x01;
  const size_t at = m.Scte35(bad);
  m.Scte35(Cue(kTimeSignal));
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].section, Cue(kTimeSignal));
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].kind, Issue::Kind::kSection);
  EXPECT_EQ(r.issues[0].offset, static_cast<int64_t>(at));
  EXPECT_EQ(r.issues[0].status.code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.issues[0].status.message(), HasSubstr("byte " + std::to_string(at) + ": pid 0x01F5: "));
  EXPECT_THAT(r.issues[0].status.message(), HasSubstr("CRC"));
}

TEST(TsScan, PmtCrcMismatchDeclaresNothing) {
  TsWriter w;
  Bytes ts;
  Append(ts, w.Section(kPatPid, PatSection(1, kPmtPid)));
  Bytes pmt = PmtSection(1, kVideoPid, {{kStreamTypeScte35, kScte35Pid, {}}});
  pmt[13] ^= 0x01;
  Append(ts, w.Section(kPmtPid, pmt));
  Append(ts, w.Section(kScte35Pid, Cue(kSpliceInsert)));
  const ScanResult r = Scan(ts);
  EXPECT_TRUE(r.cues.empty());
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_THAT(r.issues[0].status.message(), HasSubstr("PMT CRC_32 mismatch"));
}

TEST(TsScan, ContinuityGapDropsTheSectionInProgress) {
  Mux m;
  const Bytes big = BigSection(500);  // 3 packets
  const size_t at = m.out.size();
  Append(m.out, m.w.Section(kScte35Pid, big));
  m.out.erase(m.out.begin() + static_cast<std::ptrdiff_t>(at + 188),
              m.out.begin() + static_cast<std::ptrdiff_t>(at + 2 * 188));  // lose packet 2
  m.Scte35(Cue(kSpliceInsert));
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 1u);
  EXPECT_EQ(r.cues[0].section, Cue(kSpliceInsert));
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].kind, Issue::Kind::kContinuity);
  EXPECT_EQ(r.issues[0].offset, static_cast<int64_t>(at + 188));
  EXPECT_THAT(r.issues[0].status.message(), HasSubstr("continuity_counter gap: 0 then 2"));
  EXPECT_THAT(r.issues[0].status.message(), HasSubstr("dropped"));
  EXPECT_EQ(r.stats.continuity_errors, 1);
}

TEST(TsScan, DuplicatePacketIsNotAGap) {
  Mux m;
  const size_t at = m.out.size();
  m.Scte35(Cue(kSpliceInsert));
  const Bytes pkt(m.out.begin() + static_cast<std::ptrdiff_t>(at), m.out.end());
  Append(m.out, pkt);  // §2.4.3.3: sent twice
  const ScanResult r = Scan(m.out);
  EXPECT_EQ(r.cues.size(), 1u);
  EXPECT_TRUE(r.issues.empty());
}

TEST(TsScan, DiscontinuityIndicatorSuppressesTheGap) {
  Mux m;
  m.Video(0, 100);
  m.w.SetCc(kVideoPid, 9);
  Bytes v = m.w.Pes(kVideoPid, 0xE0, 3600, 100, /*pcr=*/true);
  v[5] |= 0x80;  // discontinuity_indicator
  Append(m.out, v);
  EXPECT_TRUE(Scan(m.out).issues.empty());
  v[5] &= 0x7F;
  Mux m2;
  m2.Video(0, 100);
  m2.w.SetCc(kVideoPid, 9);
  Append(m2.out, m2.w.Pes(kVideoPid, 0xE0, 3600, 100, true));
  const ScanResult r = Scan(m2.out);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].pid, kVideoPid);
}

TEST(TsScan, TruncatedInput) {
  Mux m;
  const size_t at = m.out.size();
  m.Scte35(BigSection(500));
  {  // cut mid-packet
    Bytes cut(m.out.begin(), m.out.begin() + static_cast<std::ptrdiff_t>(at + 188 + 100));
    const ScanResult r = Scan(cut);
    EXPECT_TRUE(r.cues.empty());
    EXPECT_THAT(Messages(r.issues),
                ::testing::ElementsAre(HasSubstr("byte " + std::to_string(at + 188) +
                                                 ": pid 0x01F5: truncated packet at end of input: 100 of 188 bytes"),
                                       HasSubstr("byte " + std::to_string(at) +
                                                 ": pid 0x01F5: section truncated at end of input: 183 of 524 bytes")));
  }
  {  // cut at a packet boundary
    Bytes cut(m.out.begin(), m.out.begin() + static_cast<std::ptrdiff_t>(at + 188));
    const ScanResult r = Scan(cut);
    EXPECT_THAT(Messages(r.issues), ::testing::ElementsAre(HasSubstr("183 of 524 bytes")));
  }
  {  // fewer than 3 header bytes, in a packet cut after 6 bytes
    Bytes cut(m.out.begin(), m.out.begin() + static_cast<std::ptrdiff_t>(at + 6));
    const ScanResult r = Scan(cut);
    EXPECT_EQ(r.issues.size(), 1u);  // the partial packet is not scanned
  }
}

TEST(TsScan, LostSyncIsFatalWithTheOffset) {
  Mux m;
  m.Scte35(Cue(kSpliceInsert));
  const size_t at = m.out.size();
  m.out.push_back(0x00);  // one stray byte shifts every packet after it
  m.Scte35(Cue(kSpliceInsert));
  Scte35Scanner s;
  Status st = s.Push(m.out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "byte " + std::to_string(at) +
                              ": sync byte 0x00 where 0x47 was expected (not an MPEG-TS packet boundary)");
  EXPECT_EQ(s.TakeCues().size(), 1u);  // what came before is kept
  EXPECT_FALSE(s.Push(m.out).ok());
  EXPECT_FALSE(s.Finish().ok());
}

TEST(TsScan, OversizeSectionLengthIsRefused) {
  Mux m;
  Bytes pkt(188, 0xFF);
  pkt[0] = 0x47;
  pkt[1] = 0x40 | (kScte35Pid >> 8);
  pkt[2] = kScte35Pid & 0xFF;
  pkt[3] = 0x10;
  pkt[4] = 0;
  pkt[5] = 0xFC;
  pkt[6] = 0x3F;  // section_length 0xFFF = 4095
  pkt[7] = 0xFF;
  Append(m.out, pkt);
  m.w.SetCc(kScte35Pid, 1);
  m.Scte35(Cue(kSpliceInsert));
  const ScanResult r = Scan(m.out);
  EXPECT_EQ(r.cues.size(), 1u);
  EXPECT_THAT(Messages(r.issues), ::testing::ElementsAre(HasSubstr("section_length 4095 exceeds 4093")));
}

TEST(TsScan, BadPointerFieldAndAdaptationField) {
  Mux m;
  Bytes pkt(188, 0xFF);
  pkt[0] = 0x47;
  pkt[1] = 0x40 | (kScte35Pid >> 8);
  pkt[2] = kScte35Pid & 0xFF;
  pkt[3] = 0x10;
  pkt[4] = 190;  // pointer_field past the end
  Append(m.out, pkt);
  pkt[3] = 0x31;
  pkt[4] = 183;  // adaptation_field_length too long for a packet with payload
  Append(m.out, pkt);
  m.w.SetCc(kScte35Pid, 2);
  m.Scte35(Cue(kSpliceInsert));
  const ScanResult r = Scan(m.out);
  EXPECT_EQ(r.cues.size(), 1u);
  EXPECT_THAT(Messages(r.issues),
              ::testing::ElementsAre(HasSubstr("pointer_field 190 points past the packet's end (183 payload bytes"),
                                     HasSubstr("adaptation_field_length 183 overflows the packet (at most 182)")));
}

TEST(TsScan, NonSpliceTableIsReported) {
  Mux m;
  Bytes other = Cue(kSpliceInsert);
  other[0] = 0xFD;
  m.Scte35(other);
  const ScanResult r = Scan(m.out);
  EXPECT_TRUE(r.cues.empty());
  EXPECT_THAT(Messages(r.issues), ::testing::ElementsAre(HasSubstr("table_id 0xFD")));
}

TEST(TsScan, PtsNearTheWrap) {
  Mux m;
  const int64_t near_wrap = scte35::kPtsWrap - 4500;
  m.Video(near_wrap);
  m.Scte35(Cue(kSpliceInsert));
  m.Video(near_wrap + 9000);  // written mod 2^33: 4500
  m.Scte35(Cue(kTimeSignal));
  const ScanResult r = Scan(m.out);
  ASSERT_EQ(r.cues.size(), 2u);
  EXPECT_EQ(r.cues[0].video_pts_ticks, near_wrap);
  EXPECT_EQ(r.cues[1].video_pts_ticks, 4500);
}

TEST(TsScan, NewPmtVersionMovesTheScte35Pid) {
  Mux m;
  m.Scte35(Cue(kSpliceInsert));
  Append(m.out, m.w.Section(kPmtPid, PmtSection(1, kVideoPid, {{0x1B, kVideoPid, {}}, {0x86, 0x0300, {}}}, {}, 1)));
  m.Scte35(Cue(kSpliceInsert));  // no longer declared
  Append(m.out, m.w.Section(0x0300, Cue(kTimeSignal)));
  Scte35Scanner s;
  ASSERT_TRUE(s.Push(m.out).ok());
  ASSERT_TRUE(s.Finish().ok());
  const auto cues = s.TakeCues();
  ASSERT_EQ(cues.size(), 2u);
  EXPECT_EQ(cues[0].pid, kScte35Pid);
  EXPECT_EQ(cues[1].pid, 0x0300);
  EXPECT_THAT(s.Scte35Pids(), ::testing::ElementsAre(0x0300));
  EXPECT_THAT(s.VideoPids(), ::testing::ElementsAre(kVideoPid));
}

TEST(TsScan, PublishedVectorsDecodeWhenWrappedInTs) {
  std::ifstream f("fixtures/scte35/vectors.json");
  ASSERT_TRUE(f) << "run from the repository root";
  const auto vectors = nlohmann::json::parse(f);
  int n = 0;
  for (const auto& v : vectors) {
    if (!v.value("valid", false)) continue;
    const Bytes cue = *Base64Decode(v["base64"].get<std::string>());
    Mux m;
    m.Video(5 * 90000);
    m.Scte35(cue);
    const ScanResult r = Scan(m.out);
    ASSERT_EQ(r.cues.size(), 1u) << v["name"] << ": " << ::testing::PrintToString(Messages(r.issues));
    EXPECT_EQ(r.cues[0].decoded, *scte35::Decode(cue)) << v["name"];
    EXPECT_EQ(r.cues[0].video_pts_ticks, 5 * 90000);
    ++n;
  }
  EXPECT_GE(n, 10);
}

TEST(TsScan, LooksLikeTs) {
  Mux m;
  EXPECT_TRUE(LooksLikeTs(m.out));
  EXPECT_FALSE(LooksLikeTs(Cue(kSpliceInsert)));
  const std::string text = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
  EXPECT_FALSE(LooksLikeTs(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  Bytes shifted = m.out;
  shifted.insert(shifted.begin(), 0x00);
  EXPECT_FALSE(LooksLikeTs(shifted));
}

}  // namespace
}  // namespace ssai::ts
