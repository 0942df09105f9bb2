#include "reference/ssai/read_paths/read_path.h"

namespace ssai::read_paths {

Result<AdBreakState> ChannelMemo::ParseBreakDoc(const std::string& key, std::string text) {
  auto it = break_docs.find(key);
  if (it != break_docs.end() && it->second.text == text) return it->second.parsed;
  Result<AdBreakState> parsed = ParseAdBreakState(text);
  if (!parsed.ok()) return parsed;
  if (break_docs.size() >= kMaxBreakDocs && it == break_docs.end()) break_docs.clear();
  break_docs.insert_or_assign(key, BreakDoc{std::move(text), *parsed});
  return parsed;
}

std::unique_ptr<StateReadPath> MakeReadPath(ReadPath path) {
  switch (path) {
    case ReadPath::kCoordinatorOnly: return MakeCoordinatorOnly();
    case ReadPath::kKvListThenCoordinator: return MakeKvHybrid();
    case ReadPath::kKvKeyThenCoordinator: return MakeKvHybridDirect();
    case ReadPath::kKvListOnly: return MakeKvStateless();
    case ReadPath::kChannelState: return MakeKvChannelState();
  }
  return MakeCoordinatorOnly();
}

}  // namespace ssai::read_paths
