#include "reference/media/scte35/splice_info_section.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "reference/media/scte35/bits.h"

namespace ssai::scte35 {
namespace {

// ---------------------------------------------------------------------------------------------
// Errors. Every message starts with "byte N: " (N = offset in the section).
// ---------------------------------------------------------------------------------------------
std::string At(size_t byte) { return "byte " + std::to_string(byte) + ": "; }

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}
std::string Hex8(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%02x", v);
  return buf;
}

Status Truncated(size_t byte, std::string_view what, size_t need_bits, size_t have_bits) {
  return Status::OutOfRange(At(byte) + std::string(what) + " truncated: needs " +
                            std::to_string((need_bits + 7) / 8) + " more byte(s), " +
                            std::to_string(have_bits / 8) + " left");
}

// Keeps the reserved bits with the unused high bits of the byte set (header convention).
uint8_t KeepReserved(uint64_t bits, int width) {
  return static_cast<uint8_t>(bits | (0xFFu << width));
}

// Decoding state shared by the parse functions: `base` is the byte offset of the reader's first
// byte in the section, so errors name section offsets.
struct Cursor {
  BitReader r;
  size_t base;
  size_t Offset() const { return base + r.byte_position(); }
  // Checks that `bits` bits remain before reading `what`.
  Status Need(size_t bits, std::string_view what) const {
    if (r.RemainingBits() < bits) return Truncated(Offset(), what, bits, r.RemainingBits());
    return Status::Ok();
  }
};

struct Options {
  bool lenient = false;
  std::vector<std::string>* warnings = nullptr;
  void Warn(std::string message) const {
    if (warnings != nullptr) warnings->push_back(std::move(message));
  }
};

// ---------------------------------------------------------------------------------------------
// Commands (§9.7).
// ---------------------------------------------------------------------------------------------
// §9.8.1 splice_time(): 1 or 5 bytes.
Status ParseSpliceTime(Cursor& c, SpliceTime* t) {
  SSAI_RETURN_IF_ERROR(c.Need(8, "splice_time"));
  t->time_specified_flag = c.r.ReadFlag();
  if (t->time_specified_flag) {
    SSAI_RETURN_IF_ERROR(c.Need(39, "splice_time pts_time"));
    t->reserved = KeepReserved(c.r.Read(6), 6);
    t->pts_time_ticks = static_cast<int64_t>(c.r.Read(33));
  } else {
    t->reserved = KeepReserved(c.r.Read(7), 7);
    t->pts_time_ticks = 0;
  }
  return Status::Ok();
}

// §9.8.2 break_duration(): 5 bytes.
Status ParseBreakDuration(Cursor& c, BreakDuration* d) {
  SSAI_RETURN_IF_ERROR(c.Need(40, "break_duration"));
  d->auto_return = c.r.ReadFlag();
  d->reserved = KeepReserved(c.r.Read(6), 6);
  d->duration_ticks = static_cast<int64_t>(c.r.Read(33));
  return Status::Ok();
}

// §9.7.2 splice_schedule().
Status ParseSpliceSchedule(Cursor& c, SpliceSchedule* s) {
  SSAI_RETURN_IF_ERROR(c.Need(8, "splice_schedule splice_count"));
  const int count = c.r.ReadU8();
  s->events.reserve(count);
  for (int i = 0; i < count; ++i) {
    ScheduleEvent e;
    SSAI_RETURN_IF_ERROR(c.Need(40, "splice_schedule event"));
    e.splice_event_id = static_cast<uint32_t>(c.r.Read(32));
    e.splice_event_cancel_indicator = c.r.ReadFlag();
    e.reserved1 = KeepReserved(c.r.Read(7), 7);
    if (!e.splice_event_cancel_indicator) {
      SSAI_RETURN_IF_ERROR(c.Need(8, "splice_schedule event flags"));
      e.out_of_network_indicator = c.r.ReadFlag();
      e.program_splice_flag = c.r.ReadFlag();
      const bool duration_flag = c.r.ReadFlag();
      e.reserved2 = KeepReserved(c.r.Read(5), 5);
      if (e.program_splice_flag) {
        SSAI_RETURN_IF_ERROR(c.Need(32, "splice_schedule utc_splice_time"));
        e.utc_splice_time = static_cast<uint32_t>(c.r.Read(32));
      } else {
        SSAI_RETURN_IF_ERROR(c.Need(8, "splice_schedule component_count"));
        const int components = c.r.ReadU8();
        SSAI_RETURN_IF_ERROR(c.Need(static_cast<size_t>(components) * 40, "splice_schedule components"));
        e.components.resize(components);
        for (auto& comp : e.components) {
          comp.component_tag = c.r.ReadU8();
          comp.utc_splice_time = static_cast<uint32_t>(c.r.Read(32));
        }
      }
      if (duration_flag) {
        BreakDuration d;
        SSAI_RETURN_IF_ERROR(ParseBreakDuration(c, &d));
        e.break_duration = d;
      }
      SSAI_RETURN_IF_ERROR(c.Need(32, "splice_schedule unique_program_id/avail_num/avails_expected"));
      e.unique_program_id = static_cast<uint16_t>(c.r.Read(16));
      e.avail_num = c.r.ReadU8();
      e.avails_expected = c.r.ReadU8();
    }
    s->events.push_back(std::move(e));
  }
  return Status::Ok();
}

// §9.7.3 splice_insert().
Status ParseSpliceInsert(Cursor& c, SpliceInsert* s) {
  SSAI_RETURN_IF_ERROR(c.Need(40, "splice_insert"));
  s->splice_event_id = static_cast<uint32_t>(c.r.Read(32));
  s->splice_event_cancel_indicator = c.r.ReadFlag();
  s->reserved1 = KeepReserved(c.r.Read(7), 7);
  if (s->splice_event_cancel_indicator) return Status::Ok();
  SSAI_RETURN_IF_ERROR(c.Need(8, "splice_insert flags"));
  s->out_of_network_indicator = c.r.ReadFlag();
  s->program_splice_flag = c.r.ReadFlag();
  const bool duration_flag = c.r.ReadFlag();
  s->splice_immediate_flag = c.r.ReadFlag();
  s->event_id_compliance_flag = c.r.ReadFlag();
  s->reserved2 = KeepReserved(c.r.Read(3), 3);
  if (s->program_splice_flag && !s->splice_immediate_flag) {
    SSAI_RETURN_IF_ERROR(ParseSpliceTime(c, &s->splice_time));
  }
  if (!s->program_splice_flag) {
    SSAI_RETURN_IF_ERROR(c.Need(8, "splice_insert component_count"));
    const int count = c.r.ReadU8();
    s->components.resize(count);
    for (auto& comp : s->components) {
      SSAI_RETURN_IF_ERROR(c.Need(8, "splice_insert component_tag"));
      comp.component_tag = c.r.ReadU8();
      if (!s->splice_immediate_flag) SSAI_RETURN_IF_ERROR(ParseSpliceTime(c, &comp.splice_time));
    }
  }
  if (duration_flag) {
    BreakDuration d;
    SSAI_RETURN_IF_ERROR(ParseBreakDuration(c, &d));
    s->break_duration = d;
  }
  SSAI_RETURN_IF_ERROR(c.Need(32, "splice_insert unique_program_id/avail_num/avails_expected"));
  s->unique_program_id = static_cast<uint16_t>(c.r.Read(16));
  s->avail_num = c.r.ReadU8();
  s->avails_expected = c.r.ReadU8();
  return Status::Ok();
}

// Parses the command of `type` from `c`. `length_known` is false for the legacy 0xFFF length.
Status ParseCommand(Cursor& c, uint8_t type, bool length_known, SpliceCommand* out) {
  switch (type) {
    case 0x00:
      *out = SpliceNull{};
      return Status::Ok();
    case 0x04: {
      SpliceSchedule s;
      SSAI_RETURN_IF_ERROR(ParseSpliceSchedule(c, &s));
      *out = std::move(s);
      return Status::Ok();
    }
    case 0x05: {
      SpliceInsert s;
      SSAI_RETURN_IF_ERROR(ParseSpliceInsert(c, &s));
      *out = std::move(s);
      return Status::Ok();
    }
    case 0x06: {
      TimeSignal t;
      SSAI_RETURN_IF_ERROR(ParseSpliceTime(c, &t.splice_time));
      *out = t;
      return Status::Ok();
    }
    case 0x07:
      *out = BandwidthReservation{};
      return Status::Ok();
    case 0xFF: {
      if (!length_known) {
        return Status::InvalidArgument(
            At(c.Offset()) +
            "private_command with legacy splice_command_length 0xfff: its length is unknown");
      }
      SSAI_RETURN_IF_ERROR(c.Need(32, "private_command identifier"));
      PrivateCommand p;
      p.identifier = static_cast<uint32_t>(c.r.Read(32));
      p.private_bytes = c.r.ReadBytes(c.r.RemainingBytes());
      *out = std::move(p);
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(At(c.base - 1) + "unknown splice_command_type " + Hex8(type) +
                                     " (Table 7)");
  }
}

// ---------------------------------------------------------------------------------------------
// Descriptors (§10).
// ---------------------------------------------------------------------------------------------
Status ParseUpidValue(std::span<const uint8_t> bytes, size_t base, uint8_t type, int depth,
                      SegmentationUpid* upid);

// Table 21 note: MID() is a list of (segmentation_upid_type, segmentation_upid_length, upid).
Status ParseMid(std::span<const uint8_t> bytes, size_t base, int depth,
                std::vector<SegmentationUpid>* out) {
  if (depth >= kMaxMidDepth) {
    return Status::InvalidArgument(At(base) + "MID upid nested deeper than " +
                                   std::to_string(kMaxMidDepth) + " levels");
  }
  size_t pos = 0;
  while (pos < bytes.size()) {  // each iteration consumes >= 2 bytes
    if (bytes.size() - pos < 2) {
      return Status::OutOfRange(At(base + pos) + "MID entry header truncated (1 byte left in MID)");
    }
    const uint8_t type = bytes[pos];
    const size_t length = bytes[pos + 1];
    if (length > bytes.size() - pos - 2) {
      return Status::InvalidArgument(At(base + pos + 1) + "MID segmentation_upid_length " +
                                     std::to_string(length) + " overflows MID (" +
                                     std::to_string(bytes.size() - pos - 2) + " bytes left)");
    }
    SegmentationUpid entry;
    SSAI_RETURN_IF_ERROR(
        ParseUpidValue(bytes.subspan(pos + 2, length), base + pos + 2, type, depth + 1, &entry));
    out->push_back(std::move(entry));
    pos += 2 + length;
  }
  return Status::Ok();
}

Status ParseUpidValue(std::span<const uint8_t> bytes, size_t base, uint8_t type, int depth,
                      SegmentationUpid* upid) {
  upid->type = type;
  if (type == static_cast<uint8_t>(UpidType::kMid)) {
    upid->value.clear();
    return ParseMid(bytes, base, depth, &upid->mid);
  }
  upid->value.assign(bytes.begin(), bytes.end());
  return Status::Ok();
}

// §10.3.3 segmentation_descriptor(), after the identifier.
Status ParseSegmentation(Cursor& c, const Options& opt, SegmentationDescriptor* d) {
  SSAI_RETURN_IF_ERROR(c.Need(40, "segmentation_descriptor"));
  d->segmentation_event_id = static_cast<uint32_t>(c.r.Read(32));
  d->segmentation_event_cancel_indicator = c.r.ReadFlag();
  d->segmentation_event_id_compliance_indicator = c.r.ReadFlag();
  d->reserved1 = KeepReserved(c.r.Read(6), 6);
  if (d->segmentation_event_cancel_indicator) return Status::Ok();
  SSAI_RETURN_IF_ERROR(c.Need(8, "segmentation_descriptor flags"));
  d->program_segmentation_flag = c.r.ReadFlag();
  const bool duration_flag = c.r.ReadFlag();
  d->delivery_not_restricted_flag = c.r.ReadFlag();
  d->web_delivery_allowed_flag = c.r.ReadFlag();
  d->no_regional_blackout_flag = c.r.ReadFlag();
  d->archive_allowed_flag = c.r.ReadFlag();
  d->device_restrictions = static_cast<uint8_t>(c.r.Read(2));
  if (!d->program_segmentation_flag) {
    SSAI_RETURN_IF_ERROR(c.Need(8, "segmentation_descriptor component_count"));
    const int count = c.r.ReadU8();
    SSAI_RETURN_IF_ERROR(c.Need(static_cast<size_t>(count) * 48, "segmentation_descriptor components"));
    d->components.resize(count);
    for (auto& comp : d->components) {
      comp.component_tag = c.r.ReadU8();
      comp.reserved = KeepReserved(c.r.Read(7), 7);
      comp.pts_offset_ticks = static_cast<int64_t>(c.r.Read(33));
    }
  }
  if (duration_flag) {
    SSAI_RETURN_IF_ERROR(c.Need(40, "segmentation_duration"));
    d->segmentation_duration_ticks = c.r.Read(40);
  }
  SSAI_RETURN_IF_ERROR(c.Need(16, "segmentation_upid_type/segmentation_upid_length"));
  const uint8_t upid_type = c.r.ReadU8();
  const size_t upid_length_offset = c.Offset();
  const size_t upid_length = c.r.ReadU8();
  if (upid_length > c.r.RemainingBytes()) {
    return Status::InvalidArgument(At(upid_length_offset) + "segmentation_upid_length " +
                                   std::to_string(upid_length) + " overflows the descriptor (" +
                                   std::to_string(c.r.RemainingBytes()) + " bytes left)");
  }
  const size_t upid_offset = c.Offset();
  const Bytes upid_bytes = c.r.ReadBytes(upid_length);
  Status upid_status = ParseUpidValue(upid_bytes, upid_offset, upid_type, 0, &d->upid);
  if (!upid_status.ok()) {
    if (!opt.lenient) return upid_status;
    opt.Warn(upid_status.message() + " (kept raw)");
    d->upid.mid.clear();
    d->upid.value = upid_bytes;
  }
  SSAI_RETURN_IF_ERROR(c.Need(24, "segmentation_type_id/segment_num/segments_expected"));
  d->segmentation_type_id = c.r.ReadU8();
  d->segment_num = c.r.ReadU8();
  d->segments_expected = c.r.ReadU8();
  // sub_segment_num/sub_segments_expected: present when the descriptor carries the two bytes
  // (defined for HasSubSegments() types since 2016; older encoders omit them).
  if (c.r.RemainingBytes() == 2) {
    d->sub_segment_num = c.r.ReadU8();
    d->sub_segments_expected = c.r.ReadU8();
  }
  return Status::Ok();
}

// Parses the body (after the identifier) of a CUEI descriptor with tag 0..4.
Status ParseCueiDescriptor(Cursor& c, uint8_t tag, uint32_t identifier, const Options& opt,
                           SpliceDescriptor* out) {
  switch (tag) {
    case 0x00: {  // §10.3.1
      AvailDescriptor d;
      d.identifier = identifier;
      SSAI_RETURN_IF_ERROR(c.Need(32, "avail_descriptor provider_avail_id"));
      d.provider_avail_id = static_cast<uint32_t>(c.r.Read(32));
      *out = d;
      return Status::Ok();
    }
    case 0x01: {  // §10.3.2
      DtmfDescriptor d;
      d.identifier = identifier;
      SSAI_RETURN_IF_ERROR(c.Need(16, "DTMF_descriptor"));
      d.preroll = c.r.ReadU8();
      const int count = static_cast<int>(c.r.Read(3));
      d.reserved = KeepReserved(c.r.Read(5), 5);
      SSAI_RETURN_IF_ERROR(c.Need(static_cast<size_t>(count) * 8, "DTMF_descriptor DTMF_char"));
      const Bytes chars = c.r.ReadBytes(count);
      d.dtmf_chars.assign(chars.begin(), chars.end());
      *out = std::move(d);
      return Status::Ok();
    }
    case 0x02: {
      SegmentationDescriptor d;
      d.identifier = identifier;
      SSAI_RETURN_IF_ERROR(ParseSegmentation(c, opt, &d));
      *out = std::move(d);
      return Status::Ok();
    }
    case 0x03: {  // §10.3.4
      TimeDescriptor d;
      d.identifier = identifier;
      SSAI_RETURN_IF_ERROR(c.Need(96, "time_descriptor"));
      d.tai_seconds = c.r.Read(48);
      d.tai_ns = static_cast<uint32_t>(c.r.Read(32));
      d.utc_offset = static_cast<uint16_t>(c.r.Read(16));
      *out = d;
      return Status::Ok();
    }
    case 0x04: {  // §10.3.5
      AudioDescriptor d;
      d.identifier = identifier;
      SSAI_RETURN_IF_ERROR(c.Need(8, "audio_descriptor audio_count"));
      const int count = static_cast<int>(c.r.Read(4));
      d.reserved = KeepReserved(c.r.Read(4), 4);
      SSAI_RETURN_IF_ERROR(c.Need(static_cast<size_t>(count) * 40, "audio_descriptor components"));
      d.components.resize(count);
      for (auto& a : d.components) {
        a.component_tag = c.r.ReadU8();
        a.iso_code = static_cast<uint32_t>(c.r.Read(24));
        a.bit_stream_mode = static_cast<uint8_t>(c.r.Read(3));
        a.num_channels = static_cast<uint8_t>(c.r.Read(4));
        a.full_srvc_audio = c.r.ReadFlag();
      }
      *out = std::move(d);
      return Status::Ok();
    }
    default:
      return Status::Internal("unreachable descriptor tag");
  }
}

std::string_view TagName(uint8_t tag) {
  switch (tag) {
    case 0: return "avail_descriptor";
    case 1: return "DTMF_descriptor";
    case 2: return "segmentation_descriptor";
    case 3: return "time_descriptor";
    case 4: return "audio_descriptor";
    default: return "descriptor";
  }
}

// §9.6 descriptor loop over section bytes [begin, end).
Status ParseDescriptors(std::span<const uint8_t> section, size_t begin, size_t end,
                        const Options& opt, std::vector<SpliceDescriptor>* out) {
  size_t pos = begin;
  while (pos < end) {  // each iteration consumes >= 6 bytes or returns
    const size_t left = end - pos;
    if (left < 2) {
      Status s = Status::OutOfRange(At(pos) + "descriptor header truncated (" +
                                    std::to_string(left) + " byte left in descriptor loop)");
      if (!opt.lenient) return s;
      opt.Warn(s.message() + " (ignored)");
      return Status::Ok();
    }
    const uint8_t tag = section[pos];
    const size_t length = section[pos + 1];
    if (length > left - 2) {
      Status s = Status::InvalidArgument(At(pos + 1) + "descriptor_length " + std::to_string(length) +
                                         " overflows descriptor loop (" + std::to_string(left - 2) +
                                         " bytes left)");
      if (!opt.lenient) return s;
      opt.Warn(s.message() + " (descriptor dropped)");
      return Status::Ok();
    }
    if (length < 4) {
      Status s = Status::InvalidArgument(At(pos + 1) + "descriptor_length " + std::to_string(length) +
                                         " is shorter than the 4-byte identifier (§10.2)");
      if (!opt.lenient) return s;
      opt.Warn(s.message() + " (descriptor dropped)");
      pos += 2 + length;
      continue;
    }
    const auto body = section.subspan(pos + 2, length);
    const uint32_t identifier = (uint32_t{body[0]} << 24) | (uint32_t{body[1]} << 16) |
                                (uint32_t{body[2]} << 8) | body[3];
    auto make_private = [&] {
      PrivateDescriptor p;
      p.tag = tag;
      p.identifier = identifier;
      p.private_bytes.assign(body.begin() + 4, body.end());
      return p;
    };
    if (identifier != kCueiIdentifier || tag > 4) {
      out->push_back(make_private());
    } else {
      Cursor c{BitReader(body.subspan(4)), pos + 6};
      SpliceDescriptor d;
      Status s = ParseCueiDescriptor(c, tag, identifier, opt, &d);
      if (s.ok() && c.r.RemainingBytes() != 0) {
        s = Status::InvalidArgument(At(c.Offset()) + std::string(TagName(tag)) + " has " +
                                    std::to_string(c.r.RemainingBytes()) +
                                    " byte(s) after its last field (descriptor_length " +
                                    std::to_string(length) + ")");
      }
      if (s.ok()) {
        out->push_back(std::move(d));
      } else {
        if (!opt.lenient) return s;
        opt.Warn(s.message() + " (kept as private descriptor)");
        out->push_back(make_private());
      }
    }
    pos += 2 + length;
  }
  return Status::Ok();
}

// §9.6 splice_info_section().
Result<SpliceInfoSection> DecodeImpl(std::span<const uint8_t> input, const Options& opt) {
  constexpr size_t kMinSectionLength = 17;  // splice_null, no descriptors (11 + 2 + 4)
  if (input.size() < 3) {
    return Status::OutOfRange(At(input.size()) + "input is " + std::to_string(input.size()) +
                              " byte(s); a splice_info_section needs at least 20");
  }
  if (input[0] != kTableId) {
    return Status::InvalidArgument(At(0) + "table_id " + Hex8(input[0]) +
                                   " is not 0xfc (splice_info_section, §9.6)");
  }
  const size_t section_length = ((size_t{input[1]} & 0x0F) << 8) | input[2];
  size_t total = 3 + section_length;
  if (section_length < kMinSectionLength) {
    return Status::InvalidArgument(At(1) + "section_length " + std::to_string(section_length) +
                                   " is below the minimum of 17");
  }
  if (total > input.size()) {
    std::string m = At(1) + "section_length " + std::to_string(section_length) + " needs " +
                    std::to_string(section_length) + " bytes after byte 3, only " +
                    std::to_string(input.size() - 3) + " present (truncated)";
    if (!opt.lenient || input.size() < 3 + kMinSectionLength) return Status::OutOfRange(m);
    opt.Warn(m + " (decoding the bytes present)");
    total = input.size();
  }
  // ISO/IEC 13818-1 §2.4.4: once a section ends, the rest of its transport packet is stuffing
  // (0xFF). Anything else after section_length is not part of this section.
  uint32_t stuffing = 0;
  if (total < input.size()) {
    size_t other = total;
    while (other < input.size() && input[other] == 0xFF) ++other;
    if (other == input.size()) {
      stuffing = static_cast<uint32_t>(input.size() - total);  // < 2^32: inputs are far smaller
    } else {
      std::string m = At(other) + "byte " + Hex8(input[other]) + " after the end of the section " +
                      "(section_length " + std::to_string(section_length) + ", " +
                      std::to_string(input.size() - total) +
                      " byte(s) follow) is not 0xff stuffing (ISO/IEC 13818-1 §2.4.4)";
      if (!opt.lenient) return Status::InvalidArgument(m);
      opt.Warn(m + " (ignored)");
    }
  }
  const auto section = input.subspan(0, total);
  const size_t crc_pos = total - 4;
  const uint32_t crc_read = (uint32_t{section[crc_pos]} << 24) |
                            (uint32_t{section[crc_pos + 1]} << 16) |
                            (uint32_t{section[crc_pos + 2]} << 8) | section[crc_pos + 3];
  const uint32_t crc_computed = Crc32Mpeg2(section.subspan(0, crc_pos));
  if (crc_read != crc_computed) {
    std::string m = At(crc_pos) + "CRC_32 " + Hex32(crc_read) + " does not match computed " +
                    Hex32(crc_computed);
    if (!opt.lenient) return Status::DataLoss(m);
    opt.Warn(m + " (ignored)");
  }

  SpliceInfoSection s;
  s.crc_32 = crc_read;
  s.stuffing_bytes = stuffing;
  BitReader h(section.subspan(0, 14));  // fixed header, 14 bytes (always present: total >= 20)
  s.table_id = h.ReadU8();
  s.section_syntax_indicator = h.ReadFlag();
  s.private_indicator = h.ReadFlag();
  s.sap_type = static_cast<uint8_t>(h.Read(2));
  s.section_length = static_cast<uint16_t>(h.Read(12));
  s.protocol_version = h.ReadU8();
  s.encrypted_packet = h.ReadFlag();
  s.encryption_algorithm = static_cast<uint8_t>(h.Read(6));
  s.pts_adjustment_ticks = static_cast<int64_t>(h.Read(33));
  s.cw_index = h.ReadU8();
  s.tier = static_cast<uint16_t>(h.Read(12));
  s.splice_command_length = static_cast<uint16_t>(h.Read(12));

  if (s.encrypted_packet) {
    // §9.6 / §11: splice_command_type .. E_CRC_32 are encrypted; keep them raw.
    if (crc_pos < 13 + 4) {
      return Status::OutOfRange(At(13) + "encrypted section too short for E_CRC_32");
    }
    s.encrypted_payload.assign(section.begin() + 13, section.begin() + (crc_pos - 4));
    const size_t e = crc_pos - 4;
    s.e_crc_32 = (uint32_t{section[e]} << 24) | (uint32_t{section[e + 1]} << 16) |
                 (uint32_t{section[e + 2]} << 8) | section[e + 3];
    return s;
  }

  s.splice_command_type = section[13];
  constexpr size_t kCommandStart = 14;
  // The command must leave room for descriptor_loop_length (2) before CRC_32.
  const size_t command_room = crc_pos - 2 - kCommandStart;
  const bool legacy = s.splice_command_length == kLegacySpliceCommandLength;
  size_t command_end;
  if (legacy) {
    Cursor c{BitReader(section.subspan(kCommandStart, command_room)), kCommandStart};
    SSAI_RETURN_IF_ERROR(ParseCommand(c, s.splice_command_type, false, &s.command));
    command_end = c.Offset();
  } else {
    if (s.splice_command_length > command_room) {
      return Status::InvalidArgument(At(11) + "splice_command_length " +
                                     std::to_string(s.splice_command_length) +
                                     " overflows the section (" + std::to_string(command_room) +
                                     " bytes left before descriptor_loop_length)");
    }
    Cursor c{BitReader(section.subspan(kCommandStart, s.splice_command_length)), kCommandStart};
    SSAI_RETURN_IF_ERROR(ParseCommand(c, s.splice_command_type, true, &s.command));
    command_end = kCommandStart + s.splice_command_length;
    if (c.r.RemainingBytes() != 0) {
      std::string m = At(c.Offset()) + "splice_command_length " +
                      std::to_string(s.splice_command_length) + " but " +
                      std::string(SpliceCommandName(s.splice_command_type)) + " ends after " +
                      std::to_string(c.Offset() - kCommandStart) + " bytes";
      if (!opt.lenient) return Status::InvalidArgument(m);
      opt.Warn(m + " (extra bytes ignored)");
    }
  }

  const size_t dll_pos = command_end;
  s.descriptor_loop_length =
      static_cast<uint16_t>((uint16_t{section[dll_pos]} << 8) | section[dll_pos + 1]);
  const size_t loop_begin = dll_pos + 2;
  size_t loop_end = loop_begin + s.descriptor_loop_length;
  if (loop_end > crc_pos) {
    std::string m = At(dll_pos) + "descriptor_loop_length " +
                    std::to_string(s.descriptor_loop_length) + " overflows the section (" +
                    std::to_string(crc_pos - loop_begin) + " bytes left before CRC_32)";
    if (!opt.lenient) return Status::InvalidArgument(m);
    opt.Warn(m + " (clamped)");
    loop_end = crc_pos;
  }
  SSAI_RETURN_IF_ERROR(ParseDescriptors(section, loop_begin, loop_end, opt, &s.descriptors));
  // Alignment stuffing (§9.6): whatever lies between the loop and CRC_32.
  s.alignment_stuffing.assign(section.begin() + loop_end, section.begin() + crc_pos);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Encoder.
// ---------------------------------------------------------------------------------------------
Status Range(bool ok, std::string_view field, uint64_t value, std::string_view limit) {
  if (ok) return Status::Ok();
  return Status::OutOfRange(std::string(field) + " " + std::to_string(value) + " does not fit " +
                            std::string(limit));
}

Status CheckTicks33(int64_t v, std::string_view field) {
  if (v < 0 || v >= kPtsWrap) {
    return Status::OutOfRange(std::string(field) + " " + std::to_string(v) +
                              " is outside [0, 2^33)");
  }
  return Status::Ok();
}

Status EncodeSpliceTime(const SpliceTime& t, std::string_view field, BitWriter& w) {
  w.WriteFlag(t.time_specified_flag);
  if (t.time_specified_flag) {
    SSAI_RETURN_IF_ERROR(CheckTicks33(t.pts_time_ticks, field));
    w.Write(t.reserved, 6);
    w.Write(static_cast<uint64_t>(t.pts_time_ticks), 33);
  } else {
    w.Write(t.reserved, 7);
  }
  return Status::Ok();
}

Status EncodeBreakDuration(const BreakDuration& d, std::string_view field, BitWriter& w) {
  SSAI_RETURN_IF_ERROR(CheckTicks33(d.duration_ticks, field));
  w.WriteFlag(d.auto_return);
  w.Write(d.reserved, 6);
  w.Write(static_cast<uint64_t>(d.duration_ticks), 33);
  return Status::Ok();
}

Status EncodeCommand(const SpliceCommand& command, BitWriter& w) {
  if (const auto* sched = std::get_if<SpliceSchedule>(&command)) {
    SSAI_RETURN_IF_ERROR(Range(sched->events.size() <= 255, "splice_schedule splice_count",
                               sched->events.size(), "8 bits"));
    w.Write(sched->events.size(), 8);
    for (const auto& e : sched->events) {
      w.Write(e.splice_event_id, 32);
      w.WriteFlag(e.splice_event_cancel_indicator);
      w.Write(e.reserved1, 7);
      if (e.splice_event_cancel_indicator) continue;
      w.WriteFlag(e.out_of_network_indicator);
      w.WriteFlag(e.program_splice_flag);
      w.WriteFlag(e.break_duration.has_value());
      w.Write(e.reserved2, 5);
      if (e.program_splice_flag) {
        w.Write(e.utc_splice_time, 32);
      } else {
        SSAI_RETURN_IF_ERROR(Range(e.components.size() <= 255, "splice_schedule component_count",
                                   e.components.size(), "8 bits"));
        w.Write(e.components.size(), 8);
        for (const auto& c : e.components) {
          w.Write(c.component_tag, 8);
          w.Write(c.utc_splice_time, 32);
        }
      }
      if (e.break_duration) {
        SSAI_RETURN_IF_ERROR(
            EncodeBreakDuration(*e.break_duration, "splice_schedule break_duration", w));
      }
      w.Write(e.unique_program_id, 16);
      w.Write(e.avail_num, 8);
      w.Write(e.avails_expected, 8);
    }
  } else if (const auto* s = std::get_if<SpliceInsert>(&command)) {
    w.Write(s->splice_event_id, 32);
    w.WriteFlag(s->splice_event_cancel_indicator);
    w.Write(s->reserved1, 7);
    if (!s->splice_event_cancel_indicator) {
      w.WriteFlag(s->out_of_network_indicator);
      w.WriteFlag(s->program_splice_flag);
      w.WriteFlag(s->break_duration.has_value());
      w.WriteFlag(s->splice_immediate_flag);
      w.WriteFlag(s->event_id_compliance_flag);
      w.Write(s->reserved2, 3);
      if (s->program_splice_flag && !s->splice_immediate_flag) {
        SSAI_RETURN_IF_ERROR(EncodeSpliceTime(s->splice_time, "splice_insert pts_time", w));
      }
      if (!s->program_splice_flag) {
        SSAI_RETURN_IF_ERROR(Range(s->components.size() <= 255, "splice_insert component_count",
                                   s->components.size(), "8 bits"));
        w.Write(s->components.size(), 8);
        for (const auto& c : s->components) {
          w.Write(c.component_tag, 8);
          if (!s->splice_immediate_flag) {
            SSAI_RETURN_IF_ERROR(EncodeSpliceTime(c.splice_time, "splice_insert component pts_time", w));
          }
        }
      }
      if (s->break_duration) {
        SSAI_RETURN_IF_ERROR(EncodeBreakDuration(*s->break_duration, "splice_insert break_duration", w));
      }
      w.Write(s->unique_program_id, 16);
      w.Write(s->avail_num, 8);
      w.Write(s->avails_expected, 8);
    }
  } else if (const auto* t = std::get_if<TimeSignal>(&command)) {
    SSAI_RETURN_IF_ERROR(EncodeSpliceTime(t->splice_time, "time_signal pts_time", w));
  } else if (const auto* p = std::get_if<PrivateCommand>(&command)) {
    w.Write(p->identifier, 32);
    w.WriteBytes(p->private_bytes);
  }
  return Status::Ok();
}

Status EncodeUpidValue(const SegmentationUpid& upid, int depth, Bytes* out) {
  if (upid.type != static_cast<uint8_t>(UpidType::kMid) || !upid.value.empty()) {
    out->insert(out->end(), upid.value.begin(), upid.value.end());
    return Status::Ok();
  }
  if (depth >= kMaxMidDepth) {
    return Status::OutOfRange("MID upid nested deeper than " + std::to_string(kMaxMidDepth) +
                              " levels");
  }
  for (const auto& entry : upid.mid) {
    Bytes inner;
    SSAI_RETURN_IF_ERROR(EncodeUpidValue(entry, depth + 1, &inner));
    SSAI_RETURN_IF_ERROR(Range(inner.size() <= 255, "MID entry segmentation_upid_length",
                               inner.size(), "8 bits"));
    out->push_back(entry.type);
    out->push_back(static_cast<uint8_t>(inner.size()));
    out->insert(out->end(), inner.begin(), inner.end());
  }
  return Status::Ok();
}

Status EncodeSegmentation(const SegmentationDescriptor& d, BitWriter& w) {
  w.Write(d.segmentation_event_id, 32);
  w.WriteFlag(d.segmentation_event_cancel_indicator);
  w.WriteFlag(d.segmentation_event_id_compliance_indicator);
  w.Write(d.reserved1, 6);
  if (d.segmentation_event_cancel_indicator) return Status::Ok();
  w.WriteFlag(d.program_segmentation_flag);
  w.WriteFlag(d.segmentation_duration_ticks.has_value());
  w.WriteFlag(d.delivery_not_restricted_flag);
  w.WriteFlag(d.web_delivery_allowed_flag);
  w.WriteFlag(d.no_regional_blackout_flag);
  w.WriteFlag(d.archive_allowed_flag);
  SSAI_RETURN_IF_ERROR(Range(d.device_restrictions <= 3, "device_restrictions",
                             d.device_restrictions, "2 bits"));
  w.Write(d.device_restrictions, 2);
  if (!d.program_segmentation_flag) {
    SSAI_RETURN_IF_ERROR(Range(d.components.size() <= 255, "segmentation_descriptor component_count",
                               d.components.size(), "8 bits"));
    w.Write(d.components.size(), 8);
    for (const auto& c : d.components) {
      SSAI_RETURN_IF_ERROR(CheckTicks33(c.pts_offset_ticks, "segmentation component pts_offset"));
      w.Write(c.component_tag, 8);
      w.Write(c.reserved, 7);
      w.Write(static_cast<uint64_t>(c.pts_offset_ticks), 33);
    }
  }
  if (d.segmentation_duration_ticks) {
    SSAI_RETURN_IF_ERROR(Range(*d.segmentation_duration_ticks < (uint64_t{1} << 40),
                               "segmentation_duration", *d.segmentation_duration_ticks, "40 bits"));
    w.Write(*d.segmentation_duration_ticks, 40);
  }
  Bytes upid;
  SSAI_RETURN_IF_ERROR(EncodeUpidValue(d.upid, 0, &upid));
  SSAI_RETURN_IF_ERROR(Range(upid.size() <= 255, "segmentation_upid_length", upid.size(), "8 bits"));
  w.Write(d.upid.type, 8);
  w.Write(upid.size(), 8);
  w.WriteBytes(upid);
  w.Write(d.segmentation_type_id, 8);
  w.Write(d.segment_num, 8);
  w.Write(d.segments_expected, 8);
  if (d.sub_segment_num || d.sub_segments_expected) {
    w.Write(d.sub_segment_num.value_or(0), 8);
    w.Write(d.sub_segments_expected.value_or(0), 8);
  }
  return Status::Ok();
}

Status EncodeDescriptor(const SpliceDescriptor& descriptor, Bytes* out) {
  const size_t start = out->size();
  out->push_back(DescriptorTagOf(descriptor));
  out->push_back(0);  // descriptor_length, patched below
  BitWriter w(out);
  if (const auto* p = std::get_if<PrivateDescriptor>(&descriptor)) {
    w.Write(p->identifier, 32);
    w.WriteBytes(p->private_bytes);
  } else if (const auto* a = std::get_if<AvailDescriptor>(&descriptor)) {
    w.Write(a->identifier, 32);
    w.Write(a->provider_avail_id, 32);
  } else if (const auto* d = std::get_if<DtmfDescriptor>(&descriptor)) {
    SSAI_RETURN_IF_ERROR(Range(d->dtmf_chars.size() <= 7, "DTMF_descriptor dtmf_count",
                               d->dtmf_chars.size(), "3 bits"));
    w.Write(d->identifier, 32);
    w.Write(d->preroll, 8);
    w.Write(d->dtmf_chars.size(), 3);
    w.Write(d->reserved, 5);
    for (char ch : d->dtmf_chars) w.Write(static_cast<uint8_t>(ch), 8);
  } else if (const auto* sd = std::get_if<SegmentationDescriptor>(&descriptor)) {
    w.Write(sd->identifier, 32);
    SSAI_RETURN_IF_ERROR(EncodeSegmentation(*sd, w));
  } else if (const auto* t = std::get_if<TimeDescriptor>(&descriptor)) {
    SSAI_RETURN_IF_ERROR(Range(t->tai_seconds < (uint64_t{1} << 48), "time_descriptor TAI_seconds",
                               t->tai_seconds, "48 bits"));
    w.Write(t->identifier, 32);
    w.Write(t->tai_seconds, 48);
    w.Write(t->tai_ns, 32);
    w.Write(t->utc_offset, 16);
  } else if (const auto* au = std::get_if<AudioDescriptor>(&descriptor)) {
    SSAI_RETURN_IF_ERROR(Range(au->components.size() <= 15, "audio_descriptor audio_count",
                               au->components.size(), "4 bits"));
    w.Write(au->identifier, 32);
    w.Write(au->components.size(), 4);
    w.Write(au->reserved, 4);
    for (const auto& c : au->components) {
      SSAI_RETURN_IF_ERROR(Range(c.iso_code <= 0xFFFFFF, "audio ISO_code", c.iso_code, "24 bits"));
      SSAI_RETURN_IF_ERROR(Range(c.bit_stream_mode <= 7, "audio Bit_Stream_Mode", c.bit_stream_mode, "3 bits"));
      SSAI_RETURN_IF_ERROR(Range(c.num_channels <= 15, "audio Num_Channels", c.num_channels, "4 bits"));
      w.Write(c.component_tag, 8);
      w.Write(c.iso_code, 24);
      w.Write(c.bit_stream_mode, 3);
      w.Write(c.num_channels, 4);
      w.WriteFlag(c.full_srvc_audio);
    }
  }
  const size_t length = out->size() - start - 2;
  SSAI_RETURN_IF_ERROR(Range(length <= 255, std::string(DescriptorName(descriptor)) + " descriptor_length",
                             length, "8 bits"));
  (*out)[start + 1] = static_cast<uint8_t>(length);
  return Status::Ok();
}

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i << 24;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : (crc << 1);
    }
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

bool IsHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API.
// ---------------------------------------------------------------------------------------------
uint32_t Crc32Mpeg2(std::span<const uint8_t> bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : bytes) crc = (crc << 8) ^ kCrcTable[((crc >> 24) ^ b) & 0xFF];
  return crc;
}

int64_t SecondsToTicks(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * static_cast<double>(kTicksPerSecond)));
}

