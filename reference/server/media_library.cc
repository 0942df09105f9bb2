#include "reference/server/media_library.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "reference/io/files.h"
#include "reference/server/asio_env.h"
#include "reference/server/services.h"

extern char** environ;

namespace ssai::server {
namespace fs = std::filesystem;

namespace {

constexpr int kFps = 25;
// 64 kHz, not 48: an AAC frame is then 16 ms (an integer number of microseconds and of 90 kHz
// ticks), so every multiple of 0.08 s, whole seconds included, ends on both a video and an audio
// frame. At 48 kHz a 2 s segment's audio starts up to 21 ms after its video, and frames of
// 21.333 ms round in a browser's microsecond buffered ranges: hls.js then sees the primary's
// buffer end a few ms (or 1 us) short of an interstitial's start and stalls there
// (tests/README.md "Segment durations").
constexpr int kAudioRate = 64000;
constexpr int kAacFrameSamples = 1024;  // AAC-LC frame; also ffmpeg's AAC encoder priming
constexpr int kEncodeTimeoutS = 120;
// Bump when the encoding below changes: the cache key, so old pools are not reused.
constexpr std::string_view kPoolVersion = "v3";

struct KindSpec {
  std::string_view name;
  std::string_view video;  // lavfi source, without size/rate
  std::string_view audio;  // lavfi source, without the sample rate
};
constexpr KindSpec kContent{"content", "testsrc2", "sine=frequency=440"};
constexpr KindSpec kAd{"ad", "smptebars", "sine=frequency=880"};
constexpr KindSpec kSlate{"slate", "color=c=0x1f2a44", "anullsrc=channel_layout=mono"};

std::string Tail(const std::string& text, size_t max_bytes) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

// Runs argv[0] (looked up on PATH) with stdout and stderr into `log`, bounded in time.
Status Run(const std::vector<std::string>& args, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The CLI blocks SIGINT/SIGTERM for sigwait; the encoder gets the default mask back.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc == ENOENT) {
    return Status::NotFound("media: " + args[0] +
                            " not found on PATH: install ffmpeg (scripts/bootstrap.sh does), or set media to "
                            "\"none\" (playlists only)");
  }
  if (rc != 0) return Status::Internal("media: cannot start " + args[0] + ": " + std::strerror(rc));
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kEncodeTimeoutS);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Status::DeadlineExceeded("media: " + args[0] + " took more than " + std::to_string(kEncodeTimeoutS) +
                                      " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Result<std::string> text = io::ReadFileToString(log.string());
    return Status::Internal("media: " + args[0] + " failed (" +
                            (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "killed") +
                            "): " + Tail(text.ok() ? *text : "", 600));
  }
  return Status::Ok();
}

constexpr int64_t kMinLoopMs = 8000;  // so the picture does not repeat every segment

// Whole segments that end on both a video frame and an AAC frame boundary, at least kMinLoopMs.
int PoolSegments(int64_t segment_duration_ms) {
  const int64_t samples = segment_duration_ms * kAudioRate / 1000;
  int k = 1;
  while ((k * samples) % kAacFrameSamples != 0) ++k;  // k <= 2 (samples is a multiple of 2560)
  const int64_t loops = (kMinLoopMs + k * segment_duration_ms - 1) / (k * segment_duration_ms);
  return static_cast<int>(k * loops);
}

