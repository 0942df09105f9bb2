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
#include "reference/media/cues/normalizer.h"
#include "reference/media/hls/playlist.h"

namespace ssai::cli {

namespace {

struct CuesArgs {
  std::vector<std::string> inputs;
  bool verbose = false;
};

// Expands the arguments: a directory stands for its regular files sorted by name.
bool ListFiles(const std::vector<std::string>& inputs, std::vector<std::string>* files) {
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> names;
      for (const auto& e : std::filesystem::directory_iterator(in, ec)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".m3u8" && e.path().extension() != ".m3u") continue;
        names.push_back(name);
      }
      if (ec) {
        std::cerr << in << ": cannot list directory: " << ec.message() << "\n";
        return false;
      }
      std::sort(names.begin(), names.end());
      if (names.empty()) {
        std::cerr << in << ": no .m3u8 files in directory\n";
        return false;
      }
      for (const std::string& n : names) files->push_back((std::filesystem::path(in) / n).string());
    } else {
      files->push_back(in);
    }
  }
  return true;
}

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::cerr << path << ": cannot open\n";
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) {
    std::cerr << path << ": read error\n";
    return false;
  }
  *text = std::move(ss).str();
  if (text->size() > hls::kMaxPlaylistBytes) {
    std::cerr << path << ": larger than " << hls::kMaxPlaylistBytes << " bytes\n";
    return false;
  }
  return true;
}

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
  if (!ListFiles(args.inputs, &files)) return 2;
  cues::Normalizer normalizer;
  for (const std::string& file : files) {
    std::string text;
    if (!ReadFile(file, &text)) return 2;
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
