// `ssai origin --capture DIR`: serves a recorded capture (reference/media/origin/capture.h) on
// real time, and the scaled clock `ssai origin --speed` uses for captures and synthetic streams.
#ifndef SSAI_REFERENCE_SERVER_CAPTURE_ORIGIN_H_
#define SSAI_REFERENCE_SERVER_CAPTURE_ORIGIN_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/media/origin/capture.h"
#include "reference/server/http_frontend.h"

namespace ssai::server {

// Stream time that runs `speed` times faster than real time, from `from` at construction:
// Now() = from + (real elapsed) × speed. Thread-safe (const after construction).
class ScaledClock {
 public:
  ScaledClock(UnixMicros from, double speed) : from_(from), speed_(speed), start_(std::chrono::steady_clock::now()) {}
  int64_t ElapsedMs() const {  // stream milliseconds since construction
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    return static_cast<int64_t>(wall_ms * speed_);
  }
  UnixMicros Now() const {
    const double wall_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start_).count();
    return from_ + static_cast<int64_t>(wall_us * speed_);
  }
  double speed() const { return speed_; }

 private:
  UnixMicros from_;
  double speed_;
  std::chrono::steady_clock::time_point start_;
};

// A capture with its snapshot bodies in memory.
struct LoadedCapture {
  origin::Capture capture;
  std::map<std::string, std::string> files;  // file name -> body
  // File names that resolve (through a symlink) outside the capture directory: never read,
  // answered 403. One warning per name for the operator.
  std::set<std::string> outside;
  std::vector<std::string> warnings;
};

// Reads DIR/index.jsonl and every file it names, all at start-up (requests are answered from
// memory, so no request ever opens a path). Never reads outside DIR: the index admits plain file
// names only (ParseCaptureIndex: no '/', not "." or "..", so no absolute path); a name that
// resolves outside DIR (a symlink to /etc/passwd) is not read (LoadedCapture::outside).
// Containment is checked on the fully resolved path (std::filesystem::weakly_canonical follows
// every symlink, also a chain of them, where O_NOFOLLOW would refuse a symlink that stays inside
// and say nothing about where one leads). Errors name the file (and line):
// "fixtures/captures/x/index.jsonl: line 4: offset_ms: ...", "…/index.jsonl: line 7: file
// '000012_v720.m3u8' cannot be read".
Result<LoadedCapture> LoadCaptureDir(const std::string& dir);

// Serves a capture: GET {path} answers with the snapshot of `path` current at the replay offset
// (stream time since start, modulo the capture's length with `loop`); before a path's first
// fetch, its first snapshot. Recorded failures replay as recorded (status 404 → 404; status 0,
// no response → 504). Paths the capture does not have: 404. After the end without `loop`, the
// last snapshots stay current (a live origin that stopped updating).
class CaptureOriginService {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::string content_type;
  };
  CaptureOriginService(LoadedCapture capture, double speed, bool loop);
  void RegisterRoutes(httplib::Server& http);  // in-process tests
  // `ssai origin --capture` on a FrontEndService (services.h). The recorded path is matched with
  // the query, as the client sent it.
  void Handle(HttpRequest request, HttpResponder respond) const;
  // What GET `path` answers at `offset_ms` into the capture (pure; used by the route).
  Answer AnswerAt(std::string_view path, int64_t offset_ms) const { return AnswerFrom(replay_, files_, outside_, path, offset_ms); }
  // The same over a capture held elsewhere (the conformance harness's origin.capture serving the
  // recorded segments, conformance/scenario.h OriginMediaAt).
  static Answer AnswerFrom(const origin::CaptureReplay& replay, const std::map<std::string, std::string>& files,
                           const std::set<std::string>& outside, std::string_view path, int64_t offset_ms);
  const origin::CaptureReplay& replay() const { return replay_; }

 private:
  origin::CaptureReplay replay_;
  std::map<std::string, std::string> files_;
  std::set<std::string> outside_;
  ScaledClock clock_;
  bool loop_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_CAPTURE_ORIGIN_H_
