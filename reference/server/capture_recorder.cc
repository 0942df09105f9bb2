#include "reference/server/capture_recorder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "reference/base/url.h"
#include "reference/media/hls/playlist.h"
#include "reference/media/origin/capture.h"
#include "reference/server/asio_env.h"
#include "reference/server/http_client.h"

namespace ssai::server {

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kDefaultTargetDurationS = 2;  // until a rendition has told us its own

struct FetchResult {
  int status = 0;      // 0: no response
  std::string body;
  std::string error;   // transport failure
  bool untrusted = false;  // https:// certificate did not verify (http_client.h)
};

// One GET through the harness's client (http_client.h: capped headers and body, TLS per
// o.tls); a timeout is reported as such, other failures in the client's words (a refused
// connection names errno, a certificate that does not verify names OpenSSL's reason).
FetchResult Fetch(const std::string& base, const std::string& path, const CaptureRecorderOptions& o,
                  int64_t max_body_bytes) {
  HttpOptions h;
  h.max_body_bytes = static_cast<size_t>(max_body_bytes);
  h.connect_timeout = h.read_timeout = h.write_timeout = std::chrono::milliseconds(o.timeout_ms);
  h.deadline = std::max<std::chrono::milliseconds>(kExchangeDeadline, std::chrono::milliseconds(o.timeout_ms));
  h.tls = o.tls;
  HttpResult r = HttpExchange("GET", base + path, {}, "", "", h);
  FetchResult out;
  if (r.status == 0) {
    out.error = r.timed_out ? "timeout after " + std::to_string(o.timeout_ms) + " ms" : r.error;
    out.untrusted = r.untrusted;
    return out;
  }
  out.status = r.status;
  out.body = std::move(r.body);
  return out;
}

struct Rendition {
  std::string path;
  int64_t due_ms = 0;             // stream time of the next fetch
  int64_t target_duration_s = kDefaultTargetDurationS;
  bool fetched = false;
  std::string last_body;
  std::string last_file;
};

class Recorder {
 public:
  Recorder(const CaptureRecorderOptions& o, std::ostream* log) : o_(o), log_(log) {}

  Result<CaptureSummary> Run() {
    SSAI_RETURN_IF_ERROR(Validate());
    SSAI_RETURN_IF_ERROR(SplitHttpUrl(o_.url, &base_, &first_path_, /*allow_https=*/true).WithContext(o_.url));
    SSAI_RETURN_IF_ERROR(PrepareDir());
    start_ = SteadyClock::now();
    capture_.header.url = o_.url;
    capture_.header.started_at = RealNow() / 1000 * 1000;
    capture_.header.duration_ms = o_.duration_ms;
    capture_.header.speed = o_.speed;
    {
      std::ofstream index(index_path_, std::ios::binary | std::ios::trunc);
      index << origin::SerializeCaptureHeader(capture_.header);
      if (!index) return Status::Unavailable(index_path_.string() + ": cannot write");
    }
    SSAI_RETURN_IF_ERROR(FirstFetch());
    while (!Stopped()) {
      auto next = std::min_element(renditions_.begin(), renditions_.end(),
                                   [](const Rendition& a, const Rendition& b) { return a.due_ms < b.due_ms; });
      if (next == renditions_.end() || next->due_ms > o_.duration_ms) break;
      if (!SleepUntil(next->due_ms)) break;
      FetchRendition(*next);
    }
    summary_.duration_ms = std::min(o_.duration_ms, NowMs());
    capture_.header.duration_ms = std::max(summary_.duration_ms,
                                           capture_.entries.empty() ? 0 : capture_.entries.back().offset_ms);
    SSAI_RETURN_IF_ERROR(RewriteIndex());
    summary_.renditions = static_cast<int64_t>(renditions_.size());
    return summary_;
  }

 private:
  Status Validate() const {
    if (!(o_.speed > 0) || o_.speed > 1000) return Status::InvalidArgument("speed: must be in (0, 1000]");
    if (o_.duration_ms <= 0) return Status::InvalidArgument("duration: must be > 0");
    if (o_.timeout_ms <= 0) return Status::InvalidArgument("timeout: must be > 0");
    if (o_.out_dir.empty()) return Status::InvalidArgument("out: missing");
    if (o_.max_segment_bytes < 0) return Status::InvalidArgument("max segment bytes: must be >= 0");
    return Status::Ok();
  }

  Status PrepareDir() {
    std::error_code ec;
    fs::create_directories(o_.out_dir, ec);
    if (ec || !fs::is_directory(o_.out_dir)) {
      return Status::InvalidArgument(o_.out_dir + ": cannot create directory" + (ec ? ": " + ec.message() : ""));
    }
    index_path_ = fs::path(o_.out_dir) / std::string(origin::kCaptureIndexFile);
    if (fs::exists(index_path_)) {
      return Status::AlreadyExists(index_path_.string() + ": already holds a capture; remove it first");
    }
    return Status::Ok();
  }

  bool Stopped() const { return o_.stop != nullptr && o_.stop->load(); }

  int64_t NowMs() const {
    const double wall_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - start_).count();
    return static_cast<int64_t>(std::floor(wall_ms * o_.speed));
  }

