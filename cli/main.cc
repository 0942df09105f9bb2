// `ssai`: the thin front door. Subcommands live in the *_cmd.cc files beside this one and call
// into the libraries; nothing here knows about playlists or cues.
#include <functional>
#include <iostream>

#include "cli/commands.h"
#include "cli/suggest.h"
#include "reference/base/version.h"
#include "reference/server/metrics.h"

int main(int argc, char** argv) {
  CLI::App app{"ssai: server-side ad insertion lab (HLS, SCTE-35, KV simulation, conformance)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  app.set_version_flag("--version", "ssai " + ssai::VersionString(), "Print the version and exit");
  // Every option's default shows in --help (subcommands inherit the option defaults).
  app.option_defaults()->always_capture_default();
  ssai::server::SetBuildVersion(ssai::VersionString());  // /metrics ssai_build_info (ssai serve, conform serve:)
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
  ssai::cli::RegisterFidelityCommand(app, ctx);
  // An empty list's captured default ("[]") says nothing: leave it out of --help.
  std::function<void(CLI::App*)> tidy = [&](CLI::App* a) {
    for (CLI::Option* o : a->get_options([](CLI::Option*) { return true; })) {
      if (o->get_default_str() == "[]") o->default_str("");
    }
    for (CLI::App* s : a->get_subcommands([](CLI::App*) { return true; })) tidy(s);
  };
  tidy(&app);
  // Unknown commands and options, with a did-you-mean (CLI11 alone says "A subcommand is
  // required" for a typo'd command).
  if (std::optional<std::string> error = ssai::cli::CheckCommandLine(app, argc, argv)) {
    std::cerr << *error << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return ctx.exit_code;
}
