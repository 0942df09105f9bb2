#include "reference/media/ts/ts_scan.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

namespace ssai::ts {
namespace {

// ISO/IEC 13818-1 §2.4.4.3 / §2.4.4.8: PAT and PMT section_length at most 1021.
constexpr int kMaxPsiSectionLength = 1021;

uint32_t ReadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string Hex2(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v);
  return buf;
}

// The CRC_32 at the end of a section (ISO/IEC 13818-1 Annex A; SCTE 35 §9.6): empty when it
// matches, else the message.
std::string CheckCrc(std::span<const uint8_t> s) {
  if (s.size() < 4) return "section of " + std::to_string(s.size()) + " bytes has no room for CRC_32";
  const uint32_t want = ReadU32(s.data() + s.size() - 4);
  const uint32_t got = scte35::Crc32Mpeg2(s.first(s.size() - 4));
  if (want == got) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "CRC_32 mismatch: section says 0x%08X, computed 0x%08X", want, got);
  return buf;
}

// PES stream_ids without the optional PES header (§2.4.3.7, Table 2-22).
bool HasPesHeader(uint8_t stream_id) {
  return !(stream_id == 0xBC || stream_id == 0xBE || stream_id == 0xBF || stream_id == 0xF0 ||
           stream_id == 0xF1 || stream_id == 0xF2 || stream_id == 0xF8 || stream_id == 0xFF);
}

}  // namespace

std::string PidHex(uint16_t pid) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", pid);
  return buf;
}

bool LooksLikeTs(std::span<const uint8_t> bytes) {
  if (bytes.size() < static_cast<size_t>(kPacketBytes)) return false;
  for (size_t i = 0, n = 0; i < bytes.size() && n < 5; i += kPacketBytes, ++n) {
    if (bytes[i] != kSyncByte) return false;
  }
  return true;
}

Scte35Scanner::Scte35Scanner() {
  slot_.fill(-1);
  Track(kPatPid, Role::kPat, 0);
}

Scte35Scanner::PidState& Scte35Scanner::Track(uint16_t pid, Role role, uint16_t program_number) {
  int16_t s = slot_[pid];
  if (s < 0) {
    if (!free_slots_.empty()) {
      s = free_slots_.back();
      free_slots_.pop_back();
      *states_[static_cast<size_t>(s)] = PidState{};
    } else {
      s = static_cast<int16_t>(states_.size());
      states_.push_back(std::make_unique<PidState>());
    }
    slot_[pid] = s;
  }
  PidState& st = *states_[static_cast<size_t>(s)];
  st.role = role;
  st.program_number = program_number;
  return st;
}

void Scte35Scanner::Untrack(uint16_t pid) {
  const int16_t s = slot_[pid];
  if (s < 0) return;
  slot_[pid] = -1;
  *states_[static_cast<size_t>(s)] = PidState{};
  free_slots_.push_back(s);
}

void Scte35Scanner::AddIssue(Issue::Kind kind, int64_t offset, uint16_t pid, StatusCode code,
                             const std::string& what) {
  if (kind == Issue::Kind::kContinuity) {
    ++stats_.continuity_errors;
  } else if (kind == Issue::Kind::kSection) {
    ++stats_.section_errors;
  }
  issues_.push_back(Issue{kind, offset, pid,
                          Status(code, "byte " + std::to_string(offset) + ": pid " + PidHex(pid) + ": " + what)});
}

std::vector<Cue> Scte35Scanner::TakeCues() { return std::exchange(cues_, {}); }
std::vector<Issue> Scte35Scanner::TakeIssues() { return std::exchange(issues_, {}); }

std::vector<uint16_t> Scte35Scanner::Scte35Pids() const {
  std::vector<uint16_t> out;
  for (int pid = 0; pid < kPidCount; ++pid) {
    if (slot_[pid] >= 0 && states_[static_cast<size_t>(slot_[pid])]->role == Role::kScte35) {
      out.push_back(static_cast<uint16_t>(pid));
    }
  }
  return out;
}

std::vector<uint16_t> Scte35Scanner::VideoPids() const {
  std::vector<uint16_t> out;
  for (int pid = 0; pid < kPidCount; ++pid) {
    if (slot_[pid] >= 0 && states_[static_cast<size_t>(slot_[pid])]->role == Role::kVideo) {
      out.push_back(static_cast<uint16_t>(pid));
    }
  }
  return out;
}

