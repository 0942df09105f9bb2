// Parsing JSON that enters the program from outside (files and arguments: scenarios, configs,
// specs, profiles, catalogues, capture indexes): bounded nesting, no exceptions escaping, and
// errors that name the document, the field path and what is wrong. Library ssai_json_input
// (ssai_base + the header-only nlohmann_json), so ssai_base itself stays free of nlohmann.
#ifndef SSAI_REFERENCE_BASE_JSON_INPUT_H_
#define SSAI_REFERENCE_BASE_JSON_INPUT_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
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

// The allowed values of a numeric field: [min, max], or (min, max] with open_min (a rate or a
// share that must not be 0). `required`: an absent field is an error rather than "keep the default".
struct JsonRange {
  double min = -std::numeric_limits<double>::max();
  double max = std::numeric_limits<double>::max();
  bool open_min = false;
  bool required = false;
};

// The one strict reader of a JSON object's members, for every document that enters from outside
// (scenarios, configs, specs, profiles, target profiles). Each read names the field by its path:
//   JsonFields f(obj, "scenario.kv");
//   SSAI_RETURN_IF_ERROR(f.Number("cache_ttl_s", &spec.cache_ttl_s, {.min = 0, .max = 86400}));
// An absent member leaves *out untouched (the default stands) unless required. Errors are
// InvalidArgument:
//   "scenario.kv.cache_ttl_s: missing"                      (required)
//   "scenario.kv.cache_ttl_s: must be a number, got string"
//   "scenario.kv.cache_ttl_s: must be in [0, 86400], got 90000"
//   "limits.max: must be an integer, got 2.5"                (and within the target type's range)
//   "name: must be a string, got number"   "x.enabled: must be true or false, got string"
// A non-object `obj` has no members (CheckKnown says it must be an object).
class JsonFields {
 public:
  JsonFields(const nlohmann::json& obj, std::string path) : obj_(&obj), path_(std::move(path)) {}

  const nlohmann::json* Find(std::string_view key) const;  // nullptr: absent
  std::string Path(std::string_view key) const { return JsonPath(path_, key); }
  const std::string& path() const { return path_; }

  Status CheckKnown(std::initializer_list<std::string_view> allowed, bool doc_keys = false) const {
    return CheckKnownKeys(*obj_, path_, allowed, doc_keys);
  }
  Status Number(std::string_view key, double* out, JsonRange range = {}) const;
  Status Integer(std::string_view key, int64_t* out, JsonRange range = {}) const;
  template <typename I>
  Status Integer(std::string_view key, I* out, JsonRange range = {}) const {
    range.min = std::max(range.min, static_cast<double>(std::numeric_limits<I>::lowest()));
    range.max = std::min(range.max, static_cast<double>(std::numeric_limits<I>::max()));
    int64_t v = static_cast<int64_t>(*out);
    SSAI_RETURN_IF_ERROR(Integer(key, &v, range));
    *out = static_cast<I>(v);
    return Status::Ok();
  }
  Status String(std::string_view key, std::string* out, bool required = false) const;
  Status Bool(std::string_view key, bool* out, bool required = false) const;

 private:
  Status Missing(std::string_view key) const;
  Status WrongType(std::string_view key, std::string_view expected, const nlohmann::json& got) const;

  const nlohmann::json* obj_;
  std::string path_;
};

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
