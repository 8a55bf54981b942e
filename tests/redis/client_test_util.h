#pragma once

// Helpers shared by the ClusterClient integration tests: drive the io_context until a
// condition holds (a generous deadline only turns a hang into a failure), and run one
// command synchronously.

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "redis/cluster.h"
#include "redis/slot.h"

namespace stalk::redis::test_util {

class IoLoop {
 public:
  IoLoop() : guard_(asio::make_work_guard(io_)) {}
  asio::io_context& io() { return io_; }

  // Runs handlers until `done()` is true or `limit` passes; returns done().
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  // Runs handlers for `d` (to let background work such as a map refresh happen).
  void RunFor(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) io_.run_one_for(std::chrono::milliseconds(5));
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
};

// A key whose slot is `slot`.
inline std::string KeyIn(uint16_t slot, std::string_view suffix = "k") {
  return "{" + std::string(TagForSlot(slot)) + "}:" + std::string(suffix);
}

// Starts `client`; fails the test if it does not come up.
inline ::testing::AssertionResult StartClient(IoLoop& loop, ClusterClient& client) {
  std::optional<Status> started;
  client.Start([&](Status s) { started = s; });
  if (!loop.RunUntil([&] { return started.has_value(); })) {
    return ::testing::AssertionFailure() << "Start did not call back";
  }
  if (!started->ok()) return ::testing::AssertionFailure() << started->ToString();
  return ::testing::AssertionSuccess();
}

// Runs one command and waits for its reply.
inline Reply RunCommand(IoLoop& loop, ClusterClient& client, uint16_t slot,
                 std::vector<std::string> args, CallOptions opts = {}) {
  std::optional<Reply> reply;
  client.Command(slot, std::move(args), [&](Reply r) { reply = std::move(r); }, opts);
  if (!loop.RunUntil([&] { return reply.has_value(); })) {
    return Status(StatusCode::kIOError, "test: no reply within the test's deadline");
  }
  return std::move(*reply);
}

inline std::string Text(const Reply& r) {
  return r.ok() ? r->ToString() : "failed: " + r.status().ToString();
}

inline ClusterOptions OptionsFor(const std::string& seeds) {
  ClusterOptions options;
  auto parsed = ParseRedisAddress(seeds);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (parsed.ok()) options.seeds = *parsed;
  return options;
}

}  // namespace stalk::redis::test_util
