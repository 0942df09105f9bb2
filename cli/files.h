// Whole-file reads and writes for the commands (scenarios, configs, catalogues, reports): the
// bool form of reference/io/files.h (ReadFileToString, WriteStringToFile), whose Status names
// the path and the reason, for callers that print their own message.
#ifndef SSAI_CLI_FILES_H_
#define SSAI_CLI_FILES_H_

#include <string>

namespace ssai::cli {

// The file's bytes; false if it cannot be opened.
bool ReadFile(const std::string& path, std::string* out);
// Writes (truncates) `path`, creating its parent directories; false on any failure.
bool WriteText(const std::string& path, const std::string& text);

}  // namespace ssai::cli

#endif  // SSAI_CLI_FILES_H_
