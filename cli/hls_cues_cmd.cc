// `ssai hls cues FILE... | DIR`: ad-break events from successive reloads of one live media
// playlist (reference/media/cues/normalizer.h), one JSON object per line on stdout.
// Warnings (malformed markers) go to stderr as "FILE: line N: warning: ..."; notes (repeats and
// signals ignored on purpose) only with --verbose. Exit 0 ok, 2 unreadable or unparseable input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/playlist_inputs.h"
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"

namespace ssai::cli {

namespace {

struct CuesArgs {
  std::vector<std::string> inputs;
  bool verbose = false;
};

void Report(const cues::NormalizeResult& r, const std::string& file, bool verbose) {
  for (const cues::BreakEvent& e : r.events) std::cout << cues::EventToJsonLine(e, file) << "\n";
  for (const cues::Diagnostic& d : r.warnings) {
    std::cerr << file << ": " << (d.line > 0 ? "line " + std::to_string(d.line) + ": " : "")
              << "warning: " << d.message << "\n";
  }
  if (verbose) {
    for (const cues::Diagnostic& d : r.notes) {
      std::cerr << file << ": " << (d.line > 0 ? "line " + std::to_string(d.line) + ": " : "")
                << "note: " << d.message << "\n";
    }
  }
}

int RunCues(const CuesArgs& args) {
  std::vector<std::string> files;
  if (!ListPlaylistFiles(args.inputs, &files)) return 2;
  cues::Normalizer normalizer;
  for (const std::string& file : files) {
    std::string text;
    if (!ReadPlaylistInput(file, &text)) return 2;
    Result<hls::MediaPlaylist> playlist = hls::ParseMedia(text);
    if (!playlist.ok()) {
      std::cerr << file << ": " << playlist.status().message() << "\n";
      std::cout.flush();
      return 2;
    }
    Report(normalizer.Push(*playlist), file, args.verbose);
  }
  Report(normalizer.Finish(), files.back(), args.verbose);
  std::cout.flush();
  return 0;
}

}  // namespace

void RegisterHlsCuesCommand(CLI::App& hls, Context& ctx) {
  auto args = std::make_shared<CuesArgs>();
  CLI::App* cmd = hls.add_subcommand(
      "cues",
      "Ad-break events (start/end/cancel) from cue markers in successive reloads of one live "
      "media playlist, as JSON lines");
  cmd->add_option("inputs", args->inputs,
                  "Playlist files in reload order, or a directory (its .m3u8 files sorted by name)")
      ->required();
  cmd->add_flag("-v,--verbose", args->verbose,
                "Also print notes (repeats and non-break signals ignored on purpose) to stderr");
  cmd->callback([args, &ctx] { ctx.exit_code = RunCues(*args); });
}

}  // namespace ssai::cli
