// SCTE-35 in MPEG-TS (ISO/IEC 13818-1; SCTE 35 2022b §8, §9.6): a sans-I/O, feed-style scanner
// that finds every splice_info_section in a transport stream.
//
// PAT (PID 0) -> each program's PMT -> the elementary streams with stream_type 0x86 (SCTE 35 §8.3)
// carry splice_info_sections; the first video stream of the program (stream_type 0x01, 0x02,
// 0x1B, 0x24) gives the PTS of the nearest preceding video PES for each cue. Sections are
// reassembled across packets (payload_unit_start_indicator + pointer_field, continuation
// packets, several sections in one packet, 0xFF stuffing after the last one; §2.4.4), their
// CRC_32 is checked, and each is decoded with scte35::Decode.
//
// Feed it bytes in chunks of any size (a file, a pipe, an HTTP body); take the cues and issues
// out after each Push. Memory is bounded: one partial packet (187 bytes), one section buffer of
// at most kMaxSectionBytes per tracked PID (PAT, PMTs, SCTE-35 PIDs), a 16 KiB PID table, and
// the cues/issues of the current chunk until the caller takes them.
//
// Fast path: a packet whose PID is not tracked costs its 4-byte header; a video packet costs its
// continuity check, plus a PES header parse when payload_unit_start_indicator is set.
//
// Errors: losing packet sync (a byte other than 0x47 where a packet starts) is fatal: Push
// returns the Status and every later call returns it again. Everything else is an Issue and the
// scan goes on: a CRC_32 mismatch, a section that does not decode, a section_length over the
// limit, a pointer_field or adaptation_field_length past the packet's end, a continuity_counter
// gap (unless discontinuity_indicator is set; one duplicate packet is allowed, §2.4.3.3), a
// packet with transport_error_indicator set, and, at Finish, a truncated packet or section.
// Every message starts with "byte N: " (N: offset in the stream of the packet concerned).
#ifndef SSAI_REFERENCE_MEDIA_TS_TS_SCAN_H_
#define SSAI_REFERENCE_MEDIA_TS_TS_SCAN_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "reference/base/encoding.h"
#include "reference/base/status.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::ts {

inline constexpr int kPacketBytes = 188;
inline constexpr uint8_t kSyncByte = 0x47;
inline constexpr uint16_t kPatPid = 0x0000;
inline constexpr uint16_t kNullPid = 0x1FFF;
inline constexpr int kPidCount = 8192;
// A private section (ISO/IEC 13818-1 §2.4.4.10: private_section_length <= 4093) and a
// splice_info_section (SCTE 35 §9.6, section_length 12 bits, at most 4093) are at most
// 3 + 4093 bytes. Longer section_length values are refused.
inline constexpr int kMaxSectionLength = 4093;
inline constexpr int kMaxSectionBytes = 3 + kMaxSectionLength;
inline constexpr uint8_t kStreamTypeScte35 = 0x86;  // SCTE 35 §8.3
inline constexpr uint32_t kCueiRegistration = 0x43554549;  // "CUEI", registration_descriptor

// True for the PMT stream types treated as video: 0x01/0x02 MPEG-1/2, 0x1B H.264, 0x24 HEVC.
constexpr bool IsVideoStreamType(uint8_t stream_type) {
  return stream_type == 0x01 || stream_type == 0x02 || stream_type == 0x1B || stream_type == 0x24;
}

// One splice_info_section found in the stream.
struct Cue {
  uint16_t pid = 0;
  uint16_t program_number = 0;
  // Offset in the stream of the packet in which the section starts.
  int64_t packet_offset = 0;
  // PTS (33 bits, 90 kHz) of the last video PES that started before that packet, in the program
  // that carries the SCTE-35 PID; nullopt before the first one.
  std::optional<int64_t> video_pts_ticks;
  Bytes section;  // the section's bytes (table_id .. CRC_32)
  scte35::SpliceInfoSection decoded;
};

// A problem with the input that did not stop the scan.
struct Issue {
  enum class Kind : uint8_t {
    kContinuity,  // continuity_counter gap: a packet was lost (warning)
    kSection,     // a section was dropped: CRC, decode, length, pointer_field, truncation
    kPacket,      // a packet was skipped: adaptation field overflow, transport_error_indicator
  };
  Kind kind = Kind::kSection;
  int64_t offset = 0;  // packet offset in the stream
  uint16_t pid = 0;
  Status status;       // message: "byte N: pid 0x01F5: ..."
};

