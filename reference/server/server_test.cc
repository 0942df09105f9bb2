// The real server in-process on loopback (port 0), driven by a real httplib::Client, with the
// synthetic origin served live on another loopback port.
#include "reference/server/server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "reference/base/encoding.h"
#include "reference/base/strings.h"
#include "reference/server/asio_env.h"
#include "reference/server/beacon_sender.h"
#include "reference/server/raw_http.h"
#include "reference/server/services.h"

namespace ssai::server {
namespace {

using Json = nlohmann::json;
constexpr char kToken[] = "test-secret-token";

origin::SyntheticStreamSpec LiveSpec() {
  origin::SyntheticStreamSpec spec;
  spec.segment_duration_s = 1;
  spec.window_segments = 6;
  spec.start_time = (RealNow() / kMicrosPerSecond - 120) * kMicrosPerSecond;
  spec.renditions = {{"v720", 2'500'000, "1280x720", "avc1.64001f,mp4a.40.2"},
                     {"v360", 800'000, "640x360", "avc1.64001e,mp4a.40.2"}};
  spec.cue_flavour = origin::CueFlavour::kNone;
  return spec;
}

ServerConfig TestConfig(const std::string& origin_base) {
  ServerConfig c;
  c.port = 0;
  c.cue_token = kToken;
  c.request_timeout_ms = 3000;
  c.origin_timeout_ms = 1000;
  c.worker_threads = 2;
  c.decision.ad_segment_duration_s = 1;
  Result<DecisionCatalogue> cat = ParseDecisionCatalogue(R"({"default_pod": "pod1", "pods": {"pod1": {"items": [
      {"id": "a1", "duration": 4, "variants": {"800000": "{self}/ads/a1/800000.m3u8",
                                               "2500000": "{self}/ads/a1/2500000.m3u8"}},
      {"id": "a2", "duration": 4, "variants": {"800000": "{self}/ads/a2/800000.m3u8",
                                               "2500000": "{self}/ads/a2/2500000.m3u8"}}]}}})");
  EXPECT_TRUE(cat.ok()) << cat.status().ToString();
  c.decision.catalogue = *cat;
  ChannelConfig ch;
  ch.org = "demo";
  ch.channel = "sports";
  ch.renditions = {{"v720", 2'500'000, origin_base + "/v720.m3u8"}, {"v360", 800'000, origin_base + "/v360.m3u8"}};
  ch.slate = {"http://127.0.0.1:9/slate.ts", 1};
  c.channels.push_back(ch);
  c.log.level = LogLevel::kOff;  // quiet tests; LogsCuesBreaksAndRequests... turns it on
  // A channel whose origin is down (nothing listens on port 9 on loopback).
  ChannelConfig down = ch;
  down.channel = "down";
  down.renditions = {{"v720", 2'500'000, "http://127.0.0.1:9/v720.m3u8"}};
  c.channels.push_back(down);
  return c;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_service_ = std::make_unique<SyntheticOriginService>(LiveSpec());
    origin_service_->RegisterRoutes(origin_http_.http());
    ASSERT_TRUE(origin_http_.Start("127.0.0.1", 0).ok());
    config_ = TestConfig(origin_http_.base_url());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    origin_http_.Stop();
  }
  void StartServer() {
    server_ = std::make_unique<Server>(config_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(std::chrono::seconds(2));
    client_->set_read_timeout(std::chrono::seconds(5));
    client_->set_url_encode(false);
  }
  httplib::Result PostCue(const std::string& body, const std::string& token = kToken,
                          const std::string& content_type = "application/json") {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client_->Post("/cue", h, body, content_type);
  }
  // Reloads v720 (every 200 ms, at most 8 s) until it carries ad a1; leaves the last body and
  // its state source.
  void PollUntilAds(std::string* body, std::string* source) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (std::chrono::steady_clock::now() < deadline) {
      auto v = client_->Get("/demo/sports/v720.m3u8");
      ASSERT_TRUE(v);
      ASSERT_EQ(v->status, 200) << v->body;
      *body = v->body;
      *source = v->get_header_value("X-SSAI-State-Source");
      if (body->find("/ads/a1/") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  static std::string ErrorOf(const httplib::Result& r) {
    Json j = Json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r->body;
    return j.is_object() ? j.value("error", "") : "";
  }

  HttpService origin_http_;
  std::unique_ptr<SyntheticOriginService> origin_service_;
  ServerConfig config_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, HealthAndMetrics) {
  StartServer();
  auto h = client_->Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  Json j = Json::parse(h->body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["build"], "kv-hybrid");
  EXPECT_EQ(j["channels"], 2);
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m->body.find("ssai_http_requests_total{route=\"health\",status=\"200\"} 1"), std::string::npos)
      << m->body;
  // No lifetime ratio gauge: the hit ratio is a rate() of the manifest_requests counters.
  EXPECT_EQ(m->body.find("ssai_kv_hit_ratio"), std::string::npos);
  EXPECT_NE(m->body.find("ssai_manifest_requests_total{source=\"kv-hit\"} "), std::string::npos);
  EXPECT_NE(m->body.find("# TYPE ssai_heap_in_use_bytes gauge\nssai_heap_in_use_bytes "), std::string::npos);
  EXPECT_NE(m->body.find("ssai_build_info{version=\"" + BuildVersion() + "\"} 1\n"), std::string::npos);
  // Every sample's family has # HELP and # TYPE (Prometheus text format 0.0.4).
  std::set<std::string> helped, typed;
  std::istringstream lines(m->body);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("# HELP ", 0) == 0) helped.insert(l.substr(7, l.find(' ', 7) - 7));
    if (l.rfind("# TYPE ", 0) == 0) typed.insert(l.substr(7, l.find(' ', 7) - 7));
    if (l.empty() || l[0] == '#') continue;
    std::string family = l.substr(0, l.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (!typed.count(family) && family.size() > sfx.size() &&
          family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0) {
        family = family.substr(0, family.size() - sfx.size());
      }
    }
    EXPECT_TRUE(helped.count(family)) << "no # HELP before " << l;
    EXPECT_TRUE(typed.count(family)) << "no # TYPE before " << l;
  }
  EXPECT_NE(m->body.find("ssai_coordinator_operations_total"), std::string::npos);
}

TEST_F(ServerTest, PlaylistsBeforeABreak) {
  StartServer();
  auto master = client_->Get("/demo/sports/master.m3u8");
  ASSERT_TRUE(master);
  EXPECT_EQ(master->status, 200);
  EXPECT_NE(master->body.find("v720.m3u8"), std::string::npos) << master->body;
  EXPECT_NE(master->get_header_value("Cache-Control").find("max-age="), std::string::npos);
  auto v = client_->Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200) << v->body;
  EXPECT_NE(v->body.find("#EXTINF"), std::string::npos) << v->body;
  EXPECT_EQ(v->get_header_value("X-SSAI-State-Source"), "kv-miss");  // kv-hybrid, no break yet
  EXPECT_EQ(v->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(v->get_header_value("Content-Type"), "application/vnd.apple.mpegurl");
  // Content segments point at the origin.
  EXPECT_NE(v->body.find(origin_http_.base_url() + "/seg_v720_"), std::string::npos) << v->body;
  auto sgai = client_->Get("/demo/sports/v720.m3u8?mode=sgai");
  ASSERT_TRUE(sgai);
  EXPECT_EQ(sgai->status, 200);
  auto bad_mode = client_->Get("/demo/sports/v720.m3u8?mode=xyz");
  ASSERT_TRUE(bad_mode);
  EXPECT_EQ(bad_mode->status, 400);
  EXPECT_NE(ErrorOf(bad_mode).find("mode"), std::string::npos);
}

TEST_F(ServerTest, CueAuth) {
  StartServer();
  const std::string body = R"({"org":"demo","channel":"sports","duration":10})";
  auto none = PostCue(body, "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_NE(ErrorOf(none).find("missing bearer token"), std::string::npos);
  EXPECT_NE(none->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
  auto wrong = PostCue(body, "test-secret-tokeN");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_NE(ErrorOf(wrong).find("invalid token"), std::string::npos);
  auto shorter = PostCue(body, "test");
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->status, 401);
  auto basic = client_->Post("/cue", {{"Authorization", std::string("Basic ") + kToken}}, body, "application/json");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
}

TEST_F(ServerTest, CueAuthDisabledByDevSwitch) {
  config_.auth_disabled = true;
  config_.cue_token.clear();
  StartServer();
  auto ok = PostCue(R"({"org":"demo","channel":"sports","duration":10})", "");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(ServerTest, RefusesToStartWithoutAToken) {
  config_.cue_token.clear();
  Server s(config_);
  Status st = s.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("auth"), std::string::npos);
}

TEST_F(ServerTest, CueBadInput) {
  StartServer();
  auto not_json = PostCue("{\"org\": ");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_FALSE(ErrorOf(not_json).empty());
  auto bad_duration = PostCue(R"({"org":"demo","channel":"sports","duration":"long"})");
  ASSERT_TRUE(bad_duration);
  EXPECT_EQ(bad_duration->status, 400);
  EXPECT_NE(ErrorOf(bad_duration).find("duration"), std::string::npos) << bad_duration->body;
  auto missing = PostCue(R"({"channel":"sports","duration":10})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_NE(ErrorOf(missing).find("org"), std::string::npos);
  auto unknown_field = PostCue(R"({"org":"demo","channel":"sports","durration":10})");
  ASSERT_TRUE(unknown_field);
  EXPECT_EQ(unknown_field->status, 400);
  EXPECT_NE(ErrorOf(unknown_field).find("durration"), std::string::npos);
  auto text = PostCue(R"({"org":"demo","channel":"sports","duration":10})", kToken, "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  EXPECT_NE(ErrorOf(text).find("Content-Type"), std::string::npos);
  const std::string big = R"({"org":"demo","channel":"sports","duration":10,"pod_id":")" +
                          std::string(70 * 1024, 'x') + "\"}";
  auto oversize = PostCue(big);
  ASSERT_TRUE(oversize);
  EXPECT_EQ(oversize->status, 413);
  EXPECT_NE(ErrorOf(oversize).find("65536"), std::string::npos);
  auto huge = PostCue(std::string(2 * 1024 * 1024, ' '));  // over the transport limit too
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  auto unknown_channel = PostCue(R"({"org":"demo","channel":"nope","duration":10})");
  ASSERT_TRUE(unknown_channel);
  EXPECT_EQ(unknown_channel->status, 404);
  EXPECT_NE(ErrorOf(unknown_channel).find("unknown channel demo/nope"), std::string::npos);
}

// Every JSON input rejects unknown keys, naming them (issue 13): the built-in decision service's
// body too (HttpDecisionClient sends exactly channelId, eventId, podId, duration).
TEST_F(ServerTest, DecisionBodyRejectsUnknownFields) {
  StartServer();
  auto ok = client_->Post("/decision", R"({"channelId":"c","eventId":"e","podId":"pod1","duration":8})",
                          "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto typo = client_->Post("/decision", R"({"channelId":"c","podid":"pod1"})", "application/json");
  ASSERT_TRUE(typo);
  EXPECT_EQ(typo->status, 400);
  EXPECT_NE(ErrorOf(typo).find("unknown field 'podid'"), std::string::npos) << typo->body;
  auto type = client_->Post("/decision", R"({"duration":"8"})", "application/json");
  ASSERT_TRUE(type);
  EXPECT_EQ(type->status, 400);
  EXPECT_NE(ErrorOf(type).find("duration"), std::string::npos) << type->body;
}

TEST_F(ServerTest, BadPathsAndMethods) {
  StartServer();
  for (const char* path : {"/demo/sports/..%2Fetc.m3u8", "/demo/%2e%2e/v720.m3u8", "/demo/spo%24rts/v720.m3u8",
                           "/demo/sports/v720.m3u8%00", "/../../etc/passwd"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path << " " << r->body;
    EXPECT_NE(ErrorOf(r).find("path"), std::string::npos) << path;
  }
  auto unknown = client_->Get("/demo/nope/v720.m3u8");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_FALSE(ErrorOf(unknown).empty());
  auto unknown_rendition = client_->Get("/demo/sports/v1080.m3u8");
  ASSERT_TRUE(unknown_rendition);
  EXPECT_EQ(unknown_rendition->status, 404);
  auto no_route = client_->Get("/a/b/c/d/e");
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 404);
  auto get_cue = client_->Get("/cue");
  ASSERT_TRUE(get_cue);
  EXPECT_EQ(get_cue->status, 405);
  EXPECT_EQ(get_cue->get_header_value("Allow"), "POST");
  EXPECT_FALSE(ErrorOf(get_cue).empty());
  auto post_health = client_->Post("/health", "{}", "application/json");
  ASSERT_TRUE(post_health);
  EXPECT_EQ(post_health->status, 405);
  auto delete_playlist = client_->Delete("/demo/sports/v720.m3u8");
  ASSERT_TRUE(delete_playlist);
  EXPECT_EQ(delete_playlist->status, 405);
}

TEST_F(ServerTest, SegmentsRedirectToTheOrigin) {
  StartServer();
  auto r = client_->Get("/demo/sports/seg_v720_5.ts");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->get_header_value("Location"), origin_http_.base_url() + "/seg_v720_5.ts");
}

TEST_F(ServerTest, OriginDownIs502) {
  config_.origin_cache_ms = 0;  // every request reaches the origin
  StartServer();
  auto r = client_->Get("/demo/down/v720.m3u8");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502) << r->body;
  EXPECT_FALSE(ErrorOf(r).empty());
  // A broken origin after a good answer: the last good copy while fresh.
  auto good = client_->Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(good);
  ASSERT_EQ(good->status, 200);
  origin_service_->fail_status = 500;
  auto stale = client_->Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200) << stale->body;
  EXPECT_EQ(stale->get_header_value("X-SSAI-Stale-Origin"), "1") << origin_service_->requests;
  auto m = client_->Get("/metrics");
  EXPECT_NE(m->body.find("ssai_stale_origin_total 1"), std::string::npos) << m->body;
}

TEST_F(ServerTest, SlowAndBrokenOrigin) {
  config_.origin_cache_ms = 0;
  config_.origin_last_good_max_age_ms = 0;  // no fallback copy
  config_.origin_timeout_ms = 200;
  StartServer();
  origin_service_->delay_ms = 600;
  auto slow = client_->Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 504) << slow->body;
  EXPECT_FALSE(ErrorOf(slow).empty());
  origin_service_->delay_ms = 0;
  origin_service_->broken = true;
  auto broken = client_->Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 502) << broken->body;
  EXPECT_NE(ErrorOf(broken).find("line 2"), std::string::npos) << broken->body;
  origin_service_->broken = false;
  auto head = client_->Head("/demo/sports/v720.m3u8");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("X-SSAI-State-Source"), "kv-miss");
}

