// do-only (builds.h ReadPath::kCoordinatorOnly): every request asks the coordinator, the seed's
// Durable Object stub call.
#include "reference/ssai/read_paths/read_path.h"

namespace ssai::read_paths {
namespace {

class CoordinatorOnly : public StateReadPath {
 public:
  void Read(ReadHost& host, const OpPtr& op) const override { host.CallCoordinator(op, StateSource::kCoordinator); }
};

}  // namespace

std::unique_ptr<StateReadPath> MakeCoordinatorOnly() { return std::make_unique<CoordinatorOnly>(); }

}  // namespace ssai::read_paths