std::string_view SpliceCommandName(uint8_t type) {
  switch (type) {
    case 0x00: return "Splice Null";
    case 0x04: return "Splice Schedule";
    case 0x05: return "Splice Insert";
    case 0x06: return "Time Signal";
    case 0x07: return "Bandwidth Reservation";
    case 0xFF: return "Private Command";
    default: return "Reserved";
  }
}

uint8_t CommandType(const SpliceCommand& command) {
  switch (command.index()) {
    case 0: return 0x00;
    case 1: return 0x04;
    case 2: return 0x05;
    case 3: return 0x06;
    case 4: return 0x07;
    default: return 0xFF;
  }
}

uint8_t DescriptorTagOf(const SpliceDescriptor& descriptor) {
  switch (descriptor.index()) {
    case 0: return 0x00;
    case 1: return 0x01;
    case 2: return 0x02;
    case 3: return 0x03;
    case 4: return 0x04;
    default: return std::get<PrivateDescriptor>(descriptor).tag;
  }
}

std::string_view DescriptorName(const SpliceDescriptor& descriptor) {
  switch (descriptor.index()) {
    case 0: return "Avail Descriptor";
    case 1: return "DTMF Descriptor";
    case 2: return "Segmentation Descriptor";
    case 3: return "Time Descriptor";
    case 4: return "Audio Descriptor";
    default: return "Private Descriptor";
  }
}

