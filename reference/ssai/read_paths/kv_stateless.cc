// kv-stateless (builds.h ReadPath::kKvListOnly): list + get the break keys (kv_list.h) and never
// ask the coordinator (it polls the origin on a timer): a miss is no break. A marker KV does not
// explain yet is held back (AfterState).
#include "reference/ssai/read_paths/kv_list.h"
#include "reference/ssai/read_paths/markers.h"

namespace ssai::read_paths {
namespace {

class KvStateless : public StateReadPath {
 public:
  void Read(ReadHost& host, const OpPtr& op) const override {
    ReadBreaksFromKvList(host, op, /*fallback_to_coordinator=*/false);
  }

  // A build that cannot ask the coordinator would otherwise publish the cue's segment as content
  // and turn it into an ad on a later reload (a URI changing its media sequence number, bis
  // §6.2.1). Instead it holds the newest segments back, from the one with the marker KV does not
  // explain yet, for at most one target duration; RFC 8216 §6.2.1 gives the origin 1.5 target
  // durations to publish, so a player sees a slightly later update.
  void AfterState(ReadHost& host, ManifestOp& op) const override {
    std::optional<Unexplained> u = FindUnexplainedMarker(*op.origin_doc, op.state.get());
    const hls::MediaPlaylist& origin = op.origin();
    if (!u || u->segment_index >= origin.segments().size()) return;
    std::optional<UnixMicros> start = origin.SegmentStartTime(u->segment_index);
    if (!start) return;
    const hls::MediaSegment& seg = origin.segments()[u->segment_index];
    const DurationMicros hold = origin.target_duration_s().value_or(6) * kMicrosPerSecond;
    if (*start + SecondsToMicros(seg.duration_s()) + hold <= host.Now()) return;  // waited long enough
    // This request's own copy (the parse is shared): not in the memo, so never reused.
    hls::MediaPlaylist held = origin;
    std::vector<hls::MediaSegment>& segs = held.mutable_segments();
    segs.erase(segs.begin() + static_cast<std::ptrdiff_t>(u->segment_index), segs.end());
    op.origin_doc = std::make_shared<const OriginDoc>(hls::Playlist(std::move(held)));
    op.response.warnings.push_back("held back " + u->identity + " until KV explains it");
  }
};

}  // namespace

std::unique_ptr<StateReadPath> MakeKvStateless() { return std::make_unique<KvStateless>(); }

}  // namespace ssai::read_paths
