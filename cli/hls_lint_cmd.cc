#include "cli/commands.h"

namespace ssai::cli {

void RegisterHlsLintCommand(CLI::App& hls, Context& ctx) {}

}  // namespace ssai::cli
