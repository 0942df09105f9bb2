#include "reference/media/scte35/splice_info_section.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"
#include "reference/media/scte35/bits.h"

namespace ssai::scte35 {
namespace {

using ::testing::HasSubstr;

constexpr char k141[] = "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
constexpr char k142[] = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
constexpr char kNull[] = "/DARAAAAAAAAAP/wAAAAAHpPv/8=";
constexpr char kBadCrc[] =
    "/DA4AAAAAAAAAP/wFAUABDEAf+//mWEhzP4Azf5gAQAAAAATAhFDVUVJAAAAAX+/AQIwNAEAAKeYO3Q=";
constexpr char kLegacy[] =
    "/DA8AAAAAAAAAP///wb+06ACpQAmAiRDVUVJAACcHX//AACky4AMEERJU0NZTVdGMDQ1MjAwMEgxAQEMm4c0";

Bytes B64(std::string_view s) {
  auto r = Base64Decode(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Bytes{};
}

// Copies the "as read" length/CRC fields of `decoded` into `built` so the two compare equal.
SpliceInfoSection WithLengthsOf(SpliceInfoSection built, const SpliceInfoSection& decoded) {
  built.section_length = decoded.section_length;
  if (built.splice_command_length != kLegacySpliceCommandLength) {
    built.splice_command_length = decoded.splice_command_length;
  }
  built.splice_command_type = decoded.splice_command_type;
  built.descriptor_loop_length = decoded.descriptor_loop_length;
  built.crc_32 = decoded.crc_32;
  return built;
}

// encode → decode → equal, and re-encode → same bytes.
void ExpectRoundTrip(const SpliceInfoSection& built) {
  auto bytes = Encode(built);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto decoded = Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << " hex=" << HexEncode(*bytes);
  EXPECT_EQ(WithLengthsOf(built, *decoded), *decoded) << HexEncode(*bytes);
  auto again = Encode(*decoded);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

// Re-signs a hand-patched section with a valid CRC_32.
void FixCrc(Bytes& b) {
  const uint32_t crc = Crc32Mpeg2(std::span<const uint8_t>(b.data(), b.size() - 4));
  for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
}

// ----------------------------------------------------------------------------------------------
// Published vectors.
// ----------------------------------------------------------------------------------------------
TEST(Scte35Vectors, Sample14_1TimeSignalPlacementOpportunityStart) {
  auto s = DecodeText(k141);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->table_id, 0xFC);
  EXPECT_EQ(s->sap_type, 3);
  EXPECT_EQ(s->section_length, 0x34);
  EXPECT_EQ(s->tier, 0xFFF);
  EXPECT_EQ(s->cw_index, 0xFF);
  EXPECT_EQ(s->splice_command_length, 5);
  EXPECT_EQ(s->splice_command_type, 6);
  const auto& ts = std::get<TimeSignal>(s->command);
  EXPECT_TRUE(ts.splice_time.time_specified_flag);
  EXPECT_EQ(ts.splice_time.pts_time_ticks, 0x72BD0050);
  EXPECT_NEAR(TicksToSeconds(ts.splice_time.pts_time_ticks), 21388.766756, 1e-6);
  ASSERT_EQ(s->descriptors.size(), 1u);
  const auto& seg = std::get<SegmentationDescriptor>(s->descriptors[0]);
  EXPECT_EQ(seg.identifier, kCueiIdentifier);
  EXPECT_EQ(seg.segmentation_event_id, 0x4800008Eu);
  EXPECT_EQ(seg.segmentation_type_id, 0x34);
  EXPECT_EQ(SegmentationTypeName(seg.segmentation_type_id), "Provider Placement Opportunity Start");
  ASSERT_TRUE(seg.segmentation_duration_ticks.has_value());
  EXPECT_EQ(*seg.segmentation_duration_ticks, 27630000u);
  EXPECT_EQ(seg.upid.type, 0x08);
  EXPECT_EQ(HexEncode(seg.upid.value), "000000002ca0a18a");
  EXPECT_EQ(UpidDisplay(seg.upid), "0x2ca0a18a");
  EXPECT_EQ(seg.segment_num, 2);
  EXPECT_EQ(seg.segments_expected, 0);
  EXPECT_FALSE(seg.sub_segment_num.has_value());
  EXPECT_FALSE(seg.delivery_not_restricted_flag);
  EXPECT_FALSE(seg.web_delivery_allowed_flag);
  EXPECT_TRUE(seg.no_regional_blackout_flag);
  EXPECT_TRUE(seg.archive_allowed_flag);
  EXPECT_EQ(seg.device_restrictions, 3);
  EXPECT_EQ(BreakDurationSeconds(*s), 307.0);
  EXPECT_EQ(EffectiveSplicePtsTicks(*s), 0x72BD0050);
  auto b64 = EncodeBase64(*s);
  ASSERT_TRUE(b64.ok());
  EXPECT_EQ(*b64, k141);
}

TEST(Scte35Vectors, Sample14_2SpliceInsert) {
  auto s = DecodeText(k142);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& ins = std::get<SpliceInsert>(s->command);
  EXPECT_EQ(ins.splice_event_id, 0x4800008Fu);
  EXPECT_TRUE(ins.out_of_network_indicator);
  EXPECT_TRUE(ins.program_splice_flag);
  EXPECT_FALSE(ins.splice_immediate_flag);
  EXPECT_EQ(ins.splice_time.pts_time_ticks, 0x7369C02E);
  EXPECT_NEAR(TicksToSeconds(ins.splice_time.pts_time_ticks), 21514.559089, 1e-6);
  ASSERT_TRUE(ins.break_duration.has_value());
  EXPECT_TRUE(ins.break_duration->auto_return);
  EXPECT_EQ(ins.break_duration->duration_ticks, 0x52CCF5);
  EXPECT_NEAR(*BreakDurationSeconds(*s), 60.293567, 1e-6);
  ASSERT_EQ(s->descriptors.size(), 1u);
  EXPECT_EQ(std::get<AvailDescriptor>(s->descriptors[0]).provider_avail_id, 0x135u);
  EXPECT_EQ(*EncodeBase64(*s), k142);
}

TEST(Scte35Vectors, SpliceNullHeartbeat) {
  auto s = DecodeText(kNull);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(std::holds_alternative<SpliceNull>(s->command));
  EXPECT_EQ(s->cw_index, 0);
  EXPECT_TRUE(s->descriptors.empty());
  EXPECT_EQ(*EncodeBase64(*s), kNull);
}

TEST(Scte35Vectors, InvalidCrcIsAnError) {
  auto s = DecodeText(kBadCrc);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.status().message(), HasSubstr("byte 55: CRC_32 0xa7983b74 does not match"));
  std::vector<std::string> warnings;
  auto lenient = DecodeTextLenient(kBadCrc, &warnings);
  ASSERT_TRUE(lenient.ok()) << lenient.status().ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("CRC_32"));
  EXPECT_EQ(std::get<SpliceInsert>(lenient->command).splice_event_id, 0x43100u);
}

TEST(Scte35Vectors, LegacySpliceCommandLength0xFFF) {
  auto s = DecodeText(kLegacy);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->splice_command_length, 0xFFF);
  EXPECT_EQ(std::get<TimeSignal>(s->command).splice_time.pts_time_ticks, 3550479013);
  const auto& seg = std::get<SegmentationDescriptor>(s->descriptors[0]);
  EXPECT_EQ(seg.segmentation_type_id, 0x31);
  EXPECT_EQ(*seg.segmentation_duration_ticks, 10800000u);
  EXPECT_EQ(*BreakDurationSeconds(*s), 120.0);
  auto mpu = DecodeMpuUpid(seg.upid);
  ASSERT_TRUE(mpu.has_value());
  EXPECT_EQ(mpu->format_identifier, 0x44495343u);  // "DISC"
  EXPECT_EQ(std::string(mpu->private_data.begin(), mpu->private_data.end()), "YMWF0452000H");
  EXPECT_EQ(*EncodeBase64(*s), kLegacy);  // 0xFFF kept
}

