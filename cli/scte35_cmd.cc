// `ssai scte35 decode CUE|FILE|-`, `ssai scte35 encode FILE.json|-` and `ssai scte35 scan
// FILE.ts|FILE.m3u8|-`: SCTE 35 splice_info_section to threefive-compatible JSON and back
// (reference/media/scte35), and the cues of an MPEG-TS (reference/media/ts) or of a playlist's
// markers (reference/media/cues).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "reference/base/encoding.h"
#include "reference/base/json_input.h"
#include "reference/base/json_text.h"
#include "reference/io/files.h"
#include "reference/media/cues/markers.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/scte35/scte35_json.h"
#include "reference/media/scte35/splice_info_section.h"
#include "reference/media/ts/ts_scan.h"

namespace ssai::cli {
namespace {

struct DecodeOptions {
  std::string cue;
  bool lenient = false;
};

struct ScanOptions {
  std::string input;
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

// ---------------------------------------------------------------------------------------------
// scan: MPEG-TS (streamed in chunks) or a playlist (whole, capped).
// ---------------------------------------------------------------------------------------------

// TS is read in chunks of this size: memory stays bounded for a capture of any length.
constexpr size_t kTsChunkBytes = size_t{1} << 20;
// Enough to tell TS (0x47 every 188 bytes, 5 packets) from a playlist or cue text.
constexpr size_t kSniffBytes = 5 * ts::kPacketBytes;

// An open input: a file or stdin ("-"), read through its streambuf.
struct Input {
  std::string name;  // the path, or "stdin"
  std::ifstream file;
  std::istream* in = nullptr;
  // Up to n bytes; fewer only at the end of the input.
  size_t Read(char* buf, size_t n) { return static_cast<size_t>(in->rdbuf()->sgetn(buf, static_cast<std::streamsize>(n))); }
};

// Opens `path` ("-": stdin). Errors read like reference/io's: "x.ts: cannot read: No such file
// or directory".
bool OpenInput(const std::string& path, Input* input) {
  if (path == "-") {
    input->name = "stdin";
    input->in = &std::cin;
    return true;
  }
  input->name = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::cerr << "error: " << path << ": cannot read: Is a directory\n";
    return false;
  }
  input->file.open(path, std::ios::binary);
  if (!input->file) {
    std::cerr << "error: " << path << ": cannot read: " << std::strerror(errno) << "\n";
    return false;
  }
  input->in = &input->file;
  return true;
}

bool IsPlaylistText(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);  // UTF-8 BOM
  while (!head.empty() && (head[0] == ' ' || head[0] == '\t' || head[0] == '\r' || head[0] == '\n')) {
    head.remove_prefix(1);
  }
  return head.substr(0, 7) == "#EXTM3U";
}

bool IsTs(std::string_view head) {
  return ts::LooksLikeTs(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(head.data()), head.size()));
}

// One JSON line per cue: `packet_data` (where it was found, threefive's key) then the section as
// `ssai scte35 decode` prints it.
std::string TsCueJsonLine(const ts::Cue& cue) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json packet;
  packet["pid"] = cue.pid;
  packet["pid_hex"] = ts::PidHex(cue.pid);
  packet["program"] = cue.program_number;
  packet["packet_offset"] = cue.packet_offset;
  if (cue.video_pts_ticks) {
    packet["video_pts_ticks"] = *cue.video_pts_ticks;
    packet["video_pts"] = scte35::RoundSeconds6(scte35::TicksToSeconds(*cue.video_pts_ticks));
  } else {
    packet["video_pts_ticks"] = nullptr;
    packet["video_pts"] = nullptr;
  }
  j["packet_data"] = std::move(packet);
  const nlohmann::ordered_json section = scte35::ToJson(cue.decoded);
  for (const auto& [key, value] : section.items()) j[key] = value;
  return j.dump();
}