TEST_F(ServerTest, FullBreak) {
  StartServer();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod1"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  Json cj = Json::parse(cue->body);
  EXPECT_EQ(cj["ok"], true);
  EXPECT_EQ(cj["channelId"], "ch_demo_sports");
  EXPECT_EQ(cj["kvWriteStatus"], "success");
  const std::string event_id = cj["eventId"];
  EXPECT_EQ(event_id.rfind("manual_ch_demo_sports_", 0), 0u) << event_id;

  // Ads appear once a segment after the cue is published (1 s segments).
  std::string body, source;
  ASSERT_NO_FATAL_FAILURE(PollUntilAds(&body, &source));
  ASSERT_NE(body.find("/ads/a1/"), std::string::npos) << body;
  EXPECT_NE(body.find("#EXT-X-DISCONTINUITY"), std::string::npos) << body;
  EXPECT_EQ(body.find("/800000_"), std::string::npos) << "wrong bitrate\n" << body;
  EXPECT_EQ(source, "kv-hit");
  auto v360 = client_->Get("/demo/sports/v360.m3u8");
  ASSERT_TRUE(v360);
  EXPECT_NE(v360->body.find("/ads/a1/800000"), std::string::npos) << v360->body;

  // The same cue again inside the break is a duplicate.
  auto again = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod1"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(Json::parse(again->body)["duplicate"], true);

  auto state = client_->Get("/api/channels/ch_demo_sports/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 200);
  EXPECT_NE(state->body.find(event_id), std::string::npos) << state->body;
  auto breaks = client_->Get("/api/channels/ch_demo_sports/breaks");
  ASSERT_TRUE(breaks);
  Json bj = Json::parse(breaks->body);
  ASSERT_EQ(bj["breaks"].size(), 1u) << breaks->body;
  EXPECT_EQ(bj["breaks"][0]["decision"]["podId"], "pod1");
  auto channels = client_->Get("/api/channels");
  ASSERT_TRUE(channels);
  EXPECT_EQ(Json::parse(channels->body)["channels"].size(), 2u);
  auto unknown = client_->Get("/api/channels/ch_demo_nope/state");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("ssai_cues_total{result=\"accepted\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_cues_total{result=\"duplicate\"} 1"), std::string::npos) << m->body;
  EXPECT_EQ(m->body.find("ssai_manifest_requests_total{source=\"kv-hit\"} 0"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_coordinator_breaks_created_total 1"), std::string::npos) << m->body;
  EXPECT_GE(server_->metrics().Counter("source", "kv-hit"), 1);
  EXPECT_EQ(server_->metrics().Counter("error", "off_core_callback"), 0);
  EXPECT_EQ(server_->metrics().Counter("error", "off_core_request"), 0);
}

// Issue 19: what `ssai serve` says while it runs. JSON lines to a file: a refused and an accepted
// cue, the break starting and ending as this edge served it, one access line per request; and
// the per-channel metric families.
TEST_F(ServerTest, LogsCuesBreaksAndRequestsAndCountsPerChannel) {
  const std::string path = ::testing::TempDir() + "/ssai_server_log_" + std::to_string(::getpid()) + ".jsonl";
  std::filesystem::remove(path);
  config_.log.level = LogLevel::kInfo;
  config_.log.json = true;
  config_.log.path = path;
  config_.log.access_log = true;
  StartServer();
  auto refused = PostCue(R"({"org":"demo","channel":"sports","duration":2})", "wrong-token");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":2,"pod_id":"pod1"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  const std::string event_id = Json::parse(cue->body)["eventId"];
  std::string body, source;
  ASSERT_NO_FATAL_FAILURE(PollUntilAds(&body, &source));
  // Reload until the newest segment is content again (the break is 2 s of 1 s segments).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto v = client_->Get("/demo/sports/v720.m3u8");
    ASSERT_TRUE(v);
    const std::string last = v->body.substr(v->body.rfind(".ts") - 40);
    ended = last.find("/ads/") == std::string::npos && last.find("slate") == std::string::npos;
  }
  ASSERT_TRUE(ended) << "the break did not end";
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("# TYPE ssai_channel_manifest_requests_total counter"), std::string::npos);
  EXPECT_NE(m->body.find("ssai_channel_manifest_requests_total{channel=\"demo/sports\",source=\"kv-hit\"} "),
            std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_channel_cues_total{channel=\"demo/sports\",result=\"accepted\"} 1"), std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("ssai_channel_ad_breaks_total{channel=\"demo/sports\"} 1"), std::string::npos) << m->body;
  server_->Stop();  // writes every queued line

  std::ifstream in(path);
  std::map<std::string, std::vector<Json>> events;
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    ASSERT_TRUE(j["ts"].is_string() && j["level"].is_string()) << line;
    events[j["event"].get<std::string>()].push_back(j);
  }
  for (const char* e : {"server.started", "cue.refused", "cue.accepted", "break.start", "break.end", "http.access",
                        "server.stopped"}) {
    EXPECT_TRUE(events.contains(e)) << "no " << e << " line";
  }
  if (events.contains("cue.refused")) {
    EXPECT_EQ(events["cue.refused"][0]["status"], 401);
    EXPECT_EQ(events["cue.refused"][0]["level"], "warn");
  }
  if (events.contains("cue.accepted")) {
    EXPECT_EQ(events["cue.accepted"][0]["event_id"], event_id);
  }
  if (events.contains("break.start")) {
    EXPECT_EQ(events["break.start"].size(), 1u);
    EXPECT_EQ(events["break.start"][0]["channel"], "demo/sports");
    EXPECT_EQ(events["break.start"][0]["event_id"], event_id);
  }
  if (events.contains("break.end")) {
    EXPECT_EQ(events["break.end"][0]["event_id"], event_id);
  }
  bool manifest_access = false;
  for (const Json& a : events["http.access"]) {
    manifest_access = manifest_access || (a["route"] == "manifest" && a["status"] == 200 &&
                                          a["path"] == "/demo/sports/v720.m3u8" && a["peer"] == "127.0.0.1");
  }
  EXPECT_TRUE(manifest_access);
}

