// kv-hybrid (builds.h ReadPath::kKvListThenCoordinator), the seed's read path: list + get the
// break keys (kv_list.h); no active break there -> ask the coordinator.
#include "reference/ssai/read_paths/kv_list.h"

namespace ssai::read_paths {
namespace {

class KvHybrid : public StateReadPath {
 public:
  void Read(ReadHost& host, const OpPtr& op) const override {
    ReadBreaksFromKvList(host, op, /*fallback_to_coordinator=*/true);
  }
};

}  // namespace

std::unique_ptr<StateReadPath> MakeKvHybrid() { return std::make_unique<KvHybrid>(); }

}  // namespace ssai::read_paths
