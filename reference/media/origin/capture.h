// Origin stream captures: timestamped snapshots of every playlist a live origin served (the
// multivariant playlist and each rendition's media playlist), recorded by `ssai capture` and
// replayed by `ssai origin --capture` (fixtures/captures/, format in fixtures/README.md).
//
// A capture is a directory holding the snapshot files and `index.jsonl`: one JSON object per
// line. Line 1 is the header, every other line one fetch, in offset order:
//
//   {"format":"ssai-capture-1","url":"http://127.0.0.1:8081/master.m3u8",
//    "started_at":"2026-01-15T12:00:12.000Z","duration_ms":40000,"speed":1}
//   {"offset_ms":0,"path":"/master.m3u8","status":200,"file":"000000_master.m3u8"}
//   {"offset_ms":3,"path":"/v720.m3u8","status":200,"file":"000001_v720.m3u8"}
//   {"offset_ms":2004,"path":"/v720.m3u8","status":200,"file":"000001_v720.m3u8"}
//   {"offset_ms":4010,"path":"/v360.m3u8","status":404}
//   {"offset_ms":6020,"path":"/v360.m3u8","status":0,"error":"timeout after 2000 ms"}
//
// offset_ms   stream time since the capture started (wall time × speed), non-decreasing
// path        the URL path (and query, if any) that was fetched, starting with '/'
// status      the HTTP status; 0 when no response came (timeout, refused); optional, default 200
// file        the response body, relative to the directory; required when status is 200 and
//             there is no error; several entries may name the same file (an unchanged reload)
// error       optional: why the fetch failed, or why a 200 body is not a valid playlist
//
// This file is sans-I/O: it parses and writes index text and answers replay questions
// (which snapshot of a path is current at an offset). Reading the files is the caller's job.
#ifndef SSAI_REFERENCE_MEDIA_ORIGIN_CAPTURE_H_
#define SSAI_REFERENCE_MEDIA_ORIGIN_CAPTURE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai::origin {

inline constexpr std::string_view kCaptureFormat = "ssai-capture-1";
inline constexpr std::string_view kCaptureIndexFile = "index.jsonl";
// Read caps for a capture directory (applied while reading, io::ReadFileToString): the index is
// one ~100-byte line per fetch (64 MiB: over half a million fetches); a snapshot file is a
// playlist body (hls::kMaxPlaylistBytes).
inline constexpr size_t kMaxCaptureIndexBytes = size_t{64} << 20;
inline constexpr size_t kMaxCaptureFileBytes = size_t{16} << 20;

struct CaptureHeader {
  std::string url;             // what `ssai capture` was pointed at
  UnixMicros started_at = 0;   // wall-clock instant of offset 0
  int64_t duration_ms = 0;     // the recording's length in stream time (>= the last offset)
  double speed = 1;            // the origin ran this many times faster than real time
};

struct CaptureEntry {
  int64_t offset_ms = 0;
  std::string path;
  int status = 200;    // HTTP status; 0 = no response
  std::string file;    // "" when there is no body
  std::string error;   // "" when the fetch succeeded
  int line = 0;        // 1-based line in index.jsonl (0 when built in code)

  bool ok() const { return status == 200 && error.empty() && !file.empty(); }
};

struct Capture {
  CaptureHeader header;
  std::vector<CaptureEntry> entries;  // offset order (stable for equal offsets)
};

// Parses index.jsonl. Errors name the 1-based line and the field:
// "line 4: offset_ms: 1200 is before the previous entry's 1500". Blank lines are refused (a
// truncated or hand-edited index should be noticed). File names must be plain relative names
// (no '/', no "..") so a capture cannot point outside its directory.
Result<Capture> ParseCaptureIndex(std::string_view text);
// One line per entry, header first, each ending in '\n'. ParseCaptureIndex(Serialize(c)) == c
// (apart from `line`).
std::string SerializeCaptureIndex(const Capture& capture);
// The lines SerializeCaptureIndex is made of, each with its '\n' (for writing an index as a
// recording goes).
std::string SerializeCaptureHeader(const CaptureHeader& header);
std::string SerializeCaptureEntry(const CaptureEntry& entry);

// The snapshot file name `ssai capture` gives fetch number `seq` of `path`:
// "000012_v720.m3u8" (path characters outside [A-Za-z0-9._-] become '_').
std::string SnapshotFileName(int64_t seq, std::string_view path);

// Replay view of a parsed capture.
class CaptureReplay {
 public:
  explicit CaptureReplay(Capture capture);

  const Capture& capture() const { return capture_; }
  // max(header duration_ms, last offset).
  int64_t duration_ms() const { return duration_ms_; }
  // Every path fetched at least once, sorted.
  std::vector<std::string> Paths() const;
  bool HasPath(std::string_view path) const { return by_path_.count(std::string(path)) != 0; }
  // The entry of `path` current at `offset_ms`: the latest whose offset is <= offset_ms (among
  // equal offsets, the last). nullptr when the path is unknown or its first fetch is later.
  const CaptureEntry* At(std::string_view path, int64_t offset_ms) const;
  // The first entry of `path`, or nullptr.
  const CaptureEntry* First(std::string_view path) const;
  // Every entry of `path`, offset order.
  std::vector<const CaptureEntry*> EntriesFor(std::string_view path) const;
  // Offset into the capture for stream time `elapsed_ms` when replaying in a loop:
  // elapsed_ms mod (duration_ms + 1); elapsed_ms itself when not looping.
  int64_t ReplayOffset(int64_t elapsed_ms, bool loop) const;

 private:
  Capture capture_;
  int64_t duration_ms_ = 0;
  std::map<std::string, std::vector<size_t>, std::less<>> by_path_;  // indices into entries
};

// RFC 8216 §6.3.4: after a reload the client waits the target duration before the next one; if
// the playlist did not change, half the target duration. Returns milliseconds, at least 100.
int64_t NextReloadDelayMs(int64_t target_duration_s, bool changed);

}  // namespace ssai::origin

#endif  // SSAI_REFERENCE_MEDIA_ORIGIN_CAPTURE_H_
