// The server's BeaconSink (reference/ssai/env.h, beacons.h): sends the server-side tracking beacons
// the core decides are due, asynchronously, on its own small worker pool (a slow or dead tracking
// endpoint holds these threads, never the origin's or the decision's, and never the core thread),
// at most `threads` at a time, with a bounded queue: a beacon that finds it full is dropped and
// counted (ssai_beacons_total{result="dropped"}). Each GET names its session in X-SSAI-Session
// (an ssai-lab header the harness's ad server records) and, VAST 4.3 §2.3.4 (IAB: a server that
// fires on a device's behalf sends the device's identity, else the ad server counts the SSAI
// server's address as the viewer), the viewer's address in X-Device-IP and its User-Agent in
// X-Device-User-Agent, taken from the playlist request that made the beacon due.
//
// Which address: by default the connection's peer. Behind a front (CDN, load balancer) that is
// the front's address; `decision.device_ip_from: "x-forwarded-for"` then takes the LAST entry of
// X-Forwarded-For, the one the trusted front appended itself (entries before it are whatever the
// client sent and can be forged). Only set it when every request comes through such a front.
// Values are checked where they enter (ForwardableIp, ForwardableUserAgent): an IP literal or
// nothing; a User-Agent without control characters (no header injection), capped at 512 bytes.
#ifndef SSAI_REFERENCE_SERVER_BEACON_SENDER_H_
#define SSAI_REFERENCE_SERVER_BEACON_SENDER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "reference/server/asio_env.h"
#include "reference/ssai/env.h"

namespace ssai::server {

inline constexpr size_t kMaxDeviceUserAgentBytes = 512;

// An IPv4/IPv6 literal in its canonical form; "" for anything else.
std::string ForwardableIp(std::string_view ip);
// The User-Agent to forward: cut at kMaxDeviceUserAgentBytes (at a UTF-8 boundary), "" when it
// holds a control character (CR/LF would split the header; RFC 9110 §5.5 field values).
std::string ForwardableUserAgent(std::string_view ua);
// The device address of a request: the peer, or the last X-Forwarded-For entry when
// `from_forwarded_for` (a trusted front appended it); "" when not a valid IP.
std::string DeviceIpOf(std::string_view peer_address, std::string_view x_forwarded_for, bool from_forwarded_for);

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
