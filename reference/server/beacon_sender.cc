#include "reference/server/beacon_sender.h"

#include <algorithm>
#include <utility>

namespace ssai::server {

BeaconSender::BeaconSender(boost::asio::io_context& io, BeaconSenderOptions options)
    : options_(options), fetcher_(io, std::max(1, options.threads), 64 * 1024) {}

void BeaconSender::Fire(Beacon beacon) {
  if (queue_.size() >= options_.max_queued) {
    ++dropped;
    return;
  }
  queue_.push_back(std::move(beacon));
  Pump();
}

void BeaconSender::Pump() {
  while (in_flight_ < std::max(1, options_.threads) && !queue_.empty()) {
    Beacon b = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    std::vector<std::pair<std::string, std::string>> headers;
    if (!b.session.empty()) headers.emplace_back("X-SSAI-Session", b.session);
    fetcher_.Fetch(std::move(b.url), "", "", options_.timeout_ms,
                   [this](Result<HttpFetcher::Response> r) {
                     --in_flight_;
                     if (r.ok() && r->http_status >= 200 && r->http_status < 400) {
                       ++sent;
                     } else {
                       ++failed;
                     }
                     Pump();
                   },
                   std::move(headers));
  }
}

}  // namespace ssai::server
