// kv-hybrid-direct (builds.h ReadPath::kKvKeyThenCoordinator), the seed's getAdBreakByKey: get
// the key of the break the origin's markers name; no marker, a miss or an inactive break -> ask
// the coordinator.
#include <variant>

#include "reference/ssai/read_paths/markers.h"
#include "reference/ssai/read_paths/read_path.h"

namespace ssai::read_paths {
namespace {

// The event id the coordinator gives a break opened by this marker (cues/normalizer.h scheme),
// when the marker carries one: SCTE-35 splice_event_id / segmentation_event_id, DATERANGE ID.
std::optional<std::string> MarkerEventId(const cues::Marker& m) {
  if (m.scte35) {
    if (const auto* insert = std::get_if<scte35::SpliceInsert>(&m.scte35->command)) {
      return std::to_string(insert->splice_event_id);
    }
    for (const auto& d : m.scte35->descriptors) {
      if (const auto* seg = std::get_if<scte35::SegmentationDescriptor>(&d)) {
        return std::to_string(seg->segmentation_event_id);
      }
    }
  }
  if (!m.id.empty()) return m.id;
  return std::nullopt;
}

class KvHybridDirect : public StateReadPath {
 public:
  void Read(ReadHost& host, const OpPtr& op) const override {
    const std::string channel_id = op->channel->channel_id();
    // The last break the window's markers open.
    std::optional<std::string> event_id;
    for (const cues::Marker& marker : op->origin_doc->Markers().markers) {
      std::optional<bool> opens = MarkerOpensBreak(marker);
      if (opens && *opens) {
        if (std::optional<std::string> id = MarkerEventId(marker)) event_id = id;
      }
    }
    if (!event_id) return host.CallCoordinator(op, StateSource::kKvMiss);
    ++op->response.kv_reads;
    KvStore::GetOptions get_options;
    get_options.cache_ttl_s = host.Options().kv_cache_ttl_s;
    std::string key = AdBreakKey(channel_id, *event_id);
    host.Kv().Get(key, get_options, [&host, op, channel_id, key](Result<std::optional<std::string>> r) {
      if (r.ok() && r->has_value()) {
        Result<AdBreakState> b = op->channel_memo->ParseBreakDoc(key, std::move(**r));
        if (b.ok() && b->IsActiveAt(host.Now())) {
          ChannelState s;
          s.channel_id = channel_id;
          s.discontinuities_total = b->discontinuities_before.value_or(0) + b->discontinuities.value_or(2);
          s.media_sequence_total = b->media_sequence_before.value_or(0) + b->media_sequence_delta.value_or(0);
          s.breaks.push_back(std::move(b).value());
          return host.FinishState(op, StateSource::kKvHit, std::make_shared<const ChannelState>(std::move(s)));
        }
      }
      host.CallCoordinator(op, StateSource::kKvMiss);
    });
  }
};

}  // namespace

std::unique_ptr<StateReadPath> MakeKvHybridDirect() { return std::make_unique<KvHybridDirect>(); }

}  // namespace ssai::read_paths