  // Sleeps (in slices, watching *stop) until stream time `due_ms`. False when stopped.
  bool SleepUntil(int64_t due_ms) {
    while (!Stopped()) {
      const int64_t left_ms = due_ms - NowMs();
      if (left_ms <= 0) return true;
      const double wall_ms = std::min(100.0, static_cast<double>(left_ms) / o_.speed);
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(wall_ms * 1000) + 1));
    }
    return false;
  }

  // Writes the snapshot (unless identical to the path's previous one) and appends the entry.
  void Record(origin::CaptureEntry entry, const std::string* body, Rendition* rendition) {
    if (body != nullptr) {
      if (rendition != nullptr && rendition->fetched && *body == rendition->last_body && !rendition->last_file.empty()) {
        entry.file = rendition->last_file;
      } else {
        entry.file = origin::SnapshotFileName(summary_.files, entry.path);
        std::ofstream f(fs::path(o_.out_dir) / entry.file, std::ios::binary | std::ios::trunc);
        f << *body;
        if (!f) {
          entry.error = "cannot write " + entry.file;
          entry.file.clear();
        } else {
          ++summary_.files;
        }
      }
      if (rendition != nullptr) {
        rendition->last_body = *body;
        rendition->last_file = entry.file;
      }
    }
    ++summary_.fetches;
    if (entry.status != 200 || !entry.error.empty()) ++summary_.failures;
    std::ofstream index(index_path_, std::ios::binary | std::ios::app);
    index << origin::SerializeCaptureEntry(entry);
    if (log_ != nullptr && (entry.status != 200 || !entry.error.empty())) {
      *log_ << "ssai capture: " << entry.offset_ms << " ms " << entry.path << ": status " << entry.status
            << (entry.error.empty() ? "" : ": " + entry.error) << "\n";
    }
    capture_.entries.push_back(std::move(entry));
  }

  Status FirstFetch() {
    const int64_t offset = NowMs();
    FetchResult r = Fetch(base_, first_path_, o_, o_.max_body_bytes);
    const std::string what = o_.url + ": first fetch failed: ";
    if (r.untrusted) return Status::FailedPrecondition(what + r.error);  // the user's trust setup (tls)
    if (r.status == 0) return Status::Unavailable(what + r.error);
    if (r.status != 200) return Status::Unavailable(what + "HTTP " + std::to_string(r.status));
    Result<hls::Playlist> parsed = hls::Parse(r.body);
    if (!parsed.ok()) return Status::InvalidArgument(what + "not a playlist: " + parsed.status().message());
    if (const auto* media = std::get_if<hls::MediaPlaylist>(&*parsed)) {
      Rendition rend;
      rend.path = first_path_;
      rend.target_duration_s = media->target_duration_s().value_or(kDefaultTargetDurationS);
      rend.fetched = true;
      rend.due_ms = offset + origin::NextReloadDelayMs(rend.target_duration_s, true) ;
      renditions_.push_back(std::move(rend));
      origin::CaptureEntry e;
      e.offset_ms = offset;
      e.path = first_path_;
      e.status = 200;
      Record(std::move(e), &r.body, &renditions_.back());
      if (o_.segments) FetchSegments(first_path_, *media);
      return Status::Ok();
    }
    origin::CaptureEntry e;
    e.offset_ms = offset;
    e.path = first_path_;
    e.status = 200;
    Record(std::move(e), &r.body, nullptr);
    // Every rendition of the multivariant playlist (RFC 8216 §4.3.4.2 EXT-X-STREAM-INF, §4.3.4.1
    // EXT-X-MEDIA URI), resolved against the playlist's URL (§4.1), once each.
    const auto& master = std::get<hls::MasterPlaylist>(*parsed);
    std::vector<std::string> uris;
    for (const hls::MasterItem& item : master.items()) {
      if (item.tag.type == hls::TagType::kStreamInf) {
        uris.push_back(item.uri);
      } else if (item.tag.type == hls::TagType::kMedia) {
        Result<hls::AttributeList> attrs = hls::ParseTagAttributes(item.tag);
        if (attrs.ok()) {
          if (auto uri = attrs->GetQuotedString("URI")) uris.emplace_back(*uri);
        }
      }
    }
    for (const std::string& uri : uris) {
      std::string base, path;
      const std::string url = ResolveUrl(o_.url, uri);
      if (!SplitHttpUrl(url, &base, &path, /*allow_https=*/true).ok() || base != base_) {
        if (log_ != nullptr) *log_ << "ssai capture: " << url << ": not on " << base_ << ", skipped\n";
        continue;
      }
      if (std::any_of(renditions_.begin(), renditions_.end(), [&](const Rendition& x) { return x.path == path; })) {
        continue;
      }
      Rendition rend;
      rend.path = path;
      rend.due_ms = offset;
      renditions_.push_back(std::move(rend));
    }
    if (renditions_.empty()) return Status::InvalidArgument(o_.url + ": the multivariant playlist names no rendition");
    return Status::Ok();
  }

  void FetchRendition(Rendition& rend) {
    const int64_t offset = NowMs();
    FetchResult r = Fetch(base_, rend.path, o_, o_.max_body_bytes);
    origin::CaptureEntry e;
    e.offset_ms = offset;
    e.path = rend.path;
    e.status = r.status;
    e.error = r.error;
    bool changed = false;
    const std::string* body = nullptr;
    if (r.status == 200 && r.error.empty()) {
      body = &r.body;
      Result<hls::MediaPlaylist> media = hls::ParseMedia(r.body);
      if (!media.ok()) {
        e.error = "not a media playlist: " + media.status().message();
      } else {
        rend.target_duration_s = std::max<int64_t>(1, media->target_duration_s().value_or(rend.target_duration_s));
        changed = !rend.fetched || r.body != rend.last_body;
      }
    }  // error bodies are not kept: the status (and error) say what happened
    Record(std::move(e), body, &rend);
    if (changed && o_.segments) {
      if (Result<hls::MediaPlaylist> media = hls::ParseMedia(r.body); media.ok()) FetchSegments(rend.path, *media);
    }
    if (body != nullptr && r.status == 200) rend.fetched = true;
    // RFC 8216 §6.3.4: measured from the start of this fetch. Failures retry as "unchanged".
    rend.due_ms = offset + origin::NextReloadDelayMs(rend.target_duration_s, changed);
  }

  // --segments: every segment URI of `media` not fetched before, stored as an entry of its own
  // path (its body a file like a snapshot's), within the byte budget.
  void FetchSegments(const std::string& playlist_path, const hls::MediaPlaylist& media) {
    for (const hls::MediaSegment& seg : media.segments()) {
      if (Stopped()) return;
      std::string base, path;
      const std::string url = ResolveUrl(base_ + playlist_path, seg.uri());
      if (!SplitHttpUrl(url, &base, &path, /*allow_https=*/true).ok() || base != base_) {
        if (seen_segments_.insert(url).second) {
          ++summary_.segments_skipped;
          if (log_ != nullptr) *log_ << "ssai capture: segment " << url << ": not on " << base_ << ", skipped\n";
        }
        continue;
      }
      if (!seen_segments_.insert(path).second) continue;
      origin::CaptureEntry e;
      e.offset_ms = NowMs();
      e.path = path;
      if (summary_.segment_bytes >= o_.max_segment_bytes) {
        ++summary_.segments_skipped;
        e.status = 0;
        e.error = "segment budget of " + std::to_string(o_.max_segment_bytes) + " bytes exhausted: not fetched";
        if (!budget_logged_ && log_ != nullptr) {
          *log_ << "ssai capture: " << e.error << "; later segments are not kept\n";
        }
        budget_logged_ = true;
        RecordEntry(std::move(e));
        continue;
      }
      FetchResult r = Fetch(base_, path, o_, static_cast<int64_t>(origin::kMaxCaptureFileBytes));
      e.status = r.status;
      e.error = r.error;
      if (r.status == 200 && r.error.empty()) {
        e.file = origin::SnapshotFileName(summary_.files, path);
        std::ofstream f(fs::path(o_.out_dir) / e.file, std::ios::binary | std::ios::trunc);
        f << r.body;
        if (!f) {
          e.error = "cannot write " + e.file;
          e.file.clear();
        } else {
          ++summary_.files;
          ++summary_.segments;
          summary_.segment_bytes += static_cast<int64_t>(r.body.size());
        }
      }
      RecordEntry(std::move(e));
    }
  }

  // Appends an entry without a snapshot body of Record's (segments write their own file).
  void RecordEntry(origin::CaptureEntry entry) {
    ++summary_.fetches;
    if (entry.status != 200 || !entry.error.empty()) ++summary_.failures;
    std::ofstream index(index_path_, std::ios::binary | std::ios::app);
    index << origin::SerializeCaptureEntry(entry);
    if (log_ != nullptr && entry.status != 200 && entry.status != 0) {
      *log_ << "ssai capture: " << entry.offset_ms << " ms " << entry.path << ": status " << entry.status
            << (entry.error.empty() ? "" : ": " + entry.error) << "\n";
    }
    capture_.entries.push_back(std::move(entry));
  }

  Status RewriteIndex() {
    const fs::path tmp = index_path_.string() + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f << origin::SerializeCaptureIndex(capture_);
      if (!f) return Status::Unavailable(tmp.string() + ": cannot write");
    }
    std::error_code ec;
    fs::rename(tmp, index_path_, ec);
    if (ec) return Status::Unavailable(index_path_.string() + ": " + ec.message());
    return Status::Ok();
  }

  const CaptureRecorderOptions& o_;
  std::ostream* log_;
  std::string base_, first_path_;
  fs::path index_path_;
  SteadyClock::time_point start_;
  origin::Capture capture_;
  std::vector<Rendition> renditions_;
  CaptureSummary summary_;
  std::set<std::string> seen_segments_;  // segment paths (or foreign URLs) already handled
  bool budget_logged_ = false;
};

}  // namespace

Result<CaptureSummary> RecordCapture(const CaptureRecorderOptions& options, std::ostream* log) {
  Recorder recorder(options, log);
  return recorder.Run();
}

}  // namespace ssai::server
