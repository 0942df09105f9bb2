// Did-you-mean for the command line (issue 19): `ssai simm` says `unknown command 'simm'` and
// suggests `sim`; `ssai sim --sed 1` suggests `--seed`. Checked before CLI11 parses, so the
// message names the command level the word was typed at.
#ifndef SSAI_CLI_SUGGEST_H_
#define SSAI_CLI_SUGGEST_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace ssai::cli {

// Levenshtein distance (insert, delete, substitute: 1 each).
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within max(2, |word| / 3) edits, or a candidate `word` is a prefix of;
// nullopt when nothing is close.
std::optional<std::string> ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// Walks argv down the command tree: a word where a command requires a subcommand must name one
// (`unknown command 'X'`), an --option must belong to the command it is typed after or to one of
// its parents (`unknown option '--x'`). Returns the message to print (with a did-you-mean when
// one is close) or nullopt when the command line is fine as far as this goes (CLI11 checks the
// rest). Stops at "--".
std::optional<std::string> CheckCommandLine(const CLI::App& app, int argc, const char* const* argv);

}  // namespace ssai::cli

#endif  // SSAI_CLI_SUGGEST_H_
