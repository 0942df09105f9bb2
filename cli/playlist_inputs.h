// Reading playlists named on the command line, shared by `ssai hls lint` and `ssai hls cues`.
#ifndef SSAI_CLI_PLAYLIST_INPUTS_H_
#define SSAI_CLI_PLAYLIST_INPUTS_H_

#include <string>
#include <vector>

namespace ssai::cli {

// Expands the arguments: a directory stands for its .m3u8/.m3u regular files sorted by name
// (successive reloads of one playlist); "-" is stdin and may appear once. Problems go to stderr
// ("DIR: no .m3u8 files in directory"); false means the command should exit 2.
bool ListPlaylistFiles(const std::vector<std::string>& inputs, std::vector<std::string>* files,
                       bool* had_directory = nullptr);

// Reads a file (or stdin for "-"), refusing more than hls::kMaxPlaylistBytes (16 MiB) while
// reading; prints the reason ("PATH: larger than 16 MiB") to stderr.
bool ReadPlaylistInput(const std::string& path, std::string* text);

// A capture directory (`ssai capture`: DIR/index.jsonl names each fetch), which `hls lint` and
// `hls cues` read as the reloads of every playlist path in fetch order.
bool IsCaptureDir(const std::string& path);

}  // namespace ssai::cli

#endif  // SSAI_CLI_PLAYLIST_INPUTS_H_
