// `ssai origin --ts FILE.ts [--loop] [--flavour F] [--segment-s S] [--pdt-start ISO] [--window N]`:
// a live HLS packager over a transport stream (reference/media/ts/ts_packager.h), served by
// reference/server/ts_origin.h. serve_cmd.cc owns the `origin` subcommand and calls in here.
#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/files.h"
#include "reference/base/time.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/media/ts/ts_packager.h"
#include "reference/media/ts/ts_scan.h"
#include "reference/server/asio_env.h"
#include "reference/server/capture_origin.h"
#include "reference/server/config.h"
#include "reference/server/services.h"
#include "reference/server/ts_origin.h"

namespace ssai::cli {

std::shared_ptr<OriginTsFlags> AddOriginTsFlags(CLI::App& origin) {
  auto f = std::make_shared<OriginTsFlags>();
  origin.add_option("--ts", f->ts_path, "package an MPEG-TS file live (SCTE-35 cues become playlist markers)")
      ->check(CLI::ExistingFile);
  origin.add_option("--flavour", f->flavour,
                    "--ts: cue markers: none, cue_out, oatcls, daterange, ext_x_scte35, splicepoint (default cue_out)");
  origin.add_option("--segment-s", f->segment_s, "--ts: target segment duration (cut at the next IDR frame)")
      ->check(CLI::Range(0.1, 60.0));
  origin.add_option("--pdt-start", f->pdt_start, "--ts: PROGRAM-DATE-TIME of the first segment, ISO 8601 (default: now)");
  origin.add_option("--window", f->window, "--ts: segments per playlist")->check(CLI::Range(1, 10000));
  return f;
}

bool MaybeRunTsOrigin(const OriginTsFlags& f, const OriginReplayFlags& replay, bool synthetic_given,
                      const std::string& listen, int* exit_code) {
  const bool ts_only_flag = !f.pdt_start.empty() || f.flavour_given || f.segment_given || f.window_given;
  if (f.ts_path.empty()) {
    if (ts_only_flag) {
      std::cerr << "ssai origin: --flavour, --segment-s, --pdt-start and --window: only with --ts\n";
      *exit_code = 2;
      return true;
    }
    return false;
  }
  *exit_code = 2;
  if (synthetic_given || !replay.capture_dir.empty()) {
    std::cerr << "ssai origin: --ts, --synthetic and --capture exclude each other\n";
    return true;
  }
  if (!replay.from.empty()) {
    std::cerr << "ssai origin: --from: only with --synthetic (--ts has --pdt-start)\n";
    return true;
  }
  ts::TsPackagerOptions o;
  o.loop = replay.loop;
  o.segment_s = f.segment_s;
  o.window_segments = f.window;
  std::optional<origin::CueFlavour> flavour = origin::CueFlavourFromName(f.flavour);
  if (!flavour) {
    std::cerr << "ssai origin: --flavour: '" << f.flavour
              << "' is not one of none, cue_out, oatcls, daterange, ext_x_scte35, splicepoint\n";
    return true;
  }
  o.flavour = *flavour;
  const UnixMicros started = server::RealNow();
  o.pdt_start = started / kMicrosPerMilli * kMicrosPerMilli;
  if (!f.pdt_start.empty()) {
    Result<UnixMicros> t = ParseIso8601(f.pdt_start);
    if (!t.ok()) {
      std::cerr << "ssai origin: --pdt-start: " << t.status().message() << "\n";
      return true;
    }
    o.pdt_start = *t;
  }
  std::string host;
  int port = 0;
  if (Status s = server::ParseListen(listen, &host, &port); !s.ok()) {
    std::cerr << "ssai origin: --" << s.message() << "\n";
    return true;
  }
  // A file that does not start like a transport stream (e.g. /dev/zero) is refused from its first
  // packets, not after reading up to the 1 GiB cap. (stdin is not sniffed: its bytes would be lost.)
  if (f.ts_path != "-") {
    std::ifstream in(f.ts_path, std::ios::binary);
    std::string head(2 * 188, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (in.gcount() > 0 && !ts::LooksLikeTs({reinterpret_cast<const uint8_t*>(head.data()), head.size()})) {
      Result<ts::TsPackager> bad = ts::TsPackager::Create(std::move(head), o);
      std::cerr << "ssai origin: " << f.ts_path << ": "
                << (bad.ok() ? std::string("not an MPEG-TS") : bad.status().message()) << "\n";
      return true;
    }
  }
  std::string bytes;
  if (!ReadInput("ssai origin", f.ts_path, kMaxTsFileBytes, &bytes)) return true;
  Result<ts::TsPackager> packager = ts::TsPackager::Create(std::move(bytes), o);
  if (!packager.ok()) {
    std::cerr << "ssai origin: " << f.ts_path << ": " << packager.status().message() << "\n";
    return true;
  }
  for (const std::string& n : packager->notes()) std::cerr << "ssai origin: " << f.ts_path << ": note: " << n << "\n";
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // The stream's clock: real time (× --speed) from start-up.
  auto clock = std::make_shared<server::ScaledClock>(started, replay.speed);
  const size_t segments = packager->segments().size();
  const size_t breaks = packager->breaks().size();
  const double loop_s = static_cast<double>(packager->loop_ticks()) / 90000;
  server::TsOriginService service(std::move(packager).value(), [clock] { return clock->Now(); });
  server::FrontEndService http([&service](boost::asio::io_context&, server::HttpRequest req,
                                          server::HttpResponder respond) {
    service.Handle(std::move(req), std::move(respond));
  });
  if (Status s = http.Start(host, port); !s.ok()) {
    std::cerr << "ssai origin: " << s.message() << "\n";
    return true;
  }
  std::cout << "listening on " << http.base_url() << " (ts " << f.ts_path << ", " << segments << " segments, "
            << loop_s << " s, " << breaks << " breaks, " << f.flavour << (o.loop ? ", loop" : "") << ")"
            << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  http.Stop();
  *exit_code = 0;
  return true;
}

}  // namespace ssai::cli
