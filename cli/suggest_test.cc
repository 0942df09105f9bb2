#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace ssai::cli {
namespace {

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("sim", "sim"), 0u);
  EXPECT_EQ(EditDistance("simm", "sim"), 1u);
  EXPECT_EQ(EditDistance("--sed", "--seed"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(SuggestTest, ClosestMatch) {
  const std::vector<std::string> commands = {"hls", "scte35", "sim", "serve", "conform", "capture", "bench"};
  EXPECT_EQ(ClosestMatch("simm", commands), "sim");
  EXPECT_EQ(ClosestMatch("confrom", commands), "conform");
  EXPECT_EQ(ClosestMatch("serv", commands), "serve");
  EXPECT_EQ(ClosestMatch("capt", commands), "capture");  // a prefix
  EXPECT_EQ(ClosestMatch("zzzzzzzz", commands), std::nullopt);
}

struct Tree {
  CLI::App app{"t"};
  std::string out;
  uint64_t seed = 0;
  std::vector<std::string> inputs;
  Tree() {
    app.require_subcommand(1);
    CLI::App* sim = app.add_subcommand("sim", "");
    sim->add_option("scenario", out);
    sim->add_option("--seed", seed);
    sim->add_flag("--quiet");
    CLI::App* hls = app.add_subcommand("hls", "");
    hls->require_subcommand(1);
    hls->add_subcommand("lint", "")->add_option("inputs", inputs);
  }
  std::optional<std::string> Check(std::vector<const char*> args) {
    args.insert(args.begin(), "ssai");
    return CheckCommandLine(app, static_cast<int>(args.size()), args.data());
  }
};

TEST(SuggestTest, UnknownCommandsAndOptions) {
  Tree t;
  EXPECT_EQ(t.Check({"simm"}), "ssai: unknown command 'simm' (did you mean 'sim'?)");
  EXPECT_EQ(t.Check({"hls", "lnt", "x.m3u8"}), "ssai hls: unknown command 'lnt' (did you mean 'lint'?)");
  EXPECT_EQ(t.Check({"qqqqqqq"}), "ssai: unknown command 'qqqqqqq' (commands: sim, hls)");
  const std::optional<std::string> flag = t.Check({"sim", "x.json", "--sed", "3"});
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->substr(0, flag->find('\n')), "ssai sim: unknown option '--sed' (did you mean '--seed'?)");
  EXPECT_NE(t.Check({"sim", "--seed=3", "--quite"})->find("did you mean '--quiet'"), std::string::npos);
  // Fine: known words, option values (a negative number is a value: CLI11 checks its range),
  // positionals where no subcommand is required, "-" (stdin), everything after "--".
  EXPECT_EQ(t.Check({"sim", "x.json", "--seed", "-1", "--quiet"}), std::nullopt);
  EXPECT_EQ(t.Check({"sim", "--seed", "sim"}), std::nullopt);
  EXPECT_EQ(t.Check({"hls", "lint", "-", "--help"}), std::nullopt);
  EXPECT_EQ(t.Check({"sim", "--", "--whatever"}), std::nullopt);
}

}  // namespace
}  // namespace ssai::cli
