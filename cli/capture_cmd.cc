// `ssai capture URL --duration S --out DIR` (record a live origin, capture_recorder.h) and the
// `ssai origin` flags for replaying: --capture DIR, --speed X, --loop, --from ISO8601
// (capture_origin.h). serve_cmd.cc owns the `origin` subcommand and calls in here.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "reference/base/time.h"
#include "reference/server/asio_env.h"
#include "reference/server/capture_origin.h"
#include "reference/server/capture_recorder.h"
#include "reference/server/config.h"
#include "reference/server/services.h"

namespace ssai::cli {
namespace {

struct CaptureFlags {
  std::string url;
  double duration_s = 60;
  std::string out;
  double speed = 1;
  int64_t timeout_ms = 2000;
  bool segments = false;
  double max_segment_mb = 512;
  server::TlsOptions tls;  // https:// (--ca-file, --insecure)
};

int RunCapture(const CaptureFlags& f) {
  server::CaptureRecorderOptions o;
  o.url = f.url;
  o.out_dir = f.out;
  o.duration_ms = static_cast<int64_t>(std::llround(f.duration_s * 1000));
  o.speed = f.speed;
  o.timeout_ms = f.timeout_ms;
  o.segments = f.segments;
  o.tls = f.tls;
  if (o.tls.insecure) std::cerr << "ssai capture: WARNING: --insecure: https:// certificates are NOT verified\n";
  o.max_segment_bytes = static_cast<int64_t>(f.max_segment_mb * 1024 * 1024);
  // SIGINT/SIGTERM end the recording early; what was recorded stays a valid capture.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  std::thread watcher([set, stop] {
    int sig = 0;
    sigwait(&set, &sig);
    stop->store(true);
  });
  watcher.detach();  // blocked in sigwait until the process exits
  o.stop = stop.get();
  Result<server::CaptureSummary> r = server::RecordCapture(o, &std::cerr);
  if (!r.ok()) {
    std::cerr << "ssai capture: " << r.status().message() << "\n";
    return 2;
  }
  std::cout << "captured " << r->renditions << " rendition(s), " << r->fetches << " fetches (" << r->failures
            << " failed), " << r->files << " snapshot files, " << r->duration_ms << " ms";
  if (f.segments) {
    std::cout << ", " << r->segments << " segments (" << r->segment_bytes << " bytes, " << r->segments_skipped
              << " skipped)";
  }
  std::cout << " into " << f.out << (stop->load() ? " (interrupted)" : "") << std::endl;
  return 0;
}

}  // namespace

void RegisterCaptureCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<CaptureFlags>();
  CLI::App* cap = app.add_subcommand(
      "capture", "Record a live HLS origin (master + every rendition, reloaded per RFC 8216 §6.3.4) into a capture");
  cap->add_option("url", f->url, "http:// or https:// URL of a multivariant or media playlist")->required();
  cap->add_option("--ca-file", f->tls.ca_file, "https://: trust this PEM CA bundle instead of the system store");
  cap->add_flag("--insecure", f->tls.insecure, "https://: do not verify certificates (lab setups only)");
  cap->add_option("--duration", f->duration_s, "seconds of stream time to record")
      ->required()
      ->check(CLI::Range(0.001, 86400.0));
  cap->add_option("--out", f->out, "output directory (created; must not hold a capture already)")->required();
  cap->add_option("--speed", f->speed, "the origin runs X times faster than real time (ssai origin --speed)")
      ->check(CLI::Range(0.01, 1000.0));
  cap->add_option("--timeout-ms", f->timeout_ms, "per-fetch timeout, wall time")->check(CLI::Range(1, 600000));
  cap->add_flag("--segments", f->segments,
                "also keep every media segment the playlists list, so a replay plays in real players");
  cap->add_option("--max-segment-mb", f->max_segment_mb,
                  "--segments: stop keeping segments after this many MiB (default 512)")
      ->check(CLI::Range(0.0, 1048576.0));
  cap->callback([f, &ctx] { ctx.exit_code = RunCapture(*f); });
}

