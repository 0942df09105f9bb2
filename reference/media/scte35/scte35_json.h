// threefive-compatible JSON for a splice_info_section, and its inverse.
//
// ToJson() produces threefive's document (top-level `info_section`, `command`, `descriptors`;
// snake_case SCTE 35 names; times as decimal seconds, pts to 6 dp; `table_id` "0xfc", `sap_type`
// "0x03", `cw_index` "0x00", `tier` "0x0fff", `crc` "0x........", `segmentation_event_id`
// "0x4800008e"; null keys dropped) so output can be diffed against threefive. It adds the keys
// needed to re-encode the section exactly, all absent from threefive:
//   *_ticks            exact 90 kHz values beside the rounded seconds (pts_adjustment_ticks,
//                      pts_time_ticks, break_duration_ticks, segmentation_duration_ticks, ...)
//   segmentation_upid_hex  raw UPID bytes ("0x..."; MID entries carry their own)
//   components         component-mode loops (splice_insert, segmentation, audio, schedule)
//   reserved_*         reserved bits, only when they are not all ones
//   alignment_stuffing / encrypted_payload / e_crc_32 / private_data / private_bytes (hex)
//   stuffing_bytes     how many 0xFF bytes followed the section (TS packet stuffing, ISO/IEC
//                      13818-1 §2.4.4); only when there were any. threefive has no such key.
//   delivery_reserved  the 5 reserved delivery bits when delivery_not_restricted_flag is set
//                      and they are not all ones
// Known differences from threefive 2.4.99 (bugs there): UMID shows all 8 words zero-padded;
// splice_schedule, audio_descriptor and component loops are decoded; a non-ASCII text UPID
// shows as "0x" hex.
//
// FromJson() accepts that document (the *_ticks keys win over seconds; lengths and CRC are
// recomputed by Encode) and reports errors with the JSON path of the bad field
// ("descriptors[1].segmentation_upid_hex: not valid hex: ...").
#ifndef SSAI_REFERENCE_MEDIA_SCTE35_SCTE35_JSON_H_
#define SSAI_REFERENCE_MEDIA_SCTE35_SCTE35_JSON_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::scte35 {

// Key order follows threefive (ordered_json).
nlohmann::ordered_json ToJson(const SpliceInfoSection& section);

Result<SpliceInfoSection> FromJson(const nlohmann::json& json);
Result<SpliceInfoSection> FromJson(const nlohmann::ordered_json& json);
// Parses JSON text first ("JSON parse error at byte N: ..." on bad syntax).
Result<SpliceInfoSection> FromJsonText(std::string_view text);

// 6-decimal rounding used for every seconds value (threefive's pts_time format).
double RoundSeconds6(double seconds);

}  // namespace ssai::scte35

#endif  // SSAI_REFERENCE_MEDIA_SCTE35_SCTE35_JSON_H_
