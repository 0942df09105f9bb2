#include "reference/media/origin/capture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "reference/base/json_input.h"
#include "reference/base/json_text.h"

namespace ssai::origin {

namespace {

using Json = nlohmann::json;

// A JSON string; invalid UTF-8 (an error text quoting a broken body) becomes U+FFFD.
std::string Quote(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string LinePrefix(int line) { return "line " + std::to_string(line) + ": "; }

Status FieldError(int line, std::string_view field, std::string_view what) {
  return Status::InvalidArgument(LinePrefix(line) + std::string(field) + ": " + std::string(what));
}

bool IsPlainFileName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c == '\0') return false;
  }
  return true;
}

Result<Json> ParseLine(std::string_view text, int line) {
  // Every line is one flat object: nothing nests deeper than 2, and a deeper line is refused
  // before the JSON library walks it.
  if (Status s = CheckJsonNesting(text, 2); !s.ok()) return Status::InvalidArgument(LinePrefix(line) + s.message());
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(LinePrefix(line) + "not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(LinePrefix(line) + "not a JSON object");
  return j;
}

Status CheckKnownKeys(const Json& j, int line, std::initializer_list<std::string_view> known) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return FieldError(line, it.key(), "unknown field");
    }
  }
  return Status::Ok();
}

Result<CaptureHeader> ParseHeader(const Json& j, int line) {
  auto format = j.find("format");
  if (format == j.end() || !format->is_string()) {
    return FieldError(line, "format", "missing: the first line must be the header {\"format\":\"" +
                                          std::string(kCaptureFormat) + "\",...}");
  }
  if (format->get<std::string>() != kCaptureFormat) {
    return FieldError(line, "format", "'" + format->get<std::string>() + "' is not " + std::string(kCaptureFormat));
  }
  SSAI_RETURN_IF_ERROR(CheckKnownKeys(j, line, {"format", "url", "started_at", "duration_ms", "speed"}));
  CaptureHeader h;
  if (auto u = j.find("url"); u != j.end()) {
    if (!u->is_string()) return FieldError(line, "url", "not a string");
    h.url = u->get<std::string>();
  }
  if (auto s = j.find("started_at"); s != j.end()) {
    if (!s->is_string()) return FieldError(line, "started_at", "not a string");
    Result<UnixMicros> t = ParseIso8601(s->get<std::string>());
    if (!t.ok()) return FieldError(line, "started_at", t.status().message());
    h.started_at = *t;
  }
  if (auto d = j.find("duration_ms"); d != j.end()) {
    if (!d->is_number_integer() || d->get<int64_t>() < 0) {
      return FieldError(line, "duration_ms", "not a non-negative integer");
    }
    h.duration_ms = d->get<int64_t>();
  }
  if (auto s = j.find("speed"); s != j.end()) {
    if (!s->is_number() || !(s->get<double>() > 0) || s->get<double>() > 1000) {
      return FieldError(line, "speed", "not a number in (0, 1000]");
    }
    h.speed = s->get<double>();
  }
  return h;
}

Result<CaptureEntry> ParseEntry(const Json& j, int line) {
  SSAI_RETURN_IF_ERROR(CheckKnownKeys(j, line, {"offset_ms", "path", "status", "file", "error"}));
  CaptureEntry e;
  e.line = line;
  auto off = j.find("offset_ms");
  if (off == j.end()) return FieldError(line, "offset_ms", "missing");
  if (!off->is_number_integer() || off->get<int64_t>() < 0) {
    return FieldError(line, "offset_ms", "not a non-negative integer");
  }
  e.offset_ms = off->get<int64_t>();
  auto path = j.find("path");
  if (path == j.end()) return FieldError(line, "path", "missing");
  if (!path->is_string() || path->get<std::string>().empty() || path->get<std::string>()[0] != '/') {
    return FieldError(line, "path", "not a string starting with '/'");
  }
  e.path = path->get<std::string>();
  if (auto s = j.find("status"); s != j.end()) {
    if (!s->is_number_integer() || s->get<int64_t>() < 0 || s->get<int64_t>() > 999) {
      return FieldError(line, "status", "not an HTTP status (0 for no response)");
    }
    e.status = static_cast<int>(s->get<int64_t>());
  }
  if (auto f = j.find("file"); f != j.end()) {
    if (!f->is_string() || !IsPlainFileName(f->get<std::string>())) {
      return FieldError(line, "file", "not a plain file name in the capture directory");
    }
    e.file = f->get<std::string>();
  }
  if (auto er = j.find("error"); er != j.end()) {
    if (!er->is_string()) return FieldError(line, "error", "not a string");
    e.error = er->get<std::string>();
  }
  if (e.status == 200 && e.error.empty() && e.file.empty()) {
    return FieldError(line, "file", "missing for a status 200 entry");
  }
  return e;
}

Result<Capture> ParseCaptureIndexChecked(std::string_view text);

}  // namespace

