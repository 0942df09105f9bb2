// `ssai hls lint FILE|DIR|- [FILE...]`: checks HLS playlists against the rules in
// reference/media/hls/lint.h (`--rules` lists them).
//
// One input file: single-playlist rules; output lines are `SEVERITY RULE_ID line N: message`.
// Several files, or a directory (its .m3u8/.m3u files sorted by name): the files are successive
// reloads of one media playlist; single-playlist rules run on each and reload rules across them,
// and every output line is prefixed with its file: `FILE: SEVERITY RULE_ID line N: message`
// (reload findings name the newer file). A finding repeated by later reloads (same rule, same
// message) is printed once, with how many later reloads repeated it. `-` reads stdin ("-").
// Errors come before warnings (mediastreamvalidator's MUST before SHOULD); the last line is a
// summary with the counts per severity, also when there is nothing to report.
//
// A URL (http:// or https://; --ca-file / --insecure say whom to trust) is followed live, mediastreamvalidator-style: `--follow S` records it for S
// seconds the way a player loads it (reference/server/capture_recorder.h: the multivariant
// playlist, then every variant and EXT-X-MEDIA rendition reloaded per RFC 8216 §6.3.4; without
// --follow, each playlist once), then lints the recording. A capture directory (index.jsonl,
// `ssai capture`) is linted the same way: each playlist path's fetches in order are its reloads,
// findings are labelled PATH@+SECONDS, and failed fetches are reported (and make the exit 1).
// `--save DIR` keeps the recording of a URL.
//
// --json prints a JSON array of {rule_id, line, severity, message, file} instead.
// --errors-only drops warnings (from the output and from the exit status).
// Exit: 0 clean, 1 findings, 2 bad usage, unreadable input, or a playlist that does not parse
// (the parse error goes to stderr as `FILE: line N: ...`).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/playlist_inputs.h"
#include "reference/media/hls/lint.h"
#include "reference/base/strings.h"
#include "reference/io/files.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/capture.h"
#include "reference/server/capture_origin.h"
#include "reference/server/capture_recorder.h"

