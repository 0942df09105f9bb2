// Workers KV's rules, one definition for every KvStore backend and model (the test fakes, the
// server's in-process store, Redis, the simulator's KvCluster): a put asks for an expirationTtl of
// at least 60 s, and one key takes at most one write per second
// (developers.cloudflare.com/kv/platform/limits/; ../shared/reference KV numbers); and what a
// location reads while writes propagate (KvVisibleVersion: the simulator's KvCluster POPs and the
// server's SharedKv locations behind `serve:`).
#ifndef SSAI_REFERENCE_SSAI_KV_LIMITS_H_
#define SSAI_REFERENCE_SSAI_KV_LIMITS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"

namespace ssai {

inline constexpr int64_t kKvMinExpirationTtlS = 60;
inline constexpr DurationMicros kKvMinWriteSpacingUs = kMicrosPerSecond;

// Ok, or kInvalidArgument naming the TTL a put asked for when Workers KV would refuse it.
inline Status CheckKvExpirationTtl(int64_t expiration_ttl_s) {
  if (expiration_ttl_s >= kKvMinExpirationTtlS) return Status::Ok();
  return Status::InvalidArgument("kv put: expiration_ttl " + std::to_string(expiration_ttl_s) +
                                 " s is under Workers KV's " + std::to_string(kKvMinExpirationTtlS) + " s minimum");
}

// True when a write at `now` comes too soon after the key's last accepted write at `last_write_us`
// (< 0: never written). `spacing_us` defaults to Workers KV's; the simulator makes it a parameter.
inline bool KvWriteTooSoon(UnixMicros last_write_us, UnixMicros now, DurationMicros spacing_us = kKvMinWriteSpacingUs) {
  return last_write_us >= 0 && now - last_write_us < spacing_us;
}

// The kResourceExhausted a backend answers a too-soon write with.
inline Status KvWriteRateExceeded(std::string_view key) {
  return Status::ResourceExhausted("kv put: more than 1 write/s to key " + std::string(key));
}

// What one KV location reads at `now` (DESIGN.md "KV model"; Workers KV is eventually consistent,
// developers.cloudflare.com/kv/concepts/how-kv-works/): the newest version whose propagation to
// that location has completed (`reached_at(version) <= now`, where reached_at is the write's
// commit plus the delay that location had for it), and only while it is a value that has not
// expired (absolute expiry). A delete or an expired value there reads as absent: it supersedes
// every older version, which a far location may still be serving only until the newer one reaches
// it. `versions` are in write (commit) order; a Version has `bool deleted` and
// `UnixMicros expires_at`. nullptr: absent. One rule for sim::KvCluster (virtual time, a delay
// drawn per write and POP) and server::SharedKv (wall clock, a fixed delay per location).
template <class Version, class ReachedAt>
const Version* KvVisibleVersion(const std::vector<Version>& versions, UnixMicros now, ReachedAt reached_at) {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (reached_at(*it) > now) continue;  // still on its way to this location
    return !it->deleted && now < it->expires_at ? &*it : nullptr;
  }
  return nullptr;
}

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_KV_LIMITS_H_
