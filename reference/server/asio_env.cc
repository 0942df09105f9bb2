#include "reference/server/asio_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "reference/ssai/channel_state.h"
#include "reference/ssai/kv_limits.h"

namespace ssai::server {

namespace asio = boost::asio;
using Json = nlohmann::json;

UnixMicros RealNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------------
// AsioScheduler

AsioScheduler::~AsioScheduler() { CancelAll(); }

Scheduler::TimerId AsioScheduler::RunAt(UnixMicros when, std::function<void()> fn) {
  const TimerId id = next_id_++;
  auto timer = std::make_unique<asio::steady_timer>(io_);
  const DurationMicros delay_us = std::max<DurationMicros>(0, when - Now());
  timer->expires_after(std::chrono::microseconds(delay_us));
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    auto it = timers_.find(id);
    if (it == timers_.end()) return;  // cancelled after it fired
    timers_.erase(it);
    fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

void AsioScheduler::CancelAll() {
  for (auto& [id, timer] : timers_) timer->cancel();
  timers_.clear();
}

// ---------------------------------------------------------------------------------------------
// MemoryKvStore

void MemoryKvStore::Sweep(UnixMicros now) {
  if (++ops_since_sweep_ < 1024) return;
  ops_since_sweep_ = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires_at <= now ? entries_.erase(it) : std::next(it);
  }
  for (auto it = last_write_.begin(); it != last_write_.end();) {
    it = it->second + kMicrosPerSecond <= now ? last_write_.erase(it) : std::next(it);
  }
}

void MemoryKvStore::Get(std::string_view key, const GetOptions& options, GetCallback done) {
  GetEntry(key, options, ValueOnly(std::move(done)));
}

void MemoryKvStore::GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) {
  const UnixMicros now = sched_->Now();
  ++gets;
  Sweep(now);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.visible_at > now || it->second.expires_at <= now) {
    done(std::optional<KvStore::Entry>());
    return;
  }
  ++hits;
  done(std::optional<KvStore::Entry>(KvStore::Entry{it->second.value, it->second.expires_at}));
}

void MemoryKvStore::Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) {
  const UnixMicros now = sched_->Now();
  if (Status ttl = CheckKvExpirationTtl(expiration_ttl_s); !ttl.ok()) {
    done(ttl);
    return;
  }
  auto lw = last_write_.find(key);
  if (lw != last_write_.end() && KvWriteTooSoon(lw->second, now)) {
    ++rejected_puts;
    done(KvWriteRateExceeded(key));
    return;
  }
  ++puts;
  last_write_[std::string(key)] = now;
  entries_[std::string(key)] =
      Entry{std::move(value), now + propagation_delay_us_, now + expiration_ttl_s * kMicrosPerSecond};
  done(Status::Ok());
}

void MemoryKvStore::List(std::string_view prefix, ListCallback done) {
  const UnixMicros now = sched_->Now();
  ++lists;
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.visible_at <= now && it->second.expires_at > now) keys.push_back(it->first);
  }
  done(std::move(keys));
}

void MemoryKvStore::Delete(std::string_view key, DoneCallback done) {
  ++deletes;
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
  done(Status::Ok());
}

// ---------------------------------------------------------------------------------------------
// HttpFetcher

Status SplitHttpUrl(std::string_view url, std::string* base, std::string* path, bool allow_https) {
  const std::string_view kScheme = allow_https && url.starts_with("https://") ? "https://" : "http://";
  if (!url.starts_with(kScheme)) {
    return Status::InvalidArgument(std::string("url: only http://") + (allow_https ? " and https:// are" : " is") +
                                   " supported, got '" + std::string(url.substr(0, 64)) + "'");
  }
  const size_t slash = url.find('/', kScheme.size());
  const std::string_view authority =
      url.substr(kScheme.size(), slash == std::string_view::npos ? std::string_view::npos : slash - kScheme.size());
  if (authority.empty()) return Status::InvalidArgument("url: no host in '" + std::string(url) + "'");
  *base = std::string(url.substr(0, kScheme.size() + authority.size()));
  *path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  return Status::Ok();
}

HttpFetcher::HttpFetcher(asio::io_context& io, int threads, size_t max_body_bytes)
    : io_(io), pool_(static_cast<size_t>(std::max(1, threads))), max_body_bytes_(max_body_bytes) {}

HttpFetcher::~HttpFetcher() { Shutdown(); }

void HttpFetcher::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  pool_.stop();
  pool_.join();
}

