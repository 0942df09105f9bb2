#include "reference/media/ts/ts_writer.h"

#include <algorithm>

#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_scan.h"

namespace ssai::ts {
namespace {

constexpr int kPacket = 188;

void PutU16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// Fills section_length (bytes 1-2, keeping the top 4 bits) and appends the CRC_32.
Bytes FinishSection(Bytes s) {
  const size_t length = s.size() - 3 + 4;
  s[1] = static_cast<uint8_t>((s[1] & 0xF0) | ((length >> 8) & 0x0F));
  s[2] = static_cast<uint8_t>(length);
  const uint32_t crc = scte35::Crc32Mpeg2(s);
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<uint8_t>(crc >> shift));
  return s;
}

}  // namespace

Bytes PatSection(uint16_t program_number, uint16_t pmt_pid, uint16_t transport_stream_id) {
  Bytes s = {0x00, 0xB0, 0x00};
  PutU16(s, transport_stream_id);
  s.push_back(0xC1);  // reserved, version 0, current_next_indicator 1
  s.push_back(0x00);  // section_number
  s.push_back(0x00);  // last_section_number
  PutU16(s, program_number);
  PutU16(s, static_cast<uint16_t>(0xE000 | pmt_pid));
  return FinishSection(std::move(s));
}

Bytes PatSection(const std::vector<std::pair<uint16_t, uint16_t>>& programs, uint16_t transport_stream_id) {
  Bytes s = {0x00, 0xB0, 0x00};
  PutU16(s, transport_stream_id);
  s.push_back(0xC1);  // reserved, version 0, current_next_indicator 1
  s.push_back(0x00);  // section_number
  s.push_back(0x00);  // last_section_number
  for (const auto& [program_number, pmt_pid] : programs) {
    PutU16(s, program_number);
    PutU16(s, static_cast<uint16_t>(0xE000 | pmt_pid));
  }
  return FinishSection(std::move(s));
}

Bytes PmtSection(uint16_t program_number, uint16_t pcr_pid, const std::vector<EsInfo>& streams,
                 const Bytes& program_info, uint8_t version) {
  Bytes s = {0x02, 0xB0, 0x00};
  PutU16(s, program_number);
  s.push_back(static_cast<uint8_t>(0xC1 | ((version & 0x1F) << 1)));
  s.push_back(0x00);
  s.push_back(0x00);
  PutU16(s, static_cast<uint16_t>(0xE000 | pcr_pid));
  PutU16(s, static_cast<uint16_t>(0xF000 | program_info.size()));
  s.insert(s.end(), program_info.begin(), program_info.end());
  for (const EsInfo& es : streams) {
    s.push_back(es.stream_type);
    PutU16(s, static_cast<uint16_t>(0xE000 | es.pid));
    PutU16(s, static_cast<uint16_t>(0xF000 | es.descriptors.size()));
    s.insert(s.end(), es.descriptors.begin(), es.descriptors.end());
  }
  return FinishSection(std::move(s));
}

Bytes RegistrationDescriptor(uint32_t format_identifier) {
  return {0x05, 0x04, static_cast<uint8_t>(format_identifier >> 24), static_cast<uint8_t>(format_identifier >> 16),
          static_cast<uint8_t>(format_identifier >> 8), static_cast<uint8_t>(format_identifier)};
}

int TsWriter::NextCc(uint16_t pid) {
  int& cc = cc_[pid];
  const int out = cc;
  cc = (cc + 1) & 0x0F;
  return out;
}

Bytes TsWriter::Sections(uint16_t pid, const std::vector<Bytes>& sections) {
  Bytes stream;
  std::vector<size_t> starts;
  for (const Bytes& s : sections) {
    starts.push_back(stream.size());
    stream.insert(stream.end(), s.begin(), s.end());
  }
  Bytes out;
  size_t pos = 0;
  size_t next_start = 0;  // index into starts
  while (pos < stream.size()) {
    while (next_start < starts.size() && starts[next_start] < pos) ++next_start;
    // A section starting within this packet's payload (after the pointer_field byte).
    const bool unit_start = next_start < starts.size() && starts[next_start] < pos + (kPacket - 5);
    const size_t header = out.size();
    out.insert(out.end(), {0x47, static_cast<uint8_t>((unit_start ? 0x40 : 0x00) | (pid >> 8)),
                           static_cast<uint8_t>(pid), static_cast<uint8_t>(0x10 | NextCc(pid))});
    size_t room = kPacket - 4;
    if (unit_start) {
      out.push_back(static_cast<uint8_t>(starts[next_start] - pos));
      --room;
    }
    const size_t take = std::min(room, stream.size() - pos);
    out.insert(out.end(), stream.begin() + static_cast<std::ptrdiff_t>(pos),
               stream.begin() + static_cast<std::ptrdiff_t>(pos + take));
    pos += take;
    out.resize(header + kPacket, 0xFF);
  }
  return out;
}