TEST_F(ServerTest, AcceptedCueSurvivesARestart) {
  const std::string journal =
      (std::filesystem::temp_directory_path() / ("ssai_server_test_" + std::to_string(::getpid()) + ".jsonl"))
          .string();
  std::filesystem::remove(journal);
  config_.journal_path = journal;
  StartServer();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":30})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  const std::string event_id = Json::parse(cue->body)["eventId"];
  server_->Stop();
  server_.reset();
  StartServer();
  auto breaks = client_->Get("/api/channels/ch_demo_sports/breaks");
  ASSERT_TRUE(breaks);
  EXPECT_NE(breaks->body.find(event_id), std::string::npos) << breaks->body;
  server_->Stop();
  std::filesystem::remove(journal);
}

// Role coordinator + role edge in one test process: the edge reaches the coordinator over HTTP
// (HttpCoordinatorClient); with the sim KV each has its own store, so the edge reads kv-miss.
TEST_F(ServerTest, SplitRoles) {
  ServerConfig coordinator_config = config_;
  coordinator_config.role = Role::kCoordinator;
  Server coordinator(coordinator_config);
  ASSERT_TRUE(coordinator.Start().ok());
  config_.role = Role::kEdge;
  config_.coordinator_url = coordinator.base_url();
  StartServer();
  httplib::Client c("127.0.0.1", coordinator.port());
  auto cue = c.Post("/cue", {{"Authorization", std::string("Bearer ") + kToken}},
                    R"({"org":"demo","channel":"sports","duration":8})", "application/json");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  // The edge has no cue API and the coordinator no playlists.
  auto edge_cue = PostCue(R"({"org":"demo","channel":"sports","duration":8})");
  ASSERT_TRUE(edge_cue);
  EXPECT_EQ(edge_cue->status, 404);
  auto coordinator_playlist = c.Get("/demo/sports/v720.m3u8");
  ASSERT_TRUE(coordinator_playlist);
  EXPECT_EQ(coordinator_playlist->status, 404);
  std::string body, source;
  ASSERT_NO_FATAL_FAILURE(PollUntilAds(&body, &source));
  EXPECT_NE(body.find(coordinator.base_url() + "/ads/a1/2500000"), std::string::npos) << body;
  EXPECT_EQ(source, "kv-miss");
  server_->Stop();
  coordinator.Stop();
}

