// libFuzzer target: arbitrary bytes into the live TS packager (ts_packager.h): segmenting at
// random access points, cue placement, playlists, looped segments.
// Byte 0 is a control byte: bit 0 puts a valid PAT + PMT (video 0x0100, SCTE-35 0x01F5) in front
// of the rest (as ts_fuzzer, whose seeds it shares: fixtures/corpus/ts/); bit 1 loops; bits 2-4
// pick the marker flavour; bits 5-6 the segment duration (1-4 s).
// Invariants: never crash or hang; when Create succeeds the segments cover the file in order with
// positive durations, every playlist parses as an HLS media playlist, and every segment served is
// whole packets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "reference/media/hls/playlist.h"
#include "reference/media/origin/ts_pool.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/media/ts/ts_scan.h"
#include "reference/media/ts/ts_writer.h"

namespace {

const std::string& Header() {
  static const std::string header = [] {
    const ssai::Bytes out = ssai::ts::TsWriter().Scte35ProgramTables();
    return std::string(out.begin(), out.end());
  }();
  return header;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssai;
  if (size == 0 || size > (1 << 20)) return 0;
  const uint8_t control = data[0];
  std::string input = (control & 1) ? Header() : std::string();
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);
  ts::TsPackagerOptions o;
  o.loop = (control & 2) != 0;
  constexpr origin::CueFlavour kFlavours[] = {origin::CueFlavour::kNone, origin::CueFlavour::kCueOut,
                                              origin::CueFlavour::kOatcls, origin::CueFlavour::kDateRange,
                                              origin::CueFlavour::kExtXScte35, origin::CueFlavour::kSplicepoint};
  o.flavour = kFlavours[((control >> 2) & 7) % 6];
  o.segment_s = 1 + ((control >> 5) & 3);
  o.pdt_start = 1'700'000'000'000'000;
  o.window_segments = 8;
  Result<ts::TsPackager> p = ts::TsPackager::Create(input, o);
  if (!p.ok()) return 0;
  const auto& segs = p->segments();
  Check(!segs.empty() && segs.front().begin == 0);
  for (size_t i = 0; i < segs.size(); ++i) {
    Check(segs[i].duration_ticks > 0 && segs[i].begin < segs[i].end);
    if (i + 1 < segs.size()) Check(segs[i].end == segs[i + 1].begin);
  }
  for (int64_t s : {int64_t{0}, int64_t{3}, int64_t{30}, int64_t{100000}}) {
    const std::string text = p->MediaPlaylistAt(o.pdt_start + s * 1'000'000);
    Check(hls::ParseMedia(text).ok());
  }
  const int64_t k = static_cast<int64_t>(segs.size());
  for (int64_t msn : {int64_t{0}, k - 1, k, 2 * k + 1}) {
    Result<std::string> seg = p->Segment(msn);
    if (!o.loop && msn >= k) {
      Check(!seg.ok());
      continue;
    }
    Check(seg.ok() && seg->size() % ts::kPacketBytes == 0);
  }
  (void)p->SegmentForPts(static_cast<int64_t>(size) * 90000);
  return 0;
}
