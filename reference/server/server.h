// `ssai serve`: the reference SSAI server on real time and sockets.
//
//   core thread (one io_context)                                  worker pool
//   ----------------------------                                  -----------
//   HttpFrontEnd (Beast): accept, parse, validate, auth
//   -> ManifestPath / Coordinator, called directly   --post-->    httplib::Client
//   <- their callbacks answer the request            <--post--    (origin, decision)
//
// The core (reference/ssai) and the HTTP front end run on ONE thread and every Env callback
// completes on it: no hand-off per request, no thread per connection. See README.md for
// endpoints and configuration.
#ifndef SSAI_REFERENCE_SERVER_SERVER_H_
#define SSAI_REFERENCE_SERVER_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "reference/base/status.h"
#include "reference/server/config.h"
#include "reference/server/metrics.h"
#include "reference/ssai/env.h"

namespace ssai::server {

// What an in-process deployment gives a server that a config file cannot (conformance `serve:`
// runs a coordinator and one edge per POP in one process, issue 18).
struct ServerHooks {
  // Replaces kv.backend: the store every role of this server uses, made by Start with the core
  // thread's Scheduler (its completions must run there, e.g. shared_kv.h's SharedKvLocation).
  // kv.cache_ttl_s still applies on top. Owned by the server.
  std::function<std::unique_ptr<KvStore>(Scheduler*)> make_kv;
};

class Server {
 public:
  explicit Server(ServerConfig config, ServerHooks hooks = {});
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the journal, starts the core thread and the coordinators (recovering accepted breaks),
  // binds and starts serving. Returns once requests can be served.
  Status Start();
  // Graceful: stops accepting, lets in-flight requests be answered (504 at request_timeout_ms),
  // stops coordinators, the worker pool, then the core thread. Idempotent.
  void Stop();

  // inject.coordinator_latency_ms from now on (a run-time fault: this edge's round trip to the
  // coordinator changes). Any thread; kFailedPrecondition unless a started server with an edge.
  Status SetInjectedCoordinatorLatency(int64_t min_ms, int64_t max_ms);
  int port() const;
  std::string base_url() const;
  const Metrics& metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_SERVER_H_