// kv-channel-state answers from KV and refreshes the channel state in the background (at most
// once a second per channel): those calls reach the coordinator and count in
// ssai_coordinator_calls_total (they did not: issue 18, fidelity against the simulator).
TEST_F(ServerTest, BackgroundRefreshesCountAsCoordinatorCalls) {
  config_.build = "kv-channel-state";
  StartServer();
  int hits = 0, others = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(2600);
  while (std::chrono::steady_clock::now() < end) {
    auto v = client_->Get("/demo/sports/v720.m3u8");
    ASSERT_TRUE(v);
    ASSERT_EQ(v->status, 200) << v->body;
    (v->get_header_value("X-SSAI-State-Source") == "kv-hit" ? hits : others) += 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(hits, 0) << "no KV hit: nothing to refresh in the background";
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  const std::string name = "\nssai_coordinator_calls_total ";
  const size_t at = m->body.find(name);
  ASSERT_NE(at, std::string::npos) << m->body;
  const int64_t calls = std::stoll(m->body.substr(at + name.size()));
  // Each answer that was not a KV hit cost at most one call it waited for; anything beyond is a
  // background refresh (>= 1: 2.6 s of KV hits, refresh due every 1 s).
  EXPECT_GT(calls, others) << "hits " << hits;
}

TEST_F(ServerTest, DecisionFailureFillsWithSlate) {
  config_.decision.failure_rate = 1;
  StartServer();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;  // an accepted cue never fails on the decision
  EXPECT_TRUE(Json::parse(cue->body)["adBreak"]["decision"]["items"].empty()) << cue->body;
  auto m = client_->Get("/metrics");
  EXPECT_NE(m->body.find("ssai_coordinator_decision_failures_total 1"), std::string::npos) << m->body;
}

// A request the core does not answer in time gets a 504 from the deadline sweep, not a hung
// connection; the connection stays usable.
TEST_F(ServerTest, RequestTimeoutIs504) {
  config_.request_timeout_ms = 300;
  config_.decision_timeout_ms = 5000;
  config_.decision.latency_ms = 2000;  // the cue waits for its decision
  StartServer();
  const auto t0 = std::chrono::steady_clock::now();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8})");
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(cue);
  EXPECT_EQ(cue->status, 504) << cue->body;
  EXPECT_EQ(ErrorOf(cue), "cue: no answer within 300 ms");
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  EXPECT_EQ(server_->metrics().Counter("error", "timeout"), 1);
  auto health = client_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(ServerTest, RemoteDecisionService) {
  DecisionConfig dc = config_.decision;
  HttpService decision_http;
  DecisionService service(dc);
  service.RegisterRoutes(decision_http.http());
  ASSERT_TRUE(decision_http.Bind("127.0.0.1", 0).ok());
  service.set_self_url(decision_http.base_url());
  decision_http.Serve();
  config_.decision.url = decision_http.base_url() + "/decision";
  config_.decision.catalogue = {};
  StartServer();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod1"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  Json items = Json::parse(cue->body)["adBreak"]["decision"]["items"];
  ASSERT_EQ(items.size(), 2u) << cue->body;
  EXPECT_EQ(items[0]["variants"]["800000"], decision_http.base_url() + "/ads/a1/800000.m3u8");
  server_->Stop();
  decision_http.Stop();
}

