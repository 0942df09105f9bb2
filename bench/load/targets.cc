#include "bench/load/targets.h"

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "bench/load/http_load.h"
#include "reference/io/files.h"

namespace ssai::load {

using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr char kCueToken[] = "ssai-bench";

// The synthetic origin of fixtures/serve/origin.json: 2 s segments, 6 in the window, two renditions.
Json OriginSpec() {
  return Json::parse(R"({
    "segment_duration_s": 2, "window_segments": 6, "start_time": "2026-01-01T00:00:00Z", "cue_flavour": "none",
    "renditions": [
      {"name": "v720", "bandwidth_bps": 2500000, "resolution": "1280x720", "codecs": "avc1.64001f,mp4a.40.2"},
      {"name": "v360", "bandwidth_bps": 800000, "resolution": "640x360", "codecs": "avc1.64001e,mp4a.40.2"}]})");
}

// fixtures/serve/catalogue.json's default pod: two 10 s ads.
Json Catalogue() {
  return Json::parse(R"({"default_pod": "demo-pod", "pods": {"demo-pod": {"items": [
      {"id": "ad1", "duration": 10, "variants": {"800000": "{self}/ads/ad1/800000.m3u8",
                                                 "2500000": "{self}/ads/ad1/2500000.m3u8"}},
      {"id": "ad2", "duration": 10, "variants": {"800000": "{self}/ads/ad2/800000.m3u8",
                                                 "2500000": "{self}/ads/ad2/2500000.m3u8"}}]}}})");
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::map<std::string, double> ParsePrometheusText(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (...) {
      // Not a sample line: skipped.
    }
  }
  return out;
}

