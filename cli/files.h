// Whole-file reads and writes for the commands (scenarios, configs, catalogues, reports): the
// bool form of reference/io/files.h, for callers that print their own message and exit 2.
#ifndef SSAI_CLI_FILES_H_
#define SSAI_CLI_FILES_H_

#include <cstddef>
#include <string>

namespace ssai::cli {

// Input caps, applied while reading (io::ReadFileToString): documents written by hand (serve
// config, origin spec, conformance scenario and profiles, SCTE-35 JSON, decision catalogue) are a
// few KiB, so 1 MiB; a sim scenario may carry audience traces (up to 100,000 points), so
// 16 MiB; a shard report of `ssai sim --shard` holds a histogram per run, so 256 MiB.
inline constexpr size_t kMaxDocumentBytes = size_t{1} << 20;
inline constexpr size_t kMaxScenarioBytes = size_t{16} << 20;
inline constexpr size_t kMaxShardReportBytes = size_t{256} << 20;

// Reads `path` ("-": stdin), at most `max_bytes`. On failure prints "COMMAND: PATH: cannot read:
// No such file or directory" or "COMMAND: PATH: larger than 1 MiB" to stderr and returns false.
bool ReadInput(const std::string& command, const std::string& path, size_t max_bytes, std::string* out);
// Writes (truncates) `path`, creating its parent directories; false on any failure.
bool WriteText(const std::string& path, const std::string& text);

}  // namespace ssai::cli

#endif  // SSAI_CLI_FILES_H_