// decision.format "vast": the coordinator's decisions come from an ad tag (VAST), through a
// wrapper chain, as a pod of creatives with their own durations; ads appear in the playlist.
TEST_F(ServerTest, VastAdServer) {
  DecisionConfig dc = config_.decision;
  Result<DecisionCatalogue> cat = ParseDecisionCatalogue(R"({"default_pod": "pod3", "pods": {"pod3": {"items": [
      {"id": "a1", "duration": 3, "variants": {"800000": "{self}/ads/a1/800000.m3u8", "2500000": "{self}/ads/a1/2500000.m3u8"}},
      {"id": "a2", "duration": 2.5, "variants": {"800000": "{self}/ads/a2/800000.m3u8", "2500000": "{self}/ads/a2/2500000.m3u8"}}]}}})");
  ASSERT_TRUE(cat.ok());
  dc.catalogue = *cat;
  HttpService vast_http;
  DecisionService service(dc);
  service.RegisterRoutes(vast_http.http());
  ASSERT_TRUE(vast_http.Bind("127.0.0.1", 0).ok());
  service.set_self_url(vast_http.base_url());
  vast_http.Serve();
  config_.decision.url = vast_http.base_url() + "/vast/wrapper/2/{pod}.xml";
  config_.decision.format = "vast";
  config_.decision.catalogue = {};
  StartServer();
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod3"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  Json items = Json::parse(cue->body)["adBreak"]["decision"]["items"];
  ASSERT_EQ(items.size(), 2u) << cue->body;
  EXPECT_EQ(items[0]["duration"], 3);
  EXPECT_EQ(items[1]["duration"], 2.5);
  EXPECT_EQ(items[0]["segmentDuration"], 1);  // ad_segment_duration_s
  EXPECT_EQ(items[1]["variants"]["2500000"], vast_http.base_url() + "/ads/a2/2500000.m3u8");
  std::string body, source;
  ASSERT_NO_FATAL_FAILURE(PollUntilAds(&body, &source));
  ASSERT_NE(body.find("/ads/a1/2500000_0.ts"), std::string::npos) << body;
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("ssai_vast_decisions_total 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_vast_wrapper_fetches_total 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_vast_failures_total 0"), std::string::npos) << m->body;
  server_->Stop();
  vast_http.Stop();
}

// Server-side tracking (beacons.h, beacon_sender.h): a viewer session that reloads through a
// VAST pod fires each creative's impressions (the InLine's and both wrappers') and its five
// linear events once each, in order, naming its session; an anonymous viewer fires nothing; and
// a tracking endpoint that answers 3 s late never delays a playlist.
class VastBeaconTest : public ServerTest {
 protected:
  void StartWithVast(int ping_delay_ms) {
    DecisionConfig dc = config_.decision;
    Result<DecisionCatalogue> cat = ParseDecisionCatalogue(R"({"default_pod": "pod3", "pods": {"pod3": {"items": [
        {"id": "a1", "duration": 3, "variants": {"800000": "{self}/ads/a1/800000.m3u8", "2500000": "{self}/ads/a1/2500000.m3u8"}},
        {"id": "a2", "duration": 2.5, "variants": {"800000": "{self}/ads/a2/800000.m3u8", "2500000": "{self}/ads/a2/2500000.m3u8"}}]}}})");
    ASSERT_TRUE(cat.ok());
    dc.catalogue = *cat;
    service_ = std::make_unique<DecisionService>(dc);
    service_->ping_delay_ms = ping_delay_ms;
    service_->RegisterRoutes(vast_http_.http());
    ASSERT_TRUE(vast_http_.Bind("127.0.0.1", 0).ok());
    service_->set_self_url(vast_http_.base_url());
    vast_http_.Serve();
    config_.decision.url = vast_http_.base_url() + "/vast/wrapper/2/{pod}.xml";
    config_.decision.format = "vast";
    config_.decision.catalogue = {};
    StartServer();
  }
  // Reloads v720 for `session` and anonymously every 250 ms for `seconds`; the slowest answer.
  std::chrono::milliseconds Watch(const std::string& session, double seconds) {
    std::chrono::milliseconds slowest{0};
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < end) {
      for (const std::string& q : {"?session=" + session, std::string()}) {
        const auto t0 = std::chrono::steady_clock::now();
        auto v = client_->Get("/demo/sports/v720.m3u8" + q);
        slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0));
        EXPECT_TRUE(v && v->status == 200);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return slowest;
  }
  void TearDown() override {
    ServerTest::TearDown();
    vast_http_.Stop();
  }
  HttpService vast_http_;
  std::unique_ptr<DecisionService> service_;
};

TEST_F(VastBeaconTest, ASessionFiresEachBeaconOnce) {
  StartWithVast(0);
  auto master = client_->Get("/demo/sports/master.m3u8?session=s1");
  ASSERT_TRUE(master);
  EXPECT_NE(master->body.find("v720.m3u8?session=s1"), std::string::npos) << master->body;
  auto bad = client_->Get("/demo/sports/v720.m3u8?session=a%20b");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod3"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  Watch("s1", 10);  // the 8 s break and past it
  // The last beacons are on their way: wait for them (at most 5 s).
  std::map<std::string, std::vector<std::string>> got;  // ad -> events in arrival order
  for (int i = 0; i < 50; ++i) {
    got.clear();
    for (const DecisionService::Ping& p : service_->received_pings()) {
      if (p.kind == "error") continue;
      EXPECT_EQ(p.session, "s1") << p.query;
      const std::string ad = p.query.substr(p.query.find("ad=") + 3, 2);
      if (p.kind == "impression") {
        got[ad].push_back("impression");
      } else {
        got[ad].push_back(p.query.substr(p.query.find("event=") + 6));
      }
    }
    if (got["a2"].size() >= 8u) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Wrapper impressions carry ad=w1/w2 (wrapper tags): counted under "w1"/"w2".
  for (const char* ad : {"a1", "a2"}) {
    std::vector<std::string> events = got[ad];
    ASSERT_GE(events.size(), 6u) << ad;
    // Concurrent sends may reorder arrivals a little: compare as a multiset, order checked below.
    std::sort(events.begin(), events.end());
    EXPECT_EQ(events, (std::vector<std::string>{"complete", "firstQuartile", "impression", "midpoint", "start",
                                                "thirdQuartile"}))
        << ad;
  }
  EXPECT_EQ(got["w1"].size(), 2u);  // each wrapper's Impression, once per creative
  EXPECT_EQ(got["w2"].size(), 2u);
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("ssai_beacons_sent_total 16"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_beacons_dropped_total 0"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ssai_beacon_sessions 1"), std::string::npos) << m->body;
}

TEST_F(VastBeaconTest, ASlowTrackingEndpointNeverDelaysAPlaylist) {
  StartWithVast(3000);
  auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod3"})");
  ASSERT_TRUE(cue);
  ASSERT_EQ(cue->status, 200) << cue->body;
  const std::chrono::milliseconds slowest = Watch("s1", 6);
  EXPECT_LT(slowest.count(), 1000) << "a playlist waited for a beacon";
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("ssai_beacons_sent_total 0"), std::string::npos) << m->body;
}

