#include "reference/media/origin/ts_pool.h"

#include <utility>

namespace ssai::origin {
namespace {

// One 188-byte transport packet (ISO/IEC 13818-1 §2.4.3.2).
struct PacketView {
  uint16_t pid = 0;
  bool pusi = false;         // payload_unit_start_indicator
  bool has_payload = false;  // adaptation_field_control 01 or 11
  int af_bytes = 0;          // adaptation field incl. its length byte; 0 when absent
  int payload_at = 4;
};

Status PacketError(size_t index, std::string_view what) {
  return Status::InvalidArgument("MPEG-TS packet " + std::to_string(index) + ": " + std::string(what));
}

Result<PacketView> View(const unsigned char* p, size_t index) {
  if (p[0] != 0x47) return PacketError(index, "no sync byte 0x47");
  PacketView v;
  v.pid = static_cast<uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
  v.pusi = (p[1] & 0x40) != 0;
  const int afc = (p[3] >> 4) & 3;
  v.has_payload = (afc & 1) != 0;
  if (afc & 2) {
    v.af_bytes = 1 + p[4];
    if (4 + v.af_bytes > kTsPacketBytes) return PacketError(index, "adaptation_field_length past the packet end");
  }
  v.payload_at = 4 + v.af_bytes;
  return v;
}

Status CheckSize(std::string_view ts) {
  if (ts.size() % kTsPacketBytes != 0) {
    return Status::InvalidArgument("MPEG-TS: " + std::to_string(ts.size()) + " bytes is not a multiple of 188");
  }
  return Status::Ok();
}

int64_t Wrap(int64_t t) { return ((t % kPtsWrap) + kPtsWrap) % kPtsWrap; }

// PTS/DTS: 4-bit prefix, 33 bits split 3/15/15, each part followed by a marker bit (§2.4.3.7).
void ShiftTimestamp(unsigned char* b, int64_t shift) {
  int64_t t = (int64_t{(b[0] >> 1) & 7} << 30) | (int64_t{b[1]} << 22) | (int64_t{b[2] >> 1} << 15) |
              (int64_t{b[3]} << 7) | (b[4] >> 1);
  t = Wrap(t + shift);
  b[0] = static_cast<unsigned char>((b[0] & 0xF1) | ((t >> 29) & 0x0E));
  b[1] = static_cast<unsigned char>(t >> 22);
  b[2] = static_cast<unsigned char>(((t >> 14) & 0xFE) | 1);
  b[3] = static_cast<unsigned char>(t >> 7);
  b[4] = static_cast<unsigned char>(((t << 1) & 0xFE) | 1);
}

// PCR: program_clock_reference_base (33 bits), 6 reserved bits, extension (9 bits, 27 MHz part:
// unchanged by a whole number of 90 kHz ticks).
void ShiftPcr(unsigned char* b, int64_t shift) {
  int64_t base = (int64_t{b[0]} << 25) | (int64_t{b[1]} << 17) | (int64_t{b[2]} << 9) | (int64_t{b[3]} << 1) |
                 (b[4] >> 7);
  base = Wrap(base + shift);
  b[0] = static_cast<unsigned char>(base >> 25);
  b[1] = static_cast<unsigned char>(base >> 17);
  b[2] = static_cast<unsigned char>(base >> 9);
  b[3] = static_cast<unsigned char>(base >> 1);
  b[4] = static_cast<unsigned char>(((base & 1) << 7) | (b[4] & 0x7F));
}

}  // namespace

Result<PidCounts> CountPayloadPackets(std::string_view ts) {
  SSAI_RETURN_IF_ERROR(CheckSize(ts));
  PidCounts counts;
  const auto* data = reinterpret_cast<const unsigned char*>(ts.data());
  for (size_t i = 0; i * kTsPacketBytes < ts.size(); ++i) {
    SSAI_ASSIGN_OR_RETURN(PacketView v, View(data + i * kTsPacketBytes, i));
    if (v.has_payload) ++counts[v.pid];
  }
  return counts;
}

Result<std::string> RetimeTs(std::string_view ts, int64_t shift_90k, const PidCounts& cc_base) {
  SSAI_RETURN_IF_ERROR(CheckSize(ts));
  std::string out(ts);
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  std::map<uint16_t, int> next_cc;
  for (const auto& [pid, n] : cc_base) next_cc[pid] = static_cast<int>(((n % 16) + 16) % 16);
  for (size_t i = 0; i * kTsPacketBytes < out.size(); ++i) {
    unsigned char* p = data + i * kTsPacketBytes;
    SSAI_ASSIGN_OR_RETURN(PacketView v, View(p, i));
    if (v.pid == 0x1FFF) continue;  // null packets carry no counter that matters (§2.4.3.3)
    // §2.4.3.3: the counter advances on packets with payload only; others repeat the last value.
    int& cc = next_cc[v.pid];
    p[3] = static_cast<unsigned char>((p[3] & 0xF0) | (v.has_payload ? cc : (cc + 15) % 16));
    if (v.has_payload) cc = (cc + 1) % 16;
    if (shift_90k == 0) continue;
    // PCR_flag in the adaptation field (§2.4.3.4).
    if (v.af_bytes >= 8 && (p[5] & 0x10) != 0) ShiftPcr(p + 6, shift_90k);
    if (!v.pusi || !v.has_payload) continue;
    unsigned char* pes = p + v.payload_at;
    const int left = kTsPacketBytes - v.payload_at;
    // A PES packet of an audio (0xC0-0xDF) or video (0xE0-0xEF) stream (§2.4.3.6, Table 2-22);
    // PSI sections start with a pointer_field and a table id instead.
    if (left < 9 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1 || pes[3] < 0xC0 || pes[3] > 0xEF) continue;
    const int pts_dts_flags = pes[7] >> 6;
    const int need = 9 + (pts_dts_flags == 3 ? 10 : pts_dts_flags == 2 ? 5 : 0);
    if (need > left) return PacketError(i, "PES header cut by the packet end");
    if (pts_dts_flags & 2) ShiftTimestamp(pes + 9, shift_90k);
    if (pts_dts_flags == 3) ShiftTimestamp(pes + 14, shift_90k);
  }
  return out;
}

Result<TsPool> TsPool::Create(std::vector<std::string> segments, int64_t segment_duration_90k) {
  if (segments.empty()) return Status::InvalidArgument("TS pool: no segments");
  if (segment_duration_90k <= 0) return Status::InvalidArgument("TS pool: segment duration must be > 0");
  TsPool pool;
  pool.segment_duration_90k_ = segment_duration_90k;
  for (size_t j = 0; j < segments.size(); ++j) {
    pool.before_.push_back(pool.per_loop_);
    Result<PidCounts> c = CountPayloadPackets(segments[j]);
    if (!c.ok()) return c.status().WithContext("TS pool segment " + std::to_string(j));
    for (const auto& [pid, n] : *c) pool.per_loop_[pid] += n;
  }
  pool.segments_ = std::move(segments);
  return pool;
}

Result<std::string> TsPool::Segment(int64_t index) const {
  if (index < 0) return Status::OutOfRange("TS pool: segment index " + std::to_string(index) + " < 0");
  const int64_t k = static_cast<int64_t>(segments_.size());
  const int64_t loop = index / k;
  const size_t j = static_cast<size_t>(index % k);
  // Only the values mod 2^33 and mod 16 matter: reduce before multiplying (no overflow at any index).
  const int64_t loop_90k = Wrap(k * segment_duration_90k_);
  int64_t shift = 0;
  for (int64_t l = loop % kPtsWrap, term = loop_90k; l > 0; l >>= 1, term = Wrap(term * 2)) {
    if (l & 1) shift = Wrap(shift + term);
  }
  PidCounts base = before_[j];
  for (const auto& [pid, n] : per_loop_) base[pid] = (base[pid] + (loop % 16) * (n % 16)) % 16;
  return RetimeTs(segments_[j], shift, base);
}

}  // namespace ssai::origin
