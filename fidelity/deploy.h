// `ssai fidelity`'s real deployment (issue 18): a simulator scenario turned into processes and
// sockets on 127.0.0.1, run for the scenario's duration on the wall clock, and measured.
//
//   viewers (threads, RFC 8216 §6.3.4 reloads) ──▶ edge per POP (server::Server, role edge,
//     inject.coordinator_latency_ms = the POP's coordinator_rtt) ──GET/SCAN──▶ Redis replica
//                                     └──GET /api/channels/{id}/state──▶ coordinator
//   coordinator (role coordinator, built-in decision service) ──SET/DEL──▶ Redis primary
//   Redis primary ──replication stream──▶ DelayProxy (kv.propagation_ms, in order) ──▶ replica
//   origin per channel (the synthetic origin, breaks at the scenario's times)
//
// Redis primary and replica are redis-server processes this code starts and stops (killed with
// the parent too: PR_SET_PDEATHSIG). The edges, coordinator and origins are the same classes
// `ssai serve` and `ssai origin --synthetic` run, in this process on their own threads and ports.
#ifndef SSAI_FIDELITY_DEPLOY_H_
#define SSAI_FIDELITY_DEPLOY_H_

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "simulator/scenario.h"

namespace ssai::fidelity {

// What the deployment can reproduce. Refused by name (kInvalidArgument, "scenario.PATH: why"):
// anything a loopback deployment cannot inject (faults, outages, partitions, spikes, crashes,
// stalls, captures, TS files, audience traces and ramps, SGAI viewers, demuxed alternates, API
// cues), distributions other than fixed/uniform where a delay is injected (POP coordinator RTT,
// propagation) or fixed (decision latency, origin fetch latency), a KV model Redis does not have
// (per-POP propagation, list snapshots: list_staleness_s > 0), coordinator timings `ssai serve`
// does not expose, and sizes beyond kMaxViewers / kMaxChannels / kMaxDurationS.
inline constexpr int64_t kMaxViewers = 200;
inline constexpr int kMaxChannels = 8;
inline constexpr double kMaxDurationS = 3600;
Status CheckDeployable(const sim::Scenario& scenario);

struct DeployOptions {
  std::string build = "kv-hybrid";
  uint64_t seed = 1;                        // viewers' phases and the injected delays
  std::string redis_server = "redis-server";  // the binary (PATH lookup)
  std::string work_dir;                     // Redis dirs and logs, the coordinator's journal, server logs
  double setup_s = 3;                       // from now to the warm-up's start (processes come up)
  std::function<void(const std::string&)> progress;  // one line per phase (the CLI prints it)
};

struct Measurement {
  UnixMicros start_time = 0;  // the scenario's start on the wall clock (viewers arrive)
  nlohmann::json measured;    // compare.h's "measured"
  nlohmann::json deployment;  // ports, processes, what was injected
};

// Runs the deployment for warmup_s + duration_s (+ setup) of wall-clock time and measures it.
// Start-up failures (redis-server missing, a port, the replica never linking) are kUnavailable
// naming the part; everything started is stopped on every path.
Result<Measurement> RunDeployment(const sim::Scenario& scenario, const DeployOptions& options);

// The newest media sequence number a playlist lists (MEDIA-SEQUENCE + segments - 1), and whether
// that newest segment is an ad or the slate (`ad_marker` in its URI, or equal to `slate_uri`):
// what a viewer judges a response by, as the simulator does (run.cc Record). Exposed for tests.
// The playlist's own numbering is the origin's only without pods of creatives (splicer.h: after a
// pod of K segments for M slots it runs K - M ahead); RunDeployment refuses those pods, and the
// simulator reads ManifestResponse::newest_slot_msn instead.
struct NewestSegment {
  int64_t msn = -1;  // -1: not a media playlist with segments
  bool in_break = false;
};
NewestSegment ReadNewestSegment(const std::string& body, const std::string& ad_marker, const std::string& slate_uri);

}  // namespace ssai::fidelity

#endif  // SSAI_FIDELITY_DEPLOY_H_
