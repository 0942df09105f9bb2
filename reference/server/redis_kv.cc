#include "reference/server/redis_kv.h"

#include "reference/server/asio_env.h"
#include "reference/ssai/kv_limits.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>

namespace ssai::server {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(int64_t ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

// SCAN MATCH is a glob: a prefix with * ? [ ] \ in it must match those literally.
std::string GlobEscape(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Status ParseHostPort(std::string_view text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("expected HOST:PORT, got '" + std::string(text.substr(0, 64)) + "'");
  }
  int v = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || v > 65535) return Status::InvalidArgument("bad port in '" + std::string(text) + "'");
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return Status::InvalidArgument("port must be in [1, 65535] in '" + std::string(text) + "'");
  *host = std::string(text.substr(0, colon));
  *port = v;
  return Status::Ok();
}

// One Redis endpoint: one connection, one I/O thread, a bounded FIFO of calls.
class RedisKvStore::Endpoint {
 public:
  using Task = std::function<void(Endpoint*)>;

  Endpoint(std::string name, std::string host, int port, const RedisKvOptions& options)
      : name_(std::move(name)), host_(std::move(host)), port_(port), options_(options) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Endpoint() { Stop(); }

  // False when the queue is full or the endpoint stopped (the task is not run).
  bool Submit(Task task) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(std::move(task));
    cv_.notify_one();
    return true;
  }

  void Stop() {
    std::deque<Task> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      dropped.swap(queue_);
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
  }

  const std::string& name() const { return name_; }
  int64_t reconnects() const { return reconnects_.load(); }

  // I/O thread only. One command; reconnects first if needed. Errors: kUnavailable (down,
  // refused, protocol or server error), kDeadlineExceeded (no answer within the timeout).
  Result<ReplyPtr> Command(const std::vector<std::string>& argv) {
    if (ctx_ == nullptr) SSAI_RETURN_IF_ERROR(Connect());
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    errno = 0;
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data()));
    const int saved_errno = errno;
    if (raw == nullptr) {
      // The connection is unusable after any I/O error (hiredis); the next call reconnects.
      const bool timed_out =
          ctx_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
      const std::string what = Where() + argv[0] + ": " + ctx_->errstr;
      redisFree(ctx_);
      ctx_ = nullptr;
      if (timed_out) {
        return Status::DeadlineExceeded(what + " (no answer within " +
                                        std::to_string(options_.command_timeout_ms) + " ms)");
      }
      return Status::Unavailable(what);
    }
    ReplyPtr reply(raw);
    if (reply->type == REDIS_REPLY_ERROR) {
      return Status::Unavailable(Where() + argv[0] + ": " + std::string(reply->str, reply->len));
    }
    return reply;
  }

 private:
  std::string Where() const { return "redis " + name_ + " " + host_ + ":" + std::to_string(port_) + ": "; }

  Status Connect() {
    const auto now = Clock::now();
    if (now < next_connect_) {
      return Status::Unavailable(Where() + "down (" + last_error_ + "); next connect attempt in " +
                                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    next_connect_ - now)
                                                    .count()) +
                                 " ms");
    }
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(options_.connect_timeout_ms));
    if (c == nullptr || c->err != 0) {
      last_error_ = c == nullptr ? "out of memory" : c->errstr;
      if (c != nullptr) redisFree(c);
      next_connect_ = now + std::chrono::milliseconds(options_.reconnect_backoff_ms);
      return Status::Unavailable(Where() + "connect: " + last_error_);
    }
    if (redisSetTimeout(c, ToTimeval(options_.command_timeout_ms)) != REDIS_OK) {
      last_error_ = "cannot set the command timeout";
      redisFree(c);
      next_connect_ = now + std::chrono::milliseconds(options_.reconnect_backoff_ms);
      return Status::Unavailable(Where() + last_error_);
    }
    if (ever_connected_) ++reconnects_;
    ever_connected_ = true;
    ctx_ = c;
    return Status::Ok();
  }

  void Loop() {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (stopped_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task(this);
    }
  }

  const std::string name_;
  const std::string host_;
  const int port_;
  const RedisKvOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // guarded by mu_
  bool stopped_ = false;    // guarded by mu_
  // I/O thread only:
  redisContext* ctx_ = nullptr;
  Clock::time_point next_connect_{};
  std::string last_error_;
  bool ever_connected_ = false;
  std::atomic<int64_t> reconnects_{0};
};