Status MakePool(const KindSpec& kind, int64_t segment_duration_ms, int k, const fs::path& dir,
                const std::string& ffmpeg) {
  const int64_t frames_per_segment = segment_duration_ms * kFps / 1000;
  const int64_t samples = k * segment_duration_ms * kAudioRate / 1000;
  const std::string seg_s = std::to_string(segment_duration_ms / 1000) + "." +
                            std::to_string(1000 + segment_duration_ms % 1000).substr(1);
  // One continuous encode cut into k segments: timestamps and IDR frames line up with the cuts.
  // The encoder puts a priming frame first (pts = input - 1024 samples): the audio input starts
  // at +1024 samples, so AAC frames sit on the grid 0, 1024, ... like the video's frames, and is
  // 1024 samples short, so the pool holds exactly k * d of AAC frames and loops without overlap.
  // When d is a multiple of 0.08 s (1.92 s, 2 s, 6 s, 6.4 s, ...), every segment then starts with
  // a video and an audio frame at the same instant.
  const std::string filter = "[0:v]trim=end_frame=" + std::to_string(k * frames_per_segment) +
                             "[v];[1:a]atrim=end_sample=" + std::to_string(samples - kAacFrameSamples) +
                             ",asetpts=PTS+" + std::to_string(kAacFrameSamples) + "/(" + std::to_string(kAudioRate) +
                             "*TB)[a]";
  const std::string gop = std::to_string(frames_per_segment);
  const std::vector<std::string> args = {
      ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", std::string(kind.video) + (kind.video.find('=') == std::string_view::npos ? "=" : ":") +
          "size=320x180:rate=" + std::to_string(kFps),
      "-f", "lavfi", "-i", std::string(kind.audio) + ":sample_rate=" + std::to_string(kAudioRate),
      "-filter_complex", filter, "-map", "[v]", "-map", "[a]",
      "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.0", "-pix_fmt", "yuv420p", "-preset", "veryfast",
      "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-b:v", "300k", "-threads", "1",
      "-c:a", "aac", "-b:a", "64k", "-ac", "1",
      "-f", "segment", "-segment_time", seg_s, "-segment_format", "mpegts", (dir / "pool_%d.ts").string()};
  return Run(args, dir / "ffmpeg.log");
}

Result<origin::TsPool> LoadOrMakePool(const KindSpec& kind, const fs::path& cache_dir, int64_t segment_duration_ms,
                                      const std::string& ffmpeg) {
  const int k = PoolSegments(segment_duration_ms);
  const fs::path dir = cache_dir / (std::string(kind.name) + "-" + std::string(kPoolVersion) + "-" +
                                    std::to_string(segment_duration_ms) + "ms");
  std::error_code ec;
  if (!fs::exists(dir / "complete", ec)) {
    fs::create_directories(cache_dir, ec);
    if (ec) return Status::Unavailable("media: cannot create " + cache_dir.string() + ": " + ec.message());
    const fs::path tmp = dir.string() + ".tmp-" + std::to_string(getpid());
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) return Status::Unavailable("media: cannot create " + tmp.string() + ": " + ec.message());
    if (Status s = MakePool(kind, segment_duration_ms, k, tmp, ffmpeg); !s.ok()) {
      fs::remove_all(tmp, ec);
      return s;
    }
    std::ofstream(tmp / "complete") << "made by ssai with ffmpeg\n";
    fs::rename(tmp, dir, ec);  // fails when another process got there first: use theirs
    if (ec) fs::remove_all(tmp, ec);
    if (!fs::exists(dir / "complete")) return Status::Unavailable("media: cannot create " + dir.string());
  }
  std::vector<std::string> segments;
  for (int j = 0; j < k; ++j) {
    Result<std::string> bytes = io::ReadFileToString((dir / ("pool_" + std::to_string(j) + ".ts")).string());
    if (!bytes.ok()) return bytes.status().WithContext("media: incomplete cache (delete " + dir.string() + ")");
    segments.push_back(std::move(bytes).value());
  }
  Result<origin::TsPool> pool = origin::TsPool::Create(std::move(segments), segment_duration_ms * 90);
  if (!pool.ok()) return pool.status().WithContext("media: " + dir.string());
  return pool;
}

std::string RegexEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(R"(.^$|()[]{}*+?\)").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

HttpResponse TsResponse(const Result<std::string>& body) {
  if (!body.ok()) return JsonErrorResponse(500, body.status().message()).Header("Cache-Control", "no-store");
  // Segment n's bytes never change.
  return HttpResponse{200, "video/mp2t", *body, {{"Cache-Control", "max-age=3600"}}};
}

}  // namespace

std::string MediaLibrary::DefaultCacheDir() {
  const char* env = std::getenv("SSAI_MEDIA_CACHE");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(".cache/media");
}

