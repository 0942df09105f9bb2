// Parsing JSON that enters the program from outside (files and arguments: scenarios, configs,
// specs, profiles, catalogues, capture indexes): bounded nesting, no exceptions escaping, and
// errors that name the document, the field path and what is wrong. Library ssai_json_input
// (ssai_base + the header-only nlohmann_json), so ssai_base itself stays free of nlohmann.
#ifndef SSAI_REFERENCE_BASE_JSON_INPUT_H_
#define SSAI_REFERENCE_BASE_JSON_INPUT_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"

namespace ssai {

// CheckJsonNesting (json_text.h) first, then nlohmann's parser. Errors are InvalidArgument:
// "WHAT: JSON nested deeper than 64 levels at byte 64", "WHAT: not valid JSON (parse error at
// line 1, column 2: ...)". `what` names the document ("scenario", "x.json: line 3").
Result<nlohmann::json> ParseJsonInput(std::string_view text, std::string_view what,
                                      int max_depth = 64);

// Refuses the first member of `obj` whose key is not in `allowed`, naming it with its path:
// "scenario.origin.omit_cue_ins: unknown key (allowed: a, b, c)" (a typo must not silently fall
// back to a default). With `doc_keys`, "comment" and keys starting with '_' are documentation and
// pass. A non-object is "PATH: must be a JSON object".
Status CheckKnownKeys(const nlohmann::json& obj, std::string_view path,
                      std::initializer_list<std::string_view> allowed, bool doc_keys = false);

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string JsonPath(std::string_view path, std::string_view key);

// e.what() without nlohmann's "[json.exception.type_error.302] " prefix, invalid UTF-8 escaped.
std::string JsonExceptionText(const nlohmann::json::exception& e);

// Runs `parse` (a function returning Result<T> or Status) and turns any nlohmann exception it
// lets through (type_error from a get<>() on the wrong type, out_of_range from at()) into
// InvalidArgument "WHAT: ..."; the field readers name paths, this is the last line of defence
// where a document enters, so that no input can abort the process.
template <typename F>
auto CatchJsonErrors(std::string_view what, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + JsonExceptionText(e));
  }
}

}  // namespace ssai

#endif  // SSAI_REFERENCE_BASE_JSON_INPUT_H_
