// `ssai capture`: records a live HLS origin into the capture format of
// reference/media/origin/capture.h (fixtures/README.md, "Capture format").
//
// The recorder fetches the URL once; if it is a multivariant playlist, every EXT-X-STREAM-INF and
// EXT-X-MEDIA URI becomes a rendition to record (a media playlist URL is recorded alone). Then it
// reloads each rendition the way a player does (RFC 8216 §6.3.4): the target duration after a
// reload that changed the playlist, half of it after one that did not, measured from the start of
// the previous fetch. Fetches are sequential (one HTTP client, loopback-scale origins).
//
// Failures after the first fetch (HTTP errors, timeouts, refused connections, bodies that are not
// a playlist) are recorded as entries with their status and error and retried after half a target
// duration; only a failing first fetch is an error. Snapshots are written as they arrive and
// index.jsonl is appended entry by entry, so an interrupted recording is still a valid capture.
#ifndef SSAI_REFERENCE_SERVER_CAPTURE_RECORDER_H_
#define SSAI_REFERENCE_SERVER_CAPTURE_RECORDER_H_

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>

#include "reference/base/status.h"
#include "reference/server/http_client.h"

namespace ssai::server {

struct CaptureRecorderOptions {
  std::string url;                // http:// or https://
  std::string out_dir;            // created if missing; must not hold an index.jsonl already
  int64_t duration_ms = 60'000;   // stream time to record (wall time × speed)
  // The origin runs this many times faster than real time (`ssai origin --speed`): reloads come
  // `speed` times sooner and offsets are recorded in stream time.
  double speed = 1;
  int64_t timeout_ms = 2000;            // per fetch (connect, read, write), wall time
  int64_t max_body_bytes = 4 << 20;     // larger bodies are a failed fetch
  TlsOptions tls;                       // https://: whom to trust (http_client.h; default the system store)
  const std::atomic<bool>* stop = nullptr;  // set to end the recording early (SIGINT)
  // `ssai capture --segments`: also fetch and keep every media segment the recorded playlists
  // list (each URI once, right after the reload that first lists it; URIs on another host are
  // skipped), as index entries of their own path, so a replay serves them and plays in real
  // players. Bounded: once `max_segment_bytes` are stored, later segments are recorded as not
  // fetched (status 0, error "segment budget ... exhausted") and the recording goes on.
  bool segments = false;
  int64_t max_segment_bytes = int64_t{512} << 20;
};

struct CaptureSummary {
  int64_t fetches = 0;
  int64_t failures = 0;     // entries with a non-200 status or an error
  int64_t files = 0;        // snapshot files written
  int64_t renditions = 0;   // media playlists recorded
  int64_t duration_ms = 0;  // stream time recorded
  int64_t segments = 0;     // media segments stored (--segments)
  int64_t segment_bytes = 0;
  int64_t segments_skipped = 0;  // over the budget, or on another host
};

// Records until duration_ms of stream time has passed (or *stop). Errors: a bad URL or options
// (kInvalidArgument), an unusable output directory, or a failed first fetch (kUnavailable,
// naming the URL and the reason; kFailedPrecondition when an https:// certificate did not verify
// against o.tls). Progress lines go to `log` when not null.
Result<CaptureSummary> RecordCapture(const CaptureRecorderOptions& options, std::ostream* log);

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_CAPTURE_RECORDER_H_
