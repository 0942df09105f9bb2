// `ssai serve` (the reference SSAI server), `ssai origin --synthetic` (a live synthetic origin) and
// `ssai decision` (the catalogue decision service). Each runs until SIGINT/SIGTERM, then shuts
// down gracefully. Each prints "listening on http://HOST:PORT" on stdout once it serves (port 0
// picks a free port: read it from that line).
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/files.h"
#include "reference/media/origin/synthetic_origin.h"
#include "reference/server/config.h"
#include "reference/server/media_library.h"
#include "reference/server/server.h"
#include "reference/server/services.h"

namespace ssai::cli {
namespace {

// Blocks SIGINT/SIGTERM in this thread (and so in every thread started after), so sigwait can
// take them: no async-signal-safety concerns.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

struct ServeFlags {
  std::string config_path;
  std::string listen;
  std::string role;
  std::string build;
  std::string journal;
  std::string coordinator_url;
  std::string decision_url;
  bool no_auth = false;
  std::string log_level, log_format, log_file;
  bool access_log = false;
};

int RunServe(const ServeFlags& f) {
  server::ServerConfig config;
  if (!f.config_path.empty()) {
    Result<server::ServerConfig> c = server::LoadServerConfig(f.config_path);
    if (!c.ok()) {
      std::cerr << "ssai serve: " << c.status().message() << "\n";
      return 2;
    }
    config = std::move(c).value();
  }
  // Flags override the file.
  if (!f.listen.empty()) {
    if (Status s = server::ParseListen(f.listen, &config.listen_host, &config.port); !s.ok()) {
      std::cerr << "ssai serve: --" << s.message() << "\n";
      return 2;
    }
  }
  if (!f.role.empty()) {
    Result<server::Role> r = server::ParseRole(f.role);
    if (!r.ok()) {
      std::cerr << "ssai serve: --" << r.status().message() << "\n";
      return 2;
    }
    config.role = *r;
  }
  if (!f.build.empty()) config.build = f.build;
  if (!f.journal.empty()) config.journal_path = f.journal;
  if (!f.coordinator_url.empty()) config.coordinator_url = f.coordinator_url;
  if (!f.decision_url.empty()) config.decision.url = f.decision_url;
  if (f.no_auth) config.auth_disabled = true;
  if (!f.log_level.empty()) config.log.level = *server::ParseLogLevel(f.log_level);  // checked by CLI11
  if (!f.log_format.empty()) config.log.json = f.log_format == "json";
  if (!f.log_file.empty()) config.log.path = f.log_file;
  if (f.access_log) config.log.access_log = true;
  if (config.cue_token.empty()) {
    if (const char* t = std::getenv("SSAI_CUE_TOKEN")) config.cue_token = t;
  }
  if (Status s = server::ValidateServerConfig(config); !s.ok()) {
    std::cerr << "ssai serve: " << s.message() << "\n";
    return 2;
  }
  const sigset_t signals = BlockStopSignals();
  server::Server srv(config);
  if (Status s = srv.Start(); !s.ok()) {
    std::cerr << "ssai serve: " << s.message() << "\n";
    return 2;
  }
  std::cout << "listening on " << srv.base_url() << " (role " << server::RoleName(config.role) << ", build "
            << config.build << ", " << config.channels.size() << " channels"
            << (config.auth_disabled ? ", cue auth DISABLED" : "")
            << (config.journal_path.empty() ? ", journal in memory only" : "") << ")" << std::endl;
  const int sig = WaitForStopSignal(signals);
  std::cerr << "ssai serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", shutting down\n";
  srv.Stop();
  return 0;
}

int RunOrigin(const std::string& spec_path, const std::string& listen, const OriginReplayFlags& replay) {
  std::string text;
  if (!ReadInput("ssai origin", spec_path, kMaxDocumentBytes, &text)) return 2;
  Result<origin::SyntheticStreamSpec> spec = origin::ParseSpec(text);
  if (!spec.ok()) {
    std::cerr << "ssai origin: " << spec_path << ": " << spec.status().message() << "\n";
    return 2;
  }
  std::string host;
  int port = 0;
  if (Status s = server::ParseListen(listen, &host, &port); !s.ok()) {
    std::cerr << "ssai origin: --" << s.message() << "\n";
    return 2;
  }
  const sigset_t signals = BlockStopSignals();
  server::SyntheticOriginService service(std::move(spec).value());
  if (Status s = SetSyntheticOriginClock(replay, &service); !s.ok()) {  // --speed, --from
    std::cerr << "ssai origin: " << s.message() << "\n";
    return 2;
  }
  // spec "media": "ffmpeg": real segments, made once and cached (media_library.h).
  if (Status s = service.EnableMedia(server::MediaLibrary::DefaultCacheDir()); !s.ok()) {
    std::cerr << "ssai origin: " << spec_path << ": " << s.message() << "\n";
    return 2;
  }
  // Beast front end (services.h FrontEndService): slow clients hold a socket, not a thread.
  server::FrontEndService http([&service](boost::asio::io_context& io, server::HttpRequest req,
                                          server::HttpResponder respond) {
    service.Handle(io, std::move(req), std::move(respond));
  });
  if (Status s = http.Start(host, port); !s.ok()) {
    std::cerr << "ssai origin: " << s.message() << "\n";
    return 2;
  }
  std::cout << "listening on " << http.base_url() << std::endl;
  WaitForStopSignal(signals);
  http.Stop();
  return 0;
}

int RunDecision(const std::string& catalogue_path, const std::string& listen, int64_t latency_ms,
                double failure_rate, double ad_segment_s, const std::string& media) {
  std::string text;
  if (!ReadInput("ssai decision", catalogue_path, server::kMaxCatalogueBytes, &text)) return 2;
  Result<server::DecisionCatalogue> cat = server::ParseDecisionCatalogue(text);
  if (!cat.ok()) {
    std::cerr << "ssai decision: " << catalogue_path << ": " << cat.status().message() << "\n";
    return 2;
  }
  std::string host;
  int port = 0;
  if (Status s = server::ParseListen(listen, &host, &port); !s.ok()) {
    std::cerr << "ssai decision: --" << s.message() << "\n";
    return 2;
  }
  server::DecisionConfig dc;
  dc.catalogue = std::move(cat).value();
  dc.latency_ms = latency_ms;
  dc.failure_rate = failure_rate;
  dc.ad_segment_duration_s = ad_segment_s;
  dc.media = media;
  const sigset_t signals = BlockStopSignals();
  server::DecisionService service(dc);
  // Real ad segments (/ads/{id}/{bps}_{i}.ts), as `ssai serve`'s built-in decision with
  // "media": "ffmpeg": what a real player needs to play the ads this server decides.
  if (media == "ffmpeg") {
    if (Status s = service.EnableMedia(server::MediaLibrary::DefaultCacheDir()); !s.ok()) {
      std::cerr << "ssai decision: --media ffmpeg: " << s.message() << "\n";
      return 2;
    }
  }
  // Beast front end, as `ssai origin`: the latency is a timer, so a slow client or a slow
  // decision holds a socket, not a thread.
  server::FrontEndService http([&service](boost::asio::io_context& io, server::HttpRequest req,
                                          server::HttpResponder respond) {
    service.Handle(io, std::move(req), std::move(respond));
  });
  if (Status s = http.Bind(host, port); !s.ok()) {
    std::cerr << "ssai decision: " << s.message() << "\n";
    return 2;
  }
  service.set_self_url(http.base_url());
  http.Serve();
  std::cout << "listening on " << http.base_url() << std::endl;
  WaitForStopSignal(signals);
  http.Stop();
  return 0;
}

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  auto serve_flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "Run the reference SSAI server (edge + coordinator)");
  serve->add_option("--config", serve_flags->config_path, "JSON config (reference/server/README.md)")
      ->check(CLI::ExistingFile);
  serve->add_option("--listen", serve_flags->listen, "HOST:PORT (default 127.0.0.1:8080; port 0 = any)");
  serve->add_option("--role", serve_flags->role, "all | edge | coordinator (default all)");
  serve->add_option("--build", serve_flags->build, "read-path build (default kv-hybrid)");
  serve->add_option("--journal", serve_flags->journal, "durable store journal file (JSON lines, fsync'ed)");
  serve->add_option("--coordinator-url", serve_flags->coordinator_url, "role edge: the coordinator's base URL");
  serve->add_option("--decision-url", serve_flags->decision_url, "a remote decision service (POST URL)");
  serve->add_flag("--no-auth", serve_flags->no_auth, "DEVELOPMENT ONLY: accept cues without a bearer token");
  serve->add_option("--log-level", serve_flags->log_level, "debug | info | warn | error | off (default info; config log.level)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  serve->add_option("--log-format", serve_flags->log_format, "text | json (JSON lines; default text)")
      ->check(CLI::IsMember({"text", "json"}));
  serve->add_option("--log-file", serve_flags->log_file, "append the log to this file (default stderr)");
  serve->add_flag("--access-log", serve_flags->access_log, "one http.access line per answered request (info)");
  serve->callback([serve_flags, &ctx] { ctx.exit_code = RunServe(*serve_flags); });

  auto origin_spec = std::make_shared<std::string>();
  auto origin_listen = std::make_shared<std::string>("127.0.0.1:8081");
  CLI::App* orig = app.add_subcommand(
      "origin", "Serve a live HLS origin on real time: synthetic (--synthetic), a capture (--capture) or a TS file (--ts)");
  orig->add_option("--synthetic", *origin_spec, "stream spec JSON (synthetic_origin.h)")
      ->check(CLI::ExistingFile);
  auto origin_replay = AddOriginReplayFlags(*orig);  // --capture, --speed, --loop, --from (capture_cmd.cc)
  auto origin_ts = AddOriginTsFlags(*orig);          // --ts, --flavour, --segment-s, --pdt-start (origin_ts_cmd.cc)
  orig->add_option("--listen", *origin_listen, "HOST:PORT (port 0 = any)");
  orig->callback([orig, origin_spec, origin_listen, origin_replay, origin_ts, &ctx] {
    origin_ts->flavour_given = orig->count("--flavour") > 0;
    origin_ts->segment_given = orig->count("--segment-s") > 0;
    origin_ts->window_given = orig->count("--window") > 0;
    if (MaybeRunTsOrigin(*origin_ts, *origin_replay, !origin_spec->empty(), *origin_listen, &ctx.exit_code)) return;
    if (MaybeRunCaptureOrigin(*origin_replay, !origin_spec->empty(), *origin_listen, &ctx.exit_code)) return;
    ctx.exit_code = RunOrigin(*origin_spec, *origin_listen, *origin_replay);
  });

  struct DecisionFlags {
    std::string catalogue;
    std::string listen = "127.0.0.1:8082";
    int64_t latency_ms = 0;
    double failure_rate = 0;
    double ad_segment_s = 2;
    std::string media = "none";
  };
  auto df = std::make_shared<DecisionFlags>();
  CLI::App* dec = app.add_subcommand(
      "decision", "Serve ad decisions from a JSON catalogue: the seed's POST /decision and a VAST 4 ad server (/vast/...)");
  dec->add_option("--catalogue", df->catalogue, "pod catalogue JSON")->required()->check(CLI::ExistingFile);
  dec->add_option("--listen", df->listen, "HOST:PORT (port 0 = any)");
  dec->add_option("--latency-ms", df->latency_ms, "added latency per decision")->check(CLI::Range(0, 60000));
  dec->add_option("--failure-rate", df->failure_rate, "fraction of decisions that fail")->check(CLI::Range(0.0, 1.0));
  dec->add_option("--ad-segment-s", df->ad_segment_s, "segment duration of the /ads/ playlists")
      ->check(CLI::Range(0.1, 60.0));
  dec->add_option("--media", df->media,
                  "what GET /ads/{id}/{bps}_{i}.ts serves: none (404) or ffmpeg (real MPEG-TS made once with "
                  "ffmpeg and cached in $SSAI_MEDIA_CACHE or .cache/media)")
      ->check(CLI::IsMember({"none", "ffmpeg"}));
  dec->callback([df, &ctx] {
    ctx.exit_code = RunDecision(df->catalogue, df->listen, df->latency_ms, df->failure_rate, df->ad_segment_s,
                                df->media);
  });
}

}  // namespace ssai::cli