RedisKvStore::RedisKvStore(asio::io_context& io, const RedisKvOptions& options) : io_(io), options_(options) {}

Result<std::unique_ptr<RedisKvStore>> RedisKvStore::Open(asio::io_context& io, const RedisKvOptions& options) {
  std::string host;
  int port = 0;
  if (Status s = ParseHostPort(options.primary, &host, &port); !s.ok()) return s.WithContext("kv.primary");
  if (options.connect_timeout_ms < 1 || options.command_timeout_ms < 1) {
    return Status::InvalidArgument("kv.timeout_ms: must be >= 1");
  }
  std::unique_ptr<RedisKvStore> store(new RedisKvStore(io, options));
  store->primary_ = std::make_unique<Endpoint>("primary", host, port, options);
  if (!options.replica.empty()) {
    if (Status s = ParseHostPort(options.replica, &host, &port); !s.ok()) return s.WithContext("kv.replica");
    store->replica_ = std::make_unique<Endpoint>("replica", host, port, options);
  }
  return store;
}

RedisKvStore::~RedisKvStore() { Shutdown(); }

void RedisKvStore::Shutdown() {
  if (primary_) primary_->Stop();
  if (replica_) replica_->Stop();
}

int64_t RedisKvStore::reconnects() const {
  return primary_->reconnects() + (replica_ ? replica_->reconnects() : 0);
}

RedisKvStore::Endpoint& RedisKvStore::reader() { return replica_ ? *replica_ : *primary_; }

namespace {

// The shared shape of every call: queue it on `ep`; on the I/O thread, fail it if it waited longer
// than the command timeout (the caller has given up on it by then), else run `call`; post the
// result to the core thread, where `finish` counts it and calls the user's callback. A full
// queue fails at once (also posted: callbacks never run inline). EP is deduced, so this helper
// may use the private Endpoint type.
template <typename R, typename EP, typename Call, typename Finish>
void Dispatch(asio::io_context& io, EP& ep, int64_t timeout_ms, Call call, Finish finish) {
  const auto enqueued = Clock::now();
  const auto budget = std::chrono::milliseconds(timeout_ms);
  auto shared_finish = std::make_shared<Finish>(std::move(finish));
  const bool queued = ep.Submit([&io, enqueued, budget, call = std::move(call), shared_finish](EP* e) mutable {
    R r = Clock::now() - enqueued > budget
              ? R(Status::DeadlineExceeded("redis " + e->name() + ": waited in the queue over " +
                                           std::to_string(budget.count()) + " ms"))
              : call(e);
    asio::post(io, [shared_finish, r = std::move(r)]() mutable { (*shared_finish)(std::move(r)); });
  });
  if (!queued) {
    R r(Status::ResourceExhausted("redis " + ep.name() + ": queue full or shut down"));
    asio::post(io, [shared_finish, r = std::move(r)]() mutable { (*shared_finish)(std::move(r)); });
  }
}

}  // namespace

void RedisKvStore::CountGet(bool ok, bool hit) {
  ++counters_.gets;
  if (!ok) {
    ++counters_.get_errors;
  } else if (hit) {
    ++counters_.hits;
  }
}

