// Checks on JSON text made before it is handed to a JSON library.
#ifndef SSAI_REFERENCE_BASE_JSON_TEXT_H_
#define SSAI_REFERENCE_BASE_JSON_TEXT_H_

#include <string_view>

#include "reference/base/status.h"

namespace ssai {

// Deep enough for every document the project reads (scenarios nest ~6 levels), shallow enough
// that no recursive walk over a parsed document can exhaust the stack.
inline constexpr int kMaxJsonDepth = 64;

// Ok when no array or object in `text` is nested more than `max_depth` levels deep; otherwise
// InvalidArgument naming the byte offset ("JSON nested deeper than 64 levels at byte 64").
// One linear pass that skips string contents (escapes included); it does not validate the JSON:
// the parser that follows does. Run it first so that a document of 100,000 nested arrays is
// refused in microseconds instead of crashing a recursive walk (or a recursive destructor).
Status CheckJsonNesting(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_JSON_TEXT_H_