Status Scte35Scanner::Push(std::span<const uint8_t> bytes) {
  if (!fatal_.ok()) return fatal_;
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  stats_.bytes += static_cast<int64_t>(n);
  // Finish a packet begun in an earlier Push.
  if (partial_size_ > 0) {
    const size_t take = std::min(n, static_cast<size_t>(kPacketBytes - partial_size_));
    std::memcpy(partial_.data() + partial_size_, p, take);
    partial_size_ += static_cast<int>(take);
    p += take;
    n -= take;
    if (partial_size_ < kPacketBytes) return Status::Ok();
    partial_size_ = 0;
    if (partial_[0] != kSyncByte) {
      fatal_ = Status::InvalidArgument("byte " + std::to_string(offset_) + ": sync byte " + Hex2(partial_[0]) +
                                       " where 0x47 was expected (not an MPEG-TS packet boundary)");
      return fatal_;
    }
    ++stats_.packets;
    const uint16_t pid = static_cast<uint16_t>(((partial_[1] & 0x1F) << 8) | partial_[2]);
    if (slot_[pid] >= 0) ScanPacket(partial_.data(), offset_);
    offset_ += kPacketBytes;
  }
  // Whole packets straight from the caller's buffer: the fast path is the header and one table
  // look-up per packet.
  const size_t whole = n / kPacketBytes;
  for (size_t i = 0; i < whole; ++i, p += kPacketBytes, offset_ += kPacketBytes) {
    if (p[0] != kSyncByte) {
      stats_.packets += static_cast<int64_t>(i);
      fatal_ = Status::InvalidArgument("byte " + std::to_string(offset_) + ": sync byte " + Hex2(p[0]) +
                                       " where 0x47 was expected (not an MPEG-TS packet boundary)");
      return fatal_;
    }
    const uint16_t pid = static_cast<uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
    if (slot_[pid] >= 0) ScanPacket(p, offset_);
  }
  stats_.packets += static_cast<int64_t>(whole);
  n -= whole * kPacketBytes;
  if (n > 0) {
    std::memcpy(partial_.data(), p, n);
    partial_size_ = static_cast<int>(n);
  }
  return Status::Ok();
}

Status Scte35Scanner::Finish() {
  if (!fatal_.ok()) return fatal_;
  if (partial_size_ > 0) {
    const uint16_t pid =
        partial_size_ >= 3 ? static_cast<uint16_t>(((partial_[1] & 0x1F) << 8) | partial_[2]) : kNullPid;
    AddIssue(Issue::Kind::kPacket, offset_, pid, StatusCode::kOutOfRange,
             "truncated packet at end of input: " + std::to_string(partial_size_) + " of 188 bytes");
    offset_ += partial_size_;
    partial_size_ = 0;
  }
  for (int pid = 0; pid < kPidCount; ++pid) {
    if (slot_[pid] < 0) continue;
    PidState& st = *states_[static_cast<size_t>(slot_[pid])];
    if (!st.in_section) continue;
    AddIssue(Issue::Kind::kSection, st.section_offset, static_cast<uint16_t>(pid), StatusCode::kOutOfRange,
             "section truncated at end of input: " + std::to_string(st.buffer.size()) + " of " +
                 (st.section_bytes > 0 ? std::to_string(st.section_bytes) : std::string("at least 3")) + " bytes");
    st.in_section = false;
    st.buffer.clear();
  }
  return Status::Ok();
}