std::string_view UpidTypeName(uint8_t t) {
  switch (t) {
    case 0x00: return "No UPID";
    case 0x01: return "Deprecated";
    case 0x02: return "Deprecated";
    case 0x03: return "AdID";
    case 0x04: return "UMID";
    case 0x05: return "ISAN";
    case 0x06: return "ISAN";
    case 0x07: return "TID";
    case 0x08: return "AiringID";
    case 0x09: return "ADI";
    case 0x0A: return "EIDR";
    case 0x0B: return "ATSC";
    case 0x0C: return "MPU";
    case 0x0D: return "MID";
    case 0x0E: return "ADS Info";
    case 0x0F: return "URI";
    case 0x10: return "UUID";
    case 0x11: return "SCR";
    default: return "Unknown";
  }
}

std::optional<int> UpidFixedLength(uint8_t t) {
  switch (t) {
    case 0x00: return 0;
    case 0x02: return 8;
    case 0x03: return 12;
    case 0x04: return 32;
    case 0x05: return 8;
    case 0x06: return 12;
    case 0x07: return 12;
    case 0x08: return 8;
    case 0x0A: return 12;
    case 0x10: return 16;
    default: return std::nullopt;
  }
}

std::optional<AtscContentIdentifier> DecodeAtscUpid(const SegmentationUpid& upid) {
  if (upid.type != 0x0B || upid.value.size() < 4) return std::nullopt;
  BitReader r(upid.value);
  AtscContentIdentifier a;
  a.tsid = static_cast<uint16_t>(r.Read(16));
  a.reserved = static_cast<uint8_t>(r.Read(2));
  a.end_of_day = static_cast<uint8_t>(r.Read(5));
  a.unique_for = static_cast<uint16_t>(r.Read(9));
  a.content_id.assign(upid.value.begin() + 4, upid.value.end());
  return a;
}

