#include "reference/ssai/adbreak_state.h"

#include <algorithm>
#include <cmath>
#include <climits>
#include <tuple>

#include "reference/base/strings.h"
#include "reference/ssai/adbreak_state_json.h"

namespace ssai {
namespace internal {

Json Seconds(double s) {
  if (std::floor(s) == s && std::fabs(s) < 9e15) return static_cast<int64_t>(s);
  return s;
}

Status FieldError(std::string_view path, std::string_view what) {
  return Status::InvalidArgument(std::string(path) + ": " + std::string(what));
}

Result<std::string> GetString(const Json& obj, const std::string& field, const std::string& path) {
  auto it = obj.find(field);
  if (it == obj.end()) return FieldError(path, "missing");
  if (!it->is_string()) return FieldError(path, std::string("must be a string, got ") + it->type_name());
  return it->get<std::string>();
}

Result<double> GetNumber(const Json& obj, const std::string& field, const std::string& path) {
  auto it = obj.find(field);
  if (it == obj.end()) return FieldError(path, "missing");
  if (!it->is_number()) return FieldError(path, std::string("must be a number, got ") + it->type_name());
  return it->get<double>();
}

Result<int64_t> GetInteger(const Json& obj, const std::string& field, const std::string& path) {
  auto it = obj.find(field);
  if (it == obj.end()) return FieldError(path, "missing");
  if (!it->is_number_integer()) return FieldError(path, "must be an integer");
  return it->get<int64_t>();
}

Result<UnixMicros> GetTime(const Json& obj, const std::string& field, const std::string& path) {
  SSAI_ASSIGN_OR_RETURN(std::string text, GetString(obj, field, path));
  Result<UnixMicros> t = ParseIso8601(text);
  if (!t.ok()) return FieldError(path, t.status().message());
  // The documents carry milliseconds (JavaScript's Date, which the seed writes with); finer
  // digits are dropped as Date.parse drops them, so a document round-trips exactly.
  const int64_t sub_ms = ((*t % kMicrosPerMilli) + kMicrosPerMilli) % kMicrosPerMilli;
  return *t - sub_ms;
}

Result<Json> ParseObject(std::string_view text, std::string_view document_name) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for huge numbers
    // e.what() names the position: "parse error at line 1, column 19: ...".
    return Status::InvalidArgument(std::string(document_name) + " JSON: " + e.what());
  }
  if (!j.is_object()) return Status::InvalidArgument(std::string(document_name) + " JSON: must be an object");
  return j;
}