Result<std::unique_ptr<ServeTarget>> ServeTarget::Start(const ServeTargetOptions& o) {
  const std::string exe = o.ssai_exe.empty() ? SelfExecutable() : o.ssai_exe;
  if (o.work_dir.empty()) return Status::InvalidArgument("serve target: no work directory");
  auto t = std::unique_ptr<ServeTarget>(new ServeTarget());
  const std::string dir = o.work_dir + "/serve-" + o.build + "-" + o.kv_backend;
  std::error_code ec;
  fs::create_directories(dir, ec);
  SSAI_RETURN_IF_ERROR(io::WriteStringToFile(dir + "/origin.json", OriginSpec().dump(2)));
  SSAI_ASSIGN_OR_RETURN(t->origin_, ChildProcess::Spawn({exe, "origin", "--synthetic", dir + "/origin.json",
                                                         "--listen", "127.0.0.1:0"},
                                                        {}, dir + "/origin.log"));
  SSAI_ASSIGN_OR_RETURN(std::string origin_url, t->origin_->WaitForListening(10'000));
  Json cfg = {
      {"role", "all"},
      {"listen", "127.0.0.1:0"},
      {"build", o.build},
      {"kv", {{"backend", o.kv_backend}}},
      {"journal_path", ""},
      {"auth", {{"token", kCueToken}}},
      {"timeouts", {{"origin_ms", 2000}, {"decision_ms", 1500}, {"coordinator_ms", 1000}, {"request_ms", 5000}}},
      {"limits", {{"worker_threads", 4}, {"origin_cache_ms", 250}}},
      {"decision", {{"catalogue", Catalogue()}, {"latency_ms", 0}}},
      {"channels",
       {{{"org", "demo"},
         {"channel", "sports"},
         {"mode", "ssai"},
         {"origin_base_url", origin_url},
         {"renditions",
          {{{"name", "v720"}, {"bandwidth_bps", 2500000}}, {{"name", "v360"}, {"bandwidth_bps", 800000}}}},
         // The pod (20 s) is shorter than the break: the rest is slate.
         {"slate", {{"uri", origin_url + "/slate.ts"}, {"duration_s", 2}}},
         {"default_pod_id", "demo-pod"}}}}};
  if (o.kv_backend == "redis") cfg["kv"]["primary"] = o.redis_address;
  if (o.coordinator_latency_max_ms > 0) {
    cfg["inject"] = {{"coordinator_latency_ms", {o.coordinator_latency_min_ms, o.coordinator_latency_max_ms}}};
  }
  SSAI_RETURN_IF_ERROR(io::WriteStringToFile(dir + "/serve.json", cfg.dump(2)));
  SSAI_ASSIGN_OR_RETURN(t->serve_,
                        ChildProcess::Spawn({exe, "serve", "--config", dir + "/serve.json"}, {}, dir + "/serve.log"));
  SSAI_ASSIGN_OR_RETURN(t->base_url_, t->serve_->WaitForListening(10'000));
  std::string path;
  SSAI_RETURN_IF_ERROR(ParseHttpUrl(t->base_url_, &t->host_, &t->port_, &path));
  if (o.cue_duration_s > 0) {
    httplib::Client client(t->host_, t->port_);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(5));
    const std::string body = Json{{"org", "demo"}, {"channel", "sports"}, {"duration", o.cue_duration_s}}.dump();
    httplib::Result r =
        client.Post("/cue", httplib::Headers{{"Authorization", std::string("Bearer ") + kCueToken}}, body,
                    "application/json");
    if (!r || r->status != 200) {
      return Status::Unavailable("serve " + o.build + ": POST /cue failed: " +
                                 (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
    }
    t->build_ = o.build;
    if (o.wait_for_ads) SSAI_RETURN_IF_ERROR(t->WaitForAds(20'000));
  }
  return t;
}

ServeTarget::~ServeTarget() { Stop(); }

Status ServeTarget::WaitForAds(int64_t timeout_ms) {
  // The coordinator wrote the break and the edge sees it once a slot of the break is in the window.
  const int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    Result<std::string> v = Get(paths().front());
    if (v.ok() && v->find("/ads/") != std::string::npos) return Status::Ok();
    if (NowMs() > deadline) {
      return Status::DeadlineExceeded("serve " + build_ + ": no ads in " + paths().front() + " within " +
                                      std::to_string(timeout_ms) + " ms of the cue");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ServeTarget::Stop() {
  if (serve_) serve_->Stop();
  if (origin_) origin_->Stop();
}

int64_t ServeTarget::serve_pid() const { return serve_ ? serve_->pid() : -1; }

Result<std::string> ServeTarget::Get(const std::string& path, std::string* source) const {
  httplib::Client client(host_, port_);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(5));
  httplib::Result r = client.Get(path);
  if (!r) return Status::Unavailable("GET " + path + ": " + httplib::to_string(r.error()));
  if (r->status != 200) return Status::Unavailable("GET " + path + ": HTTP " + std::to_string(r->status) + " " + r->body);
  if (source) *source = r->get_header_value("X-SSAI-State-Source");
  return r->body;
}

Result<std::map<std::string, double>> ServeTarget::Metrics() const {
  SSAI_ASSIGN_OR_RETURN(std::string text, Get("/metrics"));
  return ParsePrometheusText(text);
}

Result<std::unique_ptr<NginxTarget>> NginxTarget::Start(const std::string& work_dir,
                                                        const std::map<std::string, std::string>& files,
                                                        int workers) {
  const std::string nginx = FindProgram("nginx");
  if (nginx.empty()) return Status::NotFound("nginx: not installed (Debian nginx-light)");
  auto t = std::unique_ptr<NginxTarget>(new NginxTarget());
  const std::string dir = work_dir + "/nginx";
  std::error_code ec;
  fs::create_directories(dir + "/www", ec);
  // nginx's workers run as an unprivileged user: the (mkdtemp, 0700) tree must be readable.
  for (fs::path p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (p.string().size() < work_dir.size()) break;
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec, ec);
  }
  fs::create_directories(dir + "/tmp", ec);
  for (const auto& [path, body] : files) {
    const std::string file = dir + "/www" + path;
    fs::create_directories(fs::path(file).parent_path(), ec);
    SSAI_RETURN_IF_ERROR(io::WriteStringToFile(file, body));
  }
  SSAI_ASSIGN_OR_RETURN(t->port_, PickFreePort());
  // The same headers a player gets from ssai serve's media playlists: no-store, the HLS type.
  const std::string conf = "worker_processes " + std::to_string(workers) + ";\n" +
                           "error_log " + dir + "/error.log warn;\n"
                           "events { worker_connections 4096; }\n"
                           "http {\n"
                           "  types { application/vnd.apple.mpegurl m3u8; }\n"
                           "  default_type application/octet-stream;\n"
                           "  access_log off;\n"
                           "  sendfile on; tcp_nodelay on;\n"
                           "  keepalive_timeout 65; keepalive_requests 100000;\n"
                           "  client_body_temp_path " + dir + "/tmp/body;\n"
                           "  proxy_temp_path " + dir + "/tmp/proxy;\n"
                           "  fastcgi_temp_path " + dir + "/tmp/fastcgi;\n"
                           "  uwsgi_temp_path " + dir + "/tmp/uwsgi;\n"
                           "  scgi_temp_path " + dir + "/tmp/scgi;\n"
                           "  server {\n"
                           "    listen 127.0.0.1:" + std::to_string(t->port_) + ";\n"
                           "    root " + dir + "/www;\n"
                           "    location / { add_header Cache-Control no-store; }\n"
                           "  }\n"
                           "}\n";
  SSAI_RETURN_IF_ERROR(io::WriteStringToFile(dir + "/nginx.conf", conf));
  SSAI_ASSIGN_OR_RETURN(t->nginx_,
                        ChildProcess::Spawn({nginx, "-p", dir, "-e", dir + "/error.log", "-c", dir + "/nginx.conf", "-g",
                                             "daemon off; pid " + dir + "/nginx.pid;"},
                                            {}, dir + "/stderr.log"));
  if (Status s = WaitForTcpPort(t->host_, t->port_, 5000); !s.ok()) {
    return s.WithContext("nginx (see " + dir + "/error.log)");
  }
  return t;
}

NginxTarget::~NginxTarget() { Stop(); }

void NginxTarget::Stop() {
  if (nginx_) nginx_->Stop();
}

Result<std::unique_ptr<RedisTarget>> RedisTarget::Start(const std::string& work_dir) {
  const std::string redis = FindProgram("redis-server");
  if (redis.empty()) return Status::NotFound("redis-server: not installed (Debian redis-server)");
  auto t = std::unique_ptr<RedisTarget>(new RedisTarget());
  const std::string dir = work_dir + "/redis";
  std::error_code ec;
  fs::create_directories(dir, ec);
  SSAI_ASSIGN_OR_RETURN(t->port_, PickFreePort());
  SSAI_ASSIGN_OR_RETURN(t->redis_, ChildProcess::Spawn({redis, "--bind", "127.0.0.1", "--port",
                                                        std::to_string(t->port_), "--save", "", "--appendonly",
                                                        "no", "--dir", dir, "--logfile", dir + "/redis.log"},
                                                       {}, dir + "/stderr.log"));
  SSAI_RETURN_IF_ERROR(WaitForTcpPort("127.0.0.1", t->port_, 5000));
  return t;
}

RedisTarget::~RedisTarget() {
  if (redis_) redis_->Stop();
}

}  // namespace ssai::load