// Prints the cues and issues taken from the scanner; returns true when an error (not a warning)
// was among the issues.
bool DrainScanner(ts::Scte35Scanner& scanner, const std::string& name) {
  for (const ts::Cue& cue : scanner.TakeCues()) std::cout << TsCueJsonLine(cue) << "\n";
  bool error = false;
  for (const ts::Issue& issue : scanner.TakeIssues()) {
    const bool warning = issue.kind == ts::Issue::Kind::kContinuity;
    error = error || !warning;
    std::cerr << (warning ? "warning: " : "error: ") << name << ": " << issue.status.message() << "\n";
  }
  return error;
}

// Scans a transport stream whose first bytes (`head`) were already read. Exit 0: clean; 1: some
// sections or packets were rejected (each named on stderr); 2: not a transport stream any more
// (lost sync; the message names the byte).
int ScanTs(Input& input, std::string head) {
  ts::Scte35Scanner scanner;
  bool errors = false;
  std::vector<char> buf(kTsChunkBytes);
  auto push = [&](const char* data, size_t n) {
    const Status s = scanner.Push(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), n));
    errors = DrainScanner(scanner, input.name) || errors;
    if (!s.ok()) std::cerr << "error: " << input.name << ": " << s.message() << "\n";
    return s.ok();
  };
  if (!push(head.data(), head.size())) return 2;
  while (true) {
    const size_t n = input.Read(buf.data(), buf.size());
    if (n == 0) break;
    if (!push(buf.data(), n)) {
      std::cout.flush();
      return 2;
    }
  }
  if (input.in->bad()) {
    std::cerr << "error: " << input.name << ": read error after byte " << scanner.stats().bytes << "\n";
    return 2;
  }
  (void)scanner.Finish();
  errors = DrainScanner(scanner, input.name) || errors;
  std::cout.flush();
  return errors ? 1 : 0;
}

// The cue markers of a media playlist (reference/media/cues, as `ssai hls cues` reads them), one
// JSON line each: `playlist_data` (line, tag flavour, direction, segment) then the decoded
// section when the marker carries one.
int ScanPlaylist(const std::string& name, const std::string& text) {
  Result<hls::MediaPlaylist> playlist = hls::ParseMedia(text);
  if (!playlist.ok()) {
    std::cerr << "error: " << name << ": " << playlist.status().message() << "\n";
    return 2;
  }
  const cues::ExtractResult markers = cues::ExtractMarkers(*playlist);
  for (const cues::Marker& m : markers.markers) {
    nlohmann::ordered_json j;
    nlohmann::ordered_json where;
    where["line"] = m.line;
    where["tag"] = cues::FlavourName(m.flavour);
    where["direction"] = cues::DirectionName(m.direction);
    where["msn"] = m.msn;
    if (m.duration_s) where["duration"] = *m.duration_s;
    if (!m.id.empty()) where["id"] = m.id;
    j["playlist_data"] = std::move(where);
    if (m.scte35) {
      const nlohmann::ordered_json section = scte35::ToJson(*m.scte35);
      for (const auto& [key, value] : section.items()) j[key] = value;
    }
    std::cout << j.dump() << "\n";
  }
  for (const cues::Diagnostic& d : markers.warnings) {
    std::cerr << "warning: " << name << ": " << cues::FormatDiagnostic(d) << "\n";
  }
  std::cout.flush();
  return 0;
}

// Reads the rest of a playlist whose first bytes are `head`, at most hls::kMaxPlaylistBytes.
bool ReadRest(Input& input, std::string* text) {
  std::vector<char> buf(64 << 10);
  while (true) {
    const size_t n = input.Read(buf.data(), buf.size());
    if (n == 0) return true;
    text->append(buf.data(), n);
    if (text->size() > hls::kMaxPlaylistBytes) {
      std::cerr << "error: " << input.name << ": larger than " << io::FormatByteSize(hls::kMaxPlaylistBytes) << "\n";
      return false;
    }
  }
}

