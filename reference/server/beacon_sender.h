// The server's BeaconSink (reference/ssai/env.h, beacons.h): sends the server-side tracking beacons
// the core decides are due, asynchronously, on its own small worker pool (a slow or dead tracking
// endpoint holds these threads, never the origin's or the decision's, and never the core thread),
// at most `threads` at a time, with a bounded queue: a beacon that finds it full is dropped and
// counted (ssai_beacons_total{result="dropped"}). Each GET names its session in X-SSAI-Session
// (an ssai-lab header the harness's ad server records; VAST 4.3 §2.3.4's X-Device-IP and
// X-Device-User-Agent are not forwarded yet).
#ifndef SSAI_REFERENCE_SERVER_BEACON_SENDER_H_
#define SSAI_REFERENCE_SERVER_BEACON_SENDER_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include <boost/asio/io_context.hpp>

#include "reference/server/asio_env.h"
#include "reference/ssai/env.h"

namespace ssai::server {

struct BeaconSenderOptions {
  size_t max_queued = 10'000;  // beacons waiting to be sent; more are dropped
  int threads = 2;             // beacons in flight at once (the pool's size)
  int64_t timeout_ms = 2000;   // each GET
};

class BeaconSender : public BeaconSink {
 public:
  BeaconSender(boost::asio::io_context& io, BeaconSenderOptions options);
  // Core thread only.
  void Fire(Beacon beacon) override;
  void Shutdown() { fetcher_.Shutdown(); }
  size_t queued() const { return queue_.size(); }
  int in_flight() const { return in_flight_; }

  // Core thread only.
  int64_t sent = 0;     // answered 2xx/3xx
  int64_t failed = 0;   // errors, timeouts, other statuses
  int64_t dropped = 0;  // the queue was full

 private:
  void Pump();
  BeaconSenderOptions options_;
  HttpFetcher fetcher_;
  std::deque<Beacon> queue_;
  int in_flight_ = 0;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_BEACON_SENDER_H_
