// `ssai`: the thin front door. Subcommands live in the *_cmd.cc files beside this one and call
// into the libraries; nothing here knows about playlists or cues.
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ssai: server-side ad insertion lab (HLS, SCTE-35, KV simulation, conformance)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  ssai::cli::Context ctx;
  CLI::App* hls = app.add_subcommand("hls", "HLS playlists: lint, cue extraction");
  hls->require_subcommand(1);
  ssai::cli::RegisterHlsLintCommand(*hls, ctx);
  ssai::cli::RegisterHlsCuesCommand(*hls, ctx);
  ssai::cli::RegisterHlsParseCommand(*hls, ctx);
  ssai::cli::RegisterScte35Commands(app, ctx);
  ssai::cli::RegisterSimCommands(app, ctx);
  ssai::cli::RegisterServeCommands(app, ctx);
  ssai::cli::RegisterTokenCommand(app, ctx);
  ssai::cli::RegisterConformCommands(app, ctx);
  ssai::cli::RegisterCaptureCommands(app, ctx);
  ssai::cli::RegisterBenchCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return ctx.exit_code;
}
