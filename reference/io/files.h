// Whole-file reads and writes: the one place the libraries and the CLI turn a path into bytes.
#ifndef SSAI_REFERENCE_IO_FILES_H_
#define SSAI_REFERENCE_IO_FILES_H_

#include <string>
#include <string_view>

#include "reference/base/status.h"

namespace ssai::io {

// The file's bytes, exactly (binary; no newline translation). Errors name the path and the
// system's reason: "fixtures/x.json: cannot read: No such file or directory" (kNotFound when
// the file or a parent directory does not exist, kInvalidArgument for a directory, kUnavailable
// for any other open or read failure, e.g. permission denied).
Result<std::string> ReadFileToString(const std::string& path);

// Writes `text` to `path` (created or truncated), creating missing parent directories first.
// Errors name the path and the reason ("reports/x/report.json: cannot write: No space left on
// device"). Not atomic: a crash can leave a partial file.
Status WriteStringToFile(const std::string& path, std::string_view text);

}  // namespace ssai::io

#endif  // SSAI_REFERENCE_IO_FILES_H_
