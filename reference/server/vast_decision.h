// The decision client for VAST ad servers (decision.format "vast"): GETs the ad-server URL,
// follows the wrapper chain through a VastFetcher (the sans-I/O vast::Resolver says what to fetch
// next, with its depth/bytes/documents bounds), and turns the
// creatives into a pod of creatives (ssai::DecisionFromVast). On any VAST failure the decision
// fails (the coordinator fills the break with slate) and the Error URLs of the failed ads are fired
// with [ERRORCODE] expanded (fire-and-forget GETs, at most max_error_pings per decision). Error URLs
// of pod ads that a stand-alone ad replaced are fired too.
//
// The one wrapper-following loop: the server fetches over HTTP (HttpVastFetcher, the HttpFetcher
// every outbound call uses), the conformance builtin target in-process from the harness's ad
// server on the simulated clock (conformance/vast_harness.h), so what the conformance suite
// judges is this code, not a copy of it.
#ifndef SSAI_REFERENCE_SERVER_VAST_DECISION_H_
#define SSAI_REFERENCE_SERVER_VAST_DECISION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "reference/media/vast/vast.h"
#include "reference/server/asio_env.h"
#include "reference/ssai/env.h"

namespace ssai::server {

struct VastDecisionOptions {
  // The ad tag. Macros, percent-encoded: {duration} (seconds), {channel}, {event}, {pod}.
  std::string url;
  int64_t timeout_ms = 1500;          // each fetch (ad tag, wrappers, error pings)
  // The whole resolution (ad tag + wrappers): a fetch gets what is left of it, and a chain that
  // runs out fails with 301 (its Error URLs fired) instead of answering after the coordinator
  // has given the break slate. 0 = no overall budget.
  int64_t total_timeout_ms = 0;
  double segment_duration_s = 2;      // the creatives' HLS segment duration (VastPodOptions)
  vast::ResolverOptions resolver;     // depth 5, 1 MiB, 32 documents
  size_t max_error_pings = 16;
};

// How the client reaches ad servers: one GET (ad tag, wrapper VASTAdTagURI, Error ping). `done`
// runs on the core thread (the caller's thread for in-process fetchers), at most once.
class VastFetcher {
 public:
  virtual ~VastFetcher() = default;
  virtual void Get(const std::string& url, int64_t timeout_ms, HttpFetcher::Callback done) = 0;
};

// Over HTTP, through the server's HttpFetcher.
class HttpVastFetcher final : public VastFetcher {
 public:
  explicit HttpVastFetcher(HttpFetcher* fetcher) : fetcher_(fetcher) {}
  void Get(const std::string& url, int64_t timeout_ms, HttpFetcher::Callback done) override {
    fetcher_->Fetch(url, "", "", timeout_ms, std::move(done));
  }

 private:
  HttpFetcher* fetcher_;
};

// The ad tag for one request: macros replaced.
std::string ExpandAdTag(const std::string& url, const DecisionClient::Request& request);

class VastDecisionClient : public DecisionClient {
 public:
  VastDecisionClient(VastFetcher* fetcher, VastDecisionOptions options)
      : fetcher_(fetcher), options_(std::move(options)) {}
  // Over HTTP.
  VastDecisionClient(HttpFetcher* fetcher, VastDecisionOptions options)
      : http_(std::make_unique<HttpVastFetcher>(fetcher)), fetcher_(http_.get()), options_(std::move(options)) {}
  void Decide(const Request& request, Callback done) override;

  // Core thread only.
  int64_t decisions = 0;
  int64_t vast_failures = 0;    // decisions that fell back to slate for a VAST reason
  int64_t wrapper_fetches = 0;
  int64_t error_pings = 0;      // Error URLs fired

 private:
  struct Resolution;
  void Step(std::shared_ptr<Resolution> r);
  void Ping(const std::vector<std::string>& urls);
  std::unique_ptr<HttpVastFetcher> http_;  // when constructed over an HttpFetcher
  VastFetcher* fetcher_;
  VastDecisionOptions options_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_VAST_DECISION_H_