// VAST 4.3 §2.3.4: every server-side beacon carries the viewer's address and User-Agent
// (X-Device-IP, X-Device-User-Agent), recorded by a real loopback ad server. By default the
// address is the connection's (a client's X-Forwarded-For is not believed); behind a trusted
// front (decision.device_ip_from "x-forwarded-for") the last X-Forwarded-For entry, the one the
// front appended. Headers that are not an IP / carry control characters are not forwarded.
class VastDeviceHeadersTest : public VastBeaconTest {
 protected:
  // Plays v720 for session s1 through an 8 s break with `headers`; the non-error pings received.
  std::vector<DecisionService::Ping> Play(const httplib::Headers& headers) {
    auto cue = PostCue(R"({"org":"demo","channel":"sports","duration":8,"pod_id":"pod3"})");
    EXPECT_TRUE(cue && cue->status == 200);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      auto v = client_->Get("/demo/sports/v720.m3u8?session=s1", headers);
      EXPECT_TRUE(v && v->status == 200);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::vector<DecisionService::Ping> got;
    for (int i = 0; i < 50; ++i) {  // the last beacons are on their way: at most 5 s
      got.clear();
      for (const DecisionService::Ping& p : service_->received_pings()) {
        if (p.kind != "error") got.push_back(p);
      }
      if (got.size() >= 16u) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return got;
  }
};

TEST_F(VastDeviceHeadersTest, BeaconsCarryTheViewersAddressAndUserAgent) {
  StartWithVast(0);
  const std::vector<DecisionService::Ping> got =
      Play({{"User-Agent", "ExamplePlayer/2.1 (SmartTV; Linux)"}, {"X-Forwarded-For", "203.0.113.7"}});
  ASSERT_EQ(got.size(), 16u);
  for (const DecisionService::Ping& p : got) {
    EXPECT_EQ(p.device_ip, "127.0.0.1") << p.query << ": a client's own X-Forwarded-For is not believed";
    EXPECT_EQ(p.device_user_agent, "ExamplePlayer/2.1 (SmartTV; Linux)") << p.query;
  }
}

TEST_F(VastDeviceHeadersTest, BehindATrustedFrontTheLastForwardedForEntry) {
  config_.decision.device_ip_from = "x-forwarded-for";
  StartWithVast(0);
  const std::string long_ua = "P/1 " + std::string(2000, 'x');
  const std::vector<DecisionService::Ping> got =
      Play({{"User-Agent", long_ua}, {"X-Forwarded-For", "198.51.100.9, 2001:db8::1"}});
  ASSERT_EQ(got.size(), 16u);
  for (const DecisionService::Ping& p : got) {
    EXPECT_EQ(p.device_ip, "2001:db8::1") << p.query;
    EXPECT_EQ(p.device_user_agent, long_ua.substr(0, kMaxDeviceUserAgentBytes)) << p.query;
  }
}

TEST(DeviceHeadersTest, OnlyIpLiteralsAndUserAgentsWithoutControlCharacters) {
  EXPECT_EQ(ForwardableIp("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ForwardableIp("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(ForwardableIp("2001:DB8::1"), "2001:db8::1");
  for (const char* bad : {"", "unknown", "192.0.2.1:443", "192.0.2.1\r\nX-Evil: 1", "999.1.1.1", "_hidden"}) {
    EXPECT_EQ(ForwardableIp(bad), "") << bad;
  }
  EXPECT_EQ(DeviceIpOf("10.0.0.2", "192.0.2.1", false), "10.0.0.2");
  EXPECT_EQ(DeviceIpOf("10.0.0.2", "spoofed, 192.0.2.1 ", true), "192.0.2.1");
  EXPECT_EQ(DeviceIpOf("10.0.0.2", "192.0.2.1, garbage", true), "") << "no valid last entry: nothing, not the front";
  EXPECT_EQ(DeviceIpOf("10.0.0.2", "", true), "");
  EXPECT_EQ(ForwardableUserAgent("  Mozilla/5.0 (X11)\t"), "Mozilla/5.0 (X11)");
  EXPECT_EQ(ForwardableUserAgent("evil\r\nX-Injected: 1"), "");
  EXPECT_EQ(ForwardableUserAgent(std::string("a\0b", 3)), "");
  EXPECT_EQ(ForwardableUserAgent("del\x7f"), "");
  // Cut at 512 bytes, never inside a UTF-8 sequence ("é" is 2 bytes: 511 + 2 would split it).
  const std::string ua = std::string(511, 'a') + "\xC3\xA9" + "tail";
  EXPECT_EQ(ForwardableUserAgent(ua), std::string(511, 'a'));
  EXPECT_EQ(ForwardableUserAgent(std::string(600, 'b')).size(), kMaxDeviceUserAgentBytes);
}

TEST(ConfigTest, ParsesAndNamesBadFields) {
  Result<ServerConfig> ok = ParseServerConfig(R"({
    "listen": "127.0.0.1:0", "build": "kv-channel-state", "auth": {"token": "t"},
    "channels": [{"org": "demo", "channel": "sports", "mode": "sgai",
                  "origin_base_url": "http://127.0.0.1:8081/",
                  "renditions": [{"name": "v720", "bandwidth_bps": 2500000}]}]})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->port, 0);
  EXPECT_EQ(ok->build, "kv-channel-state");
  EXPECT_EQ(ok->channels[0].renditions[0].origin_url, "http://127.0.0.1:8081/v720.m3u8");
  EXPECT_EQ(ok->channels[0].default_mode, InsertionMode::kSgai);

  auto err = [](std::string_view json) { return ParseServerConfig(json).status().message(); };
  EXPECT_NE(err(R"({"bulid": "x"})").find("bulid: unknown key (allowed: role, listen, build, "), std::string::npos);
  EXPECT_NE(err(R"({"build": "nope"})").find("build"), std::string::npos);
  EXPECT_NE(err(R"({"kv": {"backend": "redis"}})").find("redis"), std::string::npos);
  EXPECT_NE(err(R"({"channels": [{"org": "de/mo", "channel": "x", "renditions": [{"name": "v", "bandwidth_bps": 1,
      "origin_url": "http://o/v.m3u8"}]}]})").find("channels[0].org"), std::string::npos);
  EXPECT_NE(err(R"({"channels": [{"org": "d", "channel": "x", "renditions": [{"name": "v", "bandwidth_bps": 1}]}]})")
                .find("channels[0].renditions[0].origin_url"),
            std::string::npos);
  EXPECT_NE(err(R"({"role": "edge"})").find("coordinator_url"), std::string::npos);
  EXPECT_NE(err("{").find("JSON"), std::string::npos);
  // The sample config parses.
  Result<ServerConfig> demo = LoadServerConfig("fixtures/serve/demo.json");
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  EXPECT_EQ(demo->channels.size(), 2u);
  EXPECT_EQ(demo->decision.catalogue.default_pod, "demo-pod");
}