// TS or playlist, told apart by content (0x47 every 188 bytes; #EXTM3U). `what_else` ends the
// error for anything else. Returns -1 (not handled) when `head` is neither and what_else is empty.
int ScanDetected(Input& input, std::string head, const char* what_else) {
  if (IsTs(head)) return ScanTs(input, std::move(head));
  if (IsPlaylistText(head)) {
    if (!ReadRest(input, &head)) return 2;
    return ScanPlaylist(input.name, head);
  }
  if (what_else == nullptr) return -1;
  std::cerr << "error: " << input.name << ": " << what_else << "\n";
  return 2;
}

std::string ReadHead(Input& input) {
  std::string head(kSniffBytes, '\0');
  head.resize(input.Read(head.data(), head.size()));
  return head;
}

int RunScan(const ScanOptions& opt) {
  Input input;
  if (!OpenInput(opt.input, &input)) return 2;
  std::string head = ReadHead(input);
  if (head.empty()) {
    std::cerr << "error: " << input.name << ": empty input\n";
    return 2;
  }
  if (!IsTs(head) && !IsPlaylistText(head) && static_cast<uint8_t>(head[0]) == ts::kSyncByte &&
      head.size() < kSniffBytes) {
    return ScanTs(input, std::move(head));  // a short TS (fewer than 5 packets): the scanner says what is wrong
  }
  return ScanDetected(input, std::move(head),
                      "neither an MPEG-TS (0x47 sync byte every 188 bytes) nor an HLS playlist (#EXTM3U)");
}