void Scte35Scanner::ScanPacket(const uint8_t* p, int64_t offset) {
  const uint16_t pid = static_cast<uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
  PidState* st = states_[static_cast<size_t>(slot_[pid])].get();
  if (p[1] & 0x80) {  // transport_error_indicator (§2.4.3.3)
    AddIssue(Issue::Kind::kPacket, offset, pid, StatusCode::kDataLoss,
             "transport_error_indicator set: packet skipped");
    return;
  }
  const int afc = (p[3] >> 4) & 3;  // adaptation_field_control (Table 2-5)
  const int cc = p[3] & 0x0F;
  int payload = 4;
  bool discontinuity = false;
  if (afc & 2) {
    const int afl = p[4];  // §2.4.3.5: 0..182 with payload, 183 without
    const int max_afl = (afc == 3) ? 182 : 183;
    if (afl > max_afl) {
      AddIssue(Issue::Kind::kPacket, offset, pid, StatusCode::kInvalidArgument,
               "adaptation_field_length " + std::to_string(afl) + " overflows the packet (at most " +
                   std::to_string(max_afl) + "): packet skipped");
      st->last_cc = static_cast<int8_t>(cc);  // its header still counts for continuity
      return;
    }
    if (afl > 0) discontinuity = (p[5] & 0x80) != 0;
    payload = 5 + afl;
  }
  if (!(afc & 1)) return;  // no payload: the counter does not advance (§2.4.3.3)
  if (st->last_cc >= 0 && !discontinuity) {
    if (cc == st->last_cc) return;  // a duplicate packet (§2.4.3.3): its payload was seen
    if (cc != ((st->last_cc + 1) & 0x0F)) {
      std::string what = "continuity_counter gap: " + std::to_string(st->last_cc) + " then " + std::to_string(cc);
      if (st->in_section) {
        what += "; section from byte " + std::to_string(st->section_offset) + " dropped";
        st->in_section = false;
        st->buffer.clear();
        ++stats_.section_errors;
      }
      AddIssue(Issue::Kind::kContinuity, offset, pid, StatusCode::kDataLoss, what);
    }
  } else if (discontinuity && st->in_section) {
    st->in_section = false;  // a discontinuity restarts everything (§2.4.3.5)
    st->buffer.clear();
  }
  st->last_cc = static_cast<int8_t>(cc);
  const bool unit_start = (p[1] & 0x40) != 0;
  const uint8_t* data = p + payload;
  const int size = kPacketBytes - payload;
  if (st->role == Role::kVideo) {
    if (unit_start) VideoPayload(*st, data, size);
    return;
  }
  SectionPayload(*st, pid, data, size, unit_start, offset);
}

void Scte35Scanner::VideoPayload(PidState& st, const uint8_t* d, int size) {
  // PES header (§2.4.3.6): 00 00 01 stream_id, PES_packet_length(16), flags, PTS_DTS_flags,
  // PES_header_data_length, then PTS (5 bytes) when PTS_DTS_flags is '10' or '11'.
  if (size < 14 || d[0] != 0 || d[1] != 0 || d[2] != 1 || !HasPesHeader(d[3])) return;
  if ((d[6] & 0xC0) != 0x80 || !(d[7] & 0x80) || d[8] < 5) return;
  st.pts = (int64_t{(d[9] >> 1) & 0x07} << 30) | (int64_t{d[10]} << 22) | (int64_t{d[11] >> 1} << 15) |
           (int64_t{d[12]} << 7) | int64_t{d[13] >> 1};
}

void Scte35Scanner::SectionPayload(PidState& st0, uint16_t pid, const uint8_t* data, int size, bool unit_start,
                                   int64_t offset) {
  PidState* st = &st0;
  if (!unit_start) {
    // A continuation packet: bytes of the section in progress; after its end only stuffing.
    if (st->in_section) {
      int used = 0;
      AppendSection(*st, pid, data, size, &used);
    }
    return;
  }
  // §2.4.4.2 pointer_field: the number of bytes, after it, that end the previous section.
  const int pointer = data[0];
  ++data;
  --size;
  if (pointer > size) {
    AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kInvalidArgument,
             "pointer_field " + std::to_string(pointer) + " points past the packet's end (" + std::to_string(size) +
                 " payload bytes after it)" + (st->in_section ? "; section in progress dropped" : ""));
    st->in_section = false;
    st->buffer.clear();
    return;
  }
  if (st->in_section) {
    int used = 0;
    if (!AppendSection(*st, pid, data, pointer, &used) && st->in_section) {
      AddIssue(Issue::Kind::kSection, st->section_offset, pid, StatusCode::kOutOfRange,
               "section truncated: a new section starts after " + std::to_string(st->buffer.size()) + " of " +
                   (st->section_bytes > 0 ? std::to_string(st->section_bytes) : std::string("at least 3")) +
                   " bytes");
      st->in_section = false;
      st->buffer.clear();
    }
  }
  data += pointer;
  size -= pointer;
  // Sections start here, back to back, until 0xFF stuffing or the end of the packet.
  while (size > 0 && data[0] != 0xFF) {
    // Handling a PMT can track new PIDs: re-find this PID's state (slots are stable pointers,
    // but a PMT may have untracked this very PID).
    const int16_t s = slot_[pid];
    if (s < 0) return;
    st = states_[static_cast<size_t>(s)].get();
    st->in_section = true;
    st->section_offset = offset;
    st->section_bytes = 0;
    st->buffer.clear();
    if (st->role == Role::kScte35 && st->video_pid != kNullPid && slot_[st->video_pid] >= 0) {
      st->pts_at_start = states_[static_cast<size_t>(slot_[st->video_pid])]->pts;
    } else {
      st->pts_at_start.reset();
    }
    int used = 0;
    const bool done = AppendSection(*st, pid, data, size, &used);
    data += used;
    size -= used;
    if (!done) break;
  }
}

