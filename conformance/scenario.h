// A conformance scenario as the targets play it: origin stream (with its cue markers), cue API
// calls, viewers at POPs, the decision service's behaviour and faults on a schedule, all on one
// timeline that starts at the scenario's start_time. The file is a simulator scenario (one format,
// one parser: simulator/scenario.h, issue 18) with an `expect` block; ParseScenario reads it with
// the simulator's parser and takes what the targets play, refusing by name what they cannot (a
// range where a target needs one value, more than one channel, a population of viewers, the
// simulator's fault windows). Format: conformance/README.md "Scenarios"; files in
// fixtures/scenarios/conformance/.
#ifndef SSAI_CONFORMANCE_SCENARIO_H_
#define SSAI_CONFORMANCE_SCENARIO_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/profile.h"
#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/splicer.h"
#include "world/scenario_parts.h"

namespace ssai::ts {
class TsPackager;
}  // namespace ssai::ts

namespace ssai::sim {
struct Scenario;
}  // namespace ssai::sim

namespace ssai::server {
struct DecisionConfig;
struct HttpResponse;
}

namespace ssai::conformance {

struct CapturedOrigin;  // scenario.cc: a loaded capture and its timeline

struct PopSpec {
  std::string name;
  double coordinator_rtt_ms = 20;  // edge -> coordinator round trip
  double kv_propagation_s = 0;     // a KV write reaches this POP after this long
  double kv_latency_ms = 2;        // one KV operation
  bool kv_cache = true;            // honour cacheTtl (misses included)
};

// The parts every harness plays the same way, one definition (world/scenario_parts.h).
using ViewerSpec = world::ListedViewer;
using ApiCueSpec = world::ApiCueSpec;
using AdSpec = world::AdSpec;
using DecisionBehaviour = world::DecisionBehaviour;
using VastSpec = world::VastSpec;
using FaultSpec = world::FaultSpec;

struct DecisionSpec {
  DecisionBehaviour behaviour = DecisionBehaviour::kAnswer;
  double latency_ms = 20;
  std::string pod_id = "pod-1";
  std::vector<AdSpec> ads;  // default: two 8 s ads
  VastSpec vast;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // where it was loaded from
  origin::SyntheticStreamSpec origin;
  // origin.ts (issue 17): the origin is the live TS packager over this file (ts_packager.h, loop
  // on, segment 0 at origin.start_time, markers in origin.cue_flavour). `origin` then holds the
  // timeline (segment_duration_s, renditions, which all serve the packager's playlist) and, as
  // `breaks`, the breaks the packager found in the TS (loop 0): the ground truth.
  std::shared_ptr<const ts::TsPackager> ts_origin;
  std::string ts_path;  // as resolved (relative paths: from the scenario file's directory)
  // origin.capture (issue 17): the origin replays a capture directory (fixtures/README.md,
  // "Capture format") in stream time: origin.start_time becomes the first segment boundary at or
  // after the capture's start, each rendition serves its recorded "/{name}.m3u8" snapshots, and
  // `breaks` are the capture's own markers through the cue normalizer (the ground truth; an OUT
  // that announces more than its IN gives planned_duration_s). PROGRAM-DATE-TIME and DATERANGE
  // dates move with the scenario (ShiftedTo, for the real-time targets).
  std::shared_ptr<const CapturedOrigin> capture_origin;
  std::string capture_dir;
  // Early CUE-IN (scenario-side post-processing of the origin's text): event_id -> the duration
  // the OUT marker announces; the break's own duration_s is when the IN actually comes.
  std::map<uint32_t, double> planned_duration_s;
  InsertionMode mode = InsertionMode::kSsai;
  double duration_s = 180;  // viewers stop here; the run continues until KV keys expire
  std::vector<PopSpec> pops;
  std::vector<ViewerSpec> viewers;
  std::vector<ApiCueSpec> api_cues;
  DecisionSpec decision;
  std::vector<FaultSpec> faults;
  // Channels go live (the coordinator starts, writes KV, heartbeats) this long before start_time,
  // when the first viewers may join (the simulator's warmup_s); the origin is live from then.
  double warmup_s = 0;
  // The KV world (the simulator's kv block, fixed values): a write commits after
  // kv_write_latency_ms; a POP lists keys as of at most kv_list_staleness_s ago (0: fresh); the
  // edges read with cacheTtl kv_cache_ttl_s (where a POP's kv_cache is on).
  double kv_write_latency_ms = 2;
  int64_t kv_list_staleness_s = 0;
  int64_t kv_cache_ttl_s = 60;
  double decision_timeout_s = 2;  // the coordinator's (coordinator.decision_timeout_s)
  // The expect block: run the cue API validation probes (api.cue.*), the profile's overrides.
  bool api_probes = false;
  nlohmann::json profile_overrides = nlohmann::json::object();

  // The simulator scenario this was taken from (ScenarioOf): what the sim:BUILD target runs.
  std::shared_ptr<const sim::Scenario> world;