std::shared_ptr<OriginReplayFlags> AddOriginReplayFlags(CLI::App& origin) {
  auto f = std::make_shared<OriginReplayFlags>();
  origin.add_option("--capture", f->capture_dir, "serve a capture directory (fixtures/README.md) instead")
      ->check(CLI::ExistingDirectory);
  origin.add_option("--speed", f->speed, "replay X times faster than real time")->check(CLI::Range(0.01, 1000.0));
  origin.add_flag("--loop", f->loop, "--capture, --ts: start over at the end");
  origin.add_option("--from", f->from, "--synthetic: the stream's clock reads this ISO 8601 instant at the first request (default: now, at start)");
  return f;
}

Status SetSyntheticOriginClock(const OriginReplayFlags& f, server::SyntheticOriginService* service) {
  if (f.loop) return Status::InvalidArgument("--loop: only with --capture");
  if (f.speed == 1 && f.from.empty()) return Status::Ok();
  if (f.from.empty()) {
    auto clock = std::make_shared<server::ScaledClock>(server::RealNow(), f.speed);
    service->now = [clock] { return clock->Now(); };
    return Status::Ok();
  }
  Result<UnixMicros> t = ParseIso8601(f.from);
  if (!t.ok()) return Status::InvalidArgument("--from: " + t.status().message());
  // --from T: the clock reads T at the first request (not at start-up, whose latency varies), so
  // a recording started right after sees the same stream every time (scripts/make_captures.sh).
  struct LazyClock {
    std::once_flag once;
    std::optional<server::ScaledClock> clock;
  };
  auto lazy = std::make_shared<LazyClock>();
  service->now = [lazy, from = *t, speed = f.speed] {
    std::call_once(lazy->once, [&] { lazy->clock.emplace(from, speed); });
    return lazy->clock->Now();
  };
  return Status::Ok();
}

bool MaybeRunCaptureOrigin(const OriginReplayFlags& f, bool synthetic_given, const std::string& listen,
                           int* exit_code) {
  if (f.capture_dir.empty()) {
    if (!synthetic_given) {
      std::cerr << "ssai origin: one of --synthetic SPEC, --capture DIR or --ts FILE.ts is required\n";
      *exit_code = 2;
      return true;
    }
    return false;
  }
  *exit_code = 2;
  if (synthetic_given) {
    std::cerr << "ssai origin: --synthetic and --capture exclude each other\n";
    return true;
  }
  if (!f.from.empty()) {
    std::cerr << "ssai origin: --from: only with --synthetic\n";
    return true;
  }
  Result<server::LoadedCapture> capture = server::LoadCaptureDir(f.capture_dir);
  if (!capture.ok()) {
    std::cerr << "ssai origin: " << capture.status().message() << "\n";
    return true;
  }
  std::string host;
  int port = 0;
  if (Status s = server::ParseListen(listen, &host, &port); !s.ok()) {
    std::cerr << "ssai origin: --" << s.message() << "\n";
    return true;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  for (const std::string& w : capture->warnings) std::cerr << "ssai origin: warning: " << w << "\n";
  server::CaptureOriginService service(std::move(capture).value(), f.speed, f.loop);
  // Beast front end (services.h FrontEndService): slow clients hold a socket, not a thread.
  server::FrontEndService http([&service](boost::asio::io_context&, server::HttpRequest req,
                                          server::HttpResponder respond) {
    service.Handle(std::move(req), std::move(respond));
  });
  if (Status s = http.Start(host, port); !s.ok()) {
    std::cerr << "ssai origin: " << s.message() << "\n";
    return true;
  }
  std::cout << "listening on " << http.base_url() << " (capture " << f.capture_dir << ", "
            << service.replay().Paths().size() << " paths, " << service.replay().duration_ms() << " ms, speed "
            << f.speed << (f.loop ? ", loop" : "") << ")" << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  http.Stop();
  *exit_code = 0;
  return true;
}

}  // namespace ssai::cli
