#include "conformance/cue_template.h"

#include <array>
#include <cstdio>

namespace ssai::conformance {

namespace {

constexpr std::array<std::string_view, 8> kNames = {"org",        "channel", "duration",    "pod_id",
                                                    "pod_id_field", "now_iso", "now_epoch_s", "now_epoch_ms"};
// Inserted verbatim: numbers and the ready-made JSON fragment.
bool Verbatim(std::string_view name) {
  return name == "duration" || name == "pod_id_field" || name == "now_epoch_s" || name == "now_epoch_ms";
}

struct Placeholder {
  size_t end = 0;  // one past the closing brace
  std::string_view name;
  std::string_view fallback;
  bool has_fallback = false;
};

// At tmpl[at] == '{': a placeholder, or nullopt-like (end == 0) for literal text.
Placeholder ParseAt(std::string_view tmpl, size_t at) {
  Placeholder p;
  size_t i = at + 1;
  while (i < tmpl.size() && ((tmpl[i] >= 'a' && tmpl[i] <= 'z') || tmpl[i] == '_')) ++i;
  if (i == at + 1 || i >= tmpl.size()) return p;
  p.name = tmpl.substr(at + 1, i - at - 1);
  if (tmpl[i] == '|') {
    const size_t close = tmpl.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || tmpl[close] != '}') return p;
    p.fallback = tmpl.substr(i + 1, close - i - 1);
    p.has_fallback = true;
    p.end = close + 1;
    return p;
  }
  if (tmpl[i] != '}') return p;
  p.end = i + 1;
  return p;
}

void AppendJsonStringContent(std::string_view v, std::string* out) {
  for (unsigned char c : v) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
}

}  // namespace

Status CheckCueTemplate(std::string_view tmpl) {
  for (size_t at = tmpl.find('{'); at != std::string_view::npos; at = tmpl.find('{', at + 1)) {
    const Placeholder p = ParseAt(tmpl, at);
    if (p.end == 0) continue;
    bool known = false;
    for (std::string_view n : kNames) known |= n == p.name;
    if (!known) {
      std::string list;
      for (std::string_view n : kNames) list += (list.empty() ? "{" : ", {") + std::string(n) + "}";
      return Status::InvalidArgument("unknown placeholder {" + std::string(p.name) + "} at byte " + std::to_string(at) +
                                     " (known: " + list + ")");
    }
  }
  return Status::Ok();
}

std::string FillCueTemplate(std::string_view tmpl, const std::map<std::string, std::string>& values, bool json_strings) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  size_t from = 0;
  for (size_t at = tmpl.find('{'); at != std::string_view::npos; at = tmpl.find('{', at + 1)) {
    const Placeholder p = ParseAt(tmpl, at);
    if (p.end == 0) continue;
    out.append(tmpl.substr(from, at - from));
    auto it = values.find(std::string(p.name));
    std::string_view v = it != values.end() ? std::string_view(it->second) : std::string_view();
    if (v.empty() && p.has_fallback) v = p.fallback;
    if (json_strings && !Verbatim(p.name)) {
      AppendJsonStringContent(v, &out);
    } else {
      out.append(v);
    }
    from = p.end;
    at = p.end - 1;
  }
  out.append(tmpl.substr(from));
  return out;
}

}  // namespace ssai::conformance
