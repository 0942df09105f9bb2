#include "cli/commands.h"

namespace ssai::cli {

void RegisterHlsCommands(CLI::App& app, Context& ctx) {
  app.add_subcommand("hls", "HLS playlists: lint, cue extraction")->require_subcommand(1);
}

}  // namespace ssai::cli
