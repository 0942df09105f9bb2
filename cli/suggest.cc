#include "cli/suggest.h"

#include <algorithm>

namespace ssai::cli {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (best) return best;
  if (word.size() >= 2) {
    for (const std::string& c : candidates) {
      if (c.rfind(word, 0) == 0) return c;
    }
  }
  return std::nullopt;
}

namespace {

std::string CommandPath(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a->get_parent() != nullptr; a = a->get_parent()) {
    path = a->get_name() + (path.empty() ? "" : " " + path);
  }
  return path.empty() ? "ssai" : "ssai " + path;
}

std::vector<const CLI::App*> Subcommands(const CLI::App* app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* s : const_cast<CLI::App*>(app)->get_subcommands([](CLI::App*) { return true; })) {
    out.push_back(s);
  }
  return out;
}

// The option `name` ("--seed", "-k") of `app` or of a parent, or nullptr.
const CLI::Option* FindOption(const CLI::App* app, const std::string& name) {
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      if (o->check_name(name)) return o;
    }
  }
  return nullptr;
}

// A negative number or "-" (stdin) is a value, not an option.
bool LooksLikeOption(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  if (arg[1] == '.' || (arg[1] >= '0' && arg[1] <= '9')) return false;
  return true;
}

}  // namespace

std::optional<std::string> CheckCommandLine(const CLI::App& root, int argc, const char* const* argv) {
  const CLI::App* app = &root;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (LooksLikeOption(arg)) {
      const std::string name = arg.rfind("--", 0) == 0 ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const CLI::Option* o = FindOption(app, name);
      if (o == nullptr) {
        std::vector<std::string> names;
        for (const CLI::App* a = app; a != nullptr; a = a->get_parent()) {
          for (const CLI::Option* opt : a->get_options()) {
            for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
            for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
          }
        }
        std::string msg = CommandPath(app) + ": unknown option '" + name + "'";
        if (std::optional<std::string> m = ClosestMatch(name, names)) msg += " (did you mean '" + *m + "'?)";
        return msg + "\nRun `" + CommandPath(app) + " --help` for the options.";
      }
      // An option taking a value in the next word ("--seed 1", but not "--seed=1" or "-k1").
      const bool inline_value = arg.find('=') != std::string::npos || (arg.rfind("--", 0) != 0 && arg.size() > 2);
      if (o->get_type_size() > 0 && !inline_value && i + 1 < argc) ++i;
      continue;
    }
    const std::vector<const CLI::App*> subs = Subcommands(app);
    const CLI::App* next = nullptr;
    for (const CLI::App* s : subs) {
      if (s->check_name(arg)) next = s;
    }
    if (next != nullptr) {
      app = next;
      continue;
    }
    // A word where a subcommand is required must name one; elsewhere it is a positional argument.
    if (!subs.empty() && app->get_require_subcommand_min() > 0) {
      std::vector<std::string> names;
      for (const CLI::App* s : subs) names.push_back(s->get_name());
      std::string msg = CommandPath(app) + ": unknown command '" + arg + "'";
      if (std::optional<std::string> m = ClosestMatch(arg, names)) {
        msg += " (did you mean '" + *m + "'?)";
      } else {
        std::string all;
        for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
        msg += " (commands: " + all + ")";
      }
      return msg;
    }
  }
  return std::nullopt;
}

}  // namespace ssai::cli
