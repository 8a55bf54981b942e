#pragma once

// Drives RedisQueue synchronously from a test: each helper issues one Queue call and runs the
// io_context until its completion has been called (bounded by a generous deadline that turns
// a hang into a failure, never a timing assertion).

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "queue/queue.h"
#include "redis/cluster.h"
#include "redis/endpoint.h"
#include "redis_queue/redis_queue.h"
#include "server/asio_clock.h"
#include "support/redis_cluster.h"

namespace stalk::redis_queue::test {

using queue::Code;
using queue::JobId;
using queue::SessionId;

inline constexpr std::chrono::seconds kHang{20};

// One stalkd "node": its own cluster client and RedisQueue on the shared io_context.
struct Node {
  std::unique_ptr<redis::ClusterClient> client;
  std::unique_ptr<RedisQueue> q;
};

struct Reserved {
  bool done = false;
  Code code = Code::kInternalError;
  JobId id = 0;
  std::string body;
};

class QueueDriver {
 public:
  QueueDriver() : clock_(io_) {}

  asio::io_context& io() { return io_; }

  // Runs the loop until `cond` holds; false if the hang guard ran out first.
  template <class F>
  bool RunUntil(F cond, std::chrono::milliseconds limit = kHang) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
      if (std::chrono::steady_clock::now() >= give_up) return false;
      io_.run_one_for(std::chrono::milliseconds(10));
      if (io_.stopped()) io_.restart();
    }
    return true;
  }
  // Runs the loop for `d` (lets timers and messages happen).
  void RunFor(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    RunUntil([&] { return std::chrono::steady_clock::now() >= until; }, d + kHang);
  }

  std::unique_ptr<Node> StartNode(const std::string& seeds, RedisQueueOptions options = {}) {
    auto parsed = redis::ParseRedisAddress(seeds);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (!parsed.ok()) return nullptr;
    redis::ClusterOptions co;
    co.seeds = *parsed;
    auto node = std::make_unique<Node>();
    node->client = std::make_unique<redis::ClusterClient>(io_, co);
    std::optional<Status> started;
    node->client->Start([&](Status st) { started = st; });
    EXPECT_TRUE(RunUntil([&] { return started.has_value(); })) << "cluster client never started";
    if (!started || !started->ok()) {
      ADD_FAILURE() << "client start: " << (started ? started->ToString() : "hang");
      return nullptr;
    }
    node->q = std::make_unique<RedisQueue>(*node->client, clock_, options);
    node->q->Start();
    return node;
  }

  std::pair<Code, JobId> Put(queue::Queue& q, SessionId s, std::string body, uint32_t pri = 0,
                             int delay_s = 0, int ttr_s = 60) {
    std::optional<std::pair<Code, JobId>> out;
    queue::PutArgs a;
    a.pri = pri;
    a.delay = std::chrono::seconds(delay_s);
    a.ttr = std::chrono::seconds(ttr_s);
    a.body = body;
    q.Put(s, a, [&](Code c, JobId id) { out.emplace(c, id); });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "put hung";
    return out.value_or(std::make_pair(Code::kInternalError, JobId{0}));
  }

  // Starts a reserve; `r` is filled when it completes.
  void StartReserve(queue::Queue& q, SessionId s, std::optional<Duration> timeout, Reserved* r) {
    *r = Reserved{};
    q.Reserve(s, timeout, [r](Code c, const queue::JobRef* job) {
      r->done = true;
      r->code = c;
      if (job != nullptr) {
        r->id = job->id;
        r->body = std::string(job->body);
      }
    });
  }
  Reserved Reserve(queue::Queue& q, SessionId s, std::optional<Duration> timeout) {
    Reserved r;
    StartReserve(q, s, timeout, &r);
    EXPECT_TRUE(RunUntil([&] { return r.done; })) << "reserve hung";
    return r;
  }
  Reserved ReserveJob(queue::Queue& q, SessionId s, JobId id) {
    Reserved r;
    q.ReserveJob(s, id, [&r](Code c, const queue::JobRef* job) {
      r.done = true;
      r.code = c;
      if (job != nullptr) {
        r.id = job->id;
        r.body = std::string(job->body);
      }
    });
    EXPECT_TRUE(RunUntil([&] { return r.done; })) << "reserve-job hung";
    return r;
  }

  template <class Call>
  Code Do(Call call) {
    std::optional<Code> out;
    call([&](Code c) { out = c; });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "call hung";
    return out.value_or(Code::kInternalError);
  }
  Code Delete(queue::Queue& q, SessionId s, JobId id) {
    return Do([&](auto done) { q.Delete(s, id, done); });
  }
  Code Touch(queue::Queue& q, SessionId s, JobId id) {
    return Do([&](auto done) { q.Touch(s, id, done); });
  }
  Code Release(queue::Queue& q, SessionId s, JobId id, uint32_t pri = 0, int delay_s = 0) {
    return Do([&](auto done) { q.Release(s, id, pri, std::chrono::seconds(delay_s), done); });
  }
  Code Bury(queue::Queue& q, SessionId s, JobId id, uint32_t pri = 0) {
    return Do([&](auto done) { q.Bury(s, id, pri, done); });
  }
  Code KickJob(queue::Queue& q, SessionId s, JobId id) {
    return Do([&](auto done) { q.KickJob(s, id, done); });
  }
  Code Use(queue::Queue& q, SessionId s, const std::string& tube) {
    return Do([&](auto done) { q.Use(s, tube, done); });
  }
  Code Pause(queue::Queue& q, SessionId s, const std::string& tube, int delay_s) {
    return Do([&](auto done) { q.PauseTube(s, tube, std::chrono::seconds(delay_s), done); });
  }
  size_t Watch(queue::Queue& q, SessionId s, const std::string& tube) {
    size_t n = 0;
    Do([&](auto done) { q.Watch(s, tube, [&n, done](Code c, size_t k) { n = k; done(c); }); });
    return n;
  }
  Code Ignore(queue::Queue& q, SessionId s, const std::string& tube) {
    return Do([&](auto done) { q.Ignore(s, tube, [done](Code c, size_t) { done(c); }); });
  }
  uint64_t Kick(queue::Queue& q, SessionId s, uint32_t bound) {
    uint64_t n = 0;
    Do([&](auto done) { q.Kick(s, bound, [&n, done](Code c, uint64_t k) { n = k; done(c); }); });
    return n;
  }
  std::optional<queue::JobInfo> StatsJob(queue::Queue& q, SessionId s, JobId id) {
    std::optional<queue::JobInfo> info;
    Code code = Do([&](auto done) {
      q.StatsJob(s, id, [&info, done](Code c, const queue::JobInfo* i) {
        if (i != nullptr) info = *i;
        done(c);
      });
    });
    if (code != Code::kOk) return std::nullopt;
    return info;
  }
  std::optional<queue::TubeInfo> StatsTube(queue::Queue& q, SessionId s, const std::string& t) {
    std::optional<queue::TubeInfo> info;
    Code code = Do([&](auto done) {
      q.StatsTube(s, t, [&info, done](Code c, const queue::TubeInfo* i) {
        if (i != nullptr) info = *i;
        done(c);
      });
    });
    if (code != Code::kOk) return std::nullopt;
    return info;
  }
  queue::QueueInfo Stats(queue::Queue& q) {
    std::optional<queue::QueueInfo> info;
    q.Stats([&](const queue::QueueInfo& i) { info = i; });
    EXPECT_TRUE(RunUntil([&] { return info.has_value(); })) << "stats hung";
    return info.value_or(queue::QueueInfo{});
  }
  std::vector<std::string> Tubes(queue::Queue& q) {
    std::optional<std::vector<std::string>> out;
    q.Tubes([&](const std::vector<std::string>& t) { out = t; });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "list-tubes hung";
    return out.value_or(std::vector<std::string>{});
  }
  std::pair<Code, std::string> PeekTube(queue::Queue& q, SessionId s, queue::Queue::PeekWhich w) {
    std::optional<std::pair<Code, std::string>> out;
    q.PeekTube(s, w, [&](Code c, const queue::JobRef* j) {
      out.emplace(c, j ? std::string(j->body) : std::string());
    });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "peek hung";
    return out.value_or(std::make_pair(Code::kInternalError, std::string()));
  }
  std::pair<Code, std::string> Peek(queue::Queue& q, SessionId s, JobId id) {
    std::optional<std::pair<Code, std::string>> out;
    q.Peek(s, id, [&](Code c, const queue::JobRef* j) {
      out.emplace(c, j ? std::string(j->body) : std::string());
    });
    EXPECT_TRUE(RunUntil([&] { return out.has_value(); })) << "peek hung";
    return out.value_or(std::make_pair(Code::kInternalError, std::string()));
  }

 private:
  asio::io_context io_{1};
  server::AsioClock clock_;
};

}  // namespace stalk::redis_queue::test
