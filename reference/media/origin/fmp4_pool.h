// A loop of CMAF / fragmented-MP4 media segments (ISO/IEC 14496-12, ISO/IEC 23000-19) served at any
// segment index as one continuous stream: the fMP4 twin of ts_pool.h, for `container: "cmaf"`.
//
// A pool is an init segment (ftyp + moov, with mvex) and K fragments of `segment_duration` cut
// from ONE continuous encode whose tracks each span exactly K * segment_duration. Fragment n is
// pool fragment n mod K with, in every box that carries a time or a count:
//   tfdt baseMediaDecodeTime   + floor(n / K) * K * d  (in the track's mdhd timescale, §8.8.12)
//   sidx earliest_presentation_time + the same          (in the sidx's own timescale, §8.16.3)
//   mfhd sequence_number       + floor(n / K) * K  (mod 2^32; §8.8.5: increasing per fragment)
// so a client reading fragments n, n+1, ... after the init (RFC 8216 §3.2 / bis §3.1.2) sees one
// timeline with no jump, at any n. Nothing changes size: the rewrite is in place.
//
// Parsing is defensive: every box's size is checked against its parent (32-bit sizes, size 1 =
// 64-bit largesize, size 0 = to the end of the parent), every field read is bounds-checked, and
// any malformed input is an InvalidArgument naming the box path and byte offset
// ("fmp4 fragment: moof/traf at byte 120: box size 900 runs past its parent's end (880)").
// Fuzzed by fmp4_fuzzer.cc.
//
// Pure and sans-I/O: the bytes come in, the bytes go out.
#ifndef SSAI_REFERENCE_MEDIA_ORIGIN_FMP4_POOL_H_
#define SSAI_REFERENCE_MEDIA_ORIGIN_FMP4_POOL_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"

namespace ssai::origin {

// track_ID (tkhd) -> timescale (mdhd) of every trak of an init segment's moov.
using Fmp4Timescales = std::map<uint32_t, uint32_t>;

// Reads an init segment: an ftyp and a moov with at least one trak (each with tkhd and mdhd,
// timescale > 0) and an mvex (a fragmented file, §8.8.1). Errors name the missing or broken box.
Result<Fmp4Timescales> ParseFmp4Init(std::string_view init);

// Returns `fragment` with its tfdt and sidx times moved forward by `shift_ms` milliseconds (exactly:
// shift_ms * timescale must be a multiple of 1000) and every mfhd sequence_number by
// `sequence_shift` (mod 2^32). A tfdt or sidx of version 0 (32-bit times) whose new value does not
// fit is an error, as is a traf whose track_ID is not in `timescales`, a moof without mfhd, a
// traf without tfhd or tfdt, and a fragment with no moof.
Result<std::string> RetimeFmp4Fragment(std::string_view fragment, const Fmp4Timescales& timescales, int64_t shift_ms,
                                       uint32_t sequence_shift);

class Fmp4Pool {
 public:
  // `fragments`: the K pool fragments in order; `segment_duration_ms` > 0. Every fragment and the
  // init are parsed here, so a broken pool fails at start-up, not on a request.
  static Result<Fmp4Pool> Create(std::string init, std::vector<std::string> fragments, int64_t segment_duration_ms);
  const std::string& Init() const { return init_; }
  // Fragment `index` (>= 0) of the endless stream.
  Result<std::string> Fragment(int64_t index) const;
  int size() const { return static_cast<int>(fragments_.size()); }

 private:
  std::string init_;
  std::vector<std::string> fragments_;
  Fmp4Timescales timescales_;
  int64_t segment_duration_ms_ = 0;
};

}  // namespace ssai::origin

#endif  // SSAI_REFERENCE_MEDIA_ORIGIN_FMP4_POOL_H_
