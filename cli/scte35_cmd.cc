#include "cli/commands.h"

namespace ssai::cli {

void RegisterScte35Commands(CLI::App& app, Context& ctx) {
  app.add_subcommand("scte35", "SCTE-35 splice_info_section: decode, encode")->require_subcommand(1);
}

}  // namespace ssai::cli
