// libFuzzer target: arbitrary bytes into the MPEG-TS SCTE-35 scanner (section reassembly,
// pointer_field, adaptation fields, continuity, PAT/PMT, the SCTE-35 decoder behind it).
// Byte 0 is a control byte: bit 0 puts a valid PAT + PMT (SCTE-35 on PID 0x01F5, video on
// 0x0100) in front of the rest, so the fuzzer spends its time on the SCTE-35 sections instead
// of on guessing two CRC_32s; bits 1-7 pick a chunk size for the feed.
// Invariants: never crash or hang; memory bounded; feeding the same bytes in chunks gives the
// same cues, issues and fatal status as one Push; every cue's section re-encodes to its bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_scan.h"
#include "reference/media/ts/ts_writer.h"

namespace {

const ssai::Bytes& Header() {
  static const ssai::Bytes header = ssai::ts::TsWriter().Scte35ProgramTables();
  return header;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssai::ts;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  ssai::Bytes input;
  if (control & 1) input = Header();
  input.insert(input.end(), data + 1, data + size);
  const size_t chunk = 1 + static_cast<size_t>(control >> 1) * 3;

  Scte35Scanner whole;
  const ssai::Status whole_push = whole.Push(input);
  const ssai::Status whole_finish = whole.Finish();

  Scte35Scanner fed;
  ssai::Status fed_status;
  for (size_t pos = 0; pos < input.size() && fed_status.ok(); pos += chunk) {
    fed_status = fed.Push(std::span<const uint8_t>(input.data() + pos, std::min(chunk, input.size() - pos)));
  }
  const ssai::Status fed_finish = fed.Finish();
  if (whole_finish.ok() != fed_finish.ok() || whole_finish.message() != fed_finish.message()) std::abort();
  if (whole_push.ok() != fed_status.ok()) std::abort();

  const auto a = whole.TakeCues();
  const auto b = fed.TakeCues();
  if (a.size() != b.size()) std::abort();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].section != b[i].section || a[i].packet_offset != b[i].packet_offset ||
        a[i].video_pts_ticks != b[i].video_pts_ticks || a[i].pid != b[i].pid) {
      std::abort();
    }
    if (a[i].section.size() > static_cast<size_t>(kMaxSectionBytes)) std::abort();
    auto again = ssai::scte35::Encode(a[i].decoded);
    if (!again.ok() || *again != a[i].section) std::abort();
  }
  const auto ia = whole.TakeIssues();
  const auto ib = fed.TakeIssues();
  if (ia.size() != ib.size()) std::abort();
  for (size_t i = 0; i < ia.size(); ++i) {
    if (ia[i].status.message() != ib[i].status.message()) std::abort();
  }
  return 0;
}
