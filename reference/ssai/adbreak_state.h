// AdBreakState: the ad-break document the coordinator writes to KV and the manifest path reads
// (the seed system's `src/types/adbreak-state.ts`, field for field). A document written by the
// seed parses here, and one written here parses there: same keys, same ISO 8601 form, durations
// in seconds.
#ifndef SSAI_REFERENCE_SSAI_ADBREAK_STATE_H_
#define SSAI_REFERENCE_SSAI_ADBREAK_STATE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai {

enum class BreakSource { kScte35, kManual, kScheduled };
std::string_view BreakSourceName(BreakSource source);  // "scte35" | "manual" | "scheduled"

struct AdVariant {
  int64_t bitrate_bps = 0;  // JSON: the key of `variants` ("800000")
  std::string url;          // the ad's media playlist for that bitrate
  friend bool operator==(const AdVariant&, const AdVariant&) = default;
};

// One language of a creative's demuxed audio (issue 14): the ad's audio media playlist for a
// LANGUAGE (RFC 5646, as in EXT-X-MEDIA). JSON: "audio": [{"language": "en", "url": "..."}].
struct AdAudio {
  std::string language;
  std::string url;
  friend bool operator==(const AdAudio&, const AdAudio&) = default;
};

struct AdItem {
  std::string id;
  double duration_s = 0;
  std::vector<AdVariant> variants;  // sorted by bitrate_bps, ascending
  // ssai-lab extension (JSON "segmentDuration"): the creative is segmented at this duration (its
  // last segment shorter) in every variant. Set on every item of a decision, it makes the break a
  // pod of creatives with their own timelines (splicer.h "Pods of creatives"); absent = the seed's
  // model (ads conditioned to the channel's segment duration, one continuous timeline).
  std::optional<double> segment_duration_s = std::nullopt;
  // ssai-lab extension (JSON "tracking": {"impression": [url, ...], "start": [...], ...}): the
  // creative's server-side beacons by event (kBeaconEvents: VAST Impression and the Linear
  // start/quartile/complete TrackingEvents, of the InLine and every wrapper above it, VAST 4.3
  // §3.4.4 and §3.14). Fired by the edge when the segments reaching each position are delivered
  // to a viewer session (beacons.h). At most kMaxBeaconUrlsPerEvent URLs per event.
  std::map<std::string, std::vector<std::string>, std::less<>> tracking = {};
  // ssai-lab extension (JSON "audio", issue 14): the creative's audio per language for demuxed
  // presentations, its default language first. An audio rendition plays the entry of its
  // LANGUAGE, else the first (an ad with one language is heard in it on every audio rendition,
  // as MediaTailor copies an ad's default audio into every alternate); none: the audio rendition
  // plays its slate for the creative's time. At most kMaxAdAudioLanguages entries.
  std::vector<AdAudio> audio = {};
  friend bool operator==(const AdItem&, const AdItem&) = default;
};

// The server-side tracking events, in the order they fire for one creative (VAST 4.3 §3.14: start,
// then the quartiles at 25/50/75 % played continuously, then complete; the impressions fire with
// start, §3.4.4).
inline constexpr std::array<std::string_view, 6> kBeaconEvents = {
    "impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete"};
inline constexpr size_t kMaxBeaconUrlsPerEvent = 16;
inline constexpr size_t kMaxAdAudioLanguages = 16;
inline constexpr size_t kMaxBeaconUrlBytes = 2048;

struct AdDecision {
  std::string pod_id;
  std::vector<AdItem> items;  // may be empty (the seed's example): the break is filled with slate
  double TotalDurationSeconds() const;
  // Every item gives segment_duration_s (and there is at least one): a pod of creatives.
  bool IsPod() const;
  friend bool operator==(const AdDecision&, const AdDecision&) = default;
};

struct Scte35Data {
  std::string pdt;          // PROGRAM-DATE-TIME of the splice point, as the origin wrote it
  std::string signal_type;  // e.g. "splice_insert", "time_signal"
  std::string event_id;
  std::optional<int64_t> segment_number;
  friend bool operator==(const Scte35Data&, const Scte35Data&) = default;
};

struct AdBreakState {
  std::string channel_id;
  std::string event_id;
  BreakSource source = BreakSource::kManual;
  UnixMicros start_time = 0;
  double duration_s = 0;
  UnixMicros end_time = 0;
  AdDecision decision;
  UnixMicros created_at = 0;
  std::optional<Scte35Data> scte35_data;
  // ssai-lab extension (JSON "discontinuitiesBefore"; the seed's reader ignores it): how many
  // DISCONTINUITY tags the splicer inserted for all earlier breaks of the channel, so every edge
  // numbers DISCONTINUITY-SEQUENCE the same way (see splicer.h). Absent = 0.
  std::optional<int64_t> discontinuities_before;
  // ssai-lab extensions for pods of creatives (splicer.h), written by the coordinator: the
  // MEDIA-SEQUENCE ledger before this break (JSON "mediaSequenceBefore", sum of K - M of earlier
  // pod breaks; absent = 0), and what this break adds to both ledgers (JSON "discontinuities",
  // absent = 2; "mediaSequenceDelta", absent = 0).
  std::optional<int64_t> media_sequence_before;
  std::optional<int64_t> discontinuities;
  std::optional<int64_t> media_sequence_delta;

  // The break covers [start_time, end_time). The seed's isAdBreakActive() is inclusive at the
  // end; a segment that starts exactly at endTime is content, so the end is exclusive here.
  bool IsActiveAt(UnixMicros now) const { return now >= start_time && now < end_time; }
  friend bool operator==(const AdBreakState&, const AdBreakState&) = default;
};

// KV key: "adbreak:{channelId}:{eventId}" (seed getAdBreakKey).
std::string AdBreakKey(std::string_view channel_id, std::string_view event_id);
// Prefix for list(): "adbreak:{channelId}:".
std::string AdBreakKeyPrefix(std::string_view channel_id);

// KV expirationTtl: floor(duration) + 60 s (seed getAdBreakTTL). Workers KV refuses TTLs under
// 60 s, and the extra minute lets far POPs still read the break while it plays.
constexpr int64_t kAdBreakTtlMarginS = 60;
int64_t AdBreakTtlSeconds(double duration_s);

// Limits the coordinator enforces on cues (seed /cue API): 0 < duration <= 3600 s.
constexpr double kMaxBreakDurationS = 3600;

// Checks every field; the message names the field ("decision.items[1].duration: must be >= 0").
Status Validate(const AdBreakState& state);

// JSON in the seed's shape. Parse validates; errors name the field and what is wrong with it.
Result<AdBreakState> ParseAdBreakState(std::string_view json);
std::string SerializeAdBreakState(const AdBreakState& state);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_ADBREAK_STATE_H_