namespace {

Result<BreakSource> ParseSource(std::string_view s, const std::string& path) {
  if (s == "scte35") return BreakSource::kScte35;
  if (s == "manual") return BreakSource::kManual;
  if (s == "scheduled") return BreakSource::kScheduled;
  return FieldError(path, "'" + std::string(s) + "' is not one of scte35, manual, scheduled");
}

Result<AdDecision> ParseDecision(const Json& j, const std::string& p) {
  if (!j.is_object()) return FieldError(p, "must be an object");
  AdDecision d;
  SSAI_ASSIGN_OR_RETURN(d.pod_id, GetString(j, "podId", p + ".podId"));
  auto items = j.find("items");
  if (items == j.end()) return FieldError(p + ".items", "missing");
  if (!items->is_array()) return FieldError(p + ".items", "must be an array");
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& ij = (*items)[i];
    const std::string path = p + ".items[" + std::to_string(i) + "]";
    if (!ij.is_object()) return FieldError(path, "must be an object");
    AdItem item;
    SSAI_ASSIGN_OR_RETURN(item.id, GetString(ij, "id", path + ".id"));
    SSAI_ASSIGN_OR_RETURN(item.duration_s, GetNumber(ij, "duration", path + ".duration"));
    auto variants = ij.find("variants");
    if (variants == ij.end()) return FieldError(path + ".variants", "missing");
    if (!variants->is_object()) return FieldError(path + ".variants", "must be an object of bitrate -> URL");
    for (auto it = variants->begin(); it != variants->end(); ++it) {
      const std::string vpath = path + ".variants[\"" + it.key() + "\"]";
      std::optional<int64_t> bps = ParseInt64(it.key());
      if (!bps || *bps <= 0) return FieldError(vpath, "key is not a bitrate in bits/s");
      if (!it.value().is_string()) return FieldError(vpath, "URL must be a string");
      item.variants.push_back({*bps, it.value().get<std::string>()});
    }
    std::sort(item.variants.begin(), item.variants.end(),
              [](const AdVariant& a, const AdVariant& b) { return a.bitrate_bps < b.bitrate_bps; });
    if (auto sd = ij.find("segmentDuration"); sd != ij.end() && !sd->is_null()) {
      SSAI_ASSIGN_OR_RETURN(item.segment_duration_s,
                            GetNumber(ij, "segmentDuration", path + ".segmentDuration"));
    }
    if (auto tr = ij.find("tracking"); tr != ij.end() && !tr->is_null()) {
      const std::string tpath = path + ".tracking";
      if (!tr->is_object()) return FieldError(tpath, "must be an object of event -> [URL]");
      for (auto it = tr->begin(); it != tr->end(); ++it) {
        const std::string epath = tpath + "." + it.key();
        if (!it.value().is_array()) return FieldError(epath, "must be an array of URLs");
        std::vector<std::string>& urls = item.tracking[it.key()];
        for (const Json& u : it.value()) {
          if (!u.is_string()) return FieldError(epath, "URL must be a string");
          urls.push_back(u.get<std::string>());
        }
      }
    }
    if (auto au = ij.find("audio"); au != ij.end() && !au->is_null()) {
      const std::string apath = path + ".audio";
      if (!au->is_array()) return FieldError(apath, "must be an array of {language, url}");
      for (size_t k = 0; k < au->size(); ++k) {
        const Json& aj = (*au)[k];
        const std::string epath = apath + "[" + std::to_string(k) + "]";
        if (!aj.is_object()) return FieldError(epath, "must be an object {language, url}");
        AdAudio a;
        SSAI_ASSIGN_OR_RETURN(a.language, GetString(aj, "language", epath + ".language"));
        SSAI_ASSIGN_OR_RETURN(a.url, GetString(aj, "url", epath + ".url"));
        item.audio.push_back(std::move(a));
      }
    }
    d.items.push_back(std::move(item));
  }
  return d;
}

}  // namespace

Result<AdBreakState> AdBreakStateFromJson(const Json& j, const std::string& p) {
  if (!j.is_object()) return FieldError(p.empty() ? "AdBreakState" : p.substr(0, p.size() - 1), "must be an object");
  AdBreakState s;
  SSAI_ASSIGN_OR_RETURN(s.channel_id, GetString(j, "channelId", p + "channelId"));
  SSAI_ASSIGN_OR_RETURN(s.event_id, GetString(j, "eventId", p + "eventId"));
  SSAI_ASSIGN_OR_RETURN(std::string source, GetString(j, "source", p + "source"));
  SSAI_ASSIGN_OR_RETURN(s.source, ParseSource(source, p + "source"));
  SSAI_ASSIGN_OR_RETURN(s.start_time, GetTime(j, "startTime", p + "startTime"));
  SSAI_ASSIGN_OR_RETURN(s.duration_s, GetNumber(j, "duration", p + "duration"));
  SSAI_ASSIGN_OR_RETURN(s.end_time, GetTime(j, "endTime", p + "endTime"));
  auto decision = j.find("decision");
  if (decision == j.end()) return FieldError(p + "decision", "missing");
  SSAI_ASSIGN_OR_RETURN(s.decision, ParseDecision(*decision, p + "decision"));
  SSAI_ASSIGN_OR_RETURN(s.created_at, GetTime(j, "createdAt", p + "createdAt"));
  auto scte = j.find("scte35Data");
  if (scte != j.end() && !scte->is_null()) {
    const std::string sp = p + "scte35Data";
    if (!scte->is_object()) return FieldError(sp, "must be an object");
    Scte35Data d;
    SSAI_ASSIGN_OR_RETURN(d.pdt, GetString(*scte, "pdt", sp + ".pdt"));
    SSAI_ASSIGN_OR_RETURN(d.signal_type, GetString(*scte, "signalType", sp + ".signalType"));
    SSAI_ASSIGN_OR_RETURN(d.event_id, GetString(*scte, "eventId", sp + ".eventId"));
    auto seg = scte->find("segmentNumber");
    if (seg != scte->end() && !seg->is_null()) {
      SSAI_ASSIGN_OR_RETURN(d.segment_number, GetInteger(*scte, "segmentNumber", sp + ".segmentNumber"));
    }
    s.scte35_data = std::move(d);
  }
  auto ledger = j.find("discontinuitiesBefore");
  if (ledger != j.end() && !ledger->is_null()) {
    if (!ledger->is_number_integer() || ledger->get<int64_t>() < 0) {
      return FieldError(p + "discontinuitiesBefore", "must be an integer >= 0");
    }
    s.discontinuities_before = ledger->get<int64_t>();
  }
  for (auto [key, field, min] : {std::tuple{"mediaSequenceBefore", &s.media_sequence_before, INT64_MIN},
                                 std::tuple{"discontinuities", &s.discontinuities, int64_t{0}},
                                 std::tuple{"mediaSequenceDelta", &s.media_sequence_delta, INT64_MIN}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < min) {
      return FieldError(p + key, min == 0 ? "must be an integer >= 0" : "must be an integer");
    }
    *field = it->get<int64_t>();
  }
  Status valid = Validate(s);
  if (!valid.ok() && !p.empty()) return Status::InvalidArgument(p + valid.message());
  SSAI_RETURN_IF_ERROR(valid);
  return s;
}

