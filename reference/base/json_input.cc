#include "reference/base/json_input.h"

#include <algorithm>
#include <cmath>

#include "reference/base/json_text.h"
#include "reference/base/strings.h"

namespace ssai {

std::string JsonExceptionText(const nlohmann::json::exception& e) {
  std::string_view w = e.what();
  if (!w.empty() && w.front() == '[') {
    const size_t end = w.find("] ");
    if (end != std::string_view::npos) w.remove_prefix(end + 2);
  }
  // A parse error quotes the bytes it read ("last read: '...'"), which may not be UTF-8.
  return EscapeInvalidUtf8(w);
}

Result<nlohmann::json> ParseJsonInput(std::string_view text, std::string_view what, int max_depth) {
  if (Status s = CheckJsonNesting(text, max_depth); !s.ok()) {
    return Status::InvalidArgument(std::string(what) + ": " + s.message());
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string(what) + ": not valid JSON (" + JsonExceptionText(e) + ")");
  }
}

std::string JsonPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

Status CheckKnownKeys(const nlohmann::json& obj, std::string_view path,
                      std::initializer_list<std::string_view> allowed, bool doc_keys) {
  if (!obj.is_object()) return Status::InvalidArgument(std::string(path) + ": must be a JSON object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (doc_keys && (k.rfind('_', 0) == 0 || k == "comment")) continue;
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    // The key came from the document: escape it, so the message stays UTF-8 (it may be put in JSON).
    return Status::InvalidArgument(JsonPath(path, EscapeInvalidUtf8(k.substr(0, 80))) +
                                   ": unknown key (allowed: " + list + ")");
  }
  return Status::Ok();
}

const nlohmann::json* JsonFields::Find(std::string_view key) const {
  if (!obj_->is_object()) return nullptr;
  auto it = obj_->find(key);
  return it == obj_->end() ? nullptr : &*it;
}

Status JsonFields::Missing(std::string_view key) const { return Status::InvalidArgument(Path(key) + ": missing"); }

Status JsonFields::WrongType(std::string_view key, std::string_view expected, const nlohmann::json& got) const {
  std::string what = Path(key) + ": must be " + std::string(expected) + ", got ";
  // A number of the wrong kind is shown (2.5 for an integer); anything else by its type.
  what += got.is_number() ? got.dump() : std::string(got.type_name());
  return Status::InvalidArgument(std::move(what));
}

namespace {

// [0, 86400], (0, 1]: the bounds as JSON writes them; a side at the double limit is left open.
std::string RangeText(const JsonRange& r) {
  auto bound = [](double v) {
    if (std::abs(v) >= 9.2e18) return std::string("...");  // unbounded on that side (a type's limit)
    return v == static_cast<double>(static_cast<int64_t>(v)) && std::abs(v) < 9.0e15
               ? std::to_string(static_cast<int64_t>(v))
               : nlohmann::json(v).dump();
  };
  return std::string(r.open_min ? "(" : "[") + bound(r.min) + ", " + bound(r.max) + "]";
}

bool InRange(double v, const JsonRange& r) { return (r.open_min ? v > r.min : v >= r.min) && v <= r.max; }

}  // namespace

Status JsonFields::Number(std::string_view key, double* out, JsonRange range) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return range.required ? Missing(key) : Status::Ok();
  if (!v->is_number()) return WrongType(key, "a number", *v);
  const double d = v->get<double>();
  if (!InRange(d, range)) {
    return Status::InvalidArgument(Path(key) + ": must be in " + RangeText(range) + ", got " + v->dump());
  }
  *out = d;
  return Status::Ok();
}

Status JsonFields::Integer(std::string_view key, int64_t* out, JsonRange range) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return range.required ? Missing(key) : Status::Ok();
  if (!v->is_number_integer()) return WrongType(key, "an integer", *v);
  // An unsigned above INT64_MAX must not wrap into range.
  const bool huge = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  const int64_t i = huge ? INT64_MAX : v->get<int64_t>();
  if (huge || !InRange(static_cast<double>(i), range)) {
    return Status::InvalidArgument(Path(key) + ": must be in " + RangeText(range) + ", got " + v->dump());
  }
  *out = i;
  return Status::Ok();
}

Status JsonFields::String(std::string_view key, std::string* out, bool required) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  if (!v->is_string()) return WrongType(key, "a string", *v);
  *out = v->get<std::string>();
  return Status::Ok();
}

Status JsonFields::Bool(std::string_view key, bool* out, bool required) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return required ? Missing(key) : Status::Ok();
  if (!v->is_boolean()) return WrongType(key, "true or false", *v);
  *out = v->get<bool>();
  return Status::Ok();
}

}  // namespace ssai
