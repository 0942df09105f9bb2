// Each area of the `ssai` CLI registers its subcommands here; main.cc only dispatches.
// Exit codes: 0 success, 1 findings (lint/conformance failures), 2 bad input or usage.
#ifndef SSAI_CLI_COMMANDS_H_
#define SSAI_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace ssai::cli {

struct Context {
  int exit_code = 0;
};

void RegisterHlsCommands(CLI::App& app, Context& ctx);     // ssai hls lint|cues
void RegisterScte35Commands(CLI::App& app, Context& ctx);  // ssai scte35 decode|encode

}  // namespace ssai::cli

#endif  // SSAI_CLI_COMMANDS_H_
