// SCTE 35 (2022b) splice_info_section: data model, decoder and encoder.
//
// Decode() is strict: the CRC_32 must match, every length must agree with the syntax, and the input
// must be exactly one section, optionally followed by 0xFF stuffing bytes (ISO/IEC 13818-1
// §2.4.4: after a section ends, the rest of its transport packet is 0xFF; section_length says where
// the section ends, so a section cut from a TS packet arrives with them). For every section
// Decode() accepts, Encode(Decode(x)) == x without its stuffing, byte for byte: the model keeps
// reserved bits, alignment stuffing, the legacy splice_command_length 0xFFF and optional trailing
// fields (sub_segment_num) so nothing is lost; the stuffing is only counted (stuffing_bytes).
//
// Errors are Status values whose message names the problem and the byte offset in the section
// ("byte 17: descriptor_length 40 overflows descriptor loop (12 bytes left)"). Bad input never
// crashes and every loop is bounded by the section length (MID nesting by kMaxMidDepth).
//
// Reserved-bit convention: a `reserved*` field holds the reserved bits as read, with the unused
// high bits of the uint8_t set, so the default 0xFF means "all ones" (what the spec mandates) for
// any width. The encoder writes the low bits only.
//
// Length fields (section_length, splice_command_length, descriptor_loop_length) hold the values
// read; Encode() recomputes them (and every descriptor_length, segmentation_upid_length and the
// CRC_32), except that splice_command_length == 0xFFF (legacy, §9.6 note) is written as 0xFFF.
#ifndef SSAI_REFERENCE_MEDIA_SCTE35_SPLICE_INFO_SECTION_H_
#define SSAI_REFERENCE_MEDIA_SCTE35_SPLICE_INFO_SECTION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/base/status.h"

