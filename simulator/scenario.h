// A simulation scenario: everything a run depends on besides the build and the seed. Parsed from
// JSON (fixtures/scenarios/*.json); every field has a default (the seed's setting and the vendor's
// published figures, see /work/shared/reference/kv_and_measurement.md), so "{}" is a valid scenario.
// The schema is documented in simulator/README.md.
#ifndef SSAI_SIMULATOR_SCENARIO_H_
#define SSAI_SIMULATOR_SCENARIO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/ssai/env.h"
#include "simulator/random.h"
#include "world/scenario_parts.h"

namespace ssai::sim {

// A window of virtual time, in seconds from the scenario start: [start_s, end_s).
struct Window {
  double start_s = 0;
  double end_s = 0;
  int pop = -1;           // faults: the POP it hits (-1 = all)
  double extra_ms = 0;    // latency spikes: added to every KV operation
  bool Contains(DurationMicros t_us) const {
    return t_us >= SecondsToMicros(start_s) && t_us < SecondsToMicros(end_s);
  }
};

// An audience curve: points (t_s after the viewers' start, fraction of the steady-state audience),
// linear in between, flat before the first and after the last point; t_s strictly increasing.
struct TracePoint {
  double t_s;
  double fraction;
};
// The fraction at t_s (1 for an empty trace).
double TraceFraction(const std::vector<TracePoint>& trace, double t_s);

struct PopSpec {
  std::string name;
  double viewer_share = 1;       // relative; normalized over all POPs
  Distribution coordinator_rtt;  // round trip edge <-> coordinator (ms)
  // This POP's own audience curve (e.g. another time zone); empty = viewers.trace.
  std::vector<TracePoint> trace;
  // Fixed KV settings of this POP instead of the kv block's (KvCluster::SetPopSettings): what a
  // conformance scenario states per POP. Unset: the kv block's.
  std::optional<double> kv_propagation_s;  // a write reaches this POP this long after its commit
  std::optional<double> kv_latency_ms;     // every KV read here, cached or not
  std::optional<bool> kv_cache;            // false: no POP cache here (every read goes through)
};

struct KvSpec {
  Distribution write_latency = Distribution::Lognormal(30, 0.3);    // put -> committed at central
  // Commit -> visible to a POP's read-through. Default: most within 2 s, a tail to 60 s.
  Distribution propagation = Distribution::Mixture(
      {{0.9, Distribution::Uniform(100, 2000)}, {0.1, Distribution::Uniform(2000, 60000)}});
  Distribution hot_read = Distribution::Lognormal(2, 0.5);    // served from the POP cache
  Distribution cold_read = Distribution::Lognormal(41, 0.6);  // read-through to central (seed P50 41 ms)
  // GetOptions::cache_ttl_s the edges use (Workers KV: min 30, default 60). 0: no POP cache at
  // all, every read goes to the store (Redis has no cacheTtl: `ssai fidelity`, README "Fidelity").
  int64_t cache_ttl_s = 60;
  int64_t list_staleness_s = 60;   // how long a POP serves a list() result before refreshing
  double write_limit_per_key_s = 1;  // min seconds between accepted writes to one key
  // How a commit reaches the POPs. kPerPop (Workers KV): a propagation draw per POP and write,
  // each POP on its own. kSharedFifo (a Redis replica every edge reads): one draw per write, the
  // same moment for every POP, and never before an earlier write (one replication stream, in order).
  enum class PropagationModel { kPerPop, kSharedFifo };
  PropagationModel propagation_model = PropagationModel::kPerPop;
  std::vector<Window> outages;     // every operation fails (kUnavailable)
  std::vector<Window> latency_spikes;
  std::vector<Window> partitions;  // the POP cannot reach central: cached reads only, propagation waits
};

// Where a channel's coordinator runs: its round trip to each POP (Durable Objects live near the
// first request that created them, so channels of one deployment sit in different places).
struct CoordinatorLocation {
  std::string name;
  std::vector<Distribution> rtt_per_pop;  // one per POP (ms)
};

struct CoordinatorSpec {
  // Channel c's coordinator is at locations[c % size]; empty: every coordinator at the one
  // location that pops[].coordinator_rtt_ms describes.
  std::vector<CoordinatorLocation> locations;
  Distribution service = Distribution::Fixed(1);             // per request, in the single queue
  double soft_limit_rps = 1000;                              // Durable Object soft limit
  Distribution storage_latency = Distribution::Lognormal(12, 0.3);  // durable put (output gate)
  double origin_refresh_s = 0;  // CoordinatorOptions::origin_refresh_us (0: look on every call)
  double poll_interval_s = 1;
  double decision_timeout_s = MicrosToSeconds(kDefaultDecisionTimeoutUs);  // env.h: one default
  std::vector<Window> crashes;  // down in the window, restarted (recovering from storage) at its end
};

// Where a break's cue comes from: SCTE-35 markers in the origin playlists (in cue_flavour), or the
// cue API (POST /cue, the seed's manual cue: the coordinator's Cue() at the scheduled time; the
// origin then carries no markers).
enum class BreakSource { kScte35, kApi };

struct BreakScheduleSpec {
  double first_s = 60;     // first break, seconds after the start
  double every_s = 300;    // then one every every_s (0 = only one)
  double duration_s = 45;
  double stagger_s = 7;    // channel i's breaks shift by i * stagger_s
  BreakSource source = BreakSource::kScte35;
};

// The simulator's default stream: 2 s segments, a 6-segment window, CUE-OUT markers, 4 renditions.
origin::SyntheticStreamSpec DefaultOriginStream();

struct OriginSpec {
  // The synthetic origin's own settings, read by its parser (origin::ParseSpec: one origin
  // parser for every harness): segment duration, window, cue flavour, renditions, container,
  // demuxed audio and subtitles (issue 14), encryption, marker details, URI templates; and, when
  // the scenario lists its breaks ("breaks" as an array), those breaks (start_time = the scenario's
  // start_time + at_s), the same on every channel. `stream.start_time` is the scenario's.
  origin::SyntheticStreamSpec stream = DefaultOriginStream();
  // The scenario listed its breaks (stream.breaks) instead of giving a schedule (`breaks`).
  bool breaks_listed = false;
  // Early CUE-IN of a listed break: event_id -> the duration its OUT announces (the break's own
  // duration_s is when the IN comes). CUE-OUT and DATERANGE flavours only.
  std::map<uint32_t, double> planned_duration_s;
  Distribution fetch_latency = Distribution::Lognormal(15, 0.4);
  // Each POP's edge reuses a 200 origin answer this long and coalesces concurrent fetches of one
  // URL (CachingOriginClient, reference/ssai/origin_cache.h: `ssai serve`'s limits.origin_cache_ms,
  // 250 there by default). 0 (default here): every cohort reload fetches the origin.
  double edge_cache_ms = 0;
  std::vector<Window> stalls;     // the playlist stops advancing (frozen at the window start)
  std::vector<Window> not_found;  // 404 for every playlist
  BreakScheduleSpec breaks;       // when the breaks are not listed
  // A capture directory (fixtures/README.md "Capture format") replayed instead of the synthetic
  // origin: relative to the scenario file (ResolveScenarioPaths; `ssai sim` applies it) or
  // absolute. Empty: synthetic. See simulator/README.md "Capture replay".
  std::string capture;
  // A transport stream (issue 17) packaged live instead (reference/media/ts/ts_packager.h, the
  // packager of `ssai origin --ts`, looping): its SCTE-35 cues are the breaks (`breaks` is refused
  // with it). Path as `capture`. See simulator/README.md "TS origin".
  std::string ts;
  // Playlists a viewer loads per variant reload: 1 + (audio ? 1 : 0) + (subtitles ? 1 : 0).
  int PlaylistsPerReload() const { return 1 + (stream.audio.empty() ? 0 : 1) + (stream.subtitles.empty() ? 0 : 1); }
};

struct DecisionSpec {
  Distribution latency = Distribution::Lognormal(150, 0.5);
  double failure_rate = 0;
  int ads_per_pod = 3;
  double ad_duration_s = 15;
  // true: the pod a VAST ad server gives (issue 15): creatives segmented at the channel's segment
  // duration with a DISCONTINUITY between them, each with one tracking URL per event, so the edges
  // fire server-side beacons (report.json "beacons"). false: the seed's conditioned ads, which
  // (like its JSON decisions) carry no tracking: no beacons.
  bool pods_of_creatives = false;
  // What a conformance scenario states exactly: the ad server's behaviour (answer, fail every
  // decision, never answer), the pod's id and its listed ads (empty: ads_per_pod ads of
  // ad_duration_s), and VAST decisions (issue 15).
  world::DecisionBehaviour behaviour = world::DecisionBehaviour::kAnswer;
  std::string pod_id = "pod-1";
  std::vector<world::AdSpec> ads;
  world::VastSpec vast;
};

struct ViewerSpec {
  int64_t viewers_per_channel = 1000;  // steady-state viewers of each channel, all POPs
  std::vector<double> rendition_shares;  // default: equal
  double sgai_fraction = 0;             // viewers whose player asks for interstitials (SGAI)
  // Reload phases per channel x POP x rendition x mode. 16: where ad-visibility lag, KV hit rate,
  // latency and coordinator calls converge (README.md "Aggregation", docs/measurements.md).
  int cohorts_per_group = 16;
  double mean_session_s = 1800;         // exponential session length (leaves)
  // Joins are Poisson with rate viewers/mean_session (steady state); "ramp_s" > 0 starts from 0.
  double ramp_s = 0;
  // An audience trace instead of the steady state (fractions of viewers_per_channel); a POP's own
  // `trace` replaces it there. Empty: steady state (or ramp_s). See simulator/README.md "Audience trace".
  using TracePoint = sim::TracePoint;
  std::vector<TracePoint> trace;
  // "viewers" as an array: the listed viewers, each played as itself (a cohort of one that never
  // changes) instead of the population above. A conformance scenario lists its viewers.
  bool listed = false;
  std::vector<world::ListedViewer> list;
};

struct CostSpec {
  double kv_read_usd_per_million = 0.50;
  double kv_write_usd_per_million = 5.00;
  double coordinator_request_usd_per_million = 0.15;
};

struct Scenario {
  std::string name = "unnamed";
  std::string description;
  double duration_s = 600;
  UnixMicros start_time = 1'767'225'600LL * kMicrosPerSecond;  // 2026-01-01T00:00:00Z
  int channels = 2;
  std::vector<PopSpec> pops;  // default: 3 POPs at 20/80/150 ms RTT
  KvSpec kv;
  CoordinatorSpec coordinator;
  OriginSpec origin;
  DecisionSpec decision;
  ViewerSpec viewers;
  CostSpec cost;
  std::vector<std::string> builds;  // default builds for --build (empty: every correct build)
  double series_interval_s = 10;    // time-series resolution in the report
  // Channels go live (coordinators start, write KV, heartbeat) this long before the first viewer
  // arrives, as in production, so the measured window is the steady state and not KV's cold
  // start (the first negative lookups are cached for cacheTtl). 0 measures the cold start.
  double warmup_s = 120;
  // Every lint_sample_every-th cohort response (by count, so deterministic) is parsed and run
  // through the HLS linter's single-playlist rules (reference/media/hls/lint.h); 0 = off.
  int64_t lint_sample_every = 1000;
  // ssai / sgai: the mode of listed viewers that do not name one (population viewers:
  // viewers.sgai_fraction).
  InsertionMode mode = InsertionMode::kSsai;
  std::vector<world::ApiCueSpec> api_cues;  // POST /cue calls at their times (sorted by at_s)
  std::vector<world::FaultSpec> faults;     // faults on a schedule (sorted by at_s)
  // What a conformance run of this scenario expects (conformance/README.md "Scenarios": the
  // profile's thresholds, the cue API probes). Kept as given here; `ssai conform` and `ssai sim
  // --check` read it.
  nlohmann::json expect = nlohmann::json::object();
  nlohmann::json source;            // the JSON as given (echoed into report.json)
};

// The scenario's fault windows with their paths ("scenario.kv.outages", ...): kv outages,
// latency spikes and partitions, coordinator crashes, origin stalls and 404 windows.
std::vector<std::pair<std::string_view, const std::vector<Window>*>> FaultWindows(const Scenario& s);

// The origin breaks of channel `channel` (0-based), in order: the listed ones as given (the same on
// every channel), or the schedule's k-th at start_time + first_s + channel x stagger_s + k x
// every_s (event id 1000 + k) while it starts before duration_s — with source "api" these are
// the times of the cue API calls, not markers. Empty for origin.capture and origin.ts (their own
// markers are the breaks). One rule for the simulator's run, `ssai fidelity`'s deployment and
// the conformance targets.
std::vector<origin::ScheduledBreak> ChannelBreaks(const Scenario& s, int channel);

// Parses and validates: every field's type and range (errors name the path and the allowed range),
// unknown keys, nesting (kMaxJsonDepth), and CheckRunSize.
Result<Scenario> ParseScenario(std::string_view json_text);

// What a run of the scenario costs, estimated from its shape before anything is allocated
// (simulator/README.md "Limits"). The terms follow World's storage in run.cc: per-segment ad
// tallies per channel (and per POP), one cohort per channel x POP x rendition x mode x
// cohorts_per_group (with its pending reload), per-break state per channel x POP, the playlist
// memo's parse and outputs per channel x rendition (measured: 2000 channels x 60 s at the default
// shape peak at 144 MiB RSS; the estimate is 153 MiB).
struct RunSize {
  double segments = 0;        // segment slots a channel's tallies cover
  double breaks = 0;          // breaks per channel
  double cohorts = 0;
  double tally_bytes = 0, cohort_bytes = 0, break_bytes = 0, channel_bytes = 0, playlist_bytes = 0;
  double reloads = 0;         // cohort playlist reloads: the run's work
  double bytes() const { return tally_bytes + cohort_bytes + break_bytes + channel_bytes + playlist_bytes; }
};
RunSize EstimateRunSize(const Scenario& s);
// A run may take at most this much memory and this many cohort reloads (about a day of CPU at
// ~110 k cohort requests/s, README "Figures"); beyond either, ParseScenario refuses the scenario naming the
// dimensions to reduce, instead of dying with bad_alloc hours into the run.
inline constexpr double kMaxRunBytes = 4.0 * (1 << 30);
inline constexpr double kMaxRunReloads = 1e10;
Status CheckRunSize(const Scenario& s);
// Makes the scenario file's own paths (origin.capture, origin.ts) relative to the file's
// directory, as conformance scenarios' are (a scenario and its capture travel together); absolute
// paths are kept. Apply before --set overrides, whose paths are the command line's (relative to
// the working directory). A path that is not next to the scenario but is under the working
// directory (the rule before 2026-12-06) is refused naming both, never silently taken.
Status ResolveScenarioPaths(nlohmann::json* scenario_json, const std::string& scenario_file);
// A scenario file ("-": stdin) as JSON, the way every command reads one: at most `max_bytes`,
// bounded nesting, its paths resolved (ResolveScenarioPaths). Errors name the file:
// "PATH: cannot read: No such file or directory", "PATH: not valid JSON (...)".
Result<nlohmann::json> ReadScenarioFile(const std::string& path, size_t max_bytes);
// Applies "a.b.c=value" (value parsed as JSON, else taken as a string) to scenario JSON; used by
// sweeps (--sweep viewers.viewers_per_channel=1000,10000).
Status ApplyOverride(nlohmann::json* scenario_json, std::string_view assignment);
// The scenario with every default filled in, as JSON (what report.json records).
nlohmann::json ScenarioToJson(const Scenario& s);

}  // namespace ssai::sim

#endif  // SSAI_SIMULATOR_SCENARIO_H_
