#include "cli/commands.h"

namespace ssai::cli {

void RegisterHlsCuesCommand(CLI::App& hls, Context& ctx) {}

}  // namespace ssai::cli