namespace ssai::scte35 {

// ---------------------------------------------------------------------------------------------
// Time (§9.7.1 splice_time, §9.8.2 break_duration): 90 kHz ticks, 33 bits, wrapping.
// ---------------------------------------------------------------------------------------------
inline constexpr int64_t kTicksPerSecond = 90000;
inline constexpr int64_t kPtsWrap = int64_t{1} << 33;  // 95443.717678 s
inline constexpr uint8_t kTableId = 0xFC;
inline constexpr uint32_t kCueiIdentifier = 0x43554549;  // "CUEI" (§10.2)
inline constexpr uint16_t kLegacySpliceCommandLength = 0xFFF;
inline constexpr int kMaxMidDepth = 4;  // MID (0x0D) inside MID: at most this many levels

// (pts_time + pts_adjustment) mod 2^33 (§9.6 pts_adjustment). Inputs may be any int64 value.
constexpr int64_t EffectivePts(int64_t pts_time_ticks, int64_t pts_adjustment_ticks) {
  int64_t sum = (pts_time_ticks % kPtsWrap) + (pts_adjustment_ticks % kPtsWrap);
  sum %= kPtsWrap;
  return sum < 0 ? sum + kPtsWrap : sum;
}
constexpr double TicksToSeconds(int64_t ticks) {
  return static_cast<double>(ticks) / static_cast<double>(kTicksPerSecond);
}
// Rounds to the nearest tick.
int64_t SecondsToTicks(double seconds);

// §9.7.1 splice_time().
struct SpliceTime {
  bool time_specified_flag = false;
  int64_t pts_time_ticks = 0;  // 33 bits; meaningful when time_specified_flag
  uint8_t reserved = 0xFF;     // 6 bits when specified, 7 when not
  friend bool operator==(const SpliceTime&, const SpliceTime&) = default;
};

// §9.8.2 break_duration().
struct BreakDuration {
  bool auto_return = false;
  int64_t duration_ticks = 0;  // 33 bits
  uint8_t reserved = 0xFF;     // 6 bits
  friend bool operator==(const BreakDuration&, const BreakDuration&) = default;
};

// ---------------------------------------------------------------------------------------------
// Splice commands (§9.7, Table 7).
// ---------------------------------------------------------------------------------------------
enum class SpliceCommandType : uint8_t {
  kSpliceNull = 0x00,
  kSpliceSchedule = 0x04,
  kSpliceInsert = 0x05,
  kTimeSignal = 0x06,
  kBandwidthReservation = 0x07,
  kPrivateCommand = 0xFF,
};
// "Splice Null", "Splice Schedule", "Splice Insert", "Time Signal", "Bandwidth Reservation",
// "Private Command" (threefive's names); "Reserved" otherwise.
std::string_view SpliceCommandName(uint8_t splice_command_type);

// §9.7.1 splice_null().
struct SpliceNull {
  friend bool operator==(const SpliceNull&, const SpliceNull&) = default;
};

// §9.7.2 splice_schedule().
struct ScheduleComponent {
  uint8_t component_tag = 0;
  uint32_t utc_splice_time = 0;  // seconds since 1980-01-06T00:00:00Z (GPS epoch)
  friend bool operator==(const ScheduleComponent&, const ScheduleComponent&) = default;
};
struct ScheduleEvent {
  uint32_t splice_event_id = 0;
  bool splice_event_cancel_indicator = false;
  uint8_t reserved1 = 0xFF;  // 7 bits after the cancel indicator
  // The fields below are present only when !splice_event_cancel_indicator.
  bool out_of_network_indicator = false;
  bool program_splice_flag = true;
  uint8_t reserved2 = 0xFF;  // 5 bits after duration_flag
  uint32_t utc_splice_time = 0;                // when program_splice_flag
  std::vector<ScheduleComponent> components;   // when !program_splice_flag (component_count 8 bits)
  std::optional<BreakDuration> break_duration; // duration_flag
  uint16_t unique_program_id = 0;
  uint8_t avail_num = 0;
  uint8_t avails_expected = 0;
  friend bool operator==(const ScheduleEvent&, const ScheduleEvent&) = default;
};
struct SpliceSchedule {
  std::vector<ScheduleEvent> events;  // splice_count (8 bits)
  friend bool operator==(const SpliceSchedule&, const SpliceSchedule&) = default;
};

// §9.7.3 splice_insert().
struct InsertComponent {
  uint8_t component_tag = 0;
  SpliceTime splice_time;  // present only when !splice_immediate_flag
  friend bool operator==(const InsertComponent&, const InsertComponent&) = default;
};
struct SpliceInsert {
  uint32_t splice_event_id = 0;
  bool splice_event_cancel_indicator = false;
  uint8_t reserved1 = 0xFF;  // 7 bits
  // The fields below are present only when !splice_event_cancel_indicator.
  bool out_of_network_indicator = false;
  bool program_splice_flag = true;
  bool splice_immediate_flag = false;
  bool event_id_compliance_flag = true;
  uint8_t reserved2 = 0xFF;                    // 3 bits
  SpliceTime splice_time;                      // when program_splice_flag && !splice_immediate_flag
  std::vector<InsertComponent> components;     // when !program_splice_flag (component mode)
  std::optional<BreakDuration> break_duration; // duration_flag
  uint16_t unique_program_id = 0;
  uint8_t avail_num = 0;
  uint8_t avails_expected = 0;
  friend bool operator==(const SpliceInsert&, const SpliceInsert&) = default;
};

// §9.7.4 time_signal().
struct TimeSignal {
  SpliceTime splice_time;
  friend bool operator==(const TimeSignal&, const TimeSignal&) = default;
};

// §9.7.5 bandwidth_reservation().
struct BandwidthReservation {
  friend bool operator==(const BandwidthReservation&, const BandwidthReservation&) = default;
};

// §9.7.6 private_command().
struct PrivateCommand {
  uint32_t identifier = 0;
  Bytes private_bytes;
  friend bool operator==(const PrivateCommand&, const PrivateCommand&) = default;
};

using SpliceCommand = std::variant<SpliceNull, SpliceSchedule, SpliceInsert, TimeSignal,
                                   BandwidthReservation, PrivateCommand>;
// The splice_command_type that goes with the alternative held.
uint8_t CommandType(const SpliceCommand& command);

// ---------------------------------------------------------------------------------------------
// Splice descriptors (§10, Table 16). All carry identifier "CUEI"; a descriptor with another
// identifier or an unknown tag is a PrivateDescriptor (raw bytes).
// ---------------------------------------------------------------------------------------------
enum class DescriptorTag : uint8_t {
  kAvail = 0x00,
  kDtmf = 0x01,
  kSegmentation = 0x02,
  kTime = 0x03,
  kAudio = 0x04,
};

// §10.3.1 avail_descriptor().
struct AvailDescriptor {
  uint32_t identifier = kCueiIdentifier;
  uint32_t provider_avail_id = 0;
  friend bool operator==(const AvailDescriptor&, const AvailDescriptor&) = default;
};

// §10.3.2 DTMF_descriptor().
struct DtmfDescriptor {
  uint32_t identifier = kCueiIdentifier;
  uint8_t preroll = 0;       // tenths of a second
  uint8_t reserved = 0xFF;   // 5 bits
  std::string dtmf_chars;    // dtmf_count (3 bits) raw bytes: at most 7
  friend bool operator==(const DtmfDescriptor&, const DtmfDescriptor&) = default;
};

// §10.3.3.1 segmentation_upid_type (Table 21).
enum class UpidType : uint8_t {
  kNotUsed = 0x00,
  kUserDefined = 0x01,  // deprecated
  kIsci = 0x02,         // deprecated
  kAdId = 0x03,
  kUmid = 0x04,
  kIsanDeprecated = 0x05,
  kIsan = 0x06,
  kTid = 0x07,
  kTi = 0x08,  // AiringID
  kAdi = 0x09,
  kEidr = 0x0A,
  kAtsc = 0x0B,
  kMpu = 0x0C,
  kMid = 0x0D,
  kAdsInformation = 0x0E,
  kUri = 0x0F,
  kUuid = 0x10,
  kScr = 0x11,
};
// threefive's upid_type_name: "No UPID", "Deprecated", "AdID", "UMID", "ISAN", "TID", "AiringID",
// "ADI", "EIDR", "ATSC", "MPU", "MID", "ADS Info", "URI", "UUID", "SCR"; "Unknown" otherwise.
std::string_view UpidTypeName(uint8_t upid_type);
// Table 21 fixed lengths (e.g. 12 for Ad-ID, 32 for UMID, 8 for TI); nullopt when variable or
// unknown. The decoder does not enforce them (real streams violate them); the JSON warns nothing.
std::optional<int> UpidFixedLength(uint8_t upid_type);

// §10.3.3.1 segmentation_upid(). `value` holds the raw upid bytes for every type except MID.
// For MID (0x0D) the decoder fills `mid` (the nested UPIDs, Table 21 note) and leaves `value`
// empty; the encoder writes `value` when it is non-empty, else serializes `mid`.
struct SegmentationUpid {
  uint8_t type = 0;
  Bytes value;
  std::vector<SegmentationUpid> mid;
  friend bool operator==(const SegmentationUpid&, const SegmentationUpid&) = default;
};

// Decoded forms of a UPID.
// 0x0B ATSC Content Identifier (A/57B): TSID(16) reserved(2) end_of_day(5) unique_for(9) content_id.
struct AtscContentIdentifier {
  uint16_t tsid = 0;
  uint8_t reserved = 0;
  uint8_t end_of_day = 0;
  uint16_t unique_for = 0;
  Bytes content_id;
};
std::optional<AtscContentIdentifier> DecodeAtscUpid(const SegmentationUpid& upid);
// 0x0C MPU(): format_identifier(32) private_data.
struct MpuUpid {
  uint32_t format_identifier = 0;
  Bytes private_data;
};
std::optional<MpuUpid> DecodeMpuUpid(const SegmentationUpid& upid);
// A display string in threefive's style: text for the character types (Ad-ID, TID, ADI, URI,
// ADS, SCR, ...), "0x..." hex for TI/ISAN/UUID, "10.5240/XXXX-XXXX-..." for EIDR, dotted hex
// words for UMID. (MID, ATSC and MPU are structured: see scte35_json.h.)
std::string UpidDisplay(const SegmentationUpid& upid);

// §10.3.3.1 segmentation_type_id (Table 22).
enum class SegmentationType : uint8_t {
  kNotIndicated = 0x00,
  kContentIdentification = 0x01,
  kPrivate = 0x02,
  kProgramStart = 0x10,
  kProgramEnd = 0x11,
  kProgramEarlyTermination = 0x12,
  kProgramBreakaway = 0x13,
  kProgramResumption = 0x14,
  kProgramRunoverPlanned = 0x15,
  kProgramRunoverUnplanned = 0x16,
  kProgramOverlapStart = 0x17,
  kProgramBlackoutOverride = 0x18,
  kProgramJoin = 0x19,
  kChapterStart = 0x20,
  kChapterEnd = 0x21,
  kBreakStart = 0x22,
  kBreakEnd = 0x23,
  kOpeningCreditStart = 0x24,
  kOpeningCreditEnd = 0x25,
  kClosingCreditStart = 0x26,
  kClosingCreditEnd = 0x27,
  kProviderAdvertisementStart = 0x30,
  kProviderAdvertisementEnd = 0x31,
  kDistributorAdvertisementStart = 0x32,
  kDistributorAdvertisementEnd = 0x33,
  kProviderPlacementOpportunityStart = 0x34,
  kProviderPlacementOpportunityEnd = 0x35,
  kDistributorPlacementOpportunityStart = 0x36,
  kDistributorPlacementOpportunityEnd = 0x37,
  kProviderOverlayPlacementOpportunityStart = 0x38,
  kProviderOverlayPlacementOpportunityEnd = 0x39,
  kDistributorOverlayPlacementOpportunityStart = 0x3A,
  kDistributorOverlayPlacementOpportunityEnd = 0x3B,
  kProviderPromoStart = 0x3C,
  kProviderPromoEnd = 0x3D,
  kDistributorPromoStart = 0x3E,
  kDistributorPromoEnd = 0x3F,
  kUnscheduledEventStart = 0x40,
  kUnscheduledEventEnd = 0x41,
  kAlternateContentOpportunityStart = 0x42,
  kAlternateContentOpportunityEnd = 0x43,
  kProviderAdBlockStart = 0x44,
  kProviderAdBlockEnd = 0x45,
  kDistributorAdBlockStart = 0x46,
  kDistributorAdBlockEnd = 0x47,
  kNetworkStart = 0x50,
  kNetworkEnd = 0x51,
};
// Table 22 segmentation_message, e.g. "Provider Placement Opportunity Start"; "Unknown" otherwise.
std::string_view SegmentationTypeName(uint8_t segmentation_type_id);
// True for the types whose descriptor carries sub_segment_num/sub_segments_expected (§10.3.3.1:
// 0x30, 0x32, 0x34, 0x36, 0x38, 0x3A, 0x44, 0x46).
bool HasSubSegments(uint8_t segmentation_type_id);
// Table 20 device_restrictions: "Restrict Group 0", "Restrict Group 1", "Restrict Group 2",
// "No Restrictions".
std::string_view DeviceRestrictionsName(uint8_t device_restrictions);

// §10.3.3.1 component loop of segmentation_descriptor().
struct SegmentationComponent {
  uint8_t component_tag = 0;
  uint8_t reserved = 0xFF;     // 7 bits
  int64_t pts_offset_ticks = 0;  // 33 bits
  friend bool operator==(const SegmentationComponent&, const SegmentationComponent&) = default;
};

// §10.3.3 segmentation_descriptor().
struct SegmentationDescriptor {
  uint32_t identifier = kCueiIdentifier;
  uint32_t segmentation_event_id = 0;
  bool segmentation_event_cancel_indicator = false;
  bool segmentation_event_id_compliance_indicator = true;
  uint8_t reserved1 = 0xFF;  // 6 bits
  // The fields below are present only when !segmentation_event_cancel_indicator.
  bool program_segmentation_flag = true;
  bool delivery_not_restricted_flag = true;
  // Table 19 delivery restrictions. When delivery_not_restricted_flag is set these 5 bits are
  // reserved; they are still decoded into these fields (all ones: true, true, true, 3) so that
  // Encode reproduces them.
  bool web_delivery_allowed_flag = true;
  bool no_regional_blackout_flag = true;
  bool archive_allowed_flag = true;
  uint8_t device_restrictions = 3;  // 2 bits
  std::vector<SegmentationComponent> components;  // when !program_segmentation_flag
  std::optional<uint64_t> segmentation_duration_ticks;  // 40 bits; segmentation_duration_flag
  SegmentationUpid upid;
  uint8_t segmentation_type_id = 0;
  uint8_t segment_num = 0;
  uint8_t segments_expected = 0;
  // Present when the descriptor has the two bytes (HasSubSegments types; older encoders omit them).
  std::optional<uint8_t> sub_segment_num;
  std::optional<uint8_t> sub_segments_expected;
  friend bool operator==(const SegmentationDescriptor&, const SegmentationDescriptor&) = default;
};

// §10.3.4 time_descriptor().
struct TimeDescriptor {
  uint32_t identifier = kCueiIdentifier;
  uint64_t tai_seconds = 0;  // 48 bits
  uint32_t tai_ns = 0;
  uint16_t utc_offset = 0;
  friend bool operator==(const TimeDescriptor&, const TimeDescriptor&) = default;
};

// §10.3.5 audio_descriptor().
struct AudioComponent {
  uint8_t component_tag = 0;
  uint32_t iso_code = 0;  // 24 bits, ISO 639-2 letters, e.g. 0x656E67 "eng"
  uint8_t bit_stream_mode = 0;  // 3 bits
  uint8_t num_channels = 0;     // 4 bits
  bool full_srvc_audio = false;
  friend bool operator==(const AudioComponent&, const AudioComponent&) = default;
};
struct AudioDescriptor {
  uint32_t identifier = kCueiIdentifier;
  uint8_t reserved = 0xFF;  // 4 bits
  std::vector<AudioComponent> components;  // audio_count (4 bits): at most 15
  friend bool operator==(const AudioDescriptor&, const AudioDescriptor&) = default;
};

// Any descriptor whose tag is not 0–4 or whose identifier is not "CUEI" (§10.2).
struct PrivateDescriptor {
  uint8_t tag = 0;
  uint32_t identifier = 0;
  Bytes private_bytes;  // descriptor_length - 4 bytes after the identifier
  friend bool operator==(const PrivateDescriptor&, const PrivateDescriptor&) = default;
};

using SpliceDescriptor = std::variant<AvailDescriptor, DtmfDescriptor, SegmentationDescriptor,
                                      TimeDescriptor, AudioDescriptor, PrivateDescriptor>;
uint8_t DescriptorTagOf(const SpliceDescriptor& descriptor);
// "Avail Descriptor", "DTMF Descriptor", "Segmentation Descriptor", "Time Descriptor",
// "Audio Descriptor", "Private Descriptor".
std::string_view DescriptorName(const SpliceDescriptor& descriptor);

// ---------------------------------------------------------------------------------------------
// §9.6 splice_info_section() (Table 5).
// ---------------------------------------------------------------------------------------------
struct SpliceInfoSection {
  uint8_t table_id = kTableId;
  bool section_syntax_indicator = false;
  bool private_indicator = false;
  uint8_t sap_type = 3;          // 2 bits (Table 6); 3 = not specified
  uint16_t section_length = 0;   // 12 bits; as read (Encode recomputes)
  uint8_t protocol_version = 0;
  bool encrypted_packet = false;
  uint8_t encryption_algorithm = 0;  // 6 bits (Table 27)
  int64_t pts_adjustment_ticks = 0;  // 33 bits
  uint8_t cw_index = 0;
  uint16_t tier = 0xFFF;             // 12 bits
  uint16_t splice_command_length = 0;  // 12 bits; as read; 0xFFF (legacy) is kept by Encode
  uint8_t splice_command_type = 0;     // as read; Encode uses CommandType(command)
  SpliceCommand command;
  uint16_t descriptor_loop_length = 0;  // as read (Encode recomputes)
  std::vector<SpliceDescriptor> descriptors;
  Bytes alignment_stuffing;  // bytes between the descriptor loop and (E_)CRC_32
  // encrypted_packet: everything from splice_command_type up to E_CRC_32 (exclusive), still
  // encrypted; command/descriptors are then left default and not encoded.
  Bytes encrypted_payload;
  std::optional<uint32_t> e_crc_32;  // present iff encrypted_packet (as transmitted, encrypted)
  uint32_t crc_32 = 0;               // as read (Encode recomputes)
  // 0xFF bytes that followed the section in the input (ISO/IEC 13818-1 §2.4.4 packet stuffing):
  // transport, not section, so Encode does not write them.
  uint32_t stuffing_bytes = 0;
  friend bool operator==(const SpliceInfoSection&, const SpliceInfoSection&) = default;
};

// Strict decode of exactly one section and any 0xFF stuffing after it. Errors (with "byte N: "
// offsets): kInvalidArgument (malformed, table_id != 0xFC, unknown command, length mismatch, a
// trailing byte other than 0xFF), kOutOfRange (truncated), kDataLoss (CRC_32 mismatch).
Result<SpliceInfoSection> Decode(std::span<const uint8_t> bytes);

// Best effort: tolerates a CRC_32 mismatch, any bytes after the section, a section_length that
// disagrees with the input, descriptors that overflow the loop or do not parse (kept as
// PrivateDescriptor or dropped), appending one message per problem to *warnings (may be null).
// Still fails when the header or command cannot be read.
Result<SpliceInfoSection> DecodeLenient(std::span<const uint8_t> bytes,
                                        std::vector<std::string>* warnings = nullptr);

// Base64 (standard or URL-safe, padding optional) or hex ("0x" optional, or all hex digits);
// surrounding whitespace ignored. Then Decode().
Result<Bytes> DecodeCueText(std::string_view base64_or_hex);
Result<SpliceInfoSection> DecodeText(std::string_view base64_or_hex);
Result<SpliceInfoSection> DecodeTextLenient(std::string_view base64_or_hex,
                                            std::vector<std::string>* warnings = nullptr);

// Serializes the section: recomputes section_length, splice_command_length (unless 0xFFF),
// descriptor_loop_length, descriptor lengths, upid lengths and CRC_32. Fails when a value does
// not fit its field (e.g. pts_time >= 2^33, more than 255 components, a descriptor > 255 bytes,
// section > 4093 bytes) naming the field.
Result<Bytes> Encode(const SpliceInfoSection& section);
// Encode() then Base64Encode / HexEncode.
Result<std::string> EncodeBase64(const SpliceInfoSection& section);

// CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, no reflection, no final xor).
uint32_t Crc32Mpeg2(std::span<const uint8_t> bytes);

// ---------------------------------------------------------------------------------------------
// Conveniences for cue extraction.
// ---------------------------------------------------------------------------------------------
// The command's splice time when specified (splice_insert program mode, time_signal), else nullopt
// (splice_immediate, component mode, other commands). Raw pts_time, WITHOUT pts_adjustment.
std::optional<int64_t> SplicePtsTicks(const SpliceInfoSection& section);
// EffectivePts(SplicePtsTicks, pts_adjustment_ticks) when specified.
std::optional<int64_t> EffectiveSplicePtsTicks(const SpliceInfoSection& section);

// Break duration in seconds, by precedence (scte35.md §4):
//  1. splice_insert break_duration (not cancelled);
//  2. else the segmentation_duration of the first non-cancelled segmentation descriptor of the
//     most relevant start type, in this order: 0x22 Break Start, 0x34/0x36 Placement Opportunity
//     Start, 0x38/0x3A Overlay PO Start, 0x30/0x32 Advertisement Start, 0x44/0x46 Ad Block Start,
//     0x3C/0x3E Promo Start, 0x40, 0x42, 0x10 Program Start, then any other type with a duration.
// Durations are never summed (a 0x34 nested in a 0x22 would double count).
std::optional<double> BreakDurationSeconds(const SpliceInfoSection& section);
std::optional<int64_t> BreakDurationTicks(const SpliceInfoSection& section);

}  // namespace ssai::scte35

#endif  // SSAI_REFERENCE_MEDIA_SCTE35_SPLICE_INFO_SECTION_H_
