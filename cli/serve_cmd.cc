#include "cli/commands.h"

namespace ssai::cli {

void RegisterServeCommands(CLI::App& app, Context& ctx) {}

}  // namespace ssai::cli
