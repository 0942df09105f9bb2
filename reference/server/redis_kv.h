// The `redis` KV backend: the core's KvStore (reference/ssai/env.h) over real Redis via hiredis.
//
// Topology (README.md "Redis"): the coordinator writes the primary (`SET key value EX ttl_s`,
// `DEL`); every edge reads its own replica (`GET`, `SCAN MATCH prefix*`). Replication lag is
// Redis's own, so an edge sees a new break a little after the coordinator wrote it, as with
// Workers KV (DESIGN.md "KV model"); expiry is Redis's own too (a replica answers nil for a
// logically expired key since Redis 3.2).
//
// Threading: hiredis calls block, so each endpoint (primary, replica) has its own I/O thread with
// one connection and a bounded queue. Connect and command timeouts bound every call; a call that
// waited in the queue longer than the command timeout fails without being sent. Results are
// asio::post-ed to the io_context, so every callback runs on the core thread, never inline. On an
// error the connection is dropped and re-opened by the next call (at most one connect attempt
// per `reconnect_backoff_ms`; calls in between fail fast with kUnavailable).
#ifndef SSAI_REFERENCE_SERVER_REDIS_KV_H_
#define SSAI_REFERENCE_SERVER_REDIS_KV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "reference/base/status.h"
#include "reference/ssai/env.h"

namespace ssai::server {

struct RedisKvOptions {
  std::string primary;  // "host:port": writes (SET EX, DEL)
  std::string replica;  // "host:port": reads (GET, SCAN); empty = read the primary
  int64_t connect_timeout_ms = 200;
  int64_t command_timeout_ms = 200;
  int64_t reconnect_backoff_ms = 100;
  size_t max_queue = 10'000;        // per endpoint; beyond it calls fail with kResourceExhausted
  size_t max_list_keys = 10'000;    // List stops (with an error) beyond this many keys
  int64_t max_scan_calls = 1'000;   // SCAN round trips per List
};

// Counters, read on the core thread (they are updated there, in the completions).
struct RedisKvCounters {
  int64_t gets = 0, hits = 0, puts = 0, deletes = 0, lists = 0;
  int64_t get_errors = 0, put_errors = 0, delete_errors = 0, list_errors = 0;
  int64_t reconnects = 0;  // successful connects after the first, both endpoints (I/O threads)
};

// Splits "host:port" (port 1..65535).
Status ParseHostPort(std::string_view text, std::string* host, int* port);

class RedisKvStore : public KvStore {
 public:
  // Starts the I/O threads; the first connection is made lazily by the first call.
  static Result<std::unique_ptr<RedisKvStore>> Open(boost::asio::io_context& io, const RedisKvOptions& options);
  ~RedisKvStore() override;  // Shutdown()

  void Get(std::string_view key, const GetOptions& options, GetCallback done) override;
  // GET, then PTTL in the same task on the same connection: the expiry as this host's clock
  // reads it (RealNow() + the remaining milliseconds).
  void GetEntry(std::string_view key, const GetOptions& options, GetEntryCallback done) override;
  // SET key value EX ttl on the primary; ttl >= 60 as Workers KV (kInvalidArgument otherwise).
  void Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) override;
  // SCAN 0 MATCH <escaped prefix>* COUNT 100 on the replica, bounded (options), sorted, unique.
  void List(std::string_view prefix, ListCallback done) override;
  void Delete(std::string_view key, DoneCallback done) override;

  // Stops both I/O threads: queued calls are dropped (their callbacks never run), a running one
  // finishes within its timeouts. Idempotent. Call before stopping the io_context's thread.
  void Shutdown();

  const RedisKvCounters& counters() const { return counters_; }
  int64_t reconnects() const;  // any thread

 private:
  class Endpoint;
  RedisKvStore(boost::asio::io_context& io, const RedisKvOptions& options);
  Endpoint& reader();
  void CountGet(bool ok, bool hit);  // a completed GET (core thread)
  boost::asio::io_context& io_;
  RedisKvOptions options_;
  std::unique_ptr<Endpoint> primary_;
  std::unique_ptr<Endpoint> replica_;  // null when reads go to the primary
  RedisKvCounters counters_;
};

}  // namespace ssai::server

#endif  // SSAI_REFERENCE_SERVER_REDIS_KV_H_
