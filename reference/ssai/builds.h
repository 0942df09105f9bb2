// Read-path builds: named strategies for where the manifest path gets ad-break state, plus the
// deliberately broken "defect-" builds the conformance suite must catch (TigerBeetle-style: a
// suite that passes a broken build is itself broken). See README.md for what each build does.
#ifndef SSAI_REFERENCE_SSAI_BUILDS_H_
#define SSAI_REFERENCE_SSAI_BUILDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "reference/ssai/coordinator.h"

namespace ssai {

enum class ReadPath {
  kCoordinatorOnly,         // do-only: every request asks the coordinator
  kKvListThenCoordinator,   // kv-hybrid: list("adbreak:{ch}:") + get each; miss -> coordinator
  kKvKeyThenCoordinator,    // kv-hybrid-direct: get("adbreak:{ch}:{event}") for the event the
                            //   origin's markers name; no marker or miss -> coordinator
  kKvListOnly,              // kv-stateless: list + get; a miss means no break
  kChannelState,            // kv-channel-state: get("chstate:{ch}"); miss -> coordinator; an
                            //   origin marker the state does not explain -> coordinator probe
};
std::string_view ReadPathName(ReadPath path);

// Each flag is one realistic bug, applied at a seam (before or after the correct code), never
// inside it.
struct Defects {
  bool ignore_end_time = false;            // shows the ad until the KV TTL runs out
  bool reset_media_sequence = false;       // MEDIA-SEQUENCE restarts at 0 in a break
  bool no_discontinuity_on_return = false; // omits DISCONTINUITY before content comes back
  bool trust_cached_miss = false;          // an edge caches "no break" forever
  bool no_cue_dedupe = false;              // a repeated cue makes a second break (coordinator)
  bool misaligned_renditions = false;      // renditions after the first splice one segment late
  bool ignore_cue_in = false;              // an early CUE-IN is ignored (coordinator)
  bool ignore_bitrate = false;             // always the highest ad bitrate
  bool no_discontinuity_ledger = false;    // DISCONTINUITY-SEQUENCE ignores earlier breaks
  bool no_creative_discontinuity = false;  // pods: no DISCONTINUITY between creatives (or before slate)
  // CMAF / encrypted (issue 14): ads declare no MAP/KEY of their own and the return none either,
  // so the content's init and key stay in force over the ads (the splicer before issue 14).
  bool ads_inherit_content_media = false;
  // Demuxed renditions (issue 14): the audio renditions served as the origin wrote them (content
  // audio under ad video); the subtitle renditions numbered like the variants but with the
  // content's cues kept in the break's slots.
  bool audio_not_spliced = false;
  bool subtitles_keep_content = false;
  // Issue 15, tracking and VAST (beacons.h, vast_pod.h):
  bool beacons_on_decision = false;        // every beacon of a pod fires when a session first sees the break
  bool unlimited_wrappers = false;         // VAST wrapper chains followed without a depth limit
  // Issue 16: the SGAI asset list names each creative's top variant for every viewer (the
  // server before the per-creative multivariant asset playlists).
  bool sgai_top_variant_asset = false;
  bool any() const;
};

struct BuildSpec {
  std::string name;
  std::string description;  // one line
  ReadPath read_path = ReadPath::kKvListThenCoordinator;
  bool coordinator_polls_origin = false;  // kv-stateless: detection on a timer, not on request
  bool write_break_keys = true;           // coordinator writes adbreak:{ch}:{event}
  bool write_channel_state = false;       // coordinator writes chstate:{ch}
  // CoordinatorOptions::api_cue_lead_us: API cues are announced this far ahead (plus one target
  // duration, on a segment boundary). 0 in the seed's builds (startTime = receipt).
  DurationMicros api_cue_lead_us = 0;
  Defects defects;
  bool is_defect() const { return defects.any(); }
};

// Every build, correct ones first; defect builds are named "defect-...".
const std::vector<BuildSpec>& AllBuilds();
const BuildSpec* FindBuild(std::string_view name);

// The coordinator options a build needs, on top of `base` (timeouts etc.).
CoordinatorOptions CoordinatorOptionsFor(const BuildSpec& build, CoordinatorOptions base);

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_BUILDS_H_