Json AdBreakStateToJson(const AdBreakState& s) {
  Json j;
  j["channelId"] = s.channel_id;
  j["eventId"] = s.event_id;
  j["source"] = std::string(BreakSourceName(s.source));
  j["startTime"] = FormatIso8601Millis(s.start_time);
  j["duration"] = Seconds(s.duration_s);
  j["endTime"] = FormatIso8601Millis(s.end_time);
  Json items = Json::array();
  for (const AdItem& item : s.decision.items) {
    Json variants = Json::object();
    for (const AdVariant& v : item.variants) variants[std::to_string(v.bitrate_bps)] = v.url;
    Json ij{{"id", item.id}, {"duration", Seconds(item.duration_s)}, {"variants", variants}};
    if (item.segment_duration_s) ij["segmentDuration"] = Seconds(*item.segment_duration_s);
    if (!item.tracking.empty()) {
      Json tr = Json::object();
      for (const auto& [event, urls] : item.tracking) tr[event] = urls;
      ij["tracking"] = std::move(tr);
    }
    if (!item.audio.empty()) {
      Json au = Json::array();
      for (const AdAudio& a : item.audio) au.push_back(Json{{"language", a.language}, {"url", a.url}});
      ij["audio"] = std::move(au);
    }
    items.push_back(std::move(ij));
  }
  j["decision"] = Json{{"podId", s.decision.pod_id}, {"items", items}};
  j["createdAt"] = FormatIso8601Millis(s.created_at);
  if (s.scte35_data) {
    Json d{{"pdt", s.scte35_data->pdt},
           {"signalType", s.scte35_data->signal_type},
           {"eventId", s.scte35_data->event_id}};
    if (s.scte35_data->segment_number) d["segmentNumber"] = *s.scte35_data->segment_number;
    j["scte35Data"] = d;
  }
  if (s.discontinuities_before) j["discontinuitiesBefore"] = *s.discontinuities_before;
  if (s.media_sequence_before) j["mediaSequenceBefore"] = *s.media_sequence_before;
  if (s.discontinuities) j["discontinuities"] = *s.discontinuities;
  if (s.media_sequence_delta) j["mediaSequenceDelta"] = *s.media_sequence_delta;
  return j;
}

}  // namespace internal

std::string_view BreakSourceName(BreakSource source) {
  switch (source) {
    case BreakSource::kScte35: return "scte35";
    case BreakSource::kManual: return "manual";
    case BreakSource::kScheduled: return "scheduled";
  }
  return "manual";
}

double AdDecision::TotalDurationSeconds() const {
  double total = 0;
  for (const AdItem& item : items) total += item.duration_s;
  return total;
}

bool AdDecision::IsPod() const {
  if (items.empty()) return false;
  for (const AdItem& item : items) {
    if (!item.segment_duration_s) return false;
  }
  return true;
}

