// The SSAI core's view of the world: small asynchronous interfaces for everything that is I/O or
// time (leveldb's Env, split by concern). The core never opens a socket, starts a thread, reads a
// clock or draws a random number; it calls these, and the caller completes them later.
//
//   simulator/        implements them in virtual time (models of KV, network, coordinator, ...)
//   reference/server/ implements them with Boost.Asio, HTTP and Redis
//
// So the read path and the coordinator that the simulator measures are the ones the server runs.
//
// Completion rules, the same for every interface:
//  - the callback is called exactly once, possibly before the call returns (a cache hit), never
//    on another thread than the one the core runs on;
//  - failures come back as a non-OK Status (kUnavailable, kDeadlineExceeded, kResourceExhausted
//    for rate limits and overload), never as exceptions.
#ifndef SSAI_REFERENCE_SSAI_ENV_H_
#define SSAI_REFERENCE_SSAI_ENV_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/base/status.h"
#include "reference/base/time.h"
#include "reference/ssai/adbreak_state.h"
#include "reference/ssai/channel_state.h"

namespace ssai {

// Deferred work: coordinator poll timers, decision timeouts, write coalescing.
class Scheduler {
 public:
  using TimerId = uint64_t;
  virtual ~Scheduler() = default;
  virtual UnixMicros Now() const = 0;
  // Runs `fn` at `when` (or as soon after as the implementation can). Returns an id for Cancel.
  virtual TimerId RunAt(UnixMicros when, std::function<void()> fn) = 0;
  // Cancels a pending timer; a no-op for one that already ran.
  virtual void Cancel(TimerId id) = 0;
  // RunAt(Now() + delay): the models written against any Scheduler (simulator/models.h) use it.
  TimerId RunAfter(DurationMicros delay, std::function<void()> fn) { return RunAt(Now() + delay, std::move(fn)); }
};

// Workers-KV-like store: eventually consistent reads from the nearest location, writes to a
// central store, absolute expiry. See DESIGN.md "KV model" for the semantics a backend provides.
class KvStore {
 public:
  struct GetOptions {
    // How long the reading location may cache the value, misses included (Workers KV cacheTtl,
    // minimum 30 s since 2026-01-30, default 60 s).
    int64_t cache_ttl_s = 60;
  };
  // nullopt value = key absent (or expired) as seen from this location.
  using GetCallback = std::function<void(Result<std::optional<std::string>>)>;
  using ListCallback = std::function<void(Result<std::vector<std::string>>)>;
  using DoneCallback = std::function<void(Status)>;

  virtual ~KvStore() = default;
  virtual void Get(std::string_view key, const GetOptions& options, GetCallback done) = 0;
  // Get, with the instant the value expires when the backend can tell (nullopt: it cannot). A
  // read cache in front of a store needs it: an expired value reads as absent, cached or not
  // (Workers KV: expiration overrides a longer cacheTtl). The default asks Get and cannot tell.
  struct Entry {
    std::string value;
    std::optional<UnixMicros> expires_at = std::nullopt;
  };
  using GetEntryCallback = std::function<void(Result<std::optional<Entry>>)>;
  // A GetEntry callback that hands `done` the value alone: a store that knows expiries implements
  // Get as GetEntry(key, options, ValueOnly(done)).
  static GetEntryCallback ValueOnly(GetCallback done) {
    return [done = std::move(done)](Result<std::optional<Entry>> r) {
      if (!r.ok()) return done(r.status());
      if (!r->has_value()) return done(std::optional<std::string>());
      done(std::optional<std::string>(std::move((*r)->value)));
    };
  }
  virtual void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) {
    Get(key, options, [done = std::move(done)](Result<std::optional<std::string>> r) {
      if (!r.ok()) return done(r.status());
      if (!r->has_value()) return done(std::optional<Entry>());
      done(std::optional<Entry>(Entry{std::move(**r)}));
    });
  }
  // expiration_ttl_s >= 60 (Workers KV refuses less); last write wins; a backend may reject more
  // than one write per second per key with kResourceExhausted.
  virtual void Put(std::string_view key, std::string value, int64_t expiration_ttl_s,
                   DoneCallback done) = 0;
  // Keys with `prefix`, as this location currently sees them (may lag writes by up to 60 s).
  virtual void List(std::string_view prefix, ListCallback done) = 0;
  virtual void Delete(std::string_view key, DoneCallback done) = 0;
};

