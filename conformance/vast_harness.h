// decision.vast (issue 15): the harness's VAST ad server and the server's own VAST client, as one
// DecisionClient on a harness's scheduler. The builtin target (the simulator's run, also
// `ssai sim --check`) plugs it in through sim::RunOptions::decision_service: the simulator may not
// link the server.
#ifndef SSAI_CONFORMANCE_VAST_HARNESS_H_
#define SSAI_CONFORMANCE_VAST_HARNESS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "conformance/observations.h"
#include "conformance/scenario.h"
#include "reference/server/services.h"
#include "reference/server/vast_decision.h"
#include "reference/ssai/builds.h"
#include "reference/ssai/env.h"

namespace ssai::conformance {

// The server's own VastDecisionClient (reference/server/vast_decision.h: the one wrapper-following
// loop) with the build's depth limit, fetching in-process from the harness's VAST ad server
// (DecisionService in VAST mode, the scenario's ads as its default pod, each ad's media playlists
// at `ad_playlist_url(ad, bps)`). The ad server records each GET when it is made and the answer
// arrives after the scenario's latency (per document, as over HTTP); a failure fires the Error
// URLs (recorded) and reaches the coordinator as a failed decision (slate).
class HarnessVastDecision : public DecisionClient, private server::VastFetcher {
 public:
  using AdPlaylistUrl = std::function<std::string(const std::string& ad, int64_t bps)>;
  HarnessVastDecision(Scheduler* sched, const Scenario* scenario, const BuildSpec* build, const AdPlaylistUrl& ad_url);
  void Decide(const Request& request, Callback done) override { client_.Decide(request, std::move(done)); }
  // What the ad server recorded, as observations (at `start`: the records carry no time of their own).
  void Collect(Observations* obs, UnixMicros start) const;

 private:
  void Get(const std::string& url, int64_t timeout_ms, server::HttpFetcher::Callback done) override;
  Scheduler* sched_;
  const Scenario* scenario_;
  server::DecisionService service_;
  server::VastDecisionClient client_;
};

}  // namespace ssai::conformance

#endif  // SSAI_CONFORMANCE_VAST_HARNESS_H_