TEST(MemoryKvStoreTest, ExpiryRateLimitAndVisibility) {
  boost::asio::io_context io;
  AsioScheduler sched(io);
  MemoryKvStore kv(&sched, 0);
  Status put = Status::Internal("");
  kv.Put("k", "v", 60, [&](Status s) { put = s; });
  EXPECT_TRUE(put.ok());
  kv.Put("k", "v2", 60, [&](Status s) { put = s; });
  EXPECT_EQ(put.code(), StatusCode::kResourceExhausted);
  kv.Put("short", "v", 10, [&](Status s) { put = s; });
  EXPECT_EQ(put.code(), StatusCode::kInvalidArgument);
  std::optional<std::string> got;
  kv.Get("k", {}, [&](Result<std::optional<std::string>> r) { got = *r; });
  EXPECT_EQ(got, "v");
  MemoryKvStore delayed(&sched, 60 * kMicrosPerSecond);
  delayed.Put("k", "v", 60, [](Status) {});
  delayed.Get("k", {}, [&](Result<std::optional<std::string>> r) { got = *r; });
  EXPECT_EQ(got, std::nullopt);
}

TEST(CachingOriginClientTest, CoalescesAndCaches) {
  struct Inner : OriginClient {
    void Fetch(std::string_view, Callback done) override { pending.push_back(std::move(done)); }
    std::vector<Callback> pending;
  } inner;
  boost::asio::io_context io;
  AsioScheduler sched(io);
  CachingOriginClient cache(&inner, &sched, 60 * kMicrosPerSecond);
  int answers = 0;
  auto count = [&](Result<OriginClient::Response> r) {
    EXPECT_TRUE(r.ok());
    ++answers;
  };
  cache.Fetch("http://o/a.m3u8", count);
  cache.Fetch("http://o/a.m3u8", count);
  ASSERT_EQ(inner.pending.size(), 1u);
  inner.pending[0](OriginClient::Response{200, "#EXTM3U\n"});
  EXPECT_EQ(answers, 2);
  cache.Fetch("http://o/a.m3u8", count);  // cached
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(inner.pending.size(), 1u);
  EXPECT_EQ(cache.hits, 1);
  EXPECT_EQ(cache.coalesced, 1);
  // Errors are not cached.
  cache.Fetch("http://o/b.m3u8", count);
  inner.pending[1](OriginClient::Response{503, ""});
  cache.Fetch("http://o/b.m3u8", count);
  EXPECT_EQ(inner.pending.size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8 in every field a request reaches (issue 13): error messages quote request bytes,
// and nlohmann refused to serialise them (type_error.316), which aborted the process. Property:
// each such request gets a 4xx whose body is JSON and valid UTF-8, and the server answers the
// next request. Roles all and edge; raw sockets, so the bytes arrive exactly as written.

// Byte sequences RFC 3629 forbids: a lone continuation byte, 0xFF, a truncated 3-byte sequence,
// an overlong '/', a UTF-16 surrogate (U+D800).
const std::vector<std::string>& BadUtf8() {
  static const std::vector<std::string> bad = {"\x80", "\xFF", "\xE2\x82", "\xC0\xAF", "\xED\xA0\x80"};
  return bad;
}
std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}
std::string Hex(std::string_view s) {
  std::string out = PercentEncode(s);
  std::erase(out, '%');
  return out;
}
// A valid 3-byte character ("€") placed so that a limit of `limit` bytes cuts it.
std::string CutAt(size_t limit) { return std::string(limit - 1, 'a') + "\xE2\x82\xAC"; }

struct Probe {
  std::string what;     // for failure messages
  std::string request;  // the whole request, bytes as sent
};

std::string Request(std::string_view method, std::string_view target, std::string_view headers = "",
                    std::string_view body = "") {
  std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                  std::string(headers) + "Connection: close\r\n";
  if (!body.empty() || method == "POST") r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + std::string(body);
}

std::string Jwt(std::string_view header_json, std::string_view payload_json) {
  auto b64 = [](std::string_view t) {
    std::string s = Base64Encode(Bytes(t.begin(), t.end()));
    for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
  };
  return b64(header_json) + "." + b64(payload_json) + ".c2ln";
}

std::vector<Probe> Utf8Probes() {
  std::vector<Probe> probes;
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  auto cue = [&](std::string what, std::string body) {
    probes.push_back({"cue body " + what, Request("POST", "/cue", auth + json, body)});
    probes.push_back({"decision body " + what, Request("POST", "/decision", json, body)});
  };
  std::vector<std::string> values = BadUtf8();
  for (const std::string& b : values) {
    const std::string e = PercentEncode(b);
    // Each path segment of each route, percent-encoded and raw.
    for (const std::string& x : {e, b}) {
      for (const std::string& target :
           {"/" + x + "/sports/v720.m3u8", "/demo/" + x + "/v720.m3u8", "/demo/sports/" + x + ".m3u8",
            "/demo/sports/al-" + x + ".json", "/demo/sports/" + x, "/demo/sports/seg" + x + ".ts",
            "/api/channels/" + x + "/state", "/api/channels/ch_demo_sports/" + x, "/api/" + x,
            "/ads/" + x + "/800000.m3u8", "/ads/a1/" + x + ".m3u8", "/ads/a1/800000_" + x + ".ts", "/" + x,
            "/health/" + x, "/cue" + x}) {
        probes.push_back({"GET " + target, Request("GET", target)});
      }
      probes.push_back({"DELETE with " + x, Request("DELETE", "/demo/sports/v720.m3u8?x=" + x)});
      // Query names and values.
      for (const std::string& q : {"mode=" + x, "mode=ss" + x, "mode=" + x + "&mode=ssai"}) {
        probes.push_back({"query " + q, Request("GET", "/demo/sports/v720.m3u8?" + q)});
        probes.push_back({"query on al " + q, Request("GET", "/demo/sports/al-00.json?" + q)});
      }
      // Names other than mode are ignored (players add their own, e.g. _HLS_msn): on a 404 route.
      for (const std::string& q : {x + "=1", x, "a=" + x}) {
        probes.push_back({"query " + q, Request("GET", "/demo/nope/v720.m3u8?" + q)});
        probes.push_back({"query on al " + q, Request("GET", "/demo/sports/al-00.json?" + q)});
      }
    }
    // An asset list whose (hex) event id decodes to invalid UTF-8: quoted in its 404.
    probes.push_back({"asset list id " + Hex(b), Request("GET", "/demo/sports/al-" + Hex(b) + ".json")});
    probes.push_back({"asset list id x" + Hex(b), Request("GET", "/demo/sports/al-41" + Hex(b) + "42.json")});
    // Headers that are echoed or read.
    probes.push_back({"Content-Type", Request("POST", "/cue", auth + "Content-Type: application/" + b + "\r\n", "{}")});
    probes.push_back({"Content-Type param", Request("POST", "/cue", auth + "Content-Type: " + b + "; x=" + b + "\r\n", "{}")});
    probes.push_back({"bearer token", Request("POST", "/cue", "Authorization: Bearer " + b + "\r\n" + json, "{}")});
    probes.push_back({"bearer jwt", Request("POST", "/cue", "Authorization: Bearer a" + b + ".b.c\r\n" + json, "{}")});
    probes.push_back({"jwt alg", Request("POST", "/cue", "Authorization: Bearer " + Jwt("{\"alg\":\"" + b + "\"}", "{}") + "\r\n" + json, "{}")});
    probes.push_back({"jwt header", Request("POST", "/cue", "Authorization: Bearer " + Jwt("{\"alg\":1,\"" + b + "\":1}", "{}") + "\r\n" + json, "{}")});
    probes.push_back({"authorization scheme", Request("POST", "/cue", "Authorization: " + b + "\r\n" + json, "{}")});
    probes.push_back({"other headers", Request("GET", "/demo/sports/" + e, "X-Forwarded-For: " + b + "\r\nUser-Agent: " + b + "\r\nAccept: " + b + "\r\n")});
    probes.push_back({"header name", Request("GET", "/demo/sports/" + e, "X-" + b + ": 1\r\n")});
    // JSON bodies: field values, keys, raw and escaped.
    cue("org value", "{\"org\":\"" + b + "\",\"channel\":\"sports\",\"duration\":8}");
    cue("channel value", "{\"org\":\"demo\",\"channel\":\"" + b + "\",\"duration\":8}");
    cue("pod_id value", "{\"org\":\"demo\",\"channel\":\"sports\",\"duration\":8,\"pod_id\":\"" + b + "\"}");
    cue("duration value", "{\"org\":\"demo\",\"channel\":\"sports\",\"duration\":\"" + b + "\"}");
    cue("key", "{\"" + b + "\":1}");
    cue("bare bytes", b);
    cue("after a value", "{\"org\":\"demo\"" + b + "}");
  }
  // A valid multi-byte character cut at a length limit (mode: 16, Content-Type: 64, names and
  // keys: 80, the JWT alg: 16, crit names: 64, unknown decision keys: 80).
  probes.push_back({"mode cut", Request("GET", "/demo/sports/v720.m3u8?mode=" + PercentEncode(CutAt(16)))});
  probes.push_back({"Content-Type cut", Request("POST", "/cue", auth + "Content-Type: " + CutAt(64) + "\r\n", "{}")});
  probes.push_back({"jwt alg cut", Request("POST", "/cue", "Authorization: Bearer " + Jwt("{\"alg\":\"" + CutAt(16) + "\"}", "{}") + "\r\n" + json, "{}")});
  cue("org cut", "{\"org\":\"" + CutAt(80) + "\",\"channel\":\"sports\",\"duration\":8}");
  cue("channel cut", "{\"org\":\"demo\",\"channel\":\"" + CutAt(80) + "\",\"duration\":8}");
  cue("key cut", "{\"" + CutAt(80) + "\":1}");
  cue("escaped surrogate", "{\"org\":\"\\ud800\",\"channel\":\"sports\",\"duration\":8}");
  return probes;
}

class ServerUtf8Test : public ServerTest, public ::testing::WithParamInterface<Role> {};

TEST_P(ServerUtf8Test, InvalidUtf8AnywhereIsA4xxJsonAnswer) {
  std::unique_ptr<Server> coordinator;
  config_.jwt_secret = "a-jwt-secret-for-the-utf8-probes";
  if (GetParam() == Role::kEdge) {
    ServerConfig cc = config_;
    cc.role = Role::kCoordinator;
    coordinator = std::make_unique<Server>(cc);
    ASSERT_TRUE(coordinator->Start().ok());
    config_.role = Role::kEdge;
    config_.coordinator_url = coordinator->base_url();
  }
  StartServer();
  const std::vector<Probe> probes = Utf8Probes();
  ASSERT_GT(probes.size(), 300u);
  for (const Probe& probe : probes) {
    const std::string wire = RawHttpExchange(server_->port(), probe.request);
    Result<std::vector<RawHttpResponse>> answers = ParseRawHttpResponses(wire);
    ASSERT_TRUE(answers.ok()) << probe.what << ": " << answers.status().ToString() << "\n" << wire;
    ASSERT_EQ(answers->size(), 1u) << probe.what << "\n" << wire;
    const RawHttpResponse& r = answers->front();
    EXPECT_GE(r.status, 400) << probe.what << ": " << r.body;
    EXPECT_LT(r.status, 500) << probe.what << ": " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json") << probe.what;
    EXPECT_TRUE(IsValidUtf8(r.body)) << probe.what << ": " << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << probe.what << ": " << r.body;
    // ... and the server is still there.
    auto health = client_->Get("/health");
    ASSERT_TRUE(health) << "no answer after " << probe.what;
    ASSERT_EQ(health->status, 200) << probe.what;
  }
  // The offending byte is still shown, escaped.
  const std::string mode = RawHttpExchange(server_->port(), Request("GET", "/demo/sports/v720.m3u8?mode=%80"));
  EXPECT_NE(mode.find("got '\\\\x80'"), std::string::npos) << mode;
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body.find("ssai_errors_total{kind=\"exception\"}"), std::string::npos) << m->body;
  server_->Stop();
  if (coordinator) coordinator->Stop();
}