TEST(Scte35Vectors, HexWithAndWithoutPrefix) {
  const std::string hex =
      "FC302F000000000000FFFFF014054800008F7FEFFE7369C02EFE0052CCF500000000000A0008435545490000013562DBA30A";
  auto a = DecodeText(hex);
  auto b = DecodeText("0x" + hex);
  auto c = DecodeText(k142);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(*b, *c);
}

// Every vector in fixtures/scte35/vectors.json (tests run from the repository root).
TEST(Scte35Vectors, FixtureFile) {
  std::ifstream in("fixtures/scte35/vectors.json");
  ASSERT_TRUE(in.good()) << "run from the repository root";
  nlohmann::json vectors = nlohmann::json::parse(in);
  ASSERT_GE(vectors.size(), 11u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const std::string b64 = v["base64"];
    auto s = DecodeText(b64);
    if (!v["valid"].get<bool>()) {
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(StatusCodeName(s.status().code()), v["error_code"].get<std::string>());
      EXPECT_THAT(s.status().message(), HasSubstr(v["error_contains"].get<std::string>()));
      EXPECT_THAT(s.status().message(), HasSubstr("byte "));
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto re = EncodeBase64(*s);
    ASSERT_TRUE(re.ok()) << re.status().ToString();
    EXPECT_EQ(*re, b64) << "round trip";
    if (v.contains("command_type")) {
      EXPECT_EQ(CommandType(s->command), v["command_type"].get<int>());
    }
    if (v.contains("cw_index")) {
      EXPECT_EQ(s->cw_index, v["cw_index"].get<int>());
    }
    if (v.contains("splice_command_length")) {
      EXPECT_EQ(s->splice_command_length, v["splice_command_length"].get<int>());
    }
    if (v.contains("pts_time_ticks")) {
      EXPECT_EQ(SplicePtsTicks(*s), v["pts_time_ticks"].get<int64_t>());
    }
    if (v.contains("pts_time")) {
      EXPECT_NEAR(TicksToSeconds(*SplicePtsTicks(*s)), v["pts_time"].get<double>(), 5e-7);
    }
    if (const auto* ins = std::get_if<SpliceInsert>(&s->command)) {
      if (v.contains("splice_event_id")) {
        EXPECT_EQ(ins->splice_event_id, v["splice_event_id"].get<uint32_t>());
      }
      if (v.contains("out_of_network_indicator")) {
        EXPECT_EQ(ins->out_of_network_indicator, v["out_of_network_indicator"].get<bool>());
      }
      if (v.contains("splice_immediate_flag")) {
        EXPECT_EQ(ins->splice_immediate_flag, v["splice_immediate_flag"].get<bool>());
      }
      if (v.contains("break_duration_ticks")) {
        ASSERT_TRUE(ins->break_duration.has_value());
        EXPECT_EQ(ins->break_duration->duration_ticks, v["break_duration_ticks"].get<int64_t>());
        EXPECT_EQ(ins->break_duration->auto_return, v["break_auto_return"].get<bool>());
      }
      if (v.contains("unique_program_id")) {
        EXPECT_EQ(ins->unique_program_id, v["unique_program_id"].get<int>());
      }
      if (v.contains("avails_expected")) {
        EXPECT_EQ(ins->avails_expected, v["avails_expected"].get<int>());
      }
    }
    if (!v.contains("descriptors")) continue;
    const auto& want = v["descriptors"];
    ASSERT_EQ(s->descriptors.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      const auto& w = want[k];
      const auto& d = s->descriptors[k];
      EXPECT_EQ(DescriptorTagOf(d), w["tag"].get<int>());
      if (w.value("private", false)) {
        const auto& p = std::get<PrivateDescriptor>(d);
        EXPECT_EQ(p.identifier, w["identifier"].get<uint32_t>());
        EXPECT_EQ(HexEncode(p.private_bytes), w["private_hex"].get<std::string>());
      } else if (w["tag"] == 0) {
        EXPECT_EQ(std::get<AvailDescriptor>(d).provider_avail_id, w["provider_avail_id"].get<uint32_t>());
      } else if (w["tag"] == 1) {
        const auto& t = std::get<DtmfDescriptor>(d);
        EXPECT_EQ(t.preroll, w["preroll"].get<int>());
        EXPECT_EQ(t.dtmf_chars, w["dtmf_chars"].get<std::string>());
      } else if (w["tag"] == 2) {
        const auto& seg = std::get<SegmentationDescriptor>(d);
        EXPECT_EQ(seg.segmentation_event_id, w["segmentation_event_id"].get<uint32_t>());
        EXPECT_EQ(seg.segmentation_type_id, w["segmentation_type_id"].get<int>());
        EXPECT_EQ(seg.upid.type, w["segmentation_upid_type"].get<int>());
        EXPECT_EQ(seg.segment_num, w["segment_num"].get<int>());
        EXPECT_EQ(seg.segments_expected, w["segments_expected"].get<int>());
        if (w.contains("segmentation_upid_hex")) {
          EXPECT_EQ(HexEncode(seg.upid.value), w["segmentation_upid_hex"].get<std::string>());
        }
        if (w.contains("segmentation_duration_ticks")) {
          EXPECT_EQ(seg.segmentation_duration_ticks, w["segmentation_duration_ticks"].get<uint64_t>());
        }
        if (w.contains("web_delivery_allowed_flag")) {
          EXPECT_EQ(seg.web_delivery_allowed_flag, w["web_delivery_allowed_flag"].get<bool>());
        }
        if (w.contains("mpu_format_identifier")) {
          auto mpu = DecodeMpuUpid(seg.upid);
          ASSERT_TRUE(mpu.has_value());
          const std::string id = w["mpu_format_identifier"];
          EXPECT_EQ(mpu->format_identifier, (uint32_t{uint8_t(id[0])} << 24) | (uint32_t{uint8_t(id[1])} << 16) |
                                                (uint32_t{uint8_t(id[2])} << 8) | uint8_t(id[3]));
        }
        if (w.contains("mid")) {
          ASSERT_EQ(seg.upid.mid.size(), w["mid"].size());
          for (size_t m = 0; m < seg.upid.mid.size(); ++m) {
            EXPECT_EQ(seg.upid.mid[m].type, w["mid"][m]["type"].get<int>());
            if (w["mid"][m].contains("hex")) {
              EXPECT_EQ(HexEncode(seg.upid.mid[m].value), w["mid"][m]["hex"].get<std::string>());
            } else {
              EXPECT_EQ(UpidDisplay(seg.upid.mid[m]), w["mid"][m]["text"].get<std::string>());
            }
          }
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------------------------
// Hand-built sections: every command, descriptor and UPID type.
// ----------------------------------------------------------------------------------------------
SpliceInfoSection Base() {
  SpliceInfoSection s;
  s.pts_adjustment_ticks = 12345;
  s.cw_index = 0xFF;
  return s;
}

TEST(Scte35RoundTrip, SpliceNullAndBandwidthReservation) {
  SpliceInfoSection s = Base();
  ExpectRoundTrip(s);
  s.command = BandwidthReservation{};
  ExpectRoundTrip(s);
}

TEST(Scte35RoundTrip, SpliceSchedule) {
  SpliceSchedule sched;
  ScheduleEvent program;
  program.splice_event_id = 7;
  program.out_of_network_indicator = true;
  program.utc_splice_time = 1300000000;
  program.break_duration = BreakDuration{true, 30 * kTicksPerSecond, 0xFF};
  program.unique_program_id = 99;
  program.avail_num = 1;
  program.avails_expected = 2;
  ScheduleEvent component;
  component.splice_event_id = 8;
  component.program_splice_flag = false;
  component.components = {{1, 100}, {2, 200}};
  ScheduleEvent cancelled;
  cancelled.splice_event_id = 9;
  cancelled.splice_event_cancel_indicator = true;
  sched.events = {program, component, cancelled};
  SpliceInfoSection s = Base();
  s.command = sched;
  ExpectRoundTrip(s);
}

TEST(Scte35RoundTrip, SpliceInsertAllModes) {
  SpliceInfoSection s = Base();
  SpliceInsert program;
  program.splice_event_id = 1;
  program.out_of_network_indicator = true;
  program.splice_time = {true, kPtsWrap - 1, 0xFF};
  program.break_duration = BreakDuration{false, kPtsWrap - 1, 0xFF};
  s.command = program;
  ExpectRoundTrip(s);

  SpliceInsert immediate;
  immediate.splice_immediate_flag = true;
  immediate.avail_num = 3;
  s.command = immediate;
  ExpectRoundTrip(s);

  SpliceInsert components;
  components.program_splice_flag = false;
  components.components = {{1, {true, 1000, 0xFF}}, {2, {false, 0, 0xFF}}, {3, {true, 5, 0xC0}}};
  components.break_duration = BreakDuration{true, 900000, 0xFF};
  s.command = components;
  ExpectRoundTrip(s);

  SpliceInsert components_immediate;
  components_immediate.program_splice_flag = false;
  components_immediate.splice_immediate_flag = true;
  components_immediate.components = {{4, {}}, {5, {}}};
  s.command = components_immediate;
  ExpectRoundTrip(s);

  SpliceInsert cancel;
  cancel.splice_event_id = 42;
  cancel.splice_event_cancel_indicator = true;
  s.command = cancel;
  ExpectRoundTrip(s);
}

TEST(Scte35RoundTrip, TimeSignalAndPrivateCommand) {
  SpliceInfoSection s = Base();
  s.command = TimeSignal{{true, 0x1FFFFFFFF, 0xFF}};
  ExpectRoundTrip(s);
  s.command = TimeSignal{{false, 0, 0xFF}};
  ExpectRoundTrip(s);
  s.command = PrivateCommand{0x41424344, {1, 2, 3, 4, 5}};
  ExpectRoundTrip(s);
  s.command = PrivateCommand{0x41424344, {}};
  ExpectRoundTrip(s);
}

TEST(Scte35RoundTrip, EveryDescriptor) {
  SpliceInfoSection s = Base();
  s.command = TimeSignal{{true, 90000, 0xFF}};
  s.descriptors.push_back(AvailDescriptor{kCueiIdentifier, 0xDEADBEEF});
  DtmfDescriptor dtmf;
  dtmf.preroll = 50;
  dtmf.dtmf_chars = "1234567";
  s.descriptors.push_back(dtmf);
  TimeDescriptor time;
  time.tai_seconds = (uint64_t{1} << 48) - 1;
  time.tai_ns = 999999999;
  time.utc_offset = 37;
  s.descriptors.push_back(time);
  AudioDescriptor audio;
  audio.components = {{1, 0x656E67, 2, 5, true}, {2, 0x737061, 7, 15, false}};
  s.descriptors.push_back(audio);
  s.descriptors.push_back(PrivateDescriptor{0x02, 0x53415053, {0x0B}});  // non-CUEI tag 2
  s.descriptors.push_back(PrivateDescriptor{0xF0, kCueiIdentifier, {1, 2, 3}});  // unknown tag
  SegmentationDescriptor seg;
  seg.segmentation_event_id = 0x4800008E;
  seg.program_segmentation_flag = false;
  seg.components = {{1, 0xFF, 100}, {2, 0xFF, kPtsWrap - 1}};
  seg.delivery_not_restricted_flag = false;
  seg.web_delivery_allowed_flag = false;
  seg.device_restrictions = 1;
  seg.segmentation_duration_ticks = (uint64_t{1} << 40) - 1;  // 40 bits, not 33
  seg.upid = {0x08, {0, 0, 0, 0, 0x2C, 0xA0, 0xA1, 0x8A}, {}};
  seg.segmentation_type_id = 0x34;
  seg.segment_num = 1;
  seg.segments_expected = 2;
  seg.sub_segment_num = 3;
  seg.sub_segments_expected = 4;
  s.descriptors.push_back(seg);
  SegmentationDescriptor cancel;
  cancel.segmentation_event_id = 5;
  cancel.segmentation_event_cancel_indicator = true;
  s.descriptors.push_back(cancel);
  ExpectRoundTrip(s);
}

TEST(Scte35RoundTrip, EveryUpidType) {
  for (int type = 0; type <= 0x12; ++type) {
    SCOPED_TRACE(type);
    SegmentationUpid upid;
    upid.type = static_cast<uint8_t>(type);
    if (type == 0x0D) {
      upid.mid = {{0x03, Bytes(12, 'A'), {}}, {0x0F, {'u', 'r', 'n'}, {}},
                  {0x0D, {}, {{0x0E, {'a', 'd', 's'}, {}}}}};  // nested MID
    } else if (type != 0) {
      const int length = UpidFixedLength(static_cast<uint8_t>(type)).value_or(20);
      for (int k = 0; k < length; ++k) upid.value.push_back(static_cast<uint8_t>('0' + k % 10));
    }
    SpliceInfoSection s = Base();
    s.command = TimeSignal{{true, 1, 0xFF}};
    SegmentationDescriptor seg;
    seg.segmentation_event_id = static_cast<uint32_t>(type);
    seg.upid = upid;
    seg.segmentation_type_id = 0x22;
    seg.segmentation_duration_ticks = 30 * kTicksPerSecond;
    s.descriptors.push_back(seg);
    ExpectRoundTrip(s);
    EXPECT_FALSE(UpidTypeName(static_cast<uint8_t>(type)).empty());
  }
  EXPECT_EQ(UpidTypeName(0x12), "Unknown");
  EXPECT_EQ(UpidTypeName(0x0E), "ADS Info");
}

TEST(Scte35RoundTrip, UpidDecodedForms) {
  SegmentationUpid atsc{0x0B, {0x12, 0x34, 0b10'10101'1, 0xFF, 'i', 'd'}, {}};
  auto a = DecodeAtscUpid(atsc);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->tsid, 0x1234);
  EXPECT_EQ(a->reserved, 2);
  EXPECT_EQ(a->end_of_day, 0b10101);
  EXPECT_EQ(a->unique_for, 0x1FF);
  EXPECT_EQ(std::string(a->content_id.begin(), a->content_id.end()), "id");
  SegmentationUpid eidr{0x0A, {0x14, 0x77, 0x8B, 0xE5, 0xE3, 0xF6, 0, 0, 0, 0, 0, 0}, {}};
  EXPECT_EQ(UpidDisplay(eidr), "0x14778be5e3f6000000000000");
  SegmentationUpid uri{0x0F, {'h', 't', 't', 'p'}, {}};
  EXPECT_EQ(UpidDisplay(uri), "http");
  SegmentationUpid binary{0x0F, {0xFF, 0x00}, {}};
  EXPECT_EQ(UpidDisplay(binary), "0xff00");
}

TEST(Scte35RoundTrip, ReservedBitsAndStuffingAreKept) {
  SpliceInfoSection s = Base();
  SpliceInsert ins;
  ins.reserved1 = 0x80;  // 7 reserved bits all zero
  ins.reserved2 = 0xF8;  // 3 bits zero
  ins.splice_time = {true, 77, 0xC0};
  ins.break_duration = BreakDuration{true, 10, 0xC0};
  s.command = ins;
  s.alignment_stuffing = {0xFF, 0xFF, 0xFF};
  ExpectRoundTrip(s);
  SpliceInfoSection legacy = Base();
  legacy.splice_command_length = kLegacySpliceCommandLength;
  legacy.command = TimeSignal{{true, 5, 0xFF}};
  ExpectRoundTrip(legacy);
}

TEST(Scte35RoundTrip, EncryptedSectionKeepsPayloadRaw) {
  SpliceInfoSection s = Base();
  s.encrypted_packet = true;
  s.encryption_algorithm = 1;
  s.splice_command_length = 5;
  s.encrypted_payload = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
  s.e_crc_32 = 0xCAFEBABE;
  ExpectRoundTrip(s);
}

// ----------------------------------------------------------------------------------------------
// Errors name the problem and the byte offset.
// ----------------------------------------------------------------------------------------------
TEST(Scte35Errors, DescriptorOverflowsLoop) {
  // splice_null + a 14-byte descriptor loop whose first descriptor claims 40 bytes.
  SpliceInfoSection s = Base();
  s.descriptors.push_back(PrivateDescriptor{0x00, 0x43554549, Bytes(8, 0)});
  Bytes b = *Encode(s);
  ASSERT_EQ(b[17], 12);
  b[17] = 40;
  FixCrc(b);
  auto r = Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "byte 17: descriptor_length 40 overflows descriptor loop (12 bytes left)");
  std::vector<std::string> warnings;
  auto lenient = DecodeLenient(b, &warnings);
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(lenient->descriptors.empty());
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(Scte35Errors, TruncatedAndLengthMismatch) {
  Bytes b = B64(k141);
  auto truncated = Decode(std::span<const uint8_t>(b.data(), 30));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kOutOfRange);
  EXPECT_THAT(truncated.status().message(), HasSubstr("byte 1: section_length 52"));
  Bytes longer = b;
  longer.push_back(0x00);
  auto trailing = Decode(longer);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(),
            "byte 55: byte 0x00 after the end of the section (section_length 52, 1 byte(s) follow) is not 0xff "
            "stuffing (ISO/IEC 13818-1 §2.4.4)");
  std::vector<std::string> warnings;
  EXPECT_TRUE(DecodeLenient(longer, &warnings).ok());
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_FALSE(Decode(Bytes{}).ok());
  EXPECT_FALSE(Decode(Bytes{0xFC}).ok());
  Bytes short_len = b;
  short_len[2] = 5;
  EXPECT_THAT(Decode(short_len).status().message(), HasSubstr("byte 1: section_length 5 is below"));
}

// A section cut from an MPEG-TS packet: the 184-byte payload is pointer_field (0x00), the
// 55-byte section, then 0xFF up to the packet's end (ISO/IEC 13818-1 §2.4.4). Decoders that take
// the payload after the pointer_field get the section and 128 stuffing bytes.
TEST(Scte35Stuffing, FfAfterTheSectionDecodesAndIsCounted) {
  const Bytes section = B64(k141);
  ASSERT_EQ(section.size(), 55u);
  Bytes packet_payload = section;
  packet_payload.resize(183, 0xFF);
  auto s = Decode(packet_payload);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->stuffing_bytes, 128u);
  EXPECT_EQ(s->section_length, 52);
  // The section itself re-encodes byte for byte; the stuffing is transport, not section.
  auto again = Encode(*s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, section);
  auto plain = Decode(section);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stuffing_bytes, 0u);
  SpliceInfoSection without = *s;
  without.stuffing_bytes = 0;
  EXPECT_EQ(without, *plain);
  // The text entry point the cue markers use.
  auto text = DecodeText(HexEncode(packet_payload));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->stuffing_bytes, 128u);
  // Lenient decoding counts it too, without a warning.
  std::vector<std::string> warnings;
  auto lenient = DecodeLenient(packet_payload, &warnings);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->stuffing_bytes, 128u);
  EXPECT_TRUE(warnings.empty());
}