std::optional<MpuUpid> DecodeMpuUpid(const SegmentationUpid& upid) {
  if (upid.type != 0x0C || upid.value.size() < 4) return std::nullopt;
  MpuUpid m;
  m.format_identifier = (uint32_t{upid.value[0]} << 24) | (uint32_t{upid.value[1]} << 16) |
                        (uint32_t{upid.value[2]} << 8) | upid.value[3];
  m.private_data.assign(upid.value.begin() + 4, upid.value.end());
  return m;
}

namespace {
bool IsPrintableAscii(const Bytes& b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}
// Python's hex(int): "0x" + lower-case digits without leading zeros ("0x0" for zero).
std::string PyHex(const Bytes& b) {
  std::string digits = HexEncode(b);
  size_t nz = digits.find_first_not_of('0');
  return "0x" + (nz == std::string::npos ? std::string("0") : digits.substr(nz));
}
}  // namespace

std::string UpidDisplay(const SegmentationUpid& upid) {
  const Bytes& v = upid.value;
  switch (upid.type) {
    case 0x00:
      return "No UPID";
    case 0x04: {  // UMID: 32-bit words in hex joined by '.'
      std::string out;
      for (size_t i = 0; i + 4 <= v.size(); i += 4) {
        if (!out.empty()) out += '.';
        out += HexEncode(Bytes(v.begin() + static_cast<std::ptrdiff_t>(i),
                               v.begin() + static_cast<std::ptrdiff_t>(i + 4)));
      }
      if (v.size() % 4 == 0 && !v.empty()) return out;
      return "0x" + HexEncode(v);
    }
    case 0x05:
    case 0x06:
    case 0x08:
      return PyHex(v);
    case 0x0A: {  // EIDR compact binary: 16-bit prefix + 80-bit suffix (threefive style)
      if (v.size() != 12) return "0x" + HexEncode(v);
      char buf[16];
      std::snprintf(buf, sizeof(buf), "0x%x", (unsigned{v[0]} << 8) | v[1]);
      return buf + HexEncode(Bytes(v.begin() + 2, v.end()));
    }
    default:
      if (IsPrintableAscii(v)) return std::string(v.begin(), v.end());
      return "0x" + HexEncode(v);
  }
}

