// libFuzzer target for the JSON documents ssai-lab accepts from the outside: AdBreakState (KV),
// ChannelState (KV), the cue API body, SCTE-35 JSON (`ssai scte35 encode`), synthetic origin specs. Any input: no crash, no hang; an accepted document
// must serialize and parse back to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "reference/media/origin/synthetic_origin.h"
#include "reference/media/scte35/scte35_json.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/coordinator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (ssai::Result<ssai::AdBreakState> s = ssai::ParseAdBreakState(text); s.ok()) {
    ssai::Result<ssai::AdBreakState> back = ssai::ParseAdBreakState(ssai::SerializeAdBreakState(*s));
    if (!back.ok() || !(*back == *s)) std::abort();
  }
  if (ssai::Result<ssai::ChannelState> c = ssai::ParseChannelState(text); c.ok()) {
    ssai::Result<ssai::ChannelState> back = ssai::ParseChannelState(ssai::SerializeChannelState(*c));
    if (!back.ok() || !(*back == *c)) std::abort();
  }
  (void)ssai::ParseCueRequest(text);
  (void)ssai::scte35::FromJsonText(text);
  (void)ssai::origin::ParseSpec(text);
  return 0;
}
