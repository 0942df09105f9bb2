// A small MPEG-TS writer (ISO/IEC 13818-1): PAT/PMT sections, sections packetized on a PID,
// PES packets with a PTS. For tests, benchmarks, fuzz seeds and fixtures: it writes what the
// scanner (ts_scan.h) reads, with each PID's continuity_counter kept.
#ifndef SSAI_REFERENCE_MEDIA_TS_TS_WRITER_H_
#define SSAI_REFERENCE_MEDIA_TS_TS_WRITER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "reference/base/encoding.h"

namespace ssai::ts {

struct EsInfo {
  uint8_t stream_type = 0;
  uint16_t pid = 0;
  Bytes descriptors;  // ES_info descriptors, e.g. RegistrationDescriptor("CUEI")
};

// §2.4.4.3 program_association_section with one program, CRC_32 filled in.
Bytes PatSection(uint16_t program_number, uint16_t pmt_pid, uint16_t transport_stream_id = 1);
// ... with several programs: (program_number, PMT PID) each, in order.
Bytes PatSection(const std::vector<std::pair<uint16_t, uint16_t>>& programs, uint16_t transport_stream_id = 1);
// §2.4.4.8 TS_program_map_section, CRC_32 filled in. `program_info`: program descriptors.
Bytes PmtSection(uint16_t program_number, uint16_t pcr_pid, const std::vector<EsInfo>& streams,
                 const Bytes& program_info = {}, uint8_t version = 0);
// §2.6.8 registration_descriptor: tag 0x05, length 4, format_identifier (e.g. "CUEI").
Bytes RegistrationDescriptor(uint32_t format_identifier);

class TsWriter {
 public:
  // The packets carrying `sections` back to back on `pid`: a packet in which a section starts
  // has payload_unit_start_indicator set and a pointer_field to the first start; the last
  // packet is padded with 0xFF (§2.4.4).
  Bytes Sections(uint16_t pid, const std::vector<Bytes>& sections);
  Bytes Section(uint16_t pid, const Bytes& section) { return Sections(pid, {section}); }
  // One PES packet (§2.4.3.6) of `payload_bytes` filler bytes on `pid` with an optional PTS,
  // packetized (the last packet padded with an adaptation field). `pcr`: put a PCR (= pts)
  // in the first packet's adaptation field with random_access_indicator set.
  Bytes Pes(uint16_t pid, uint8_t stream_id, std::optional<int64_t> pts_ticks, size_t payload_bytes,
            bool pcr = false);
  // A null packet (PID 0x1FFF).
  static Bytes NullPacket();
  // PAT + PMT packets of the usual one-program layout (program 1, PMT on 0x1000, H.264 video on
  // 0x0100 as PCR PID, SCTE-35 on 0x01F5 with the CUEI registration): the fuzzers' preamble.
  Bytes Scte35ProgramTables();
  // Sets the next continuity_counter of `pid`.
  void SetCc(uint16_t pid, int cc) { cc_[pid] = cc & 0x0F; }

 private:
  int NextCc(uint16_t pid);
  std::map<uint16_t, int> cc_;
};

}  // namespace ssai::ts

#endif  // SSAI_REFERENCE_MEDIA_TS_TS_WRITER_H_