std::string_view SegmentationTypeName(uint8_t t) {
  switch (t) {
    case 0x00: return "Not Indicated";
    case 0x01: return "Content Identification";
    case 0x02: return "Private";
    case 0x10: return "Program Start";
    case 0x11: return "Program End";
    case 0x12: return "Program Early Termination";
    case 0x13: return "Program Breakaway";
    case 0x14: return "Program Resumption";
    case 0x15: return "Program Runover Planned";
    case 0x16: return "Program Runover Unplanned";
    case 0x17: return "Program Overlap Start";
    case 0x18: return "Program Blackout Override";
    case 0x19: return "Program Join";
    case 0x20: return "Chapter Start";
    case 0x21: return "Chapter End";
    case 0x22: return "Break Start";
    case 0x23: return "Break End";
    case 0x24: return "Opening Credit Start";
    case 0x25: return "Opening Credit End";
    case 0x26: return "Closing Credit Start";
    case 0x27: return "Closing Credit End";
    case 0x30: return "Provider Advertisement Start";
    case 0x31: return "Provider Advertisement End";
    case 0x32: return "Distributor Advertisement Start";
    case 0x33: return "Distributor Advertisement End";
    case 0x34: return "Provider Placement Opportunity Start";
    case 0x35: return "Provider Placement Opportunity End";
    case 0x36: return "Distributor Placement Opportunity Start";
    case 0x37: return "Distributor Placement Opportunity End";
    case 0x38: return "Provider Overlay Placement Opportunity Start";
    case 0x39: return "Provider Overlay Placement Opportunity End";
    case 0x3A: return "Distributor Overlay Placement Opportunity Start";
    case 0x3B: return "Distributor Overlay Placement Opportunity End";
    case 0x3C: return "Provider Promo Start";
    case 0x3D: return "Provider Promo End";
    case 0x3E: return "Distributor Promo Start";
    case 0x3F: return "Distributor Promo End";
    case 0x40: return "Unscheduled Event Start";
    case 0x41: return "Unscheduled Event End";
    case 0x42: return "Alternate Content Opportunity Start";
    case 0x43: return "Alternate Content Opportunity End";
    case 0x44: return "Provider Ad Block Start";
    case 0x45: return "Provider Ad Block End";
    case 0x46: return "Distributor Ad Block Start";
    case 0x47: return "Distributor Ad Block End";
    case 0x50: return "Network Start";
    case 0x51: return "Network End";
    default: return "Unknown";
  }
}

