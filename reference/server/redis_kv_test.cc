// RedisKvStore against real redis-server processes this test starts on free loopback ports (a
// primary, and a replica of it). redis-server missing is a FAILURE, not a skip: CI installs it
// (Debian redis-server, scripts/bootstrap.sh).
#include "reference/server/redis_kv.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "reference/server/config.h"
#include "reference/server/redis_testing.h"

namespace ssai::server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

using redis_testing::Direct;
using redis_testing::FreePort;
using redis_testing::RedisProcess;

// A core thread running an io_context, and synchronous wrappers that also check every
// completion runs on it.
class RedisKvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_.emplace(asio::make_work_guard(io_));
    core_ = std::thread([this] {
      core_id_ = std::this_thread::get_id();
      io_.run();
    });
  }
  void TearDown() override {
    if (store_) store_->Shutdown();
    work_.reset();
    io_.stop();
    core_.join();
    store_.reset();
  }

  std::unique_ptr<RedisProcess> StartRedis(int replica_of = 0) {
    auto p = RedisProcess::Start(FreePort(), replica_of);
    EXPECT_EQ(p->error(), "") << "redis-server is required by this test";
    return p;
  }

  void Open(const std::string& primary, const std::string& replica = "", int64_t timeout_ms = 200) {
    RedisKvOptions o;
    o.primary = primary;
    o.replica = replica;
    o.connect_timeout_ms = o.command_timeout_ms = timeout_ms;
    o.reconnect_backoff_ms = 50;
    Result<std::unique_ptr<RedisKvStore>> s = RedisKvStore::Open(io_, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  template <typename T, typename Op>
  T Call(Op op) {
    auto p = std::make_shared<std::promise<T>>();
    auto f = p->get_future();
    asio::post(io_, [this, p, op] {
      op([this, p](T v) {
        EXPECT_EQ(std::this_thread::get_id(), core_id_) << "completion off the core thread";
        p->set_value(std::move(v));
      });
    });
    if (f.wait_for(5s) != std::future_status::ready) return T(Status::Internal("test: no completion within 5 s"));
    return f.get();
  }
  Status Put(const std::string& k, const std::string& v, int64_t ttl_s) {
    return Call<Status>([this, k, v, ttl_s](auto done) { store_->Put(k, v, ttl_s, done); });
  }
  Result<std::optional<std::string>> Get(const std::string& k) {
    return Call<Result<std::optional<std::string>>>([this, k](auto done) { store_->Get(k, {}, done); });
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread core_;
  std::thread::id core_id_;
  std::unique_ptr<RedisKvStore> store_;
};

std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

TEST_F(RedisKvTest, PutGetDeleteAndTtlOnThePrimary) {
  auto redis = StartRedis();
  ASSERT_EQ(redis->error(), "");
  Open(Addr(redis->port()));
  ASSERT_TRUE(Put("adbreak:ch_a_b:e1", "{\"x\":1}", 105).ok());
  Result<std::optional<std::string>> g = Get("adbreak:ch_a_b:e1");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(g->has_value());
  EXPECT_EQ(**g, "{\"x\":1}");
  // SET ... EX 105: the TTL Redis holds is the one the core computed (floor(45)+60).
  Direct d(redis->port());
  const int ttl = std::atoi(d.Cmd({"TTL", "adbreak:ch_a_b:e1"}).c_str());
  EXPECT_GE(ttl, 100);
  EXPECT_LE(ttl, 105);
  // Absent key: nullopt, not an error.
  Result<std::optional<std::string>> none = Get("adbreak:ch_a_b:nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // Workers KV's minimum TTL.
  EXPECT_EQ(Put("k", "v", 59).code(), StatusCode::kInvalidArgument);
  // Real expiry: shorten the TTL directly, the store then reads nothing.
  ASSERT_EQ(d.Cmd({"PEXPIRE", "adbreak:ch_a_b:e1", "30"}), "1");
  std::this_thread::sleep_for(80ms);
  Result<std::optional<std::string>> expired = Get("adbreak:ch_a_b:e1");
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  ASSERT_TRUE(Put("gone", "v", 60).ok());
  ASSERT_TRUE(Call<Status>([this](auto done) { store_->Delete("gone", done); }).ok());
  EXPECT_FALSE(Get("gone")->has_value());
  EXPECT_EQ(store_->counters().put_errors, 1);  // the TTL-59 put
  EXPECT_EQ(store_->counters().hits, 1);  // the first read; "gone" was deleted
}

TEST_F(RedisKvTest, EdgeReadsItsReplicaAfterReplicationAndListsByPrefix) {
  auto primary = StartRedis();
  ASSERT_EQ(primary->error(), "");
  auto replica = StartRedis(primary->port());
  ASSERT_EQ(replica->error(), "");
  Open(Addr(primary->port()), Addr(replica->port()));
  ASSERT_TRUE(Put("adbreak:ch_x_y:e1", "v1", 90).ok());
  ASSERT_TRUE(Put("adbreak:ch_x_y:e2", "v2", 90).ok());
  ASSERT_TRUE(Put("adbreak:ch_x_z:e3", "v3", 90).ok());
  ASSERT_TRUE(Put("a*b:1", "glob", 90).ok());
  ASSERT_TRUE(Put("aXb:1", "not-a-glob-match", 90).ok());
  // Reads go to the replica: poll (bounded) until replication delivered the write.
  std::optional<std::string> seen;
  for (int i = 0; i < 200 && !seen; ++i) {
    Result<std::optional<std::string>> g = Get("adbreak:ch_x_y:e2");
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    seen = *g;
    if (!seen) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(seen.has_value()) << "replica never saw the write";
  EXPECT_EQ(*seen, "v2");
  Direct on_replica(replica->port());
  EXPECT_EQ(on_replica.Cmd({"GET", "adbreak:ch_x_y:e1"}), "v1");
  const int ttl = std::atoi(on_replica.Cmd({"TTL", "adbreak:ch_x_y:e1"}).c_str());
  EXPECT_GT(ttl, 80);  // the expiry replicates with the value
  for (int i = 0; i < 200 && on_replica.Cmd({"GET", "aXb:1"}) != "not-a-glob-match"; ++i) std::this_thread::sleep_for(10ms);
  auto list = [&](const std::string& prefix) {
    return Call<Result<std::vector<std::string>>>([this, prefix](auto done) { store_->List(prefix, done); });
  };
  Result<std::vector<std::string>> keys = list("adbreak:ch_x_y:");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, (std::vector<std::string>{"adbreak:ch_x_y:e1", "adbreak:ch_x_y:e2"}));
  // Glob characters in the prefix match literally.
  Result<std::vector<std::string>> glob = list("a*b:");
  ASSERT_TRUE(glob.ok());
  EXPECT_EQ(*glob, std::vector<std::string>{"a*b:1"});
  // The replica is read-only: a write to it would be refused, so writes must go to the primary.
  EXPECT_NE(on_replica.Cmd({"SET", "x", "y"}), "OK");
}

TEST_F(RedisKvTest, PrimaryDownIsAnErrorWithinTheTimeout) {
  const int port = FreePort();  // nothing listens
  Open(Addr(port), "", 200);
  const auto t0 = std::chrono::steady_clock::now();
  Status s = Put("k", "v", 60);
  Result<std::optional<std::string>> g = Get("k");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("primary"), std::string::npos) << s.message();
  ASSERT_FALSE(g.ok());
  EXPECT_LT(elapsed, 1s);
  EXPECT_EQ(store_->counters().put_errors, 1);
  EXPECT_EQ(store_->counters().get_errors, 1);
}

TEST_F(RedisKvTest, HungRedisTimesOutAndRecovers) {
  auto redis = StartRedis();
  ASSERT_EQ(redis->error(), "");
  Open(Addr(redis->port()), "", 150);
  ASSERT_TRUE(Put("k", "v", 60).ok());
  redis->Pause();  // accepts nothing, answers nothing
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::optional<std::string>> g = Get("k");
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  redis->Resume();
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kDeadlineExceeded) << g.status().ToString();
  EXPECT_LT(elapsed, 1s);
  // The connection was dropped; the next calls reconnect.
  std::optional<std::string> v;
  for (int i = 0; i < 100 && !v; ++i) {
    Result<std::optional<std::string>> r = Get("k");
    if (r.ok()) v = *r;
    if (!v) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(v, std::optional<std::string>("v"));
  EXPECT_GE(store_->reconnects(), 1);
}

TEST_F(RedisKvTest, ReconnectsAfterRestart) {
  auto redis = StartRedis();
  ASSERT_EQ(redis->error(), "");
  const int port = redis->port();
  Open(Addr(port));
  ASSERT_TRUE(Put("k", "before", 60).ok());
  redis->Kill();
  Status down = Put("k", "during", 60);
  EXPECT_FALSE(down.ok());
  redis = RedisProcess::Start(port);
  ASSERT_EQ(redis->error(), "");
  Status s = Status::Unavailable("not tried");
  for (int i = 0; i < 100 && !s.ok(); ++i) {
    s = Put("k", "after", 60);
    if (!s.ok()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Get("k")->value_or(""), "after");  // no persistence: "before" is gone with the old process
  EXPECT_GE(store_->reconnects(), 1);
}

TEST(RedisKvConfig, BadAddressesAreRefused) {
  asio::io_context io;
  RedisKvOptions o;
  o.primary = "127.0.0.1";
  Result<std::unique_ptr<RedisKvStore>> s = RedisKvStore::Open(io, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("kv.primary"), std::string::npos);
  o.primary = "127.0.0.1:6379";
  o.replica = "127.0.0.1:99999";
  s = RedisKvStore::Open(io, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("kv.replica"), std::string::npos);
}

TEST(RedisKvConfig, ServeConfigFieldsAreParsedAndChecked) {
  Result<ServerConfig> c = ParseServerConfig(
      R"({"kv": {"backend": "redis", "primary": "127.0.0.1:7000", "replica": "127.0.0.1:7001",
                 "timeout_ms": 150, "cache_ttl_s": 30}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kv_redis_primary, "127.0.0.1:7000");
  EXPECT_EQ(c->kv_redis_replica, "127.0.0.1:7001");
  EXPECT_EQ(c->kv_timeout_ms, 150);
  EXPECT_EQ(c->kv_cache_ttl_s, 30);
  auto err = [](const char* json) {
    Result<ServerConfig> r = ParseServerConfig(json);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_NE(err(R"({"kv": {"backend": "redis"}})").find("kv.primary"), std::string::npos);
  EXPECT_NE(err(R"({"kv": {"backend": "redis", "primary": "h:0"}})").find("kv.primary"), std::string::npos);
  EXPECT_NE(err(R"({"kv": {"backend": "redis", "primary": "h:1", "replica": "x"}})").find("kv.replica"),
            std::string::npos);
  EXPECT_NE(err(R"({"kv": {"backend": "sim", "primary": "h:1"}})").find("only for backend redis"), std::string::npos);
  EXPECT_NE(err(R"({"kv": {"backend": "etcd"}})").find("kv.backend"), std::string::npos);
  EXPECT_NE(err(R"({"auth": {"jwt_secret_env": "SSAI_TEST_SURELY_UNSET_VAR"}})").find("auth.jwt_secret_env"),
            std::string::npos);
  Result<ServerConfig> jwt = ParseServerConfig(R"({"auth": {"jwt_secret": "s3", "jwt_audience": "cue"}})");
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(jwt->jwt_secret, "s3");
  EXPECT_EQ(jwt->jwt_audience, "cue");
}

}  // namespace
}  // namespace ssai::server
