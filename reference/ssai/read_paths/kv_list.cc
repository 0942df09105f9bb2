#include "reference/ssai/read_paths/kv_list.h"

#include <algorithm>

namespace ssai::read_paths {

namespace {

void ListBreaksFromKv(ReadHost& host, const OpPtr& op, std::function<void(Result<std::vector<AdBreakState>>)> cb) {
  ++op->response.kv_reads;
  const std::string channel_id = op->channel->channel_id();
  host.Kv().List(AdBreakKeyPrefix(channel_id), [&host, op, cb = std::move(cb)](Result<std::vector<std::string>> keys) {
    if (!keys.ok()) return cb(keys.status());
    if (keys->empty()) return cb(std::vector<AdBreakState>{});
    // The seed reads each listed key; all reads go out at once.
    struct Gather {
      std::vector<AdBreakState> breaks;
      size_t pending = 0;
      Status error;
    };
    auto gather = std::make_shared<Gather>();
    gather->pending = keys->size();
    KvStore::GetOptions get_options;
    get_options.cache_ttl_s = host.Options().kv_cache_ttl_s;
    for (const std::string& key : *keys) {
      ++op->response.kv_reads;
      host.Kv().Get(key, get_options, [gather, cb, op, key](Result<std::optional<std::string>> r) {
        if (!r.ok()) {
          gather->error = r.status();
        } else if (r->has_value()) {
          // A document that does not parse is skipped: one bad key must not hide the others.
          if (Result<AdBreakState> b = op->channel_memo->ParseBreakDoc(key, std::move(**r)); b.ok()) {
            gather->breaks.push_back(std::move(b).value());
          }
        }
        if (--gather->pending == 0) {
          if (gather->breaks.empty() && !gather->error.ok()) return cb(gather->error);
          cb(std::move(gather->breaks));
        }
      });
    }
  });
}

}  // namespace

void ReadBreaksFromKvList(ReadHost& host, const OpPtr& op, bool fallback) {
  const std::string channel_id = op->channel->channel_id();
  ListBreaksFromKv(host, op, [&host, op, fallback, channel_id](Result<std::vector<AdBreakState>> r) {
    const UnixMicros now = host.Now();
    if (r.ok()) {
      // The seed's getActiveAdBreak: a hit is an active break; anything else is a miss.
      const bool active =
          std::any_of(r->begin(), r->end(), [now](const AdBreakState& b) { return b.IsActiveAt(now); });
      if (active || (!fallback && !r->empty())) {
        ChannelState s;
        s.channel_id = channel_id;
        s.breaks = std::move(r).value();
        SortAndEndOverlaps(&s.breaks);
        const AdBreakState& last = s.breaks.back();
        s.discontinuities_total = last.discontinuities_before.value_or(0) + last.discontinuities.value_or(2);
        s.media_sequence_total = last.media_sequence_before.value_or(0) + last.media_sequence_delta.value_or(0);
        return host.FinishState(op, StateSource::kKvHit, std::make_shared<const ChannelState>(std::move(s)));
      }
    } else {
      op->response.warnings.push_back("kv: " + r.status().message());
    }
    if (fallback) return host.CallCoordinator(op, StateSource::kKvMiss);
    host.FinishState(op, StateSource::kNone, nullptr);
  });
}

}  // namespace ssai::read_paths