INSTANTIATE_TEST_SUITE_P(Roles, ServerUtf8Test, ::testing::Values(Role::kAll, Role::kEdge),
                         [](const ::testing::TestParamInfo<Role>& p) { return std::string(RoleName(p.param)); });

// Response::version (env.h): one body keeps one version across refetches; new text, a new one.
TEST(CachingOriginClientTest, VersionsNameBodies) {
  struct Inner : OriginClient {
    void Fetch(std::string_view, Callback done) override { done(Response{200, body}); }
    std::string body = "#EXTM3U\n#EXTINF:1,\na.ts\n";
  } inner;
  boost::asio::io_context io;
  AsioScheduler sched(io);
  CachingOriginClient cache(&inner, &sched, 1);  // 1 us: every fetch after a pause is a refetch
  auto fetch = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    uint64_t v = 0;
    cache.Fetch("http://o/a.m3u8", [&v](Result<OriginClient::Response> r) { v = r.ok() ? r->version : 0; });
    return v;
  };
  const uint64_t first = fetch();
  EXPECT_NE(first, 0u);
  EXPECT_EQ(fetch(), first);
  EXPECT_EQ(cache.misses, 2);  // refetched, same body: same version
  inner.body += "#EXTINF:1,\nb.ts\n";
  const uint64_t second = fetch();
  EXPECT_NE(second, first);
  EXPECT_EQ(fetch(), second);
}

}  // namespace
}  // namespace ssai::server