Result<Capture> ParseCaptureIndex(std::string_view text) {
  // The field readers check every type; this only guards against what they miss.
  return CatchJsonErrors("capture index", [&] { return ParseCaptureIndexChecked(text); });
}

namespace {

Result<Capture> ParseCaptureIndexChecked(std::string_view text) {
  Capture capture;
  int line = 0;
  bool have_header = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view row = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line;
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (row.find_first_not_of(" \t") == std::string_view::npos) {
      return Status::InvalidArgument(LinePrefix(line) + "blank line");
    }
    SSAI_ASSIGN_OR_RETURN(Json j, ParseLine(row, line));
    if (!have_header) {
      SSAI_ASSIGN_OR_RETURN(capture.header, ParseHeader(j, line));
      have_header = true;
      continue;
    }
    SSAI_ASSIGN_OR_RETURN(CaptureEntry e, ParseEntry(j, line));
    if (!capture.entries.empty() && e.offset_ms < capture.entries.back().offset_ms) {
      return FieldError(line, "offset_ms",
                        std::to_string(e.offset_ms) + " is before the previous entry's " +
                            std::to_string(capture.entries.back().offset_ms));
    }
    capture.entries.push_back(std::move(e));
  }
  if (!have_header) return Status::InvalidArgument("line 1: empty index (no header)");
  return capture;
}

}  // namespace

std::string SerializeCaptureHeader(const CaptureHeader& header) {
  // Keys in a fixed, readable order (nlohmann would sort them): build the line by hand.
  return "{\"format\":" + Quote(kCaptureFormat) + ",\"url\":" + Quote(header.url) +
         ",\"started_at\":" + Quote(FormatIso8601Millis(header.started_at)) +
         ",\"duration_ms\":" + std::to_string(header.duration_ms) + ",\"speed\":" + Json(header.speed).dump() +
         "}\n";
}

std::string SerializeCaptureEntry(const CaptureEntry& e) {
  std::string out = "{\"offset_ms\":" + std::to_string(e.offset_ms) + ",\"path\":" + Quote(e.path) +
                    ",\"status\":" + std::to_string(e.status);
  if (!e.file.empty()) out += ",\"file\":" + Quote(e.file);
  if (!e.error.empty()) out += ",\"error\":" + Quote(e.error);
  out += "}\n";
  return out;
}

std::string SerializeCaptureIndex(const Capture& capture) {
  std::string out = SerializeCaptureHeader(capture.header);
  for (const CaptureEntry& e : capture.entries) out += SerializeCaptureEntry(e);
  return out;
}

std::string SnapshotFileName(int64_t seq, std::string_view path) {
  char num[32];
  std::snprintf(num, sizeof(num), "%06lld_", static_cast<long long>(seq));
  std::string name = num;
  std::string_view p = path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  for (char c : p) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    name += keep ? c : '_';
  }
  if (name.size() > 200) name.resize(200);
  return name;
}

CaptureReplay::CaptureReplay(Capture capture) : capture_(std::move(capture)) {
  duration_ms_ = capture_.header.duration_ms;
  for (size_t i = 0; i < capture_.entries.size(); ++i) {
    const CaptureEntry& e = capture_.entries[i];
    duration_ms_ = std::max(duration_ms_, e.offset_ms);
    by_path_[e.path].push_back(i);
  }
}

std::vector<std::string> CaptureReplay::Paths() const {
  std::vector<std::string> paths;
  for (const auto& [path, _] : by_path_) paths.push_back(path);
  return paths;
}

const CaptureEntry* CaptureReplay::At(std::string_view path, int64_t offset_ms) const {
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return nullptr;
  const std::vector<size_t>& idx = it->second;
  // First entry whose offset is > offset_ms; the one before it is current.
  auto after = std::upper_bound(idx.begin(), idx.end(), offset_ms,
                                [&](int64_t off, size_t i) { return off < capture_.entries[i].offset_ms; });
  if (after == idx.begin()) return nullptr;
  return &capture_.entries[*(after - 1)];
}

const CaptureEntry* CaptureReplay::First(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &capture_.entries[it->second.front()];
}

std::vector<const CaptureEntry*> CaptureReplay::EntriesFor(std::string_view path) const {
  std::vector<const CaptureEntry*> out;
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return out;
  for (size_t i : it->second) out.push_back(&capture_.entries[i]);
  return out;
}

int64_t CaptureReplay::ReplayOffset(int64_t elapsed_ms, bool loop) const {
  if (elapsed_ms < 0) return 0;
  if (!loop) return elapsed_ms;
  return elapsed_ms % (duration_ms_ + 1);
}

int64_t NextReloadDelayMs(int64_t target_duration_s, bool changed) {
  const int64_t td_ms = std::max<int64_t>(target_duration_s, 0) * 1000;
  return std::max<int64_t>(changed ? td_ms : td_ms / 2, 100);
}

}  // namespace ssai::origin
