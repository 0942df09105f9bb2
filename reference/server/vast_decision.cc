#include "reference/server/vast_decision.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "reference/base/strings.h"
#include "reference/ssai/vast_pod.h"

namespace ssai::server {

namespace {

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void ReplaceAll(std::string* s, std::string_view from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

}  // namespace

std::string ExpandAdTag(const std::string& url, const DecisionClient::Request& request) {
  std::string out = url;
  ReplaceAll(&out, "{duration}", PercentEncode(FormatDouble(request.duration_s)));
  ReplaceAll(&out, "{channel}", PercentEncode(request.channel_id));
  ReplaceAll(&out, "{event}", PercentEncode(request.event_id));
  ReplaceAll(&out, "{pod}", PercentEncode(request.pod_id));
  return out;
}

struct VastDecisionClient::Resolution {
  explicit Resolution(const vast::ResolverOptions& o) : resolver(o) {}
  vast::Resolver resolver;
  Request request;
  Callback done;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

namespace {

// What is left of the resolution's budget for the next fetch, capped at the per-fetch timeout;
// 0 when it has run out.
int64_t FetchTimeoutMs(std::chrono::steady_clock::time_point deadline, int64_t per_fetch_ms) {
  if (deadline == std::chrono::steady_clock::time_point::max()) return per_fetch_ms;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::clamp<int64_t>(left.count(), 0, per_fetch_ms);
}

}  // namespace

void VastDecisionClient::Decide(const Request& request, Callback done) {
  ++decisions;
  auto r = std::make_shared<Resolution>(options_.resolver);
  r->request = request;
  r->done = std::move(done);
  if (options_.total_timeout_ms > 0) {
    r->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.total_timeout_ms);
  }
  fetcher_->Get(ExpandAdTag(options_.url, request), options_.timeout_ms,
                  [this, r](Result<HttpFetcher::Response> res) {
                    if (!res.ok()) {
                      ++vast_failures;
                      return r->done(Status::Unavailable("ad server: " + res.status().message()));
                    }
                    if (res->http_status == 204) {
                      r->resolver.Start("");  // no content: no fill (303)
                    } else if (res->http_status != 200) {
                      ++vast_failures;
                      return r->done(Status::Unavailable("ad server answered HTTP " +
                                                         std::to_string(res->http_status)));
                    } else {
                      r->resolver.Start(res->body);
                    }
                    Step(r);
                  });
}

void VastDecisionClient::Step(std::shared_ptr<Resolution> r) {
  if (std::optional<std::string> url = r->resolver.next_url()) {
    const int64_t timeout_ms = FetchTimeoutMs(r->deadline, options_.timeout_ms);
    if (timeout_ms <= 0) {
      r->resolver.OnFetchFailed(Status::DeadlineExceeded("the decision's time budget ran out"));
      return Step(r);
    }
    ++wrapper_fetches;
    fetcher_->Get(*url, timeout_ms, [this, r](Result<HttpFetcher::Response> res) {
      if (!res.ok()) {
        r->resolver.OnFetchFailed(res.status());
      } else if (res->http_status != 200) {
        r->resolver.OnFetchFailed(Status::Unavailable("HTTP " + std::to_string(res->http_status)));
      } else {
        r->resolver.OnFetched(res->body);
      }
      Step(r);
    });
    return;
  }
  Result<vast::ResolvedPod> pod = r->resolver.Finish();
  if (!pod.ok()) {
    ++vast_failures;
    Ping(ErrorPings(r->resolver.failures(), options_.max_error_pings));
    return r->done(pod.status());
  }
  Ping(ErrorPings(pod->failures, options_.max_error_pings));
  VastPodOptions po;
  po.segment_duration_s = options_.segment_duration_s;
  AdDecision d = DecisionFromVast(*pod, r->request.duration_s,
                                  r->request.pod_id.empty() ? r->request.event_id : r->request.pod_id, po);
  r->done(std::move(d));
}

void VastDecisionClient::Ping(const std::vector<std::string>& urls) {
  for (const std::string& url : urls) {
    ++error_pings;
    fetcher_->Get(url, options_.timeout_ms, [](Result<HttpFetcher::Response>) {});
  }
}

}  // namespace ssai::server
