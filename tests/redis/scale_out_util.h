#pragma once

// Helpers of the scale-out tests (scale_out_*_test.cc): stalkd processes on a real Redis
// Cluster, traffic threads speaking the wire protocol, and the bookkeeping that proves
// "every job done exactly once" (or at least once, with losses counted).
//
// Traffic threads use one blocking WireClient each and never call gtest assertions: they
// record what they saw (and the first unexpected reply) in a Ledger, and the test thread
// judges at the end. Every read has a deadline, so a hang becomes a failure, never a wait.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "redis_queue/job_key.h"
#include "support/redis_cluster.h"
#include "support/server_process.h"
#include "support/wire_client.h"

namespace stalk::test::scale_out {

#ifndef STALKD_BIN
#define STALKD_BIN ""
#endif

// Longer than the cluster client's retry budget (15 s): a reply that takes longer is a hang.
inline constexpr std::chrono::milliseconds kReplyDeadline{25000};

inline bool HaveStalkd() { return !std::string(STALKD_BIN).empty(); }

inline std::unique_ptr<ServerProcess> StartStalkd(const RedisCluster& cluster,
                                                  std::vector<std::string> extra,
                                                  std::string* error) {
  ServerProcess::Options o;
  o.binary = STALKD_BIN;
  o.args = {"--redis", cluster.seeds()};
  for (std::string& a : extra) o.args.push_back(std::move(a));
  return ServerProcess::Start(o, error);
}

// `per_primary` tube names on each primary of the cluster (by the slot of their hash tag),
// so that traffic spreads over every shard. Names are "<prefix>0", "<prefix>1", ...
inline std::vector<std::string> TubesOnEveryPrimary(RedisCluster& cluster,
                                                    const std::string& prefix,
                                                    size_t per_primary) {
  std::map<uint16_t, size_t> count;
  for (uint16_t p : cluster.Primaries()) count[p] = 0;
  std::vector<std::string> out;
  for (int i = 0; out.size() < per_primary * count.size() && i < 10000; ++i) {
    std::string name = prefix + std::to_string(i);
    const uint16_t owner = cluster.OwnerOfSlot(redis_queue::TubeSlot(name));
    auto it = count.find(owner);
    if (it == count.end() || it->second >= per_primary) continue;
    ++it->second;
    out.push_back(std::move(name));
  }
  return out;
}

// One blocking protocol connection for a traffic thread.
class Conn {
 public:
  explicit Conn(uint16_t port) : c_(port) {}
  bool ok() const { return c_.ok(); }
  // Sends `cmd` and reads one whole reply; nullopt when the server is gone or silent.
  std::optional<std::string> Call(const std::string& cmd,
                                  std::chrono::milliseconds deadline = kReplyDeadline) {
    if (!c_.TrySend(cmd)) return std::nullopt;
    return c_.ReadReply(deadline);
  }

 private:
  WireClient c_;
};

// "RESERVED <id> <n>\r\n<body>\r\n" -> id and body.
inline bool ParseReserved(const std::string& reply, std::string* id, std::string* body) {
  if (reply.rfind("RESERVED ", 0) != 0) return false;
  const size_t sp = reply.find(' ', 9);
  const size_t eol = reply.find("\r\n");
  if (sp == std::string::npos || eol == std::string::npos || sp > eol) return false;
  *id = reply.substr(9, sp - 9);
  *body = reply.substr(eol + 2, reply.size() - eol - 4);
  return true;
}

// The value of `field` in a YAML stats reply ("\nfield: value\n"); -1 when absent.
inline long long StatField(const std::string& yaml, const std::string& field) {
  const std::string key = "\n" + field + ": ";
  const size_t at = yaml.find(key);
  if (at == std::string::npos) return -1;
  return std::atoll(yaml.c_str() + at + key.size());
}

// What the traffic threads saw. Thread-safe.
class Ledger {
 public:
  void Acked(const std::string& job) {
    std::lock_guard lock(mu_);
    acked_.insert(job);
  }
  void Unknown() { ++unknown_puts_; }
  // A delivery of `body` ("<job>/v<k>": the job and its put attempt).
  void Delivered(const std::string& body) {
    std::lock_guard lock(mu_);
    ++deliveries_[JobOf(body)];
    ++total_deliveries_;
  }
  void Odd(const std::string& what) {
    std::lock_guard lock(mu_);
    ++odd_count_;
    if (first_odd_.empty()) first_odd_ = what;
  }
  void DeleteFailed() { ++delete_failures_; }

  size_t delivered_jobs() {
    std::lock_guard lock(mu_);
    return deliveries_.size();
  }
  uint64_t total_deliveries() {
    std::lock_guard lock(mu_);
    return total_deliveries_;
  }
  // Acknowledged jobs never delivered.
  std::vector<std::string> Lost() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const std::string& j : acked_) {
      if (deliveries_.find(j) == deliveries_.end()) out.push_back(j);
    }
    return out;
  }
  // Deliveries beyond the first, over every job.
  uint64_t Duplicates() {
    std::lock_guard lock(mu_);
    uint64_t d = 0;
    for (const auto& [job, n] : deliveries_) d += n - 1;
    return d;
  }
  // Jobs delivered that no producer ever tried to put (corruption).
  std::set<std::string> JobsDelivered() {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (const auto& [job, n] : deliveries_) out.insert(job);
    return out;
  }
  size_t acked() {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  uint64_t unknown_puts() const { return unknown_puts_; }
  uint64_t delete_failures() const { return delete_failures_; }
  uint64_t odd_count() {
    std::lock_guard lock(mu_);
    return odd_count_;
  }
  std::string first_odd() {
    std::lock_guard lock(mu_);
    return first_odd_;
  }

  static std::string JobOf(const std::string& body) { return body.substr(0, body.find('/')); }

 private:
  std::mutex mu_;
  std::set<std::string> acked_;
  std::map<std::string, uint64_t> deliveries_;
  uint64_t total_deliveries_ = 0;
  uint64_t odd_count_ = 0;
  std::string first_odd_;
  std::atomic<uint64_t> unknown_puts_{0};
  std::atomic<uint64_t> delete_failures_{0};
};