void HttpFetcher::Fetch(std::string url, std::string post_body, std::string content_type, int64_t timeout_ms,
                        Callback done, std::vector<std::pair<std::string, std::string>> headers) {
  std::string base, path;
  if (Status s = SplitHttpUrl(url, &base, &path); !s.ok()) {
    asio::post(io_, [done = std::move(done), s] { done(s); });
    return;
  }
  asio::post(pool_, [this, base = std::move(base), path = std::move(path), url = std::move(url),
                     post_body = std::move(post_body), content_type = std::move(content_type), timeout_ms,
                     done = std::move(done), headers = std::move(headers)]() mutable {
    const auto start = std::chrono::steady_clock::now();
    httplib::Client client(base);
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    client.set_keep_alive(false);
    std::string body;
    bool too_big = false;
    auto receiver = [&](const char* data, size_t n) {
      if (body.size() + n > max_body_bytes_) {
        too_big = true;
        return false;
      }
      body.append(data, n);
      return true;
    };
    httplib::Headers request_headers(headers.begin(), headers.end());
    httplib::Result res = content_type.empty()
                              ? client.Get(path, request_headers, receiver)
                              : client.Post(path, request_headers, post_body, content_type);
    Result<Response> out = Status::Internal("unset");
    if (too_big) {
      out = Status::ResourceExhausted(url + ": response larger than " + std::to_string(max_body_bytes_) + " bytes");
    } else if (!res) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      const bool timed_out = res.error() == httplib::Error::ConnectionTimeout ||
                             (res.error() == httplib::Error::Read && elapsed >= timeout);
      const std::string what = url + ": " + httplib::to_string(res.error());
      out = timed_out ? Status::DeadlineExceeded(what + " after " + std::to_string(timeout_ms) + " ms")
                      : Status::Unavailable(what);
    } else {
      Response r;
      r.http_status = res->status;
      r.body = content_type.empty() ? std::move(body) : std::move(res->body);
      if (r.body.size() > max_body_bytes_) {
        out = Status::ResourceExhausted(url + ": response larger than " + std::to_string(max_body_bytes_) + " bytes");
      } else {
        out = std::move(r);
      }
    }
    asio::post(io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  });
}

// ---------------------------------------------------------------------------------------------
// Clients

void HttpOriginClient::Fetch(std::string_view url, Callback done) {
  ++fetches;
  fetcher_->Fetch(std::string(url), "", "", timeout_ms_,
                  [this, done = std::move(done)](Result<HttpFetcher::Response> r) {
                    if (!r.ok()) {
                      ++errors;
                      done(r.status());
                      return;
                    }
                    if (r->http_status != 200) ++errors;
                    done(OriginClient::Response{r->http_status, std::move(r->body)});
                  });
}

std::string SerializeDecision(const AdDecision& decision) {
  Json items = Json::array();
  for (const AdItem& item : decision.items) {
    Json variants = Json::object();
    for (const AdVariant& v : item.variants) variants[std::to_string(v.bitrate_bps)] = v.url;
    Json ij{{"id", item.id}, {"duration", item.duration_s}, {"variants", variants}};
    if (item.segment_duration_s) ij["segmentDuration"] = *item.segment_duration_s;
    if (!item.audio.empty()) {
      Json au = Json::array();
      for (const AdAudio& a : item.audio) au.push_back(Json{{"language", a.language}, {"url", a.url}});
      ij["audio"] = std::move(au);
    }
    items.push_back(std::move(ij));
  }
  return Json{{"podId", decision.pod_id}, {"items", items}}.dump();
}

Result<AdDecision> ParseDecisionJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("decision: not a JSON object");
  std::string pod_id = "pod";
  if (auto p = j.find("podId"); p != j.end() && p->is_string() && !p->get<std::string>().empty()) {
    pod_id = p->get<std::string>();
  }
  Json items = j.contains("items") ? j["items"] : Json::array();
  Json catalogue{{"pods", Json{{pod_id, Json{{"items", items}}}}}};
  Result<DecisionCatalogue> c = ParseDecisionCatalogue(catalogue.dump());
  if (!c.ok()) return c.status().WithContext("decision");
  return c->pods.begin()->second;
}

void HttpDecisionClient::Decide(const Request& request, Callback done) {
  Json body{{"channelId", request.channel_id},
            {"eventId", request.event_id},
            {"podId", request.pod_id},
            {"duration", request.duration_s}};
  fetcher_->Fetch(url_, body.dump(), "application/json", timeout_ms_,
                  [done = std::move(done)](Result<HttpFetcher::Response> r) {
                    if (!r.ok()) return done(r.status());
                    if (r->http_status != 200) {
                      return done(Status::Unavailable("decision service answered HTTP " +
                                                      std::to_string(r->http_status)));
                    }
                    done(ParseDecisionJson(r->body));
                  });
}

void HttpCoordinatorClient::GetChannelState(std::string_view channel_id, StateCallback done) {
  fetcher_->Fetch(base_url_ + "/api/channels/" + std::string(channel_id) + "/state", "", "", timeout_ms_,
                  [done = std::move(done)](Result<HttpFetcher::Response> r) {
                    if (!r.ok()) return done(r.status());
                    if (r->http_status != 200) {
                      return done(Status::Unavailable("coordinator answered HTTP " + std::to_string(r->http_status)));
                    }
                    done(ParseChannelState(r->body));
                  });
}

}  // namespace ssai::server