void RedisKvStore::Get(std::string_view key, const GetOptions& /*options*/, GetCallback done) {
  using R = Result<std::optional<std::string>>;
  auto call = [key = std::string(key)](Endpoint* e) -> R {
    SSAI_ASSIGN_OR_RETURN(ReplyPtr reply, e->Command({"GET", key}));
    if (reply->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if (reply->type != REDIS_REPLY_STRING) return Status::Unavailable("redis GET: unexpected reply type");
    return std::optional<std::string>(std::string(reply->str, reply->len));
  };
  auto finish = [this, done = std::move(done)](R r) {
    CountGet(r.ok(), r.ok() && r->has_value());
    done(std::move(r));
  };
  Dispatch<R>(io_, reader(), options_.command_timeout_ms, std::move(call), std::move(finish));
}

void RedisKvStore::GetEntry(std::string_view key, const GetOptions& /*options*/, GetEntryCallback done) {
  using R = Result<std::optional<Entry>>;
  auto call = [key = std::string(key)](Endpoint* e) -> R {
    SSAI_ASSIGN_OR_RETURN(ReplyPtr reply, e->Command({"GET", key}));
    if (reply->type == REDIS_REPLY_NIL) return std::optional<Entry>();
    if (reply->type != REDIS_REPLY_STRING) return Status::Unavailable("redis GET: unexpected reply type");
    Entry entry{std::string(reply->str, reply->len)};
    SSAI_ASSIGN_OR_RETURN(ReplyPtr ttl, e->Command({"PTTL", key}));
    // -2: gone since the GET (expired or deleted); -1: no expiry (not written by Put).
    if (ttl->type == REDIS_REPLY_INTEGER && ttl->integer == -2) return std::optional<Entry>();
    if (ttl->type == REDIS_REPLY_INTEGER && ttl->integer >= 0) {
      entry.expires_at = RealNow() + static_cast<DurationMicros>(ttl->integer) * kMicrosPerMilli;
    }
    return std::optional<Entry>(std::move(entry));
  };
  auto finish = [this, done = std::move(done)](R r) {
    CountGet(r.ok(), r.ok() && r->has_value());
    done(std::move(r));
  };
  Dispatch<R>(io_, reader(), options_.command_timeout_ms, std::move(call), std::move(finish));
}

void RedisKvStore::Put(std::string_view key, std::string value, int64_t expiration_ttl_s, DoneCallback done) {
  if (Status s = CheckKvExpirationTtl(expiration_ttl_s); !s.ok()) {
    // Workers KV refuses it; the core never asks for less (adbreak_state.h).
    asio::post(io_, [this, done = std::move(done), s] {
      ++counters_.put_errors;
      done(s);
    });
    return;
  }
  auto call = [key = std::string(key), value = std::move(value), expiration_ttl_s](Endpoint* e) -> Status {
    Result<ReplyPtr> reply = e->Command({"SET", key, value, "EX", std::to_string(expiration_ttl_s)});
    if (!reply.ok()) return reply.status();
    if ((*reply)->type != REDIS_REPLY_STATUS) return Status::Unavailable("redis SET: unexpected reply type");
    return Status::Ok();
  };
  auto finish = [this, done = std::move(done)](Status s) {
    ++counters_.puts;
    if (!s.ok()) ++counters_.put_errors;
    done(std::move(s));
  };
  Dispatch<Status>(io_, *primary_, options_.command_timeout_ms, std::move(call), std::move(finish));
}

void RedisKvStore::Delete(std::string_view key, DoneCallback done) {
  auto call = [key = std::string(key)](Endpoint* e) -> Status {
    Result<ReplyPtr> reply = e->Command({"DEL", key});
    return reply.ok() ? Status::Ok() : reply.status();
  };
  auto finish = [this, done = std::move(done)](Status s) {
    ++counters_.deletes;
    if (!s.ok()) ++counters_.delete_errors;
    done(std::move(s));
  };
  Dispatch<Status>(io_, *primary_, options_.command_timeout_ms, std::move(call), std::move(finish));
}

void RedisKvStore::List(std::string_view prefix, ListCallback done) {
  using R = Result<std::vector<std::string>>;
  auto call = [pattern = GlobEscape(prefix) + "*", max_keys = options_.max_list_keys,
               max_calls = options_.max_scan_calls](Endpoint* e) -> R {
    std::vector<std::string> keys;
    std::string cursor = "0";
    for (int64_t calls = 0;; ++calls) {
      if (calls >= max_calls) {
        return Status::ResourceExhausted("redis SCAN: more than " + std::to_string(max_calls) + " round trips");
      }
      SSAI_ASSIGN_OR_RETURN(ReplyPtr reply, e->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "100"}));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
          reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
        return Status::Unavailable("redis SCAN: unexpected reply shape");
      }
      cursor.assign(reply->element[0]->str, reply->element[0]->len);
      const redisReply* batch = reply->element[1];
      for (size_t i = 0; i < batch->elements; ++i) {
        if (batch->element[i]->type != REDIS_REPLY_STRING) continue;
        keys.emplace_back(batch->element[i]->str, batch->element[i]->len);
      }
      if (keys.size() > max_keys) {
        return Status::ResourceExhausted("redis SCAN: more than " + std::to_string(max_keys) + " keys");
      }
      if (cursor == "0") break;
    }
    // SCAN may return a key more than once (rehashing); callers want each once, in order.
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  };
  auto finish = [this, done = std::move(done)](R r) {
    ++counters_.lists;
    if (!r.ok()) ++counters_.list_errors;
    done(std::move(r));
  };
  Dispatch<R>(io_, reader(), options_.command_timeout_ms, std::move(call), std::move(finish));
}

}  // namespace ssai::server
