// nlohmann::json forms of AdBreakState, for documents that embed it (ChannelState). Internal to
// reference/ssai; the public API is the string form in adbreak_state.h.
#ifndef SSAI_REFERENCE_SSAI_ADBREAK_STATE_JSON_H_
#define SSAI_REFERENCE_SSAI_ADBREAK_STATE_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "reference/ssai/adbreak_state.h"

namespace ssai::internal {

using Json = nlohmann::ordered_json;

Json AdBreakStateToJson(const AdBreakState& state);
// `path` prefixes field names in errors ("breaks[2]." gives "breaks[2].duration: ...").
Result<AdBreakState> AdBreakStateFromJson(const Json& j, const std::string& path);

// Field readers shared by the JSON documents of reference/ssai; errors read "{path}: {problem}".
Status FieldError(std::string_view path, std::string_view what);
Result<std::string> GetString(const Json& obj, const std::string& field, const std::string& path);
Result<double> GetNumber(const Json& obj, const std::string& field, const std::string& path);
Result<int64_t> GetInteger(const Json& obj, const std::string& field, const std::string& path);
Result<UnixMicros> GetTime(const Json& obj, const std::string& field, const std::string& path);
// Parses text into an object, or an error naming the document and the position.
Result<Json> ParseObject(std::string_view text, std::string_view document_name);
// 45 for 45.0 (what JavaScript's JSON.stringify writes), else the double.
Json Seconds(double s);

}  // namespace ssai::internal

#endif  // SSAI_REFERENCE_SSAI_ADBREAK_STATE_JSON_H_