struct ProducerSpec {
  uint16_t port = 0;
  std::string name;  // job names are "<name>-<n>"
  std::vector<std::string> tubes;
  int jobs = 0;
  int ttr_s = 60;
  // Retry a put answered INTERNAL_ERROR (outcome unknown) with a new body version; false:
  // any reply but INSERTED is odd.
  bool retry_unknown = false;
};

// Puts spec.jobs jobs, round-robin over spec.tubes; `progress` counts acknowledged puts.
inline void Produce(const ProducerSpec& spec, Ledger* ledger, std::atomic<int>* progress) {
  Conn c(spec.port);
  std::string used = "default";
  for (int n = 0; n < spec.jobs; ++n) {
    const std::string& tube = spec.tubes[n % spec.tubes.size()];
    if (tube != used) {
      auto r = c.Call("use " + tube + "\r\n");
      if (!r || *r != "USING " + tube + "\r\n") {
        return ledger->Odd("use " + tube + ": " + EscapeBytes(r.value_or("(no reply)")));
      }
      used = tube;
    }
    const std::string job = spec.name + "-" + std::to_string(n);
    for (int version = 0;; ++version) {
      const std::string body = job + "/v" + std::to_string(version);
      auto r = c.Call(PutCommand(body, 100, 0, static_cast<uint32_t>(spec.ttr_s)));
      if (r && r->rfind("INSERTED ", 0) == 0) {
        ledger->Acked(job);
        ++*progress;
        break;
      }
      if (r && *r == "INTERNAL_ERROR\r\n" && spec.retry_unknown && version < 50) {
        ledger->Unknown();
        continue;
      }
      return ledger->Odd("put " + body + ": " + EscapeBytes(r.value_or("(no reply)")));
    }
  }
}

struct WorkerSpec {
  uint16_t port = 0;
  std::vector<std::string> tubes;  // watched (default is ignored)
  // Tolerate INTERNAL_ERROR on reserve and delete, and NOT_FOUND on delete (a failover may
  // undo or lose things); false: any of those is odd.
  bool tolerate_errors = false;
};

// Reserves and deletes until `stop` is set and a reserve finds nothing.
inline void Work(const WorkerSpec& spec, Ledger* ledger, const std::atomic<bool>* stop) {
  Conn c(spec.port);
  for (const std::string& t : spec.tubes) {
    auto r = c.Call("watch " + t + "\r\n");
    if (!r || r->rfind("WATCHING ", 0) != 0) return ledger->Odd("watch: " + r.value_or("-"));
  }
  auto r = c.Call("ignore default\r\n");
  if (!r || r->rfind("WATCHING ", 0) != 0) return ledger->Odd("ignore: " + r.value_or("-"));
  for (;;) {
    auto reply = c.Call("reserve-with-timeout 1\r\n");
    if (!reply) return ledger->Odd("reserve: no reply");
    std::string id, body;
    if (ParseReserved(*reply, &id, &body)) {
      ledger->Delivered(body);
      auto d = c.Call("delete " + id + "\r\n");
      if (d && *d == "DELETED\r\n") continue;
      if (spec.tolerate_errors && d && (*d == "NOT_FOUND\r\n" || *d == "INTERNAL_ERROR\r\n")) {
        ledger->DeleteFailed();
        continue;
      }
      ledger->Odd("delete " + id + ": " + EscapeBytes(d.value_or("(no reply)")));
      continue;
    }
    if (*reply == "TIMED_OUT\r\n" || *reply == "DEADLINE_SOON\r\n") {
      if (stop->load()) return;
      continue;
    }
    if (spec.tolerate_errors && *reply == "INTERNAL_ERROR\r\n") continue;
    ledger->Odd("reserve: " + EscapeBytes(*reply));
    if (stop->load()) return;
  }
}

// Polls `done` every 50 ms until it holds or `deadline` passes (a hang guard, not a timing
// assertion). Returns done().
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// stats-tube of each tube through `port`: every current-jobs-* count must be 0.
inline void ExpectTubesEmpty(uint16_t port, const std::vector<std::string>& tubes) {
  Conn c(port);
  for (const std::string& t : tubes) {
    auto r = c.Call("stats-tube " + t + "\r\n");
    ASSERT_TRUE(r) << "stats-tube " << t << " on port " << port;
    for (const char* f : {"current-jobs-urgent", "current-jobs-ready", "current-jobs-reserved",
                          "current-jobs-delayed", "current-jobs-buried"}) {
      EXPECT_EQ(StatField(*r, f), 0) << t << " on port " << port << ": " << *r;
    }
  }
}

}  // namespace stalk::test::scale_out
