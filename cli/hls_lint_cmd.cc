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
// --json prints a JSON array of {rule_id, line, severity, message, file} instead.
// --errors-only drops warnings (from the output and from the exit status).
// Exit: 0 clean, 1 findings, 2 bad usage, unreadable input, or a playlist that does not parse
// (the parse error goes to stderr as `FILE: line N: ...`).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/playlist_inputs.h"
#include "reference/media/hls/lint.h"
#include "reference/media/hls/playlist.h"

namespace ssai::cli {

namespace {

struct LintArgs {
  std::vector<std::string> inputs;
  bool json = false;
  bool rules = false;
  bool errors_only = false;
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

int Run(const LintArgs& args) {
  if (args.rules) {
    PrintRules(args.json);
    return 0;
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
    nlohmann::json out = nlohmann::json::array();
    for (const hls::Finding& f : findings) {
      out.push_back({{"rule_id", f.rule_id},
                     {"line", f.line},
                     {"severity", hls::SeverityName(f.severity)},
                     {"message", f.message},
                     {"file", f.file}});
    }
    std::cout << out.dump(2) << "\n";
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
      "(sorted by name) are reloads of one media playlist. Exit 0 clean, 1 findings, 2 bad input");
  cmd->add_option("inputs", args->inputs, "playlist FILE, DIR of reloads, or - for stdin");
  cmd->add_flag("--json", args->json, "print findings (or --rules) as JSON");
  cmd->add_flag("--rules", args->rules, "list the rule catalogue and exit");
  cmd->add_flag("--errors-only", args->errors_only, "ignore warnings");
  cmd->callback([args, &ctx]() { ctx.exit_code = Run(*args); });
}

}  // namespace ssai::cli