TEST(Scte35Stuffing, AnythingButFfAfterTheSectionNamesItsOffset) {
  Bytes b = B64(k141);
  b.insert(b.end(), {0xFF, 0xFF, 0x47, 0xFF});
  auto r = Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("byte 57: byte 0x47 after the end of the section"));
}

TEST(Scte35Errors, BadTableIdUnknownCommandAndCommandLength) {
  Bytes b = B64(k141);
  b[0] = 0xFD;
  EXPECT_EQ(Decode(b).status().message(), "byte 0: table_id 0xfd is not 0xfc (splice_info_section, §9.6)");
  b = B64(k141);
  b[13] = 0x02;
  FixCrc(b);
  EXPECT_EQ(Decode(b).status().message(), "byte 13: unknown splice_command_type 0x02 (Table 7)");
  b = B64(k141);
  b[12] = 0x06;  // splice_command_length 6 for a 5-byte time_signal
  FixCrc(b);
  auto r = Decode(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "byte 19: splice_command_length 6 but Time Signal ends after 5 bytes");
  b = B64(k141);
  b[12] = 0xF0;
  FixCrc(b);
  EXPECT_THAT(Decode(b).status().message(), HasSubstr("byte 11: splice_command_length 240 overflows"));
}

TEST(Scte35Errors, TextThatIsNeitherBase64NorHex) {
  auto r = DecodeText("/DBaf%^");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("not valid base64 or hex"));
  EXPECT_FALSE(DecodeText("0xFC3").ok());
  EXPECT_FALSE(DecodeText("").ok());
  EXPECT_FALSE(DecodeText("  ").ok());
}

