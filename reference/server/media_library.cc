#include "reference/server/media_library.h"

#include <fcntl.h>
#include <spawn.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <functional>
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
constexpr std::string_view kCmafPoolVersion = "v1";

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

// Makes `dir` (once: a complete marker) with `make(tmp)` into a private directory renamed into
// place, so several processes filling the cache at once each use a complete one.
Status EnsureCached(const fs::path& cache_dir, const fs::path& dir, const std::function<Status(const fs::path&)>& make) {
  std::error_code ec;
  if (fs::exists(dir / "complete", ec)) return Status::Ok();
  fs::create_directories(cache_dir, ec);
  if (ec) return Status::Unavailable("media: cannot create " + cache_dir.string() + ": " + ec.message());
  const fs::path tmp = dir.string() + ".tmp-" + std::to_string(getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::Unavailable("media: cannot create " + tmp.string() + ": " + ec.message());
  if (Status s = make(tmp); !s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  std::ofstream(tmp / "complete") << "made by ssai with ffmpeg\n";
  fs::rename(tmp, dir, ec);  // fails when another process got there first: use theirs
  if (ec) fs::remove_all(tmp, ec);
  if (!fs::exists(dir / "complete")) return Status::Unavailable("media: cannot create " + dir.string());
  return Status::Ok();
}

Result<origin::TsPool> LoadOrMakePool(const KindSpec& kind, const fs::path& cache_dir, int64_t segment_duration_ms,
                                      const std::string& ffmpeg) {
  const int k = PoolSegments(segment_duration_ms);
  const fs::path dir = cache_dir / (std::string(kind.name) + "-" + std::string(kPoolVersion) + "-" +
                                    std::to_string(segment_duration_ms) + "ms");
  SSAI_RETURN_IF_ERROR(EnsureCached(cache_dir, dir, [&](const fs::path& tmp) {
    return MakePool(kind, segment_duration_ms, k, tmp, ffmpeg);
  }));
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

// CMAF (issue 14): the same encode as MakePool, written by ffmpeg's HLS muxer as fMP4 (init.mp4 +
// pool_{j}.m4s, one fragment per segment). `video` / `audio` empty leaves that track out (demuxed
// video-only or audio-only pools).
Status MakeCmafPool(std::string_view video, std::string_view audio, int64_t segment_duration_ms, int k,
                    const fs::path& dir, const std::string& ffmpeg) {
  const int64_t frames_per_segment = segment_duration_ms * kFps / 1000;
  const int64_t samples = k * segment_duration_ms * kAudioRate / 1000;
  const std::string seg_s = std::to_string(segment_duration_ms / 1000) + "." +
                            std::to_string(1000 + segment_duration_ms % 1000).substr(1);
  std::vector<std::string> args = {ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"};
  std::string filter;
  if (!video.empty()) {
    args.insert(args.end(), {"-f", "lavfi", "-i",
                             std::string(video) + (video.find('=') == std::string_view::npos ? "=" : ":") +
                                 "size=320x180:rate=" + std::to_string(kFps)});
    filter += "[0:v]trim=end_frame=" + std::to_string(k * frames_per_segment) + "[v]";
  }
  if (!audio.empty()) {
    const std::string input = video.empty() ? "0" : "1";
    args.insert(args.end(), {"-f", "lavfi", "-i", std::string(audio) + ":sample_rate=" + std::to_string(kAudioRate)});
    // As MakePool: the priming frame lands on 0 and the loop holds exactly k * d of AAC frames.
    filter += (filter.empty() ? "" : ";") + std::string("[") + input + ":a]atrim=end_sample=" +
              std::to_string(samples - kAacFrameSamples) + ",asetpts=PTS+" + std::to_string(kAacFrameSamples) + "/(" +
              std::to_string(kAudioRate) + "*TB)[a]";
  }
  args.insert(args.end(), {"-filter_complex", filter});
  if (!video.empty()) {
    const std::string gop = std::to_string(frames_per_segment);
    args.insert(args.end(), {"-map", "[v]", "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.0", "-pix_fmt",
                             "yuv420p", "-preset", "veryfast", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
                             "-b:v", "300k", "-threads", "1"});
  }
  if (!audio.empty()) args.insert(args.end(), {"-map", "[a]", "-c:a", "aac", "-b:a", "64k", "-ac", "1"});
  args.insert(args.end(), {"-f", "hls", "-hls_time", seg_s, "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename",
                           "init.mp4", "-hls_segment_filename", (dir / "pool_%d.m4s").string(), "-hls_playlist_type",
                           "vod", "-hls_list_size", "0", (dir / "pool.m3u8").string()});
  return Run(args, dir / "ffmpeg.log");
}

Result<origin::Fmp4Pool> LoadOrMakeCmafPool(std::string_view name, std::string_view video, std::string_view audio,
                                            const fs::path& cache_dir, int64_t segment_duration_ms,
                                            const std::string& ffmpeg) {
  const int k = PoolSegments(segment_duration_ms);
  const fs::path dir = cache_dir / (std::string(name) + "-cmaf-" + std::string(kCmafPoolVersion) + "-" +
                                    std::to_string(segment_duration_ms) + "ms");
  SSAI_RETURN_IF_ERROR(EnsureCached(cache_dir, dir, [&](const fs::path& tmp) {
    return MakeCmafPool(video, audio, segment_duration_ms, k, tmp, ffmpeg);
  }));
  Result<std::string> init = io::ReadFileToString((dir / "init.mp4").string());
  if (!init.ok()) return init.status().WithContext("media: incomplete cache (delete " + dir.string() + ")");
  std::vector<std::string> fragments;
  for (int j = 0; j < k; ++j) {
    Result<std::string> bytes = io::ReadFileToString((dir / ("pool_" + std::to_string(j) + ".m4s")).string());
    if (!bytes.ok()) return bytes.status().WithContext("media: incomplete cache (delete " + dir.string() + ")");
    fragments.push_back(std::move(bytes).value());
  }
  Result<origin::Fmp4Pool> pool = origin::Fmp4Pool::Create(std::move(init).value(), std::move(fragments),
                                                           segment_duration_ms);
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
                                                               double segment_duration_s, const std::string& ffmpeg,
                                                               const MediaOptions& options) {
  const int64_t ms = std::llround(segment_duration_s * 1000);
  if (ms <= 0 || ms > 60'000 || ms % (1000 / kFps) != 0 || std::abs(segment_duration_s * 1000 - ms) > 1e-6) {
    return Status::InvalidArgument("media: segment duration " + std::to_string(segment_duration_s) +
                                   " s is not a whole number of 25 fps frames (a multiple of 0.04 s up to 60 s)");
  }
  if (options.audio_languages < 0 || options.audio_languages > kMaxAudioLanguages) {
    return Status::InvalidArgument("media: " + std::to_string(options.audio_languages) +
                                   " audio languages (at most " + std::to_string(kMaxAudioLanguages) + ")");
  }
  auto lib = std::shared_ptr<MediaLibrary>(new MediaLibrary(ms));
  if (options.ts) {
    SSAI_ASSIGN_OR_RETURN(origin::TsPool content, LoadOrMakePool(kContent, cache_dir, ms, ffmpeg));
    SSAI_ASSIGN_OR_RETURN(origin::TsPool ad, LoadOrMakePool(kAd, cache_dir, ms, ffmpeg));
    SSAI_ASSIGN_OR_RETURN(origin::TsPool slate, LoadOrMakePool(kSlate, cache_dir, ms, ffmpeg));
    lib->ts_.emplace(TsPools{std::move(content), std::move(ad), std::move(slate)});
  }
  if (options.cmaf) {
    // Muxed (video + audio in one fragment) for each kind, and the demuxed tracks: video only,
    // and audio only (content: one tone per language; ads and slate: one language).
    for (const KindSpec& kind : {kContent, kAd, kSlate}) {
      const std::string name(kind.name);
      SSAI_ASSIGN_OR_RETURN(origin::Fmp4Pool muxed,
                            LoadOrMakeCmafPool(name, kind.video, kind.audio, cache_dir, ms, ffmpeg));
      lib->cmaf_.emplace(name, std::move(muxed));
      if (options.audio_languages == 0) continue;
      SSAI_ASSIGN_OR_RETURN(origin::Fmp4Pool video, LoadOrMakeCmafPool(name + "-video", kind.video, "", cache_dir, ms, ffmpeg));
      lib->cmaf_.emplace(name + "-video", std::move(video));
      const int languages = kind.name == kContent.name ? options.audio_languages : 1;
      for (int i = 0; i < languages; ++i) {
        // Content language i: a tone of its own (440, 550, 660 Hz ...), so a language switch is heard.
        const std::string audio = kind.name == kContent.name
                                      ? "sine=frequency=" + std::to_string(440 + 110 * i)
                                      : std::string(kind.audio);
        const std::string track = name + "-audio-" + std::to_string(i);
        SSAI_ASSIGN_OR_RETURN(origin::Fmp4Pool pool, LoadOrMakeCmafPool(track, "", audio, cache_dir, ms, ffmpeg));
        lib->cmaf_.emplace(track, std::move(pool));
      }
    }
  }
  return std::shared_ptr<const MediaLibrary>(std::move(lib));
}

Result<std::string> MediaLibrary::Content(int64_t index) const {
  if (!ts_) return Status::FailedPrecondition("media: no MPEG-TS pools loaded");
  return ts_->content.Segment(index);
}
Result<std::string> MediaLibrary::Ad(int64_t index) const {
  if (!ts_) return Status::FailedPrecondition("media: no MPEG-TS pools loaded");
  return ts_->ad.Segment(index);
}
Result<std::string> MediaLibrary::Slate() const {
  if (!ts_) return Status::FailedPrecondition("media: no MPEG-TS pools loaded");
  return ts_->slate.Segment(0);
}

const origin::Fmp4Pool* MediaLibrary::Cmaf(std::string_view track) const {
  auto it = cmaf_.find(std::string(track));
  return it == cmaf_.end() ? nullptr : &it->second;
}

Result<std::string> Aes128CbcEncrypt(std::string_view plain, std::string_view key, std::string_view iv) {
  if (key.size() != 16 || iv.size() != 16) {
    return Status::InvalidArgument("AES-128: key and IV must be 16 bytes (got " + std::to_string(key.size()) + " and " +
                                   std::to_string(iv.size()) + ")");
  }
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (ctx == nullptr) return Status::ResourceExhausted("AES-128: EVP_CIPHER_CTX_new failed");
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* v = reinterpret_cast<const unsigned char*>(iv.data());
  // PKCS7 padding is EVP's default (RFC 8216 §5.2 requires it).
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, k, v) != 1) {
    return Status::Internal("AES-128: EVP_EncryptInit_ex failed");
  }
  if (plain.size() > static_cast<size_t>(std::numeric_limits<int>::max()) - 16) {
    return Status::InvalidArgument("AES-128: input of " + std::to_string(plain.size()) + " bytes is too large");
  }
  std::string out(plain.size() + 16, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_EncryptUpdate(ctx.get(), o, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + n, &tail) != 1) {
    return Status::Internal("AES-128: encryption failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

std::string KeyIv(int64_t k) {
  std::string iv(16, '\0');
  for (int i = 15; i >= 8; --i, k >>= 8) iv[static_cast<size_t>(i)] = static_cast<char>(k & 0xff);
  return iv;
}

namespace {

// A route template ("seg_{rendition}_{msn}.m4s") as a regex: its own characters literally,
// {rendition} and {msn} as capture groups, in order (recorded in `groups`).
Result<std::string> TemplateRegex(std::string_view field, const std::string& t, std::vector<std::string>* groups) {
  if (t.find("://") != std::string::npos || t.find('?') != std::string::npos) {
    return Status::InvalidArgument("media: " + std::string(field) + " must be a relative path to serve segments, got '" +
                                   t + "'");
  }
  std::string re = t.starts_with("/") ? "" : "/";
  for (size_t at = 0; at < t.size();) {
    if (t.compare(at, 11, "{rendition}") == 0) {
      re += "([A-Za-z0-9_-]{1,64})", groups->push_back("rendition"), at += 11;
    } else if (t.compare(at, 5, "{msn}") == 0) {
      re += "([0-9]{1,18})", groups->push_back("msn"), at += 5;
    } else {
      re += RegexEscape(t.substr(at, 1)), ++at;
    }
  }
  return re;
}

HttpResponse MediaResponse(Result<std::string> body, const char* content_type) {
  if (!body.ok()) return JsonErrorResponse(500, body.status().message()).Header("Cache-Control", "no-store");
  // Segment n's (and the init's) bytes never change.
  return HttpResponse{200, content_type, std::move(body).value(), {{"Cache-Control", "max-age=3600"}}};
}

}  // namespace

Result<OriginSegmentRoutes> OriginSegmentRoutes::Make(const origin::SyntheticStreamSpec& spec) {
  OriginSegmentRoutes out;
  SSAI_ASSIGN_OR_RETURN(std::string re, TemplateRegex("segment_uri_template", spec.segment_uri_template, &out.groups_));
  out.re_ = std::make_shared<const std::regex>(re);
  if (spec.container == "cmaf") {
    SSAI_ASSIGN_OR_RETURN(std::string init, TemplateRegex("init_uri_template", spec.init_uri_template, &out.init_groups_));
    out.init_re_ = std::make_shared<const std::regex>(init);
  }
  out.spec_ = &spec;
  return out;
}

std::optional<HttpResponse> OriginSegmentRoutes::Answer(std::string_view path, UnixMicros now,
                                                        const MediaLibrary& media,
                                                        std::atomic<int64_t>* requests) const {
  if (path == "/slate.ts") {
    ++*requests;
    return TsResponse(media.Slate());
  }
  const bool cmaf = spec_->container == "cmaf";
  if (cmaf && (path == "/slate.m4s" || path == "/slate_init.mp4")) {
    // The CMAF slate, in the clear (the splicer declares METHOD=NONE for it, as for an ad) with its
    // own init: the channel's slate.init_uri (reference/server/config.h).
    const origin::Fmp4Pool* pool = media.Cmaf(spec_->audio.empty() ? "slate" : "slate-video");
    if (pool == nullptr) return JsonErrorResponse(500, "media: no CMAF slate loaded");
    ++*requests;
    return MediaResponse(path == "/slate.m4s" ? pool->Fragment(0) : Result<std::string>(pool->Init()), "video/mp4");
  }
  if (cmaf && !spec_->audio.empty() && (path == "/slate_audio.m4s" || path == "/slate_audio_init.mp4")) {
    // The demuxed audio renditions' slate (silence, clear, own init): what `ssai serve` lists in
    // an audio rendition where an ad has no audio (channels[].alternates[].slate).
    const origin::Fmp4Pool* pool = media.Cmaf("slate-audio-0");
    if (pool == nullptr) return JsonErrorResponse(500, "media: no CMAF audio slate loaded");
    ++*requests;
    return MediaResponse(path == "/slate_audio.m4s" ? pool->Fragment(0) : Result<std::string>(pool->Init()),
                         "audio/mp4");
  }
  std::match_results<std::string_view::const_iterator> m;
  const bool is_init = init_re_ && std::regex_match(path.begin(), path.end(), m, *init_re_);
  if (!is_init && !std::regex_match(path.begin(), path.end(), m, *re_)) return std::nullopt;
  int64_t msn = -1;
  std::string track = cmaf ? (spec_->audio.empty() ? "content" : "content-video") : "";
  bool audio = false;
  const std::vector<std::string>& groups = is_init ? init_groups_ : groups_;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string v = m[g + 1].str();
    if (groups[g] == "msn") msn = std::stoll(v);  // at most 18 digits: fits
    if (groups[g] != "rendition" || origin::FindRendition(*spec_, v) != nullptr) continue;
    // A demuxed audio rendition (CMAF only: its playlist lists the same templates).
    bool subtitles = false;
    const origin::AlternateRendition* alt = cmaf ? origin::FindAlternate(*spec_, v, &subtitles) : nullptr;
    if (alt == nullptr || subtitles) {
      return JsonErrorResponse(404, "no rendition '" + v + "'").Header("Cache-Control", "no-store");
    }
    track = "content-audio-" + std::to_string(alt - spec_->audio.data());
    audio = true;
  }
  // A live origin has no segment before it is published (RFC 8216 §6.2.1).
  if (!is_init && msn > origin::LiveEdgeMsn(*spec_, now)) {
    return JsonErrorResponse(404, "segment " + std::to_string(msn) + " is not published yet")
        .Header("Cache-Control", "no-store");
  }
  ++*requests;
  Result<std::string> body = Status::Internal("media: no body");
  if (!cmaf) {
    body = media.Content(msn);
  } else if (const origin::Fmp4Pool* pool = media.Cmaf(track); pool == nullptr) {
    body = Status::Internal("media: no CMAF track '" + track + "' loaded");
  } else {
    body = is_init ? Result<std::string>(pool->Init()) : pool->Fragment(msn);
  }
  // AES-128 (RFC 8216 §4.3.2.4, §5.2): the whole segment, and the init, which the KEY before its
  // MAP covers, with key k and IV k of the EXT-X-KEY in force (the init's is key 0: ValidateSpec
  // refuses rotation with real CMAF media).
  if (body.ok() && spec_->encryption == "aes-128") {
    const int64_t rot = spec_->key_rotation_segments;
    const int64_t k = is_init || rot <= 0 ? 0 : msn / rot;
    body = Aes128CbcEncrypt(*body, origin::KeyBytes(k), KeyIv(k));
  }
  if (!cmaf) return TsResponse(body);
  return MediaResponse(std::move(body), audio ? "audio/mp4" : "video/mp4");
}

std::optional<int64_t> AdTimelineIndex(const DecisionCatalogue& catalogue, double ad_segment_duration_s,
                                       std::string_view ad_id, int64_t bitrate_bps, int64_t i) {
  for (const auto& [pod_id, pod] : catalogue.pods) {
    double offset_s = 0;
    for (const AdItem& item : pod.items) {
      if (item.id == ad_id) {
        bool has = bitrate_bps == 0;  // any variant (the ad's demuxed audio)
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