Bytes TsWriter::Pes(uint16_t pid, uint8_t stream_id, std::optional<int64_t> pts_ticks, size_t payload_bytes,
                    bool pcr) {
  Bytes pes = {0x00, 0x00, 0x01, stream_id, 0x00, 0x00, 0x80, static_cast<uint8_t>(pts_ticks ? 0x80 : 0x00),
               static_cast<uint8_t>(pts_ticks ? 5 : 0)};
  if (pts_ticks) {
    const int64_t p = *pts_ticks & ((int64_t{1} << 33) - 1);
    pes.push_back(static_cast<uint8_t>(0x21 | ((p >> 29) & 0x0E)));
    pes.push_back(static_cast<uint8_t>(p >> 22));
    pes.push_back(static_cast<uint8_t>(0x01 | ((p >> 14) & 0xFE)));
    pes.push_back(static_cast<uint8_t>(p >> 7));
    pes.push_back(static_cast<uint8_t>(0x01 | ((p << 1) & 0xFE)));
  }
  for (size_t i = 0; i < payload_bytes; ++i) pes.push_back(static_cast<uint8_t>(i * 7 + 1));
  const size_t pes_length = pes.size() - 6;
  if (pes_length <= 0xFFFF) {  // 0: unbounded (video only), as encoders write for large frames
    pes[4] = static_cast<uint8_t>(pes_length >> 8);
    pes[5] = static_cast<uint8_t>(pes_length);
  }
  Bytes out;
  size_t pos = 0;
  bool first = true;
  while (pos < pes.size()) {
    const size_t left = pes.size() - pos;
    Bytes af;  // adaptation field contents after adaptation_field_length
    if (first && pcr && pts_ticks) {
      const int64_t base = *pts_ticks & ((int64_t{1} << 33) - 1);
      af = {0x50,  // random_access_indicator + PCR_flag
            static_cast<uint8_t>(base >> 25), static_cast<uint8_t>(base >> 17), static_cast<uint8_t>(base >> 9),
            static_cast<uint8_t>(base >> 1), static_cast<uint8_t>(((base & 1) << 7) | 0x7E), 0x00};
    }
    bool has_af = !af.empty();
    size_t room = kPacket - 4 - (has_af ? 1 + af.size() : 0);
    if (left < room) {
      // Pad with adaptation-field stuffing so the payload ends the packet exactly (§2.4.3.5).
      const size_t pad = room - left;
      if (!has_af) {
        has_af = true;
        if (pad >= 2) {  // pad == 1: adaptation_field_length 0 alone
          af.push_back(0x00);  // flags
          af.insert(af.end(), pad - 2, 0xFF);
        }
      } else {
        af.insert(af.end(), pad, 0xFF);
      }
      room = left;
    }
    out.insert(out.end(), {0x47, static_cast<uint8_t>((first ? 0x40 : 0x00) | (pid >> 8)), static_cast<uint8_t>(pid),
                           static_cast<uint8_t>((has_af ? 0x30 : 0x10) | NextCc(pid))});
    if (has_af) {
      out.push_back(static_cast<uint8_t>(af.size()));
      out.insert(out.end(), af.begin(), af.end());
    }
    const size_t take = std::min(room, left);
    out.insert(out.end(), pes.begin() + static_cast<std::ptrdiff_t>(pos),
               pes.begin() + static_cast<std::ptrdiff_t>(pos + take));
    pos += take;
    first = false;
  }
  return out;
}

Bytes TsWriter::NullPacket() {
  Bytes p(kPacket, 0xFF);
  p[0] = 0x47;
  p[1] = 0x1F;
  p[2] = 0xFF;
  p[3] = 0x10;
  return p;
}

Bytes TsWriter::Scte35ProgramTables() {
  Bytes out = Section(kPatPid, PatSection(1, 0x1000));
  const Bytes pmt = Section(
      0x1000, PmtSection(1, 0x0100, {{0x1B, 0x0100, {}}, {kStreamTypeScte35, 0x01F5, RegistrationDescriptor(kCueiRegistration)}}));
  out.insert(out.end(), pmt.begin(), pmt.end());
  return out;
}

}  // namespace ssai::ts