TEST(Scte35Errors, SegmentationFieldErrors) {
  // 14.1 layout: descriptor_loop_length@19, tag@21, descriptor_length@22, identifier@23,
  // event_id@27, flags@31..32, duration@33..37, upid_type@38, upid_length@39, upid@40..47,
  // type@48, segment_num@49, segments_expected@50, CRC_32@51.
  Bytes b = B64(k141);
  ASSERT_EQ(b[39], 8);
  b[39] = 30;
  FixCrc(b);
  EXPECT_EQ(Decode(b).status().message(),
            "byte 39: segmentation_upid_length 30 overflows the descriptor (11 bytes left)");
  b = B64(k141);
  b[22] = 27;  // descriptor one byte shorter than its fields
  b[20] = 29;  // descriptor_loop_length
  b[2] -= 1;   // section_length
  b.erase(b.begin() + 50);
  FixCrc(b);
  EXPECT_EQ(Decode(b).status().message(),
            "byte 48: segmentation_type_id/segment_num/segments_expected truncated: needs 3 more "
            "byte(s), 2 left");
  b = B64(k141);
  b[22] = 29;  // one byte too many: not a sub_segment pair
  b[20] = 31;
  b[2] += 1;
  b.insert(b.begin() + 51, 0x00);
  FixCrc(b);
  EXPECT_EQ(Decode(b).status().message(),
            "byte 51: segmentation_descriptor has 1 byte(s) after its last field (descriptor_length 29)");
}

