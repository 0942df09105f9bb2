#include "cli/commands.h"

namespace ssai::cli {

void RegisterSimCommands(CLI::App& app, Context& ctx) {}

}  // namespace ssai::cli
