// libFuzzer target: arbitrary bytes into the SCTE 35 decoder.
// Invariants: never crash or hang; whatever Decode() accepts, Encode() reproduces byte for byte
// (the section; 0xFF stuffing after it is counted in stuffing_bytes, not re-encoded);
// the JSON of an accepted section converts back to the same section and bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "reference/media/scte35/scte35_json.h"
#include "reference/media/scte35/splice_info_section.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssai::scte35;
  const std::span<const uint8_t> input(data, size);

  std::vector<std::string> warnings;
  auto lenient = DecodeLenient(input, &warnings);
  if (lenient.ok()) {
    (void)ToJson(*lenient).dump();
    (void)BreakDurationSeconds(*lenient);
    (void)Encode(*lenient);  // may fail (e.g. lenient kept an oversize field) but must not crash
  }

  auto strict = Decode(input);
  if (!strict.ok()) return 0;
  // Encode writes the section without the 0xFF stuffing Decode counted after it (ISO/IEC 13818-1
  // §2.4.4): Encode(Decode(x)) == x minus its stuffing, and the stuffing is all 0xFF.
  const size_t section_size = size - strict->stuffing_bytes;
  if (strict->stuffing_bytes > size ||
      !std::all_of(data + section_size, data + size, [](uint8_t b) { return b == 0xFF; })) {
    std::abort();
  }
  auto bytes = Encode(*strict);
  if (!bytes.ok() || bytes->size() != section_size || !std::equal(bytes->begin(), bytes->end(), data)) {
    std::abort();  // Encode(Decode(x)) != x
  }
  const std::string json = ToJson(*strict).dump();
  auto back = FromJsonText(json);
  if (!back.ok() || !(*back == *strict)) std::abort();
  auto again = Encode(*back);
  if (!again.ok() || *again != *bytes) std::abort();
  // Text entry point: hex of the same bytes decodes identically.
  auto text = DecodeText(ssai::HexEncode(ssai::Bytes(data, data + size)));
  if (!text.ok() || !(*text == *strict)) std::abort();
  return 0;
}
