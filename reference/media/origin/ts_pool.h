// A loop of MPEG-TS segments (ISO/IEC 13818-1) served at any segment index with continuous
// timestamps: what lets the synthetic origin hand real players real media for a live stream that
// never ends, without running an encoder per request.
//
// A pool is K segments of `segment_duration` cut from ONE continuous encode whose streams each span
// exactly K * segment_duration (video: K * fps * d frames; audio: whole AAC frames, so K * d * rate
// must be a multiple of 1024 samples). Segment n is pool segment n mod K with every PTS, DTS and
// PCR moved forward by floor(n / K) * K * segment_duration (mod 2^33, the 33-bit wrap of §2.4.3.7)
// and every continuity_counter renumbered as if all segments 0..n-1 had been sent before it
// (§2.4.3.3). So a client reading segments n, n+1, ... (as an HLS client reads a live playlist,
// RFC 8216 §6.3.4) sees one stream: no timestamp jump and no continuity error, at any n.
//
// Pure and sans-I/O: the bytes come in, the bytes go out.
#ifndef SSAI_REFERENCE_MEDIA_ORIGIN_TS_POOL_H_
#define SSAI_REFERENCE_MEDIA_ORIGIN_TS_POOL_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"

namespace ssai::origin {

constexpr int kTsPacketBytes = 188;
constexpr int64_t kPtsWrap = int64_t{1} << 33;  // PTS/DTS/PCR base are 33-bit (90 kHz)

// Payload-carrying packets per PID (those that advance the continuity counter).
using PidCounts = std::map<uint16_t, int64_t>;

// Counts the payload packets per PID. Errors: size not a multiple of 188, a packet without the
// 0x47 sync byte, an adaptation field longer than its packet (the message names the packet).
Result<PidCounts> CountPayloadPackets(std::string_view ts);

// Returns `ts` with PTS/DTS (PES headers of stream ids 0xC0-0xEF) and PCR bases moved forward by
// `shift_90k` (mod 2^33), and each PID's continuity_counter restarted at `cc_base[pid]` mod 16
// (0 when absent): payload packets count up from it, packets without payload repeat the previous
// value. Errors as CountPayloadPackets, plus a PES header cut by its packet's end.
Result<std::string> RetimeTs(std::string_view ts, int64_t shift_90k, const PidCounts& cc_base);

class TsPool {
 public:
  // `segments`: the K pool segments in order; `segment_duration_90k` > 0.
  static Result<TsPool> Create(std::vector<std::string> segments, int64_t segment_duration_90k);
  // Segment `index` (>= 0) of the endless stream.
  Result<std::string> Segment(int64_t index) const;
  int size() const { return static_cast<int>(segments_.size()); }

 private:
  std::vector<std::string> segments_;
  std::vector<PidCounts> before_;  // payload packets per PID in pool segments 0..j-1
  PidCounts per_loop_;             // ... in the whole pool
  int64_t segment_duration_90k_ = 0;
};

}  // namespace ssai::origin

#endif  // SSAI_REFERENCE_MEDIA_ORIGIN_TS_POOL_H_
