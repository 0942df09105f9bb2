#include "reference/base/json_input.h"

#include <algorithm>

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

}  // namespace ssai