bool Scte35Scanner::AppendSection(PidState& st, uint16_t pid, const uint8_t* data, int size, int* used) {
  int n = 0;
  if (st.section_bytes == 0) {
    const int take = std::min(size, 3 - static_cast<int>(st.buffer.size()));
    st.buffer.insert(st.buffer.end(), data, data + take);
    n = take;
    if (st.buffer.size() < 3) {
      *used = n;
      return false;
    }
    const int length = ((st.buffer[1] & 0x0F) << 8) | st.buffer[2];
    const int max_length = st.role == Role::kScte35 ? kMaxSectionLength : kMaxPsiSectionLength;
    if (length > max_length) {
      AddIssue(Issue::Kind::kSection, st.section_offset, pid, StatusCode::kInvalidArgument,
               "section_length " + std::to_string(length) + " exceeds " + std::to_string(max_length) +
                   (st.role == Role::kScte35 ? " (SCTE 35 §9.6)" : " (ISO/IEC 13818-1 §2.4.4)") + ": section dropped");
      st.in_section = false;
      st.buffer.clear();
      *used = size;
      return false;
    }
    st.section_bytes = 3 + length;
    st.buffer.reserve(static_cast<size_t>(st.section_bytes));
  }
  const int take = std::min(size - n, st.section_bytes - static_cast<int>(st.buffer.size()));
  st.buffer.insert(st.buffer.end(), data + n, data + n + take);
  n += take;
  *used = n;
  if (static_cast<int>(st.buffer.size()) < st.section_bytes) return false;
  st.in_section = false;
  ++stats_.sections;
  HandleSection(st, pid);
  return true;
}

void Scte35Scanner::HandleSection(PidState& st, uint16_t pid) {
  // Move the bytes out first: handling a PAT/PMT may change the PID table.
  Bytes section = std::move(st.buffer);
  st.buffer = Bytes();
  const int64_t offset = st.section_offset;
  switch (st.role) {
    case Role::kPat:
      HandlePat(section, offset);
      break;
    case Role::kPmt:
      HandlePmt(st, pid, section, offset);
      break;
    case Role::kScte35:
      HandleScte35(st, pid, std::move(section), offset);
      break;
    default:
      break;
  }
}

void Scte35Scanner::HandlePat(std::span<const uint8_t> s, int64_t offset) {
  // §2.4.4.3 program_association_section.
  if (s[0] != 0x00) return;  // other tables on PID 0 are not ours
  if (s.size() < 12) {
    AddIssue(Issue::Kind::kSection, offset, kPatPid, StatusCode::kInvalidArgument,
             "PAT of " + std::to_string(s.size()) + " bytes is shorter than its fixed fields (12)");
    return;
  }
  if (std::string crc = CheckCrc(s); !crc.empty()) {
    AddIssue(Issue::Kind::kSection, offset, kPatPid, StatusCode::kDataLoss, "PAT " + crc);
    return;
  }
  if (!(s[5] & 0x01)) return;  // current_next_indicator 0: not yet applicable
  for (size_t i = 8; i + 4 <= s.size() - 4; i += 4) {
    const uint16_t program = static_cast<uint16_t>((s[i] << 8) | s[i + 1]);
    const uint16_t pmt_pid = static_cast<uint16_t>(((s[i + 2] & 0x1F) << 8) | s[i + 3]);
    if (program == 0 || pmt_pid == kPatPid || pmt_pid == kNullPid) continue;  // network_PID
    const int16_t slot = slot_[pmt_pid];
    if (slot >= 0) {
      PidState& existing = *states_[static_cast<size_t>(slot)];
      if (existing.role == Role::kPmt && existing.program_number == program) continue;
      if (existing.role == Role::kPmt) {  // the PID now carries another program's PMT
        existing.program_number = program;
        continue;
      }
    }
    Track(pmt_pid, Role::kPmt, program);
  }
}