bool HasSubSegments(uint8_t t) {
  switch (t) {
    case 0x30: case 0x32: case 0x34: case 0x36: case 0x38: case 0x3A: case 0x44: case 0x46:
      return true;
    default:
      return false;
  }
}

std::string_view DeviceRestrictionsName(uint8_t d) {
  switch (d & 3) {
    case 0: return "Restrict Group 0";
    case 1: return "Restrict Group 1";
    case 2: return "Restrict Group 2";
    default: return "No Restrictions";
  }
}

Result<SpliceInfoSection> Decode(std::span<const uint8_t> bytes) {
  return DecodeImpl(bytes, Options{});
}

Result<SpliceInfoSection> DecodeLenient(std::span<const uint8_t> bytes,
                                        std::vector<std::string>* warnings) {
  return DecodeImpl(bytes, Options{true, warnings});
}

Result<Bytes> DecodeCueText(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return Status::InvalidArgument("empty cue: expected base64 or hex");
  const bool prefixed = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  bool all_hex = true;
  for (char c : text) {
    if (!IsHexDigit(c)) {
      all_hex = false;
      break;
    }
  }
  // A base64 section starts with '/' (0xFC), so all-hex text is never a valid base64 section.
  if (prefixed || all_hex) {
    Result<Bytes> r = HexDecode(text);
    if (!r.ok()) return Status::InvalidArgument("not valid hex: " + r.status().message());
    return r;
  }
  Result<Bytes> r = Base64Decode(text);
  if (!r.ok()) return Status::InvalidArgument("not valid base64 or hex: " + r.status().message());
  return r;
}

