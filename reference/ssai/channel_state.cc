#include "reference/ssai/channel_state.h"

#include <algorithm>

#include "reference/ssai/adbreak_state_json.h"

namespace ssai {

using internal::Json;

const AdBreakState* ChannelState::ActiveAt(UnixMicros now) const {
  for (const AdBreakState& b : breaks) {
    if (b.IsActiveAt(now)) return &b;
  }
  return nullptr;
}

int64_t ChannelState::DiscontinuitiesBeforeFirst() const {
  if (breaks.empty()) return discontinuities_total;
  return breaks.front().discontinuities_before.value_or(0);
}

int64_t ChannelState::MediaSequenceBeforeFirst() const {
  if (breaks.empty()) return media_sequence_total;
  return breaks.front().media_sequence_before.value_or(0);
}

std::string ChannelStateKey(std::string_view channel_id) {
  std::string key(kChannelStateKeyPrefix);
  key += channel_id;
  return key;
}

void SortAndEndOverlaps(std::vector<AdBreakState>* breaks) {
  std::stable_sort(breaks->begin(), breaks->end(),
                   [](const AdBreakState& a, const AdBreakState& b) { return a.start_time < b.start_time; });
  std::vector<AdBreakState> out;
  out.reserve(breaks->size());
  for (AdBreakState& b : *breaks) {
    if (!out.empty() && out.back().end_time > b.start_time) {
      if (out.back().start_time == b.start_time) {
        out.pop_back();
      } else {
        out.back().end_time = b.start_time;
        out.back().duration_s = MicrosToSeconds(b.start_time - out.back().start_time);
      }
    }
    out.push_back(std::move(b));
  }
  *breaks = std::move(out);
}

Result<ChannelState> ParseChannelState(std::string_view text) {
  SSAI_ASSIGN_OR_RETURN(Json j, internal::ParseObject(text, "ChannelState"));
  ChannelState s;
  SSAI_ASSIGN_OR_RETURN(s.channel_id, internal::GetString(j, "channelId", "channelId"));
  SSAI_ASSIGN_OR_RETURN(s.version, internal::GetInteger(j, "version", "version"));
  SSAI_ASSIGN_OR_RETURN(s.updated_at, internal::GetTime(j, "updatedAt", "updatedAt"));
  SSAI_ASSIGN_OR_RETURN(s.discontinuities_total,
                        internal::GetInteger(j, "discontinuitiesTotal", "discontinuitiesTotal"));
  if (auto m = j.find("mediaSequenceTotal"); m != j.end() && !m->is_null()) {
    SSAI_ASSIGN_OR_RETURN(s.media_sequence_total,
                          internal::GetInteger(j, "mediaSequenceTotal", "mediaSequenceTotal"));
  }
  auto breaks = j.find("breaks");
  if (breaks == j.end()) return internal::FieldError("breaks", "missing");
  if (!breaks->is_array()) return internal::FieldError("breaks", "must be an array");
  for (size_t i = 0; i < breaks->size(); ++i) {
    SSAI_ASSIGN_OR_RETURN(AdBreakState b, internal::AdBreakStateFromJson(
                                              (*breaks)[i], "breaks[" + std::to_string(i) + "]."));
    if (!s.breaks.empty() && b.start_time < s.breaks.back().start_time) {
      return internal::FieldError("breaks[" + std::to_string(i) + "]", "breaks must be sorted by startTime");
    }
    s.breaks.push_back(std::move(b));
  }
  return s;
}

std::string SerializeChannelState(const ChannelState& s) {
  Json j;
  j["channelId"] = s.channel_id;
  j["version"] = s.version;
  j["updatedAt"] = FormatIso8601Millis(s.updated_at);
  j["discontinuitiesTotal"] = s.discontinuities_total;
  if (s.media_sequence_total != 0) j["mediaSequenceTotal"] = s.media_sequence_total;
  Json breaks = Json::array();
  for (const AdBreakState& b : s.breaks) breaks.push_back(internal::AdBreakStateToJson(b));
  j["breaks"] = std::move(breaks);
  return j.dump();
}

}  // namespace ssai
