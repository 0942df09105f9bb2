// kv-channel-state (builds.h ReadPath::kChannelState): get the channel document
// "chstate:{channelId}" the coordinator keeps in KV; a miss asks the coordinator. An origin
// marker the document does not explain gets one coordinator probe per edge (the requests that
// meet it meanwhile wait for that answer), and a background refresh keeps the edge's copy no
// older than ManifestPathOptions::channel_state_refresh_us.
#include <algorithm>

#include "reference/ssai/read_paths/markers.h"
#include "reference/ssai/read_paths/read_path.h"

namespace ssai::read_paths {
namespace {

class KvChannelState : public StateReadPath {
 public:
  bool RefreshIfDue(ReadHost& host, ChannelMemo& memo, const std::string& channel_id) const override {
    return MaybeRefreshInBackground(host, memo, channel_id);
  }
  void Read(ReadHost& host, const OpPtr& op) const override {
    const std::string channel_id = op->channel->channel_id();
    ChannelMemo& m = *op->channel_memo;
    const BuildSpec& build = host.Build();
    if (build.defects.trust_cached_miss && m.cached_miss) {
      // DEFECT(trust_cached_miss): "no break" remembered forever, nobody asked again.
      return host.FinishState(op, StateSource::kNone, nullptr);
    }
    ++op->response.kv_reads;
    KvStore::GetOptions get_options;
    get_options.cache_ttl_s = host.Options().kv_cache_ttl_s;
    host.Kv().Get(ChannelStateKey(channel_id), get_options,
                  [&host, op, channel_id](Result<std::optional<std::string>> r) {
                    OnDocument(host, op, channel_id, std::move(r));
                  });
  }

 private:
  static void OnDocument(ReadHost& host, const OpPtr& op, const std::string& channel_id,
                         Result<std::optional<std::string>> r) {
    ChannelMemo& memo_entry = *op->channel_memo;
    const BuildSpec& build = host.Build();
    StatePtr state;
    if (r.ok() && r->has_value()) {
      if (memo_entry.last_doc && memo_entry.last_doc_text == **r) {
        state = memo_entry.last_doc;
      } else if (Result<ChannelState> parsed = ParseChannelState(**r); parsed.ok()) {
        state = std::make_shared<const ChannelState>(std::move(parsed).value());
        memo_entry.last_doc_text = std::move(**r);
        memo_entry.last_doc = state;
        memo_entry.Changed();
      } else {
        op->response.warnings.push_back("kv: " + parsed.status().message());
      }
    } else if (!r.ok()) {
      op->response.warnings.push_back("kv: " + r.status().message());
    }
    if (!state) {
      if (build.defects.trust_cached_miss && r.ok()) {
        memo_entry.cached_miss = true;
        return host.FinishState(op, StateSource::kNone, nullptr);
      }
      return host.CallCoordinator(op, StateSource::kKvMiss);
    }
    // A newer document this edge already has (from a probe) wins over a stale KV copy.
    if (memo_entry.freshest && memo_entry.freshest->version > state->version) {
      state = memo_entry.freshest;
    } else if (memo_entry.freshest != state) {
      if (!memo_entry.freshest || !(*memo_entry.freshest == *state)) {
        if (!memo_entry.freshest || !ChannelMemo::SameForAnswers(*memo_entry.freshest, *state)) memo_entry.Changed();
      }
      // (Equal: the same state either way; holding this one makes the next compare a pointer's.)
      memo_entry.freshest = state;
    }
    const uint64_t generation = memo_entry.generation;  // of `state` (a refresh may answer at once)
    // The origin shows a marker the state does not explain: ask the coordinator once.
    const std::optional<Unexplained> u = FindUnexplainedMarker(*op->origin_doc, &*state);
    if (u) {
      const std::string& marker = u->identity;
      const UnixMicros now = host.Now();
      auto it = memo_entry.probed.find(marker);
      const bool recently =
          it != memo_entry.probed.end() && now - it->second < host.Options().marker_probe_interval_us;
      if (memo_entry.probe_in_flight) {
        memo_entry.probe_waiters.emplace_back(op, std::move(state));
        return;
      }
      if (!recently) {
        // Markers leave the window within minutes; forget older probes (bounded memory).
        std::erase_if(memo_entry.probed, [&](const auto& kv) { return now - kv.second > 600 * kMicrosPerSecond; });
        memo_entry.probed[marker] = now;
        op->response.coordinator_probe = true;
        return host.CallCoordinator(op, StateSource::kKvMiss);
      }
    }
    if (MaybeRefreshInBackground(host, op, channel_id)) op->response.coordinator_background_calls = 1;
    // No marker unexplained (one probed recently is due again later): what follows is a pure
    // function of (origin parse, state at this generation) unless pods need fetching
    // (ManifestResponse::reuse_generation; cleared there).
    if (!u && !op->response.served_stale_origin) op->response.reuse_generation = generation;
    host.FinishState(op, StateSource::kKvHit, std::move(state));
  }

  static bool MaybeRefreshInBackground(ReadHost& host, const OpPtr& op, const std::string& channel_id) {
    return MaybeRefreshInBackground(host, *op->channel_memo, channel_id);
  }
  // Starts a background refresh of the channel's state when it is due (single-flight with the
  // probes; no request waits for it). Returns whether it started one.
  static bool MaybeRefreshInBackground(ReadHost& host, ChannelMemo& m, const std::string& channel_id) {
    const UnixMicros now = host.Now();
    const DurationMicros interval = host.Options().channel_state_refresh_us;
    if (interval <= 0 || m.probe_in_flight || now - m.last_refresh < interval) return false;
    m.last_refresh = now;
    m.probe_in_flight = true;
    ChannelMemo* memo = &m;  // map nodes are stable (ManifestPath keeps the memos)
    host.Coordinator().GetChannelState(channel_id, [&host, memo](Result<ChannelState> r) {
      ChannelMemo& memo_entry = *memo;
      memo_entry.probe_in_flight = false;
      auto waiters = std::move(memo_entry.probe_waiters);
      memo_entry.probe_waiters.clear();
      if (r.ok() && (!memo_entry.freshest || memo_entry.freshest->version <= r->version)) {
        // (The same version again changes nothing a request would be answered from.)
        if (!memo_entry.freshest || !ChannelMemo::SameForAnswers(*memo_entry.freshest, *r)) memo_entry.Changed();
        memo_entry.freshest = std::make_shared<const ChannelState>(std::move(r).value());
      }
      for (auto& [waiter, doc] : waiters) {
        if (memo_entry.freshest && memo_entry.freshest->version >= doc->version) {
          host.FinishState(waiter, StateSource::kKvMiss, memo_entry.freshest);
        } else {
          host.FinishState(waiter, StateSource::kKvHit, std::move(doc));
        }
      }
    });
    return true;
  }
};

}  // namespace

std::unique_ptr<StateReadPath> MakeKvChannelState() { return std::make_unique<KvChannelState>(); }

}  // namespace ssai::read_paths