namespace ssai::cli {

namespace {

struct LintArgs {
  std::vector<std::string> inputs;
  double follow_s = 0;
  std::string save_dir;
  bool json = false;
  bool rules = false;
  bool errors_only = false;
  server::TlsOptions tls;  // a https:// URL: --ca-file, --insecure
};

std::string_view ScopeName(hls::RuleScope scope) {
  switch (scope) {
    case hls::RuleScope::kMedia:
      return "media";
    case hls::RuleScope::kMaster:
      return "master";
    case hls::RuleScope::kBoth:
      return "any";
    case hls::RuleScope::kReload:
      return "reload";
  }
  return "";
}

void PrintRules(bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const hls::RuleInfo& r : hls::LintRules()) {
      out.push_back({{"id", r.id},
                     {"section", r.section},
                     {"severity", hls::SeverityName(r.severity)},
                     {"scope", ScopeName(r.scope)},
                     {"description", r.description}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const hls::RuleInfo& r : hls::LintRules()) {
    std::cout << r.id << "  " << hls::SeverityName(r.severity) << "  " << ScopeName(r.scope)
              << "  [" << r.section << "]  " << r.description << "\n";
  }
}

// Text output: errors, then warnings; a finding repeated by later reloads once (with the count);
// then one summary line.
void PrintText(const std::vector<hls::Finding>& findings, bool reload_mode, size_t playlists) {
  struct Shown {
    const hls::Finding* first;
    int64_t repeats = 0;
  };
  std::vector<Shown> shown;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (rule, message) -> shown
  for (const hls::Finding& f : findings) {
    auto [it, inserted] = index.try_emplace({f.rule_id, f.message}, shown.size());
    if (inserted || !reload_mode) {
      if (!inserted) it->second = shown.size();
      shown.push_back({&f});
    } else {
      ++shown[it->second].repeats;
    }
  }
  std::stable_sort(shown.begin(), shown.end(), [](const Shown& a, const Shown& b) {
    return a.first->severity == hls::Severity::kError && b.first->severity != hls::Severity::kError;
  });
  int64_t counts[2] = {0, 0};  // errors, warnings (each occurrence)
  std::set<std::string> rules[2];
  int64_t repeats = 0;
  for (const Shown& s : shown) {
    const int k = s.first->severity == hls::Severity::kError ? 0 : 1;
    counts[k] += 1 + s.repeats;
    rules[k].insert(s.first->rule_id);
    repeats += s.repeats;
    hls::Finding f = *s.first;
    if (!reload_mode) f.file.clear();
    std::string line = hls::FormatFinding(f);
    // The severity goes after the file prefix: FILE: SEVERITY RULE line N: message.
    const size_t at = f.file.empty() ? 0 : f.file.size() + 2;
    line.insert(at, std::string(hls::SeverityName(f.severity)) + " ");
    if (s.repeats > 0) {
      line += " (repeated in " + std::to_string(s.repeats) + " later reload" + (s.repeats == 1 ? "" : "s") + ")";
    }
    std::cout << line << "\n";
  }
  auto count = [](int64_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  std::cout << "summary: " << count(counts[0], "error") << " (" << count(static_cast<int64_t>(rules[0].size()), "rule")
            << "), " << count(counts[1], "warning") << " (" << count(static_cast<int64_t>(rules[1].size()), "rule")
            << ") in " << count(static_cast<int64_t>(playlists), "playlist");
  if (repeats > 0) std::cout << "; " << repeats << " repeated by later reloads shown once";
  std::cout << "\n";
}

void PrintJson(const std::vector<hls::Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const hls::Finding& f : findings) {
    out.push_back({{"rule_id", f.rule_id},
                   {"line", f.line},
                   {"severity", hls::SeverityName(f.severity)},
                   {"message", f.message},
                   {"file", f.file}});
  }
  std::cout << out.dump(2) << "\n";
}

// A capture: every path's fetches in offset order are the reloads of one playlist. A snapshot
// is linted on its own once (an unchanged reload names the same file); every fetch of a media
// playlist goes through that path's reload linter (RFC 8216 §6.2.1/§6.3.4 rules need the
// unchanged reloads too).
int LintCapture(const server::LoadedCapture& loaded, const LintArgs& args) {
  struct PathState {
    hls::ReloadLinter reload;
    std::set<std::string> linted_files;
  };
  std::map<std::string, PathState> paths;
  std::vector<hls::Finding> findings;
  std::vector<std::string> fetch_failures;
  std::set<std::string> all_paths;
  size_t playlists = 0;
  for (const origin::CaptureEntry& e : loaded.capture.entries) {
    all_paths.insert(e.path);
    std::string label = e.path + "@+";
    AppendFixed(static_cast<double>(e.offset_ms) / 1000.0, 3, &label);
    label += "s";
    if (!e.ok()) {
      fetch_failures.push_back(label + ": fetch failed: " +
                               (e.error.empty() ? "HTTP " + std::to_string(e.status) : e.error));
      continue;
    }
    auto body = loaded.files.find(e.file);
    if (body == loaded.files.end()) continue;  // outside the directory (LoadCaptureDir warned)
    Result<hls::Playlist> parsed = hls::Parse(body->second);
    if (!parsed.ok()) {
      fetch_failures.push_back(label + ": not a playlist: " + parsed.status().message());
      continue;
    }
    PathState& st = paths[e.path];
    std::vector<hls::Finding> f;
    if (st.linted_files.insert(e.file).second) {
      f = hls::LintPlaylist(*parsed);
      ++playlists;
    }
    if (const auto* media = std::get_if<hls::MediaPlaylist>(&*parsed)) {
      for (hls::Finding& r : st.reload.Observe(*media)) f.push_back(std::move(r));
    }
    for (hls::Finding& x : f) {
      if (args.errors_only && x.severity != hls::Severity::kError) continue;
      x.file = label;
      findings.push_back(std::move(x));
    }
  }
  if (args.json) {
    PrintJson(findings);
  } else {
    for (const std::string& line : fetch_failures) std::cout << line << "\n";
    PrintText(findings, /*reload_mode=*/true, playlists);
    std::cout << "followed " << all_paths.size() << " playlist" << (all_paths.size() == 1 ? "" : "s") << " over "
              << loaded.capture.entries.size() << " fetches";
    if (!fetch_failures.empty()) std::cout << "; " << fetch_failures.size() << " failed";
    std::cout << "\n";
  }
  return findings.empty() && fetch_failures.empty() ? 0 : 1;
}

bool IsUrl(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

int LintUrlOrCapture(const LintArgs& args) {
  const std::string& input = args.inputs.front();
  std::string dir = input;
  std::optional<io::TempDir> temp;  // a URL without --save: recorded here, removed on return
  if (IsUrl(input)) {
    if (!args.save_dir.empty()) {
      dir = args.save_dir;
    } else {
      temp.emplace("ssai-lint");
      if (temp->path().empty()) {
        std::cerr << "ssai hls lint: cannot create a temporary directory\n";
        return 2;
      }
      dir = temp->path();
    }
    server::CaptureRecorderOptions o;
    o.url = input;
    o.out_dir = dir;
    o.tls = args.tls;
    if (o.tls.insecure) std::cerr << "ssai hls lint: WARNING: --insecure: https:// certificates are NOT verified\n";
    // Without --follow: each playlist once (the recorder's first round).
    o.duration_ms = args.follow_s > 0 ? static_cast<int64_t>(args.follow_s * 1000) : 1;
    if (!args.json) {
      std::cerr << "ssai hls lint: following " << input << (args.follow_s > 0 ? " for " + FormatDouble(args.follow_s) + " s" : "")
                << "\n";
    }
    Result<server::CaptureSummary> rec = server::RecordCapture(o, nullptr);
    if (!rec.ok()) {
      std::cerr << "ssai hls lint: " << rec.status().message() << "\n";
      return 2;
    }
  }
  Result<server::LoadedCapture> loaded = server::LoadCaptureDir(dir);
  int code = 2;
  if (!loaded.ok()) {
    std::cerr << "ssai hls lint: " << loaded.status().message() << "\n";
  } else {
    for (const std::string& w : loaded->warnings) std::cerr << "ssai hls lint: " << w << "\n";
    code = LintCapture(*loaded, args);
  }
  return code;
}

int Run(const LintArgs& args) {
  if (args.rules) {
    PrintRules(args.json);
    return 0;
  }
  const bool live = !args.inputs.empty() && (IsUrl(args.inputs.front()) || IsCaptureDir(args.inputs.front()));
  if (live) {
    if (args.inputs.size() != 1) {
      std::cerr << "ssai hls lint: a URL or a capture directory is linted on its own (one input)\n";
      return 2;
    }
    return LintUrlOrCapture(args);
  }
  if (args.follow_s > 0 || !args.save_dir.empty()) {
    std::cerr << "ssai hls lint: --follow and --save need a URL\n";
    return 2;
  }
  if (args.inputs.empty()) {
    std::cerr
        << "ssai hls lint: give a playlist file, a directory of reloads, or '-' (see --help)\n";
    return 2;
  }
  std::vector<std::string> files;
  bool had_directory = false;
  if (!ListPlaylistFiles(args.inputs, &files, &had_directory)) return 2;
  const bool reload_mode = files.size() > 1 || had_directory;

  // Read and parse everything first: a bad input is a usage error (2), not a finding.
  std::vector<hls::Playlist> playlists;
  playlists.reserve(files.size());
  for (const std::string& file : files) {
    std::string text;
    if (!ReadPlaylistInput(file, &text)) return 2;
    Result<hls::Playlist> parsed = hls::Parse(text);
    if (!parsed.ok()) {
      std::cerr << file << ": " << parsed.status().message() << "\n";
      return 2;
    }
    if (reload_mode && std::holds_alternative<hls::MasterPlaylist>(*parsed)) {
      std::cerr << file
                << ": a multivariant playlist cannot be one of a sequence of media "
                   "playlist reloads; lint it on its own\n";
      return 2;
    }
    playlists.push_back(std::move(parsed).value());
  }

  std::vector<hls::Finding> findings;
  hls::ReloadLinter reload;
  for (size_t i = 0; i < playlists.size(); ++i) {
    std::vector<hls::Finding> f = hls::LintPlaylist(playlists[i]);
    if (reload_mode) {
      for (hls::Finding& r : reload.Observe(std::get<hls::MediaPlaylist>(playlists[i]))) {
        f.push_back(std::move(r));
      }
      std::stable_sort(f.begin(), f.end(), [](const hls::Finding& a, const hls::Finding& b) {
        return a.line < b.line;
      });
    }
    for (hls::Finding& x : f) {
      if (args.errors_only && x.severity != hls::Severity::kError) continue;
      x.file = files[i];
      findings.push_back(std::move(x));
    }
  }

  if (args.json) {
    PrintJson(findings);
  } else {
    PrintText(findings, reload_mode, files.size());
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace

void RegisterHlsLintCommand(CLI::App& hls, Context& ctx) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* cmd = hls.add_subcommand(
      "lint",
      "Check HLS playlists against RFC 8216 / rfc8216bis rules. Several files or a directory "
      "(sorted by name) are reloads of one media playlist; a URL is followed live (--follow S), every "
      "rendition. Exit 0 clean, 1 findings, 2 bad input");
  cmd->add_option("inputs", args->inputs,
                  "playlist FILE, DIR of reloads, - for stdin, a capture DIR (index.jsonl), or an http(s):// URL");
  cmd->add_option("--follow", args->follow_s,
                  "URL: follow the live stream for this many seconds, reloading as a player does (default: load each "
                  "playlist once)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--save", args->save_dir, "URL: keep the recording in this directory (a capture `ssai origin --capture` replays)");
  cmd->add_option("--ca-file", args->tls.ca_file, "a https:// URL: trust this PEM CA bundle instead of the system store");
  cmd->add_flag("--insecure", args->tls.insecure, "a https:// URL: do not verify certificates (lab setups only)");
  cmd->add_flag("--json", args->json, "print findings (or --rules) as JSON");
  cmd->add_flag("--rules", args->rules, "list the rule catalogue and exit");
  cmd->add_flag("--errors-only", args->errors_only, "ignore warnings");
  cmd->callback([args, &ctx]() { ctx.exit_code = Run(*args); });
}

}  // namespace ssai::cli
