// `ssai scte35 decode CUE|-` and `ssai scte35 encode FILE.json|-`: SCTE 35 splice_info_section
// to threefive-compatible JSON and back (reference/media/scte35).
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "reference/base/encoding.h"
#include "reference/io/files.h"
#include "reference/media/scte35/scte35_json.h"
#include "reference/media/scte35/splice_info_section.h"

namespace ssai::cli {
namespace {

struct DecodeOptions {
  std::string cue;
  bool lenient = false;
};

struct EncodeOptions {
  std::string file;
  bool hex = false;
};

// Decodes one cue; prints JSON (pretty or one line) to stdout and warnings/errors to stderr with
// `prefix` ("line 3: " in stdin mode). Returns false on error.
bool DecodeOne(const std::string& cue, bool lenient, bool one_line, const std::string& prefix) {
  std::vector<std::string> warnings;
  Result<scte35::SpliceInfoSection> section =
      lenient ? scte35::DecodeTextLenient(cue, &warnings) : scte35::DecodeText(cue);
  if (!section.ok()) {
    std::cerr << "error: " << prefix << section.status().message() << "\n";
    return false;
  }
  for (const auto& w : warnings) std::cerr << "warning: " << prefix << w << "\n";
  const auto json = scte35::ToJson(*section);
  std::cout << (one_line ? json.dump() : json.dump(2)) << "\n";
  return true;
}

int RunDecode(const DecodeOptions& opt) {
  if (opt.cue != "-") return DecodeOne(opt.cue, opt.lenient, false, "") ? 0 : 2;
  // One cue per line on stdin; one JSON document per line. Blank lines are skipped.
  int exit_code = 0;
  std::string line;
  for (int line_no = 1; std::getline(std::cin, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!DecodeOne(line, opt.lenient, true, "line " + std::to_string(line_no) + ": ")) exit_code = 2;
  }
  std::cout.flush();
  return exit_code;
}

int RunEncode(const EncodeOptions& opt) {
  std::string text;
  if (opt.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    Result<std::string> read = io::ReadFileToString(opt.file);
    if (!read.ok()) {
      std::cerr << "error: " << read.status().message() << "\n";  // "error: F: cannot read: ..."
      return 2;
    }
    text = std::move(read).value();
  }
  Result<scte35::SpliceInfoSection> section = scte35::FromJsonText(text);
  if (!section.ok()) {
    std::cerr << "error: " << opt.file << ": " << section.status().message() << "\n";
    return 2;
  }
  Result<Bytes> bytes = scte35::Encode(*section);
  if (!bytes.ok()) {
    std::cerr << "error: " << opt.file << ": " << bytes.status().message() << "\n";
    return 2;
  }
  std::cout << (opt.hex ? "0x" + HexEncode(*bytes) : Base64Encode(*bytes)) << "\n";
  return 0;
}

}  // namespace

void RegisterScte35Commands(CLI::App& app, Context& ctx) {
  CLI::App* scte35 =
      app.add_subcommand("scte35", "SCTE-35 splice_info_section: decode, encode")->require_subcommand(1);

  auto decode_opt = std::make_shared<DecodeOptions>();
  CLI::App* decode = scte35->add_subcommand(
      "decode", "Decode a cue (base64 or hex, 0x optional) to threefive-compatible JSON");
  decode->add_option("cue", decode_opt->cue, "Cue text, or - for one cue per line on stdin")->required();
  decode->add_flag("--lenient", decode_opt->lenient,
                   "Decode what can be decoded; report CRC and length problems as warnings");
  decode->callback([decode_opt, &ctx] { ctx.exit_code = RunDecode(*decode_opt); });

  auto encode_opt = std::make_shared<EncodeOptions>();
  CLI::App* encode = scte35->add_subcommand(
      "encode", "Encode the JSON printed by `ssai scte35 decode` back to a cue (base64)");
  encode->add_option("file", encode_opt->file, "JSON file, or - for stdin")->required();
  encode->add_flag("--hex", encode_opt->hex, "Print 0x-prefixed hex instead of base64");
  encode->callback([encode_opt, &ctx] { ctx.exit_code = RunEncode(*encode_opt); });
}

}  // namespace ssai::cli
