// `ssai scte35 decode CUE|-` and `ssai scte35 encode FILE.json|-`: SCTE 35 splice_info_section
// to threefive-compatible JSON and back (reference/media/scte35).
#include <iostream>
#include <istream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "reference/base/encoding.h"
#include "reference/base/json_input.h"
#include "reference/base/json_text.h"
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

// A splice_info_section is at most 4096 bytes (SCTE 35 section_length is 12 bits): ~5.5 KiB of
// base64, ~8 KiB of hex. A line far longer is not a cue.
constexpr size_t kMaxCueLineBytes = 64 << 10;
// Its JSON form (`ssai scte35 decode`) is a few KiB; 1 MiB leaves room for pretty-printing.
constexpr size_t kMaxCueJsonBytes = 1 << 20;

// std::getline that stops after max_bytes + 1 bytes of one line (then line->size() > max_bytes).
bool ReadBoundedLine(std::istream& in, size_t max_bytes, std::string* line) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  while (true) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return !line->empty();
    if (c == '\n') return true;
    line->push_back(static_cast<char>(c));
    if (line->size() > max_bytes) return true;
  }
}

int RunDecode(const DecodeOptions& opt) {
  if (opt.cue != "-") return DecodeOne(opt.cue, opt.lenient, false, "") ? 0 : 2;
  // One cue per line on stdin; one JSON document per line. Blank lines are skipped.
  int exit_code = 0;
  std::string line;
  for (int line_no = 1; ReadBoundedLine(std::cin, kMaxCueLineBytes, &line); ++line_no) {
    if (line.size() > kMaxCueLineBytes) {
      // No end of line in sight (e.g. /dev/zero): stop instead of reading without bound.
      std::cerr << "error: line " << line_no << ": longer than " << io::FormatByteSize(kMaxCueLineBytes) << "\n";
      std::cout.flush();
      return 2;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!DecodeOne(line, opt.lenient, true, "line " + std::to_string(line_no) + ": ")) exit_code = 2;
  }
  std::cout.flush();
  return exit_code;
}

int RunEncode(const EncodeOptions& opt) {
  // The cap applies while reading ("-": stdin); "error: F: cannot read: ...", "error: F: larger than 1 MiB".
  Result<std::string> text = io::ReadInputToString(opt.file, kMaxCueJsonBytes);
  if (!text.ok()) {
    std::cerr << "error: " << text.status().message() << "\n";
    return 2;
  }
  // Bounded nesting before the JSON library sees it; nothing it throws escapes.
  if (Status s = CheckJsonNesting(*text); !s.ok()) {
    std::cerr << "error: " << opt.file << ": " << s.message() << "\n";
    return 2;
  }
  Result<scte35::SpliceInfoSection> section =
      CatchJsonErrors("JSON", [&] { return scte35::FromJsonText(*text); });
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