Result<std::shared_ptr<const MediaLibrary>> MediaLibrary::Open(const std::string& cache_dir,
                                                               double segment_duration_s, const std::string& ffmpeg) {
  const int64_t ms = std::llround(segment_duration_s * 1000);
  if (ms <= 0 || ms > 60'000 || ms % (1000 / kFps) != 0 || std::abs(segment_duration_s * 1000 - ms) > 1e-6) {
    return Status::InvalidArgument("media: segment duration " + std::to_string(segment_duration_s) +
                                   " s is not a whole number of 25 fps frames (a multiple of 0.04 s up to 60 s)");
  }
  SSAI_ASSIGN_OR_RETURN(origin::TsPool content, LoadOrMakePool(kContent, cache_dir, ms, ffmpeg));
  SSAI_ASSIGN_OR_RETURN(origin::TsPool ad, LoadOrMakePool(kAd, cache_dir, ms, ffmpeg));
  SSAI_ASSIGN_OR_RETURN(origin::TsPool slate, LoadOrMakePool(kSlate, cache_dir, ms, ffmpeg));
  return std::shared_ptr<const MediaLibrary>(new MediaLibrary(std::move(content), std::move(ad), std::move(slate), ms));
}

Result<OriginSegmentRoutes> OriginSegmentRoutes::Make(const origin::SyntheticStreamSpec& spec) {
  const std::string& t = spec.segment_uri_template;
  if (t.find("://") != std::string::npos || t.find('?') != std::string::npos) {
    return Status::InvalidArgument("media: segment_uri_template must be a relative path to serve segments, got '" +
                                   t + "'");
  }
  OriginSegmentRoutes out;
  // The template's own characters literally; {rendition} and {msn} as capture groups, in order.
  std::string re = t.starts_with("/") ? "" : "/";
  for (size_t at = 0; at < t.size();) {
    if (t.compare(at, 11, "{rendition}") == 0) {
      re += "([A-Za-z0-9_-]{1,64})", out.groups_.push_back("rendition"), at += 11;
    } else if (t.compare(at, 5, "{msn}") == 0) {
      re += "([0-9]{1,18})", out.groups_.push_back("msn"), at += 5;
    } else {
      re += RegexEscape(t.substr(at, 1)), ++at;
    }
  }
  out.spec_ = &spec;
  out.re_ = std::make_shared<const std::regex>(re);
  return out;
}

std::optional<HttpResponse> OriginSegmentRoutes::Answer(std::string_view path, UnixMicros now,
                                                        const MediaLibrary& media,
                                                        std::atomic<int64_t>* requests) const {
  if (path == "/slate.ts") {
    ++*requests;
    return TsResponse(media.Slate());
  }
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(path.begin(), path.end(), m, *re_)) return std::nullopt;
  int64_t msn = -1;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string v = m[g + 1].str();
    if (groups_[g] == "msn") msn = std::stoll(v);  // at most 18 digits: fits
    if (groups_[g] == "rendition" && origin::FindRendition(*spec_, v) == nullptr) {
      return JsonErrorResponse(404, "no rendition '" + v + "'").Header("Cache-Control", "no-store");
    }
  }
  // A live origin has no segment before it is published (RFC 8216 §6.2.1).
  if (msn > origin::LiveEdgeMsn(*spec_, now)) {
    return JsonErrorResponse(404, "segment " + std::to_string(msn) + " is not published yet")
        .Header("Cache-Control", "no-store");
  }
  ++*requests;
  return TsResponse(media.Content(msn));
}

std::optional<int64_t> AdTimelineIndex(const DecisionCatalogue& catalogue, double ad_segment_duration_s,
                                       std::string_view ad_id, int64_t bitrate_bps, int64_t i) {
  for (const auto& [pod_id, pod] : catalogue.pods) {
    double offset_s = 0;
    for (const AdItem& item : pod.items) {
      if (item.id == ad_id) {
        bool has = false;
        for (const AdVariant& v : item.variants) has = has || v.bitrate_bps == bitrate_bps;
        // As DecisionService::AdPlaylist cuts the ad.
        const int64_t count =
            std::max<int64_t>(1, static_cast<int64_t>(std::ceil(item.duration_s / ad_segment_duration_s - 1e-9)));
        if (!has || i < 0 || i >= count) return std::nullopt;
        return std::llround(offset_s / ad_segment_duration_s) + i;
      }
      offset_s += item.duration_s;
    }
  }
  return std::nullopt;
}


}  // namespace ssai::server