// Cue text lines (`-`, or a text file): one JSON document per line; blank lines are skipped.
int DecodeLines(std::istream& in, std::string pending, bool lenient) {
  int exit_code = 0;
  std::string line;
  int line_no = 0;
  // `pending` holds bytes already read (to detect the input's kind): its lines come first.
  std::istringstream first(pending);
  for (std::istream* src : {static_cast<std::istream*>(&first), &in}) {
    while (ReadBoundedLine(*src, kMaxCueLineBytes, &line)) {
      if (src == &first && first.peek() == std::char_traits<char>::eof() && !pending.empty() &&
          pending.back() != '\n') {
        // The last line of `pending` continues in `in`.
        std::string rest;
        if (ReadBoundedLine(in, kMaxCueLineBytes, &rest)) line += rest;
      }
      ++line_no;
      if (line.size() > kMaxCueLineBytes) {
        // No end of line in sight (e.g. /dev/zero): stop instead of reading without bound.
        std::cerr << "error: line " << line_no << ": longer than " << io::FormatByteSize(kMaxCueLineBytes) << "\n";
        std::cout.flush();
        return 2;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (!DecodeOne(line, lenient, true, "line " + std::to_string(line_no) + ": ")) exit_code = 2;
    }
  }
  std::cout.flush();
  return exit_code;
}

// A file of one binary section (0xFC ...), as threefive reads a file of bytes.
int DecodeBinary(const std::string& path, bool lenient) {
  Result<std::string> bytes = io::ReadFileToString(path, kMaxCueLineBytes);
  if (!bytes.ok()) {
    std::cerr << "error: " << bytes.status().message() << "\n";
    return 2;
  }
  const std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  std::vector<std::string> warnings;
  Result<scte35::SpliceInfoSection> section = lenient ? scte35::DecodeLenient(raw, &warnings) : scte35::Decode(raw);
  if (!section.ok()) {
    std::cerr << "error: " << path << ": " << section.status().message() << "\n";
    return 2;
  }
  for (const auto& w : warnings) std::cerr << "warning: " << path << ": " << w << "\n";
  std::cout << scte35::ToJson(*section).dump(2) << "\n";
  return 0;
}

int RunDecode(const DecodeOptions& opt) {
  // Auto-detection, as threefive's decode does: an MPEG-TS (file or stdin) -> its cues, as
  // `scte35 scan`; a playlist -> its markers' cues; a file of one binary section; a file or
  // stdin of cue text, one per line; else the argument itself is base64 or hex.
  std::error_code ec;
  const bool is_file = opt.cue != "-" && !opt.cue.empty() && std::filesystem::exists(opt.cue, ec);
  if (opt.cue != "-" && !is_file) {
    for (std::string_view ext : {".ts", ".m3u8", ".m3u", ".bin", ".txt", ".json"}) {
      if (opt.cue.size() > ext.size() && opt.cue.ends_with(ext)) {
        std::cerr << "error: " << opt.cue << ": cannot read: No such file or directory\n";
        return 2;
      }
    }
    return DecodeOne(opt.cue, opt.lenient, false, "") ? 0 : 2;
  }
  Input input;
  if (!OpenInput(opt.cue, &input)) return 2;
  if (!is_file) {
    // stdin: a producer may write one cue a line and wait for each answer, so look at one byte
    // only: 0x47 (TS sync), '#' (#EXTM3U) or a BOM cannot start a cue line.
    const int c = input.in->rdbuf()->sgetc();
    if (c != ts::kSyncByte && c != '#' && c != 0xEF) return DecodeLines(*input.in, "", opt.lenient);
  }
  std::string head = ReadHead(input);
  if (int rc = ScanDetected(input, head, nullptr); rc >= 0) return rc;
  if (is_file && !head.empty() && static_cast<uint8_t>(head[0]) == scte35::kTableId) {
    return DecodeBinary(opt.cue, opt.lenient);
  }
  return DecodeLines(*input.in, std::move(head), opt.lenient);
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
      app.add_subcommand("scte35", "SCTE-35 splice_info_section: decode, encode, scan")->require_subcommand(1);

  auto decode_opt = std::make_shared<DecodeOptions>();
  CLI::App* decode = scte35->add_subcommand(
      "decode",
      "Decode a cue to threefive-compatible JSON. Detects what it is given: base64 or hex text (0x "
      "optional), a file of cue lines or of one binary section, an MPEG-TS file or an HLS playlist "
      "(their cues, as `scte35 scan` prints them)");
  decode->add_option("cue", decode_opt->cue,
                     "Cue text, a file, or - for stdin (MPEG-TS, a playlist, or one cue per line)")
      ->required();
  decode->add_flag("--lenient", decode_opt->lenient,
                   "Decode what can be decoded; report CRC and length problems as warnings");
  decode->callback([decode_opt, &ctx] { ctx.exit_code = RunDecode(*decode_opt); });

  auto scan_opt = std::make_shared<ScanOptions>();
  CLI::App* scan = scte35->add_subcommand(
      "scan",
      "Every SCTE-35 cue in an MPEG-TS (PIDs of stream_type 0x86 from the PAT/PMT; one JSON line "
      "per section: packet_data {pid, program, packet_offset, video_pts_ticks, video_pts} + the "
      "decoded section) or in an HLS media playlist's markers (playlist_data + the section). Exit 1 "
      "when sections or packets were rejected (named on stderr with their byte offset), 2 on input "
      "that is neither, or lost sync");
  scan->add_option("input", scan_opt->input, "FILE.ts, FILE.m3u8, or - for stdin (detected by content)")->required();
  scan->callback([scan_opt, &ctx] { ctx.exit_code = RunScan(*scan_opt); });

  auto encode_opt = std::make_shared<EncodeOptions>();
  CLI::App* encode = scte35->add_subcommand(
      "encode", "Encode the JSON printed by `ssai scte35 decode` back to a cue (base64)");
  encode->add_option("file", encode_opt->file, "JSON file, or - for stdin")->required();
  encode->add_flag("--hex", encode_opt->hex, "Print 0x-prefixed hex instead of base64");
  encode->callback([encode_opt, &ctx] { ctx.exit_code = RunEncode(*encode_opt); });
}

}  // namespace ssai::cli
