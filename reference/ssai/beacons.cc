#include "reference/ssai/beacons.h"

#include <algorithm>

namespace ssai {

namespace {

constexpr size_t kImpression = 0, kStart = 1, kComplete = 5;
constexpr double kQuartile[] = {0, 0, 0.25, 0.5, 0.75, 1};
constexpr DurationMicros kEdgeUs = 1000;  // layout rounding

const AdItem* FindItem(std::span<const AdBreakState> breaks, std::string_view event_id, int creative) {
  for (const AdBreakState& b : breaks) {
    if (b.event_id != event_id) continue;
    if (creative < 0 || static_cast<size_t>(creative) >= b.decision.items.size()) return nullptr;
    return &b.decision.items[static_cast<size_t>(creative)];
  }
  return nullptr;
}

// Does `seg` reach the position of event `e` of its creative (of duration `d_us`)?
bool Reaches(size_t e, const PodSegmentRef& seg, DurationMicros d_us) {
  const DurationMicros a = seg.creative_offset_us, b = seg.creative_offset_us + seg.duration_us;
  if (e == kImpression || e == kStart) return a <= kEdgeUs;
  if (e == kComplete) return !seg.cut && b >= d_us - kEdgeUs;
  const auto p = static_cast<DurationMicros>(kQuartile[e] * static_cast<double>(d_us));
  return a <= p && p < b;
}

}  // namespace

bool IsValidSessionId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

void BeaconTracker::Expire(UnixMicros now) {
  last_sweep_ = now;
  std::erase_if(sessions_, [&](const auto& kv) {
    const bool idle = now - kv.second.last_seen > options_.session_idle_us;
    stats_.sessions_expired += idle;
    return idle;
  });
}

BeaconTracker::Session* BeaconTracker::FindOrCreate(std::string_view session, UnixMicros now, UnixMicros join_at) {
  if (now - last_sweep_ >= 10 * kMicrosPerSecond) Expire(now);
  auto it = sessions_.find(std::string(session));
  if (it != sessions_.end() && now - it->second.last_seen > options_.session_idle_us) {
    sessions_.erase(it);  // came back after expiry: a new join
    ++stats_.sessions_expired;
    it = sessions_.end();
  }
  if (it == sessions_.end()) {
    if (sessions_.size() >= options_.max_sessions) Expire(now);
    if (sessions_.size() >= options_.max_sessions) {
      ++stats_.sessions_refused;
      return nullptr;
    }
    it = sessions_.emplace(std::string(session), Session{now, join_at, {}}).first;
  }
  it->second.last_seen = now;
  return &it->second;
}

void BeaconTracker::Append(const AdItem& item, std::string_view session, std::string_view event_id, size_t event,
                           UnixMicros now, std::vector<Beacon>* out) {
  auto it = item.tracking.find(kBeaconEvents[event]);
  if (it == item.tracking.end()) return;
  for (const std::string& url : it->second) {
    out->push_back({url, std::string(session), std::string(event_id), item.id, std::string(kBeaconEvents[event]), now});
  }
}

std::vector<Beacon> BeaconTracker::OnPlaylist(std::string_view session, UnixMicros now, UnixMicros window_end,
                                              int64_t target_duration_s, std::span<const PodSegmentRef> segments,
                                              std::span<const AdBreakState> breaks) {
  std::vector<Beacon> out;
  ++stats_.playlists;
  const UnixMicros join_at =
      window_end - options_.join_holdback_target_durations * std::max<int64_t>(target_duration_s, 1) * kMicrosPerSecond;
  Session* s = FindOrCreate(session, now, join_at);
  if (s == nullptr) return out;
  for (const PodSegmentRef& seg : segments) {
    if (seg.start + seg.duration_us <= s->join_at) continue;  // behind the player's start
    const AdItem* item = FindItem(breaks, seg.event_id, seg.creative);
    if (item == nullptr) continue;
    const DurationMicros d_us = SecondsToMicros(item->duration_s);
    const std::pair<std::string, int> key{seg.event_id, seg.creative};
    auto it = s->next.find(key);
    if (it == s->next.end()) {
      if (!Reaches(kImpression, seg, d_us)) continue;  // joined mid-creative: nothing for it
      if (s->next.size() >= options_.max_creatives_per_session) s->next.erase(s->next.begin());
      it = s->next.emplace(key, 0).first;
    }
    while (it->second < kBeaconEvents.size() && Reaches(it->second, seg, d_us)) {
      Append(*item, session, seg.event_id, it->second, now, &out);
      ++it->second;
    }
  }
  stats_.beacons += static_cast<int64_t>(out.size());
  return out;
}

std::vector<Beacon> BeaconTracker::OnDecision(std::string_view session, UnixMicros now,
                                              std::span<const PodSegmentRef> segments,
                                              std::span<const AdBreakState> breaks) {
  std::vector<Beacon> out;
  ++stats_.playlists;
  Session* s = FindOrCreate(session, now, 0);
  if (s == nullptr) return out;
  for (const PodSegmentRef& seg : segments) {
    for (const AdBreakState& b : breaks) {
      if (b.event_id != seg.event_id) continue;
      for (size_t c = 0; c < b.decision.items.size(); ++c) {
        size_t& next = s->next[{b.event_id, static_cast<int>(c)}];
        for (; next < kBeaconEvents.size(); ++next) Append(b.decision.items[c], session, b.event_id, next, now, &out);
      }
    }
  }
  stats_.beacons += static_cast<int64_t>(out.size());
  return out;
}

}  // namespace ssai
