// The read paths of the manifest path (manifest_path.h): where one build gets a playlist
// request's ad-break state (builds.h ReadPath). One StateReadPath per build's strategy, in a file
// of its own:
//
//   coordinator_only.cc  do-only           ask the coordinator
//   kv_hybrid.cc         kv-hybrid         list + get break keys; miss -> coordinator
//   kv_hybrid_direct.cc  kv-hybrid-direct  get the break key the origin's markers name; miss ->
//                                          coordinator
//   kv_stateless.cc      kv-stateless      list + get; a miss is no break; hold back what KV does
//                                          not explain yet
//   kv_channel_state.cc  kv-channel-state  get the channel document; miss -> coordinator; probe
//                                          the coordinator about an unexplained marker
//
// What they share stays in one place: the request being handled and the edge's per-channel
// memory (this header), the coordinator call and the hand-over to splicing (ReadHost, implemented
// by ManifestPath), listing break keys (kv_list.h) and the origin's cue markers (markers.h).
// Internal to the manifest path; sans-I/O like it.
#ifndef SSAI_REFERENCE_SSAI_READ_PATHS_READ_PATH_H_
#define SSAI_REFERENCE_SSAI_READ_PATHS_READ_PATH_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/channel.h"
#include "reference/ssai/channel_state.h"
#include "reference/ssai/env.h"
#include "reference/ssai/manifest_path.h"
#include "reference/ssai/playlist_memo.h"
#include "reference/ssai/splicer.h"

namespace ssai::read_paths {

struct ManifestOp;

// What one edge remembers about one channel (ManifestPath keeps one per channel id).
struct ChannelMemo {
  std::optional<ChannelState> freshest;  // newest version seen (kv-channel-state)
  int64_t ledger_seen = 0;               // largest discontinuities total seen (monotone)
  int64_t msn_ledger_seen = 0;           // MEDIA-SEQUENCE ledger of the state that gave it
  bool cached_miss = false;              // DEFECT(trust_cached_miss)
  bool probe_in_flight = false;
  std::map<std::string, UnixMicros, std::less<>> probed;  // marker identity -> last probe
  // The last channel document read from KV and its parse: KV returns the same bytes for most
  // reads (the POP cache), and comparing them is far cheaper than parsing JSON again.
  std::string last_doc_text;
  std::optional<ChannelState> last_doc;
  // The same for the ad-break documents (kv-hybrid and kv-hybrid-direct read them by key on
  // every request; the parse was most of that path's cost, more with demuxed pods): the last
  // text read under each key and its parse. Bounded: forgotten all at once past kMaxBreakDocs
  // keys (a channel has one or two live breaks).
  struct BreakDoc {
    std::string text;
    AdBreakState parsed;
  };
  static constexpr size_t kMaxBreakDocs = 16;
  std::map<std::string, BreakDoc, std::less<>> break_docs;
  Result<AdBreakState> ParseBreakDoc(const std::string& key, std::string text);
  // Requests that met an unexplained marker while a coordinator call was in flight: they wait
  // for its answer instead of splicing from a document the origin has already contradicted
  // (else two renditions or two reloads could disagree about one slot; found by the
  // conformance suite, R2). Each keeps the KV document it read, for when the call fails.
  std::vector<std::pair<std::shared_ptr<ManifestOp>, ChannelState>> probe_waiters;
  UnixMicros last_refresh = 0;  // last background refresh started (kv-channel-state)
  // Bumped whenever `freshest` or `last_doc` changes what a request is answered from
  // (ManifestResponse::reuse_generation). `updated_at` is not: no answer reads it, and the KV
  // copy (milliseconds) and the coordinator's (microseconds) of one version differ in it, so
  // comparing it bumped the generation on every refresh.
  uint64_t generation = 1;
  void Changed() { ++generation; }
  static bool SameForAnswers(const ChannelState& a, const ChannelState& b) {
    return a.version == b.version && a.discontinuities_total == b.discontinuities_total &&
           a.media_sequence_total == b.media_sequence_total && a.channel_id == b.channel_id && a.breaks == b.breaks;
  }
};

// One request on its way through the path.
struct ManifestOp {
  ManifestRequest request;
  const ChannelConfig* channel = nullptr;
  const RenditionConfig* rendition = nullptr;
  size_t rendition_index = 0;
  InsertionMode mode = InsertionMode::kSsai;
  std::function<void(ManifestResponse)> done;
  ManifestResponse response;
  // The origin playlist as parsed once for everyone who got this response (read-only; a
  // request that must change it makes its own copy).
  std::shared_ptr<const OriginDoc> origin_doc;
  const hls::MediaPlaylist& origin() const { return *origin_doc->media(); }
  std::optional<ChannelState> state;
  ChannelMemo* channel_memo = nullptr;  // the edge's memo of the channel (map nodes are stable)
  std::vector<SpliceBreak> breaks;
  int pending_fetches = 0;
};
using OpPtr = std::shared_ptr<ManifestOp>;

// What a read path may use of the manifest path.
class ReadHost {
 public:
  virtual ~ReadHost() = default;
  virtual UnixMicros Now() const = 0;
  virtual KvStore& Kv() = 0;
  virtual CoordinatorClient& Coordinator() = 0;
  virtual const BuildSpec& Build() const = 0;
  virtual const ManifestPathOptions& Options() const = 0;
  // Asks the coordinator (single-flight per channel with the probes: waiters parked in the
  // channel's memo are answered with it), then FinishState with `source` (kNone when it fails).
  virtual void CallCoordinator(OpPtr op, StateSource source) = 0;
  // The state is known (nullopt: none): the ledger floor is applied, then pods and splicing.
  virtual void FinishState(OpPtr op, StateSource source, std::optional<ChannelState> state) = 0;
};

// One build's strategy. Read ends in host.FinishState or host.CallCoordinator, or parks the op
// in its channel memo's probe_waiters (kv-channel-state) for a call in flight to answer.
class StateReadPath {
 public:
  virtual ~StateReadPath() = default;
  virtual void Read(ReadHost& host, const OpPtr& op) const = 0;
  // Called by FinishState once op.state is set, before pods are resolved.
  virtual void AfterState(ReadHost& host, ManifestOp& op) const {}
  // What a request arriving now would start besides its answer, for one answered without
  // running the path (ManifestResponse::reuse_generation): kv-channel-state's background
  // refresh when it is due. Returns whether one was started.
  virtual bool RefreshIfDue(ReadHost& host, ChannelMemo& memo, const std::string& channel_id) const { return false; }
};

std::unique_ptr<StateReadPath> MakeCoordinatorOnly();
std::unique_ptr<StateReadPath> MakeKvHybrid();
std::unique_ptr<StateReadPath> MakeKvHybridDirect();
std::unique_ptr<StateReadPath> MakeKvStateless();
std::unique_ptr<StateReadPath> MakeKvChannelState();
// The strategy of a build's ReadPath.
std::unique_ptr<StateReadPath> MakeReadPath(ReadPath path);

}  // namespace ssai::read_paths

#endif  // SSAI_REFERENCE_SSAI_READ_PATHS_READ_PATH_H_