std::string AdBreakKeyPrefix(std::string_view channel_id) {
  std::string key = "adbreak:";
  key += channel_id;
  key += ':';
  return key;
}

std::string AdBreakKey(std::string_view channel_id, std::string_view event_id) {
  std::string key = AdBreakKeyPrefix(channel_id);
  key += event_id;
  return key;
}

int64_t AdBreakTtlSeconds(double duration_s) {
  return static_cast<int64_t>(std::floor(duration_s)) + kAdBreakTtlMarginS;
}

Status Validate(const AdBreakState& s) {
  using internal::FieldError;
  if (s.channel_id.empty()) return FieldError("channelId", "must not be empty");
  // A ':' would make "adbreak:{channelId}:{eventId}" ambiguous and break list-by-prefix.
  if (s.channel_id.find(':') != std::string::npos) return FieldError("channelId", "must not contain ':'");
  if (s.event_id.empty()) return FieldError("eventId", "must not be empty");
  if (!std::isfinite(s.duration_s) || s.duration_s <= 0 || s.duration_s > kMaxBreakDurationS) {
    return FieldError("duration", "must be > 0 and <= 3600 seconds, got " + FormatDouble(s.duration_s));
  }
  // endTime = startTime + duration; allow 1 ms for the documents' millisecond precision.
  const UnixMicros expected = s.start_time + SecondsToMicros(s.duration_s);
  if (std::llabs(s.end_time - expected) > kMicrosPerMilli) {
    return FieldError("endTime", "must equal startTime + duration (" + FormatIso8601Millis(expected) +
                                     "), got " + FormatIso8601Millis(s.end_time));
  }
  for (size_t i = 0; i < s.decision.items.size(); ++i) {
    const AdItem& item = s.decision.items[i];
    const std::string path = "decision.items[" + std::to_string(i) + "]";
    if (item.id.empty()) return FieldError(path + ".id", "must not be empty");
    if (!std::isfinite(item.duration_s) || item.duration_s < 0) {
      return FieldError(path + ".duration", "must be >= 0 seconds");
    }
    if (item.segment_duration_s &&
        (!std::isfinite(*item.segment_duration_s) || *item.segment_duration_s <= 0 ||
         *item.segment_duration_s > 3600)) {
      return FieldError(path + ".segmentDuration", "must be > 0 and <= 3600 seconds");
    }
    for (const AdVariant& v : item.variants) {
      if (v.bitrate_bps <= 0) return FieldError(path + ".variants", "bitrate must be > 0");
      if (v.url.empty()) return FieldError(path + ".variants", "URL must not be empty");
    }
    if (item.audio.size() > kMaxAdAudioLanguages) {
      return FieldError(path + ".audio", "more than " + std::to_string(kMaxAdAudioLanguages) + " languages");
    }
    for (size_t k = 0; k < item.audio.size(); ++k) {
      if (item.audio[k].url.empty()) {
        return FieldError(path + ".audio[" + std::to_string(k) + "].url", "must not be empty");
      }
    }
    for (const auto& [event, urls] : item.tracking) {
      const std::string tpath = path + ".tracking." + event;
      if (std::find(kBeaconEvents.begin(), kBeaconEvents.end(), event) == kBeaconEvents.end()) {
        return FieldError(tpath, "not one of impression, start, firstQuartile, midpoint, thirdQuartile, complete");
      }
      if (urls.size() > kMaxBeaconUrlsPerEvent) {
        return FieldError(tpath, "more than " + std::to_string(kMaxBeaconUrlsPerEvent) + " URLs");
      }
      for (const std::string& u : urls) {
        if (u.empty() || u.size() > kMaxBeaconUrlBytes) {
          return FieldError(tpath, "URL must be 1.." + std::to_string(kMaxBeaconUrlBytes) + " bytes");
        }
      }
    }
  }
  return Status::Ok();
}

Result<AdBreakState> ParseAdBreakState(std::string_view text) {
  SSAI_ASSIGN_OR_RETURN(internal::Json j, internal::ParseObject(text, "AdBreakState"));
  return internal::AdBreakStateFromJson(j, "");
}

std::string SerializeAdBreakState(const AdBreakState& state) {
  return internal::AdBreakStateToJson(state).dump();
}

}  // namespace ssai
