// Parsed origin playlists and spliced outputs, remembered by the identity of the origin response
// (OriginClient::Response::version, or the text itself when the origin gives none).
//
// An edge re-reads the same origin playlist many times per segment (every viewer reload), and in
// the simulator ten POPs read the same version of it. With a memo, each version is parsed once
// (shared read-only by every request that got it), its cue markers are extracted once, and a
// request whose splice inputs (that parse, the breaks with their ad segments, the options, the
// rendition) equal an earlier request's gets the earlier output: ssai::Splice and hls::Serialize
// are pure functions of those inputs (splicer.h), so the bytes are the same as splicing again.
//
// One memo per edge (ManifestPath makes its own) or one shared by the edges of one process that
// read the same origin (ManifestPathEnv::memo: the simulator's POPs). Single-threaded, like the
// core. Memory: the newest parse per URL and at most kSplicesPerUrl outputs per URL.
#ifndef SSAI_REFERENCE_SSAI_PLAYLIST_MEMO_H_
#define SSAI_REFERENCE_SSAI_PLAYLIST_MEMO_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reference/base/status.h"
#include "reference/media/cues/markers.h"
#include "reference/media/hls/playlist.h"
#include "reference/ssai/splicer.h"

namespace ssai {

// One parsed origin response. Immutable once made (markers are computed on first use).
class OriginDoc {
 public:
  explicit OriginDoc(hls::Playlist playlist) : playlist_(std::move(playlist)) {}
  const hls::Playlist& playlist() const { return playlist_; }
  const hls::MediaPlaylist* media() const { return std::get_if<hls::MediaPlaylist>(&playlist_); }
  // cues::ExtractMarkers of the media playlist (empty for a multivariant one).
  const cues::ExtractResult& Markers() const;
  // SegmentStartTime(0) of the media playlist (nullopt: none, or no PDT).
  std::optional<UnixMicros> FirstSegmentStart() const;

 private:
  hls::Playlist playlist_;
  mutable std::optional<cues::ExtractResult> markers_;
  mutable std::optional<std::optional<UnixMicros>> first_start_;
};

// What a splice produced, as ManifestPath reports it.
struct SpliceOutput {
  bool in_break = false;
  int ad_segments = 0;
  int slate_segments = 0;
  std::string event_id;
  std::vector<std::string> warnings;
  std::string body;
  // Server-side tracking (beacons.h): the creative segments of the output, where its window ends
  // and its target duration.
  std::vector<PodSegmentRef> pod_segments;
  UnixMicros window_end = 0;
  int64_t target_duration_s = 0;
};

class PlaylistMemo {
 public:
  static constexpr size_t kSplicesPerUrl = 8;
  struct Stats {
    int64_t parses = 0;       // bodies parsed (misses)
    int64_t parse_hits = 0;   // bodies recognised by version or text
    int64_t splices = 0;      // outputs stored
    int64_t splice_hits = 0;  // outputs reused
  };

  // The parse of `body`, fetched from `url` with `version`. A nonzero version names one body of
  // one URL for the memo's life (equal version => equal body, text not compared); version 0
  // means the origin gave none, and the text is compared with the remembered one. A body that
  // does not parse is not remembered (the previous parse stays).
  Result<std::shared_ptr<const OriginDoc>> Parse(const std::string& url, uint64_t version,
                                                 std::string_view body);

  // The output remembered for these splice inputs, or null. `origin` must come from Parse (the
  // same shared object: identity is by pointer; the URL's content URIs are resolved against
  // `url`) and `key` names everything else the output depends on besides `breaks` and `options`
  // (ManifestPath: the build and its URI option), so edges of different builds may share a memo.
  const SpliceOutput* FindSplice(const std::string& url, const OriginDoc* origin, std::string_view key,
                                 std::span<const SpliceBreak> breaks, const SpliceOptions& options);
  void PutSplice(const std::string& url, std::shared_ptr<const OriginDoc> origin, std::string_view key,
                 std::vector<SpliceBreak> breaks, const SpliceOptions& options, SpliceOutput output);

  const Stats& stats() const { return stats_; }

 private:
  struct Splice {
    std::string key;
    std::vector<SpliceBreak> breaks;
    SpliceOptions options;
    SpliceOutput output;
  };
  struct Entry {
    uint64_t version = 0;
    std::string text;  // only when version == 0
    std::shared_ptr<const OriginDoc> doc;
    std::vector<Splice> splices;  // outputs of `doc`, oldest first
  };
  std::unordered_map<std::string, Entry> entries_;  // by URL; looked up, never iterated
  Stats stats_;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_PLAYLIST_MEMO_H_