Result<SpliceInfoSection> DecodeText(std::string_view text) {
  SSAI_ASSIGN_OR_RETURN(Bytes bytes, DecodeCueText(text));
  return Decode(bytes);
}

Result<SpliceInfoSection> DecodeTextLenient(std::string_view text,
                                            std::vector<std::string>* warnings) {
  SSAI_ASSIGN_OR_RETURN(Bytes bytes, DecodeCueText(text));
  return DecodeLenient(bytes, warnings);
}

Result<Bytes> Encode(const SpliceInfoSection& section) {
  const SpliceInfoSection& s = section;
  SSAI_RETURN_IF_ERROR(Range(s.sap_type <= 3, "sap_type", s.sap_type, "2 bits"));
  SSAI_RETURN_IF_ERROR(Range(s.encryption_algorithm <= 63, "encryption_algorithm",
                             s.encryption_algorithm, "6 bits"));
  SSAI_RETURN_IF_ERROR(Range(s.tier <= 0xFFF, "tier", s.tier, "12 bits"));
  SSAI_RETURN_IF_ERROR(CheckTicks33(s.pts_adjustment_ticks, "pts_adjustment"));
  Bytes out;
  out.reserve(64);
  BitWriter w(&out);
  w.Write(s.table_id, 8);
  w.WriteFlag(s.section_syntax_indicator);
  w.WriteFlag(s.private_indicator);
  w.Write(s.sap_type, 2);
  w.Write(0, 12);  // section_length, patched
  w.Write(s.protocol_version, 8);
  w.WriteFlag(s.encrypted_packet);
  w.Write(s.encryption_algorithm, 6);
  w.Write(static_cast<uint64_t>(s.pts_adjustment_ticks), 33);
  w.Write(s.cw_index, 8);
  w.Write(s.tier, 12);
  if (s.encrypted_packet) {
    // The command length cannot be recomputed without decrypting: keep it.
    SSAI_RETURN_IF_ERROR(Range(s.splice_command_length <= 0xFFF, "splice_command_length",
                               s.splice_command_length, "12 bits"));
    w.Write(s.splice_command_length, 12);
    w.WriteBytes(s.encrypted_payload);
    w.Write(s.e_crc_32.value_or(0), 32);
  } else {
    w.Write(0, 12);  // splice_command_length, patched
    const uint8_t type = CommandType(s.command);
    if (type == 0xFF && s.splice_command_length == kLegacySpliceCommandLength) {
      return Status::InvalidArgument(
          "private_command cannot use the legacy splice_command_length 0xfff");
    }
    w.Write(type, 8);
    const size_t command_start = out.size();
    SSAI_RETURN_IF_ERROR(EncodeCommand(s.command, w));
    const size_t command_length = out.size() - command_start;
    const size_t written_length = s.splice_command_length == kLegacySpliceCommandLength
                                      ? kLegacySpliceCommandLength
                                      : command_length;
    if (written_length != kLegacySpliceCommandLength && command_length >= 0xFFF) {
      return Status::OutOfRange("splice_command_length " + std::to_string(command_length) +
                                " does not fit 12 bits");
    }
    out[11] = static_cast<uint8_t>((out[11] & 0xF0) | ((written_length >> 8) & 0x0F));
    out[12] = static_cast<uint8_t>(written_length & 0xFF);
    const size_t dll_pos = out.size();
    out.push_back(0);
    out.push_back(0);
    for (const auto& d : s.descriptors) SSAI_RETURN_IF_ERROR(EncodeDescriptor(d, &out));
    const size_t dll = out.size() - dll_pos - 2;
    SSAI_RETURN_IF_ERROR(Range(dll <= 0xFFFF, "descriptor_loop_length", dll, "16 bits"));
    out[dll_pos] = static_cast<uint8_t>(dll >> 8);
    out[dll_pos + 1] = static_cast<uint8_t>(dll & 0xFF);
    out.insert(out.end(), s.alignment_stuffing.begin(), s.alignment_stuffing.end());
  }
  const size_t section_length = out.size() + 4 - 3;
  SSAI_RETURN_IF_ERROR(Range(section_length <= 0xFFF, "section_length", section_length, "12 bits"));
  out[1] = static_cast<uint8_t>((out[1] & 0xF0) | ((section_length >> 8) & 0x0F));
  out[2] = static_cast<uint8_t>(section_length & 0xFF);
  const uint32_t crc = Crc32Mpeg2(out);
  w.Write(crc, 32);
  return out;
}

