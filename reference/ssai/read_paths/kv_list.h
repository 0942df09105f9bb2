// The seed's getActiveAdBreak, shared by kv-hybrid and kv-stateless (read_path.h): list
// "adbreak:{channelId}:", get every listed key (all at once), and take the breaks that parse.
#ifndef SSAI_REFERENCE_SSAI_READ_PATHS_KV_LIST_H_
#define SSAI_REFERENCE_SSAI_READ_PATHS_KV_LIST_H_

#include "reference/ssai/read_paths/read_path.h"

namespace ssai::read_paths {

// A hit (an active break, or with !fallback_to_coordinator any listed break) becomes the state
// (kv-hit); anything else asks the coordinator (kv-miss) or, without fallback, no state.
void ReadBreaksFromKvList(ReadHost& host, const OpPtr& op, bool fallback_to_coordinator);

}  // namespace ssai::read_paths

#endif  // SSAI_REFERENCE_SSAI_READ_PATHS_KV_LIST_H_