// The coordinator's own storage (the Durable Object's transactional storage in the seed): strongly
// consistent, and durable once `done` reports OK, so an acknowledged cue survives a restart.
class DurableStore {
 public:
  using DoneCallback = std::function<void(Status)>;
  virtual ~DurableStore() = default;
  virtual void Put(std::string_view key, std::string value, DoneCallback done) = 0;
  virtual void Delete(std::string_view key, DoneCallback done) = 0;
  // Everything with `prefix`, in key order; used on start-up to recover.
  virtual void Scan(std::string_view prefix,
                    std::function<void(Result<std::vector<std::pair<std::string, std::string>>>)> done) = 0;
};

// Fetches origin playlists (master and variants).
class OriginClient {
 public:
  struct Response {
    int http_status = 200;
    std::string body;
    // The body's identity for this URL, when the origin (or a cache in front of it) has one: a
    // nonzero value names one body for the client's life, so equal values mean equal bodies and
    // the core skips comparing and re-parsing them (playlist_memo.h). 0: unknown, compare text.
    uint64_t version = 0;
  };
  using Callback = std::function<void(Result<Response>)>;
  virtual ~OriginClient() = default;
  virtual void Fetch(std::string_view url, Callback done) = 0;
};

// How long the coordinator waits for a decision before filling the break with slate, unless
// configured otherwise: one default for the simulator, the conformance targets and the server
// (issue 18: they were 2 s and 1.5 s). MediaTailor allows an ad server 3 s per request.
inline constexpr DurationMicros kDefaultDecisionTimeoutUs = 2 * kMicrosPerSecond;

// The ad decision service: which ads fill a break.
class DecisionClient {
 public:
  struct Request {
    std::string channel_id;
    std::string event_id;
    std::string pod_id;  // from the cue, may be empty
    double duration_s = 0;
  };
  using Callback = std::function<void(Result<AdDecision>)>;
  virtual ~DecisionClient() = default;
  virtual void Decide(const Request& request, Callback done) = 0;
};

// Server-side ad tracking (beacons.h): the core decides which beacon URLs are due and hands them
// here; it never waits for them. An implementation sends them asynchronously and bounds what it
// holds (a full queue drops and counts), so a slow or dead tracking endpoint never delays a
// playlist. VAST Error pings go the same way.
struct Beacon {
  std::string url;
  std::string session;   // the viewer session it is for ("" for Error pings)
  std::string event_id;  // the break
  std::string ad_id;     // the creative (AdItem::id)
  std::string event;     // impression, start, firstQuartile, midpoint, thirdQuartile, complete, error
  UnixMicros due = 0;    // when the core decided it
  // The viewer whose delivery made it due (VAST 4.3 §2.3.4 X-Device-IP / X-Device-User-Agent:
  // server-side beacons carry the device's, not the server's): from the playlist request,
  // already checked (ManifestRequest); "" = not sent.
  std::string device_ip = {};
  std::string device_user_agent = {};
};
class BeaconSink {
 public:
  virtual ~BeaconSink() = default;
  virtual void Fire(Beacon beacon) = 0;
};

// How an edge reaches the per-channel coordinator (the seed's Durable Object stub).
class CoordinatorClient {
 public:
  using StateCallback = std::function<void(Result<ChannelState>)>;
  virtual ~CoordinatorClient() = default;
  // The channel's breaks as the coordinator knows them now (it checks the origin for new SCTE-35
  // cues first when its last look is stale: the seed's on-request detection).
  virtual void GetChannelState(std::string_view channel_id, StateCallback done) = 0;
};

}  // namespace ssai

#endif  // SSAI_REFERENCE_SSAI_ENV_H_
