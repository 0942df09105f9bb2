// libFuzzer target for the fMP4 box walker (fmp4_pool.h): the input's first byte picks init or
// fragment; any input is either read or refused with a Status, never a crash, and a fragment that
// is read keeps its size (the rewrite is in place).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reference/media/origin/fmp4_pool.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    (void)ssai::origin::ParseFmp4Init(bytes);
    return 0;
  }
  const ssai::origin::Fmp4Timescales timescales = {{1, 12800}, {2, 64000}, {3, 90000}};
  ssai::Result<std::string> out = ssai::origin::RetimeFmp4Fragment(bytes, timescales, 8000, 4);
  if (out.ok() && out->size() != bytes.size()) std::abort();
  return 0;
}
