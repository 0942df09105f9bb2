#include "conformance/vast_harness.h"

#include <limits>
#include <utility>

#include "reference/base/strings.h"

namespace ssai::conformance {

namespace {

constexpr char kVastBase[] = "http://vast.conformance.test";

server::VastDecisionOptions ClientOptions(const Scenario& sc, const BuildSpec& build) {
  server::VastDecisionOptions o;
  o.url = std::string(kVastBase) + "/vast/" + sc.decision.vast.tag;
  o.segment_duration_s = sc.decision.ads.empty() ? 2 : sc.decision.ads[0].segment_duration_s;
  // DEFECT(unlimited_wrappers): no depth limit (the document bound stays).
  if (build.defects.unlimited_wrappers) o.resolver.max_wrapper_depth = std::numeric_limits<int>::max();
  return o;
}

}  // namespace

HarnessVastDecision::HarnessVastDecision(Scheduler* sched, const Scenario* scenario, const BuildSpec* build,
                                         const AdPlaylistUrl& ad_url)
    : sched_(sched),
      scenario_(scenario),
      service_(ScenarioAdServerConfig(*scenario, ad_url)),
      client_(this, ClientOptions(*scenario, *build)) {
  service_.set_self_url(kVastBase);
}

void HarnessVastDecision::Collect(Observations* obs, UnixMicros start) const {
  obs->vast_observed = true;
  for (const server::DecisionService::VastFetch& f : service_.vast_fetches()) {
    VastFetchRecord rec{start, f.path, 0};
    if (f.path.starts_with("/vast/wrapper/")) {
      rec.wrapper_level = static_cast<int>(ParseInt64(f.path.substr(14, f.path.find('/', 14) - 14)).value_or(0));
    }
    obs->vast_fetches.push_back(std::move(rec));
  }
  for (const server::DecisionService::Ping& p : service_.received_pings()) {
    if (p.kind != "error") continue;
    const size_t at = p.query.find("code=");
    const int code = at == std::string::npos ? 0 : static_cast<int>(ParseInt64(p.query.substr(at + 5, 3)).value_or(0));
    obs->vast_error_pings.push_back({start, code, p.query});
  }
}

// VastFetcher: the ad server's answer to GET `url`, after the scenario's decision latency (the
// in-process server never times out: timeout_ms is not needed).
void HarnessVastDecision::Get(const std::string& url, int64_t /*timeout_ms*/, server::HttpFetcher::Callback done) {
  Result<server::HttpFetcher::Response> out = Status::Unavailable("ad server: no route to " + url.substr(0, 256));
  const std::string_view base = kVastBase;
  if (std::string_view(url).starts_with(base)) {
    std::string path = url.substr(base.size()), query;
    if (size_t q = path.find('?'); q != std::string::npos) {
      query = path.substr(q + 1);
      path.resize(q);
    }
    server::HttpResponse res = service_.VastResponse(path, query);
    out = server::HttpFetcher::Response{res.status, std::move(res.body)};
  }
  const DurationMicros latency = SecondsToMicros(scenario_->decision.latency_ms / 1000);
  sched_->RunAt(sched_->Now() + latency, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
}

}  // namespace ssai::conformance
