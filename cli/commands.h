// Each area of the `ssai` CLI registers its subcommands here; main.cc only dispatches.
// Exit codes: 0 success, 1 findings (lint/conformance failures), 2 bad input or usage.
#ifndef SSAI_CLI_COMMANDS_H_
#define SSAI_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace ssai::cli {

struct Context {
  int exit_code = 0;
};

// `hls` is the "ssai hls" subcommand; each adds its own sub-subcommand to it.
void RegisterHlsLintCommand(CLI::App& hls, Context& ctx);   // ssai hls lint   (cli/hls_lint_cmd.cc)
void RegisterHlsCuesCommand(CLI::App& hls, Context& ctx);   // ssai hls cues   (cli/hls_cues_cmd.cc)
void RegisterScte35Commands(CLI::App& app, Context& ctx);   // ssai scte35 ... (cli/scte35_cmd.cc)
void RegisterSimCommands(CLI::App& app, Context& ctx);      // ssai sim ...    (cli/sim_cmd.cc)
void RegisterServeCommands(CLI::App& app, Context& ctx);    // ssai serve|decision (cli/serve_cmd.cc)
void RegisterConformCommands(CLI::App& app, Context& ctx);  // ssai conform (cli/conform_cmd.cc)

}  // namespace ssai::cli

#endif  // SSAI_CLI_COMMANDS_H_
