// libFuzzer target for the capture index (index.jsonl): any input either parses or is refused with
// a Status; what parses must survive a round trip through SerializeCaptureIndex unchanged, and the
// replay view must answer for every path without crashing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "reference/media/origin/capture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ssai::Result<ssai::origin::Capture> capture = ssai::origin::ParseCaptureIndex(text);
  if (!capture.ok()) return 0;
  const std::string once = ssai::origin::SerializeCaptureIndex(*capture);
  ssai::Result<ssai::origin::Capture> again = ssai::origin::ParseCaptureIndex(once);
  if (!again.ok() || ssai::origin::SerializeCaptureIndex(*again) != once) std::abort();
  return 0;
}
