// `ssai hls cues FILE... | DIR | CAPTURE_DIR`: ad-break events from successive reloads of one live
// media playlist (reference/media/cues/normalizer.h), one JSON object per line on stdout. A capture
// directory (`ssai capture`) holds every rendition's reloads: each media playlist path is
// normalized on its own, in fetch order, and its events name the path and the fetch's offset
// ("/v720.m3u8@+20.013s"); the multivariant playlist and failed fetches carry no markers.
// Warnings (malformed markers) go to stderr as "FILE: line N: warning: ..."; notes (repeats and
// signals ignored on purpose) only with --verbose. Exit 0 ok, 2 unreadable or unparseable input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "cli/commands.h"
#include "cli/playlist_inputs.h"
#include "reference/media/cues/normalizer.h"
#include "reference/base/strings.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/capture.h"
#include "reference/server/capture_origin.h"

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

int RunCaptureCues(const std::string& dir, bool verbose) {
  Result<server::LoadedCapture> loaded = server::LoadCaptureDir(dir);
  if (!loaded.ok()) {
    std::cerr << "ssai hls cues: " << loaded.status().message() << "\n";
    return 2;
  }
  for (const std::string& w : loaded->warnings) std::cerr << "ssai hls cues: " << w << "\n";
  struct PathState {
    cues::Normalizer normalizer;
    std::string last_label;
    std::string last_file;  // an unchanged reload names the same snapshot file: read once
  };
  std::map<std::string, PathState> paths;
  std::vector<std::string> order;  // paths in order of their first media playlist
  for (const origin::CaptureEntry& e : loaded->capture.entries) {
    if (!e.ok()) continue;
    if (auto seen = paths.find(e.path); seen != paths.end() && seen->second.last_file == e.file) continue;
    auto body = loaded->files.find(e.file);
    if (body == loaded->files.end()) continue;  // outside the directory (LoadCaptureDir warned)
    Result<hls::Playlist> parsed = hls::Parse(body->second);
    std::string label = e.path + "@+";
    AppendFixed(static_cast<double>(e.offset_ms) / 1000.0, 3, &label);
    label += "s";
    if (!parsed.ok()) {
      std::cerr << label << " (" << e.file << "): warning: not a playlist: " << parsed.status().message() << "\n";
      continue;
    }
    const auto* media = std::get_if<hls::MediaPlaylist>(&*parsed);
    if (media == nullptr) continue;  // the multivariant playlist: no markers
    auto [it, first] = paths.try_emplace(e.path);
    if (first) order.push_back(e.path);
    Report(it->second.normalizer.Push(*media), label, verbose);
    it->second.last_label = label;
    it->second.last_file = e.file;
  }
  for (const std::string& path : order) {
    PathState& st = paths[path];
    Report(st.normalizer.Finish(), st.last_label, verbose);
  }
  if (order.empty()) {
    std::cerr << "ssai hls cues: " << dir << ": the capture holds no media playlist\n";
    return 2;
  }
  std::cout.flush();
  return 0;
}

int RunCues(const CuesArgs& args) {
  if (args.inputs.size() == 1 && IsCaptureDir(args.inputs.front())) return RunCaptureCues(args.inputs.front(), args.verbose);
  std::vector<std::string> files;
  if (!ListPlaylistFiles(args.inputs, &files)) return 2;
  cues::Normalizer normalizer;
  for (const std::string& file : files) {
    std::string text;
    if (!ReadPlaylistInput(file, &text)) return 2;
    Result<hls::MediaPlaylist> playlist = hls::ParseMedia(text);
    if (!playlist.ok()) {
      std::cerr << file << ": " << playlist.status().message()
                << " (ssai hls cues reads the reloads of one media playlist, or a capture directory)\n";
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
                  "Playlist files in reload order, a directory (its .m3u8 files sorted by name), or a capture "
                  "directory (index.jsonl, `ssai capture`: every rendition's reloads, events per rendition)")
      ->required();
  cmd->add_flag("-v,--verbose", args->verbose,
                "Also print notes (repeats and non-break signals ignored on purpose) to stderr");
  cmd->callback([args, &ctx] { ctx.exit_code = RunCues(*args); });
}

}  // namespace ssai::cli