  UnixMicros At(double offset_s) const { return origin.start_time + SecondsToMicros(offset_s); }
};

// Scenario, profile and target-profile files are written by hand (a few KiB): read at most 1 MiB.
inline constexpr size_t kMaxConformanceFileBytes = size_t{1} << 20;

// A scenario file's text, read by the simulator's parser (sim::ParseScenario: unknown keys, the
// origin block's too — "scenario.origin.omit_cue_ins: unknown key" —, out-of-range numbers with
// the path and the range, nesting deeper than kMaxJsonDepth, paths next to `file`), then
// ScenarioOf. A conformance scenario has a name.
Result<Scenario> ParseScenario(std::string_view json_text, std::string file = "");
// What the targets play of a parsed simulator scenario: one channel, listed viewers, one value
// where a target needs one (a fixed distribution), the expect block; refuses the rest by name.
// `population_sample` (`ssai sim --check` on a population scenario, sim::RunOptions::check_sample):
// the viewers are a population of which the simulator observes a sample of cohorts, and of
// several channels channel 0 is judged; `viewers` stays empty (the checks read what was observed).
Result<Scenario> ScenarioOf(const sim::Scenario& scenario, std::string file = "", bool population_sample = false);
// A .json file, or every *.json in a directory (sorted by name).
Result<std::vector<Scenario>> LoadScenarios(const std::string& path);

// The harness's ad server (server::DecisionService) answering with the scenario's ads as its
// default pod: one item per ad, one variant per origin rendition at `playlist_url(ad id, bps)`,
// variants sorted by bitrate. Shared by the builtin and the real-time targets.
server::DecisionConfig ScenarioAdServerConfig(const Scenario& scenario,
                                              const std::function<std::string(const std::string&, int64_t)>& playlist_url);

// Observe mode (observe_target.h): a scenario whose origin is a recording made during the run
// (`ssai capture`'s format, the recorder pointed at a multivariant playlist): its variants (on
// the recorded host) become renditions v0, v1, ... in playlist order, each replayed from its
// recorded path; the segment duration and window are the first variant's; the breaks are the
// recording's markers (as origin.capture). Errors name the URL and what is missing.
Result<Scenario> ScenarioFromRecording(const std::string& dir, const std::string& name, double duration_s);
// The recorded path a rendition replays from (origin.capture, ScenarioFromRecording); "" when the
// scenario's origin is not a capture.
std::string RecordedPathOf(const Scenario& scenario, const std::string& rendition_name);
// The stream time (PROGRAM-DATE-TIME) at the recording's offset 0: the live edge of its first
// snapshot minus that snapshot's offset. 0 when the origin is not a capture.
UnixMicros RecordedStreamStart(const Scenario& scenario);

// The ground truth a target is judged against (TruthBreak, GroundTruth): conformance/checks/truth.h.

// The scenario moved to start at `start` (origin start_time and every break alike): real-time
// targets run it from now, and the checks judge their Observations against the same shift.
Scenario ShiftedTo(const Scenario& scenario, UnixMicros start);

// The decision behaviour in force at `t` (the scenario's, then "decision" faults).
DecisionBehaviour DecisionBehaviourAt(const Scenario& scenario, UnixMicros t);

// The origin playlist text at `now`, with the scenario's post-processing (early CUE-IN) applied.
std::string OriginPlaylistAt(const Scenario& scenario, const origin::Rendition& rendition, UnixMicros now);

// A media segment of the origin as the real-time harness serves it under /origin/ (`path` below
// that, with its query: "/ts_12.ts"), so a player behind a target plays real bytes:
// origin.ts: the packager's segment (reference/server/ts_origin.h, the one `ssai origin --ts`
// serves; not yet published at `now`: 404); origin.capture: the recorded segment (`ssai capture
// --segments`) at the path a rendition playlist's relative URI resolves to, answered as `ssai
// origin --capture` does (capture_origin.h). Anything else, and other origins: 404.
server::HttpResponse OriginMediaAt(const Scenario& scenario, std::string_view path, UnixMicros now);

// The ad's VOD media playlist for one bitrate, as every target's harness serves it: conditioned to
// the channel's segment duration (or cut at the creative's own), segments "{base}/seg_{i}.ts".
// A CMAF origin (origin.container "cmaf", issue 14) gets fMP4 ads as an ad preparation service
// transcodes them: version 6, segments ".m4s" and an init declared relative to the playlist
// ("{bps}/init.mp4", resolved by the manifest path) - `base` then ends in "/{bps}".
std::string AdMediaPlaylist(const Scenario& scenario, const AdSpec& ad, int64_t bps, const std::string& base);
// The ad's audio in `language` (issue 14), a VOD playlist of the ad's timeline: CMAF "{base}/seg_{i}.m4s"
// with EXT-X-MAP "audio_{language}/init.mp4", else packed audio "{base}/seg_{i}.aac". Served at
// "{ad base}{ad}/audio_{language}.m3u8" with base "{ad base}{ad}/audio_{language}".
std::string AdAudioPlaylist(const Scenario& scenario, const AdSpec& ad, const std::string& language,
                            const std::string& base);
// The languages an ad has audio in (AdSpec::audio_languages, else every origin audio language).
std::vector<std::string> AdAudioLanguages(const Scenario& scenario, const AdSpec& ad);
// An audio or subtitle rendition's origin playlist at `now` (the synthetic origin's).
std::string OriginAlternatePlaylistAt(const Scenario& scenario, const origin::AlternateRendition& alt,
                                      bool subtitles, UnixMicros now);
// The slate's init segment value for the splicer (AdMedia::map) when the origin is CMAF, else "".
bool CmafOrigin(const Scenario& scenario);

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_SCENARIO_H_