struct ScanStats {
  int64_t bytes = 0;
  int64_t packets = 0;
  int64_t sections = 0;  // complete sections on tracked PIDs (PAT, PMT, SCTE-35), valid or not
  int64_t cues = 0;
  int64_t continuity_errors = 0;
  int64_t section_errors = 0;
};

class Scte35Scanner {
 public:
  Scte35Scanner();

  // Scans `bytes`, the next bytes of the stream (any length, packets may straddle calls).
  // Cues and issues found are appended to the queues below. A non-OK Status is fatal (lost
  // sync); later calls return it again.
  Status Push(std::span<const uint8_t> bytes);
  // End of stream: a trailing partial packet and sections still being reassembled become
  // issues. Returns the fatal Status, if any.
  Status Finish();

  // Cues and issues found so far and not yet taken, in stream order.
  std::vector<Cue> TakeCues();
  std::vector<Issue> TakeIssues();
  const std::vector<Cue>& cues() const { return cues_; }
  const std::vector<Issue>& issues() const { return issues_; }
  const ScanStats& stats() const { return stats_; }

  // The PIDs the PMTs declared (for tests and tools).
  std::vector<uint16_t> Scte35Pids() const;
  std::vector<uint16_t> VideoPids() const;

 private:
  enum class Role : uint8_t { kNone, kPat, kPmt, kScte35, kVideo };
  struct PidState {
    Role role = Role::kNone;
    uint16_t program_number = 0;
    int8_t last_cc = -1;  // -1: no payload packet seen yet
    bool dup_seen = false;
    // Section reassembly (PAT, PMT, SCTE-35).
    bool in_section = false;
    int64_t section_offset = 0;
    int section_bytes = 0;  // bytes needed in total; 0 while the 3-byte header is incomplete
    Bytes buffer;
    // PMT: the PIDs it declared (to undo on a new version); video: the last PTS.
    std::vector<uint16_t> declared;
    uint16_t video_pid = kNullPid;  // SCTE-35 PID: its program's video PID
    std::optional<int64_t> pts;     // video PID: last PES PTS
    std::optional<int64_t> pts_at_start;  // SCTE-35 PID: the video PTS when the section began
  };

  void ScanPacket(const uint8_t* p, int64_t offset);
  void SectionPayload(PidState& st, uint16_t pid, const uint8_t* data, int size, bool unit_start,
                      int64_t offset);
  // Appends bytes of a section; true when the section completed (and was handled). `*used`
  // is set to how many bytes were consumed.
  bool AppendSection(PidState& st, uint16_t pid, const uint8_t* data, int size, int* used);
  void HandleSection(PidState& st, uint16_t pid);
  void HandlePat(std::span<const uint8_t> s, int64_t offset);
  void HandlePmt(PidState& st, uint16_t pid, std::span<const uint8_t> s, int64_t offset);
  void HandleScte35(PidState& st, uint16_t pid, Bytes section, int64_t offset);
  void VideoPayload(PidState& st, const uint8_t* data, int size);
  PidState& Track(uint16_t pid, Role role, uint16_t program_number);
  void Untrack(uint16_t pid);
  void AddIssue(Issue::Kind kind, int64_t offset, uint16_t pid, StatusCode code, const std::string& what);

  std::array<int16_t, kPidCount> slot_;  // index into states_, -1 when untracked
  std::vector<std::unique_ptr<PidState>> states_;  // stable addresses
  std::vector<int16_t> free_slots_;
  std::array<uint8_t, kPacketBytes> partial_{};
  int partial_size_ = 0;
  int64_t offset_ = 0;  // stream offset of the next byte pushed
  Status fatal_;
  std::vector<Cue> cues_;
  std::vector<Issue> issues_;
  ScanStats stats_;
};

// Whole-buffer convenience: pushes `ts` then finishes. Fails only on a fatal error.
struct ScanResult {
  std::vector<Cue> cues;
  std::vector<Issue> issues;
  ScanStats stats;
};
Result<ScanResult> ScanAll(std::span<const uint8_t> ts);

// True when `bytes` looks like a transport stream: 0x47 at offsets 0, 188, 376, ... for every
// whole packet present (at least one; at most the first 5 are checked).
bool LooksLikeTs(std::span<const uint8_t> bytes);

// "0x01F5"
std::string PidHex(uint16_t pid);

}  // namespace ssai::ts

#endif  // SSAI_REFERENCE_MEDIA_TS_TS_SCAN_H_
