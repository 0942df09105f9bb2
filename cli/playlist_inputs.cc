#include "cli/playlist_inputs.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "reference/io/files.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/capture.h"

namespace ssai::cli {

bool ListPlaylistFiles(const std::vector<std::string>& inputs, std::vector<std::string>* files,
                       bool* had_directory) {
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (in != "-" && std::filesystem::is_directory(in, ec)) {
      if (had_directory) *had_directory = true;
      std::vector<std::string> names;
      for (const auto& e : std::filesystem::directory_iterator(in, ec)) {
        if (!e.is_regular_file()) continue;
        if (e.path().extension() != ".m3u8" && e.path().extension() != ".m3u") continue;
        names.push_back(e.path().filename().string());
      }
      if (ec) {
        std::cerr << in << ": cannot list directory: " << ec.message() << "\n";
        return false;
      }
      if (names.empty()) {
        std::cerr << in << ": no .m3u8 files in directory\n";
        return false;
      }
      std::sort(names.begin(), names.end());
      for (const std::string& n : names) files->push_back((std::filesystem::path(in) / n).string());
    } else {
      files->push_back(in);
    }
  }
  if (std::count(files->begin(), files->end(), "-") > 1) {
    std::cerr << "stdin ('-') can be given only once\n";
    return false;
  }
  return true;
}

bool ReadPlaylistInput(const std::string& path, std::string* text) {
  // The cap applies while reading: stdin or /dev/zero cost at most the cap.
  Result<std::string> read = io::ReadInputToString(path, hls::kMaxPlaylistBytes);
  if (!read.ok()) {
    // "PATH: cannot read: No such file or directory", "PATH: larger than 16 MiB" (stdin: "stdin: ...")
    std::cerr << read.status().message() << "\n";
    return false;
  }
  *text = std::move(read).value();
  return true;
}

bool IsCaptureDir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(path) / std::string(origin::kCaptureIndexFile), ec);
}

}  // namespace ssai::cli