TEST(Scte35Errors, MidNestingIsBounded) {
  // MID inside MID inside ... deeper than kMaxMidDepth.
  Bytes value;
  for (int depth = 0; depth < 10; ++depth) {
    Bytes outer{0x0D, static_cast<uint8_t>(value.size())};
    outer.insert(outer.end(), value.begin(), value.end());
    value = outer;
  }
  SpliceInfoSection s = Base();
  SegmentationDescriptor seg;
  seg.upid = {0x0D, value, {}};  // raw value, written as is
  s.descriptors.push_back(seg);
  auto bytes = Encode(s);
  ASSERT_TRUE(bytes.ok());
  auto r = Decode(*bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("MID upid nested deeper than 4 levels"));
  // A MID entry overflowing the MID.
  seg.upid = {0x0D, {0x03, 0x09, 'a'}, {}};
  s.descriptors = {seg};
  r = Decode(*Encode(s));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("MID segmentation_upid_length 9 overflows MID (1 bytes left)"));
  std::vector<std::string> warnings;
  auto lenient = DecodeLenient(*Encode(s), &warnings);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(std::get<SegmentationDescriptor>(lenient->descriptors[0]).upid.value.size(), 3u);
}

TEST(Scte35Errors, EncodeRangeChecks) {
  SpliceInfoSection s = Base();
  s.command = TimeSignal{{true, kPtsWrap, 0xFF}};
  auto r = Encode(s);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("time_signal pts_time 8589934592 is outside [0, 2^33)"));
  s = Base();
  DtmfDescriptor dtmf;
  dtmf.dtmf_chars = "12345678";
  s.descriptors.push_back(dtmf);
  EXPECT_FALSE(Encode(s).ok());
  s = Base();
  s.descriptors.push_back(PrivateDescriptor{0x10, 0x41414141, Bytes(300, 0)});
  EXPECT_THAT(Encode(s).status().message(), HasSubstr("descriptor_length"));
}

