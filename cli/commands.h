// Each area of the `ssai` CLI registers its subcommands here; main.cc only dispatches.
// Exit codes: 0 success, 1 findings (lint/conformance failures), 2 bad input or usage.
#ifndef SSAI_CLI_COMMANDS_H_
#define SSAI_CLI_COMMANDS_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "reference/base/status.h"

namespace ssai::server {
class SyntheticOriginService;
}  // namespace ssai::server

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
void RegisterTokenCommand(CLI::App& app, Context& ctx);     // ssai token (cli/token_cmd.cc)
void RegisterConformCommands(CLI::App& app, Context& ctx);  // ssai conform (cli/conform_cmd.cc)
void RegisterCaptureCommands(CLI::App& app, Context& ctx);  // ssai capture (cli/capture_cmd.cc)
void RegisterHlsParseCommand(CLI::App& hls, Context& ctx);  // ssai hls parse (cli/hls_parse_cmd.cc)
void RegisterFidelityCommand(CLI::App& app, Context& ctx);  // ssai fidelity (cli/fidelity_cmd.cc)

// `ssai origin` replay flags (cli/capture_cmd.cc; the subcommand is serve_cmd.cc's):
// --capture DIR, --speed X, --loop, --from ISO8601.
struct OriginReplayFlags {
  std::string capture_dir;
  double speed = 1;
  bool loop = false;
  std::string from;
};
std::shared_ptr<OriginReplayFlags> AddOriginReplayFlags(CLI::App& origin);
// Serves --capture DIR until SIGINT/SIGTERM when it was given (or reports a flag conflict):
// returns true and sets *exit_code. False: run the synthetic origin.
bool MaybeRunCaptureOrigin(const OriginReplayFlags& flags, bool synthetic_given, const std::string& listen,
                           int* exit_code);
// --speed/--from for --synthetic: sets the service's clock. Errors name the flag.
Status SetSyntheticOriginClock(const OriginReplayFlags& flags, server::SyntheticOriginService* service);
void RegisterBenchCommands(CLI::App& app, Context& ctx);    // ssai bench [report] (cli/bench_cmd.cc)

// `ssai origin --ts FILE.ts` (cli/origin_ts_cmd.cc): --ts, --flavour, --segment-s, --pdt-start,
// --window; with the replay flags --loop and --speed.
struct OriginTsFlags {
  std::string ts_path;
  std::string flavour = "cue_out";
  double segment_s = 6;
  std::string pdt_start;
  int window = 6;
  bool flavour_given = false, segment_given = false, window_given = false;
};
inline constexpr size_t kMaxTsFileBytes = size_t{1} << 30;  // the file is held in memory
std::shared_ptr<OriginTsFlags> AddOriginTsFlags(CLI::App& origin);
// Serves --ts FILE until SIGINT/SIGTERM when it was given (or reports a flag conflict): returns
// true and sets *exit_code. False: no --ts.
bool MaybeRunTsOrigin(const OriginTsFlags& flags, const OriginReplayFlags& replay, bool synthetic_given,
                      const std::string& listen, int* exit_code);

}  // namespace ssai::cli

#endif  // SSAI_CLI_COMMANDS_H_
