#include "reference/media/scte35/scte35_json.h"

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reference/base/encoding.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::scte35 {
namespace {

using ::testing::HasSubstr;

constexpr char k141[] = "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
constexpr char k142[] = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";

TEST(Scte35Json, ThreefiveKeysFor14_1) {
  auto s = DecodeText(k141);
  ASSERT_TRUE(s.ok());
  const auto j = ToJson(*s);
  const auto& info = j["info_section"];
  EXPECT_EQ(info["table_id"], "0xfc");
  EXPECT_EQ(info["section_syntax_indicator"], false);
  EXPECT_EQ(info["private"], false);
  EXPECT_EQ(info["sap_type"], "0x03");
  EXPECT_EQ(info["sap_details"], "No Sap Type");
  EXPECT_EQ(info["section_length"], 52);
  EXPECT_EQ(info["protocol_version"], 0);
  EXPECT_EQ(info["encrypted_packet"], false);
  EXPECT_EQ(info["encryption_algorithm"], 0);
  EXPECT_EQ(info["pts_adjustment"], 0.0);
  EXPECT_EQ(info["cw_index"], "0xff");
  EXPECT_EQ(info["tier"], "0x0fff");
  EXPECT_EQ(info["splice_command_length"], 5);
  EXPECT_EQ(info["splice_command_type"], 6);
  EXPECT_EQ(info["descriptor_loop_length"], 30);
  EXPECT_EQ(info["crc"], "0x9ac9d17e");
  const auto& cmd = j["command"];
  EXPECT_EQ(cmd["command_length"], 5);
  EXPECT_EQ(cmd["command_type"], 6);
  EXPECT_EQ(cmd["name"], "Time Signal");
  EXPECT_EQ(cmd["time_specified_flag"], true);
  EXPECT_EQ(cmd["pts_time"].dump(), "21388.766756");
  EXPECT_EQ(cmd["pts_time_ticks"], 0x72BD0050);
  const auto& d = j["descriptors"][0];
  EXPECT_EQ(d["tag"], 2);
  EXPECT_EQ(d["identifier"], "CUEI");
  EXPECT_EQ(d["name"], "Segmentation Descriptor");
  EXPECT_EQ(d["descriptor_length"], 28);
  EXPECT_EQ(d["segmentation_event_id"], "0x4800008e");
  EXPECT_EQ(d["segmentation_event_cancel_indicator"], false);
  EXPECT_EQ(d["program_segmentation_flag"], true);
  EXPECT_EQ(d["segmentation_duration_flag"], true);
  EXPECT_EQ(d["delivery_not_restricted_flag"], false);
  EXPECT_EQ(d["web_delivery_allowed_flag"], false);
  EXPECT_EQ(d["no_regional_blackout_flag"], true);
  EXPECT_EQ(d["archive_allowed_flag"], true);
  EXPECT_EQ(d["device_restrictions"], "No Restrictions");
  EXPECT_EQ(d["segmentation_duration"].dump(), "307.0");
  EXPECT_EQ(d["segmentation_message"], "Provider Placement Opportunity Start");
  EXPECT_EQ(d["segmentation_type_id"], 0x34);
  EXPECT_EQ(d["segmentation_upid_length"], 8);
  EXPECT_EQ(d["segmentation_upid_type"], 8);
  EXPECT_EQ(d["segmentation_upid_type_name"], "AiringID");
  EXPECT_EQ(d["segmentation_upid"], "0x2ca0a18a");  // threefive drops leading zeros
  EXPECT_EQ(d["segmentation_upid_hex"], "0x000000002ca0a18a");
  EXPECT_EQ(d["segment_num"], 2);
  EXPECT_EQ(d["segments_expected"], 0);
  EXPECT_FALSE(d.contains("sub_segment_num"));  // null keys dropped
}

// 0xFF stuffing after the section (a section cut from a TS packet, ISO/IEC 13818-1 §2.4.4): the
// JSON says how many bytes there were; without stuffing the key is absent (threefive's document).
TEST(Scte35Json, StuffingBytesAreReported) {
  Result<Bytes> section = Base64Decode(k141);
  ASSERT_TRUE(section.ok());
  Bytes stuffed = *section;
  stuffed.resize(stuffed.size() + 16, 0xFF);
  auto s = Decode(stuffed);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto j = ToJson(*s);
  EXPECT_EQ(j["info_section"]["stuffing_bytes"], 16);
  auto back = FromJsonText(j.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, *s);
  auto plain = DecodeText(k141);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(ToJson(*plain)["info_section"].contains("stuffing_bytes"));
}

TEST(Scte35Json, SpliceInsertKeys) {
  auto s = DecodeText(k142);
  ASSERT_TRUE(s.ok());
  const auto cmd = ToJson(*s)["command"];
  EXPECT_EQ(cmd["name"], "Splice Insert");
  EXPECT_EQ(cmd["break_auto_return"], true);
  EXPECT_EQ(cmd["break_duration"].dump(), "60.293567");
  EXPECT_EQ(cmd["splice_event_id"], 0x4800008F);
  EXPECT_EQ(cmd["out_of_network_indicator"], true);
  EXPECT_EQ(cmd["duration_flag"], true);
  EXPECT_EQ(cmd["splice_immediate_flag"], false);
  EXPECT_EQ(cmd["pts_time"].dump(), "21514.559089");
  EXPECT_EQ(ToJson(*s)["descriptors"][0]["provider_avail_id"], 0x135);
}

// Every fixture vector: decode → JSON text → parse → FromJson → Encode == original bytes.
TEST(Scte35Json, RoundTripEveryVector) {
  std::ifstream in("fixtures/scte35/vectors.json");
  ASSERT_TRUE(in.good());
  const auto vectors = nlohmann::json::parse(in);
  for (const auto& v : vectors) {
    if (!v["valid"].get<bool>()) continue;
    SCOPED_TRACE(v["name"].get<std::string>());
    auto s = DecodeText(v["base64"].get<std::string>());
    ASSERT_TRUE(s.ok());
    const std::string text = ToJson(*s).dump(2);
    auto back = FromJsonText(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
    EXPECT_EQ(*back, *s) << text;
    auto b64 = EncodeBase64(*back);
    ASSERT_TRUE(b64.ok()) << b64.status().ToString();
    EXPECT_EQ(*b64, v["base64"].get<std::string>());
  }
}

TEST(Scte35Json, RoundTripHandBuiltEverything) {
  SpliceInfoSection s;
  s.pts_adjustment_ticks = 77;
  SpliceInsert ins;
  ins.program_splice_flag = false;
  ins.components = {{1, {true, 100, 0xFF}}, {2, {false, 0, 0x80}}};
  ins.reserved2 = 0xF8;
  ins.break_duration = BreakDuration{false, 5, 0xC0};
  s.command = ins;
  DtmfDescriptor dtmf;
  dtmf.dtmf_chars = "12#";
  s.descriptors.push_back(dtmf);
  DtmfDescriptor dtmf_binary;
  dtmf_binary.dtmf_chars = std::string("\x01\x02", 2);
  s.descriptors.push_back(dtmf_binary);
  s.descriptors.push_back(TimeDescriptor{kCueiIdentifier, 1234567, 89, 37});
  AudioDescriptor audio;
  audio.components = {{1, 0x656E67, 2, 5, true}, {2, 0x010203, 1, 1, false}};
  s.descriptors.push_back(audio);
  s.descriptors.push_back(PrivateDescriptor{0x02, 0x53415053, {0x0B}});
  s.descriptors.push_back(PrivateDescriptor{0x02, 0x01020304, {}});
  for (int type = 0; type <= 0x12; ++type) {
    SegmentationDescriptor seg;
    seg.segmentation_event_id = static_cast<uint32_t>(type);
    seg.upid.type = static_cast<uint8_t>(type);
    if (type == 0x0D) {
      seg.upid.mid = {{0x0A, Bytes(12, 1), {}}, {0x0D, {}, {{0x0F, {'x'}, {}}}}};
    } else if (type == 0x0B) {
      seg.upid.value = {0x12, 0x34, 0xFF, 0xFF, 'c', 'i', 'd'};
    } else if (type == 0x0C) {
      seg.upid.value = {'A', 'D', 'F', 'R', 1, 2, 3};
    } else if (type != 0) {
      seg.upid.value = Bytes(static_cast<size_t>(UpidFixedLength(static_cast<uint8_t>(type)).value_or(5)),
                             static_cast<uint8_t>(0x30 + type));
    }
    if (type == 1) {
      seg.program_segmentation_flag = false;
      seg.components = {{7, 0x80, 1234}};
      seg.delivery_not_restricted_flag = true;
      seg.web_delivery_allowed_flag = false;  // reserved bits not all ones
    }
    if (type == 2) seg.segmentation_event_cancel_indicator = true;
    s.descriptors.push_back(seg);
  }
  auto bytes = Encode(s);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto decoded = Decode(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::string text = ToJson(*decoded).dump();
  auto back = FromJsonText(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, *decoded) << text;
  EXPECT_EQ(*Encode(*back), *bytes);

  SpliceInfoSection sched_section;
  SpliceSchedule sched;
  ScheduleEvent e1;
  e1.splice_event_id = 1;
  e1.utc_splice_time = 99;
  e1.break_duration = BreakDuration{true, 9, 0xFF};
  ScheduleEvent e2;
  e2.program_splice_flag = false;
  e2.components = {{3, 4}};
  sched.events = {e1, e2};
  sched_section.command = sched;
  auto sb = Encode(sched_section);
  auto sd = Decode(*sb);
  ASSERT_TRUE(sd.ok());
  auto sback = FromJson(ToJson(*sd));
  ASSERT_TRUE(sback.ok()) << sback.status().ToString();
  EXPECT_EQ(*Encode(*sback), *sb);

  SpliceInfoSection priv;
  priv.command = PrivateCommand{0x41424344, {9, 8, 7}};
  auto pb = Encode(priv);
  auto pback = FromJson(ToJson(*Decode(*pb)));
  ASSERT_TRUE(pback.ok());
  EXPECT_EQ(*Encode(*pback), *pb);

  SpliceInfoSection enc;
  enc.encrypted_packet = true;
  enc.splice_command_length = 3;
  enc.encrypted_payload = {1, 2, 3, 4, 5};
  enc.e_crc_32 = 0x01020304;
  auto eb = Encode(enc);
  auto eback = FromJson(ToJson(*Decode(*eb)));
  ASSERT_TRUE(eback.ok());
  EXPECT_EQ(*Encode(*eback), *eb);
}

TEST(Scte35Json, SecondsAreEnoughWithoutTicks) {
  auto s = DecodeText(k142);
  ASSERT_TRUE(s.ok());
  auto j = ToJson(*s);
  j["info_section"].erase("pts_adjustment_ticks");
  j["command"].erase("pts_time_ticks");
  j["command"].erase("break_duration_ticks");
  auto back = FromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*EncodeBase64(*back), k142);
}

TEST(Scte35Json, ErrorsNameTheJsonPath) {
  auto s = DecodeText(k141);
  ASSERT_TRUE(s.ok());
  auto j = ToJson(*s);
  j["descriptors"][0]["segmentation_upid_hex"] = "0xZZ";
  auto r = FromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("descriptors[0].segmentation_upid_hex: not valid hex"));
  j = ToJson(*s);
  j["command"]["pts_time_ticks"] = -1;
  EXPECT_THAT(FromJson(j).status().message(), HasSubstr("command.pts_time_ticks: must not be negative"));
  j = ToJson(*s);
  j["info_section"]["tier"] = 0x1000;
  EXPECT_THAT(FromJson(j).status().message(), HasSubstr("info_section.tier: 4096 is larger"));
  j = ToJson(*s);
  j["command"]["command_type"] = 3;
  EXPECT_THAT(FromJson(j).status().message(), HasSubstr("command.command_type: unknown"));
  j = ToJson(*s);
  j["descriptors"][0]["device_restrictions"] = "Sometimes";
  EXPECT_THAT(FromJson(j).status().message(), HasSubstr("descriptors[0].device_restrictions: unknown value"));
  j = ToJson(*s);
  j.erase("command");
  EXPECT_THAT(FromJson(j).status().message(), HasSubstr("command: missing"));
  EXPECT_THAT(FromJsonText("{\"info_section\": ").status().message(), HasSubstr("JSON parse error"));
  EXPECT_FALSE(FromJsonText("[]").ok());
}

}  // namespace
}  // namespace ssai::scte35