Result<std::string> EncodeBase64(const SpliceInfoSection& section) {
  SSAI_ASSIGN_OR_RETURN(Bytes bytes, Encode(section));
  return Base64Encode(bytes);
}

std::optional<int64_t> SplicePtsTicks(const SpliceInfoSection& s) {
  if (const auto* t = std::get_if<TimeSignal>(&s.command)) {
    if (t->splice_time.time_specified_flag) return t->splice_time.pts_time_ticks;
    return std::nullopt;
  }
  if (const auto* i = std::get_if<SpliceInsert>(&s.command)) {
    if (i->splice_event_cancel_indicator || !i->program_splice_flag || i->splice_immediate_flag ||
        !i->splice_time.time_specified_flag) {
      return std::nullopt;
    }
    return i->splice_time.pts_time_ticks;
  }
  return std::nullopt;
}

std::optional<int64_t> EffectiveSplicePtsTicks(const SpliceInfoSection& s) {
  auto pts = SplicePtsTicks(s);
  if (!pts) return std::nullopt;
  return EffectivePts(*pts, s.pts_adjustment_ticks);
}

std::optional<int64_t> BreakDurationTicks(const SpliceInfoSection& s) {
  if (const auto* i = std::get_if<SpliceInsert>(&s.command)) {
    if (!i->splice_event_cancel_indicator && i->break_duration) return i->break_duration->duration_ticks;
  }
  static constexpr uint8_t kPriority[] = {0x22, 0x34, 0x36, 0x38, 0x3A, 0x30, 0x32, 0x44,
                                          0x46, 0x3C, 0x3E, 0x40, 0x42, 0x10};
  const SegmentationDescriptor* best = nullptr;
  int best_rank = 1 << 20;
  for (const auto& d : s.descriptors) {
    const auto* seg = std::get_if<SegmentationDescriptor>(&d);
    if (seg == nullptr || seg->segmentation_event_cancel_indicator ||
        !seg->segmentation_duration_ticks) {
      continue;
    }
    int rank = static_cast<int>(std::size(kPriority));
    for (size_t k = 0; k < std::size(kPriority); ++k) {
      if (kPriority[k] == seg->segmentation_type_id) rank = static_cast<int>(k);
    }
    if (rank < best_rank) {
      best_rank = rank;
      best = seg;
    }
  }
  if (best == nullptr) return std::nullopt;
  return static_cast<int64_t>(*best->segmentation_duration_ticks);
}

std::optional<double> BreakDurationSeconds(const SpliceInfoSection& s) {
  auto ticks = BreakDurationTicks(s);
  if (!ticks) return std::nullopt;
  return TicksToSeconds(*ticks);
}

}  // namespace ssai::scte35