// ----------------------------------------------------------------------------------------------
// Time.
// ----------------------------------------------------------------------------------------------
TEST(Scte35Time, PtsAdjustmentWrapsAt2To33) {
  EXPECT_EQ(kPtsWrap, 8589934592);
  EXPECT_EQ(EffectivePts(kPtsWrap - 10, 20), 10);
  EXPECT_EQ(EffectivePts(0, 0), 0);
  EXPECT_EQ(EffectivePts(kPtsWrap - 1, kPtsWrap - 1), kPtsWrap - 2);
  EXPECT_EQ(EffectivePts(-5, 0), kPtsWrap - 5);
  EXPECT_NEAR(TicksToSeconds(kPtsWrap - 1), 95443.717678, 1e-6);  // threefive ROLLOVER
  SpliceInfoSection s = Base();
  s.pts_adjustment_ticks = kPtsWrap - 90000;
  s.command = TimeSignal{{true, 180000, 0xFF}};
  auto d = Decode(*Encode(s));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(SplicePtsTicks(*d), 180000);
  EXPECT_EQ(EffectiveSplicePtsTicks(*d), 90000);
}

TEST(Scte35Time, BreakDurationPrecedence) {
  SpliceInfoSection s = Base();
  s.command = TimeSignal{{true, 1, 0xFF}};
  EXPECT_FALSE(BreakDurationSeconds(s).has_value());
  SegmentationDescriptor po;
  po.segmentation_type_id = 0x34;
  po.segmentation_duration_ticks = 60 * kTicksPerSecond;
  SegmentationDescriptor brk;
  brk.segmentation_type_id = 0x22;
  brk.segmentation_duration_ticks = 120 * kTicksPerSecond;
  s.descriptors = {po, brk};
  EXPECT_EQ(BreakDurationSeconds(s), 120.0);  // Break Start beats the nested PO, never summed
  s.descriptors = {po};
  EXPECT_EQ(BreakDurationSeconds(s), 60.0);
  SpliceInsert ins;
  ins.break_duration = BreakDuration{true, 30 * kTicksPerSecond, 0xFF};
  s.command = ins;
  EXPECT_EQ(BreakDurationSeconds(s), 30.0);  // break_duration first
  // 40-bit segmentation_duration is not truncated to 33 bits.
  po.segmentation_duration_ticks = uint64_t{1} << 36;
  s.command = TimeSignal{};
  s.descriptors = {po};
  EXPECT_EQ(BreakDurationTicks(s), int64_t{1} << 36);
}

TEST(Scte35Bits, ReaderIsBoundsChecked) {
  const uint8_t data[] = {0xAB, 0xCD};
  BitReader r(data);
  EXPECT_EQ(r.Read(4), 0xAu);
  EXPECT_EQ(r.Read(8), 0xBCu);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.Read(8), 0u);
  EXPECT_FALSE(r.ok());
  Bytes out;
  BitWriter w(&out);
  w.Write(0xA, 4);
  w.Write(0xBC, 8);
  w.Write(0xD, 4);
  EXPECT_EQ(out, (Bytes{0xAB, 0xCD}));
  EXPECT_EQ(Crc32Mpeg2(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("123456789"), 9)),
            0x0376E6E7u);
}

}  // namespace
}  // namespace ssai::scte35
