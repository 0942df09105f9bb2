#include "reference/server/beacon_sender.h"

#include <algorithm>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace ssai::server {

std::string ForwardableIp(std::string_view ip) {
  if (ip.empty() || ip.size() > 64) return "";
  boost::system::error_code ec;
  const boost::asio::ip::address a = boost::asio::ip::make_address(std::string(ip), ec);
  if (ec) return "";
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: the device's IPv4 address.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string ForwardableUserAgent(std::string_view ua) {
  for (unsigned char c : ua) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return "";
  }
  std::string out(ua.substr(0, kMaxDeviceUserAgentBytes));
  if (out.size() < ua.size()) {
    // Not in the middle of a UTF-8 sequence: drop continuation bytes, then their lead byte.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  size_t lead = 0;
  while (lead < out.size() && (out[lead] == ' ' || out[lead] == '\t')) ++lead;
  return out.substr(lead);
}

std::string DeviceIpOf(std::string_view peer_address, std::string_view x_forwarded_for, bool from_forwarded_for) {
  if (!from_forwarded_for) return ForwardableIp(peer_address);
  const size_t comma = x_forwarded_for.rfind(',');
  std::string_view last = comma == std::string_view::npos ? x_forwarded_for : x_forwarded_for.substr(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  return ForwardableIp(last);
}

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
    if (!b.device_ip.empty()) headers.emplace_back("X-Device-IP", b.device_ip);
    if (!b.device_user_agent.empty()) headers.emplace_back("X-Device-User-Agent", b.device_user_agent);
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