void Scte35Scanner::HandlePmt(PidState& st, uint16_t pid, std::span<const uint8_t> s, int64_t offset) {
  // §2.4.4.8 TS_program_map_section.
  if (s[0] != 0x02) return;  // other tables may share the PID
  if (s.size() < 16) {
    AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kInvalidArgument,
             "PMT of " + std::to_string(s.size()) + " bytes is shorter than its fixed fields (16)");
    return;
  }
  if (std::string crc = CheckCrc(s); !crc.empty()) {
    AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kDataLoss, "PMT " + crc);
    return;
  }
  if (!(s[5] & 0x01)) return;
  const uint16_t program = static_cast<uint16_t>((s[3] << 8) | s[4]);
  const size_t end = s.size() - 4;
  const size_t program_info_length = static_cast<size_t>(((s[10] & 0x0F) << 8) | s[11]);
  size_t i = 12 + program_info_length;
  if (i > end) {
    AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kInvalidArgument,
             "PMT program_info_length " + std::to_string(program_info_length) + " overflows the section");
    return;
  }
  std::vector<uint16_t> scte35_pids;
  uint16_t video_pid = kNullPid;
  while (i + 5 <= end) {
    const uint8_t stream_type = s[i];
    const uint16_t es_pid = static_cast<uint16_t>(((s[i + 1] & 0x1F) << 8) | s[i + 2]);
    const size_t es_info_length = static_cast<size_t>(((s[i + 3] & 0x0F) << 8) | s[i + 4]);
    i += 5 + es_info_length;
    if (i > end) {
      AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kInvalidArgument,
               "PMT ES_info_length " + std::to_string(es_info_length) + " of pid " + PidHex(es_pid) +
                   " overflows the section");
      return;
    }
    if (es_pid == kPatPid || es_pid == kNullPid || es_pid == pid) continue;
    if (stream_type == kStreamTypeScte35) {
      scte35_pids.push_back(es_pid);
    } else if (IsVideoStreamType(stream_type) && video_pid == kNullPid) {
      video_pid = es_pid;
    }
  }
  std::vector<uint16_t> declared = scte35_pids;
  declared.push_back(video_pid);  // the last entry is the video PID (kNullPid when none)
  if (declared == st.declared && st.program_number == program) return;  // same as before
  // A new PMT version: undo what the old one declared, then apply this one.
  std::vector<uint16_t> old = std::move(st.declared);
  st.declared = declared;  // `st` may not be used after Track/Untrack below
  for (uint16_t p : old) {
    const int16_t slot = slot_[p];
    if (slot < 0) continue;
    const PidState& ps = *states_[static_cast<size_t>(slot)];
    if ((ps.role == Role::kScte35 || ps.role == Role::kVideo) && ps.program_number == program) Untrack(p);
  }
  if (video_pid != kNullPid) {
    const int16_t slot = slot_[video_pid];
    if (slot < 0 || states_[static_cast<size_t>(slot)]->role == Role::kNone) Track(video_pid, Role::kVideo, program);
  }
  for (uint16_t p : scte35_pids) {
    const int16_t slot = slot_[p];
    if (slot >= 0 && states_[static_cast<size_t>(slot)]->role != Role::kScte35) continue;  // PAT/PMT PID
    PidState& sp = Track(p, Role::kScte35, program);
    sp.video_pid = video_pid;
  }
}

void Scte35Scanner::HandleScte35(PidState& st, uint16_t pid, Bytes section, int64_t offset) {
  if (section[0] != scte35::kTableId) {
    AddIssue(Issue::Kind::kSection, offset, pid, StatusCode::kInvalidArgument,
             "table_id " + Hex2(section[0]) + " on a SCTE-35 PID is not a splice_info_section (0xFC)");
    return;
  }
  Result<scte35::SpliceInfoSection> decoded = scte35::Decode(section);
  if (!decoded.ok()) {
    AddIssue(Issue::Kind::kSection, offset, pid, decoded.status().code(),
             "splice_info_section: " + decoded.status().message());
    return;
  }
  Cue cue;
  cue.pid = pid;
  cue.program_number = st.program_number;
  cue.packet_offset = offset;
  cue.video_pts_ticks = st.pts_at_start;
  cue.section = std::move(section);
  cue.decoded = std::move(decoded).value();
  ++stats_.cues;
  cues_.push_back(std::move(cue));
}

Result<ScanResult> ScanAll(std::span<const uint8_t> ts) {
  Scte35Scanner scanner;
  SSAI_RETURN_IF_ERROR(scanner.Push(ts));
  SSAI_RETURN_IF_ERROR(scanner.Finish());
  ScanResult r;
  r.cues = scanner.TakeCues();
  r.issues = scanner.TakeIssues();
  r.stats = scanner.stats();
  return r;
}

}  // namespace ssai::ts
