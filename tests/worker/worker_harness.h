#pragma once

// What the worker suites share: a stalkd (or $STALK_TEST_SERVER) started per test
// on a free loopback port, a stalk::Client on it for setting up and checking jobs,
// and helpers that turn a hang into a failure (generous deadlines, never timing
// thresholds).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "stalk/client.h"
#include "stalk/worker.h"
#include "support/server_process.h"
#include "support/server_under_test.h"

namespace stalk::test {

// Long enough that only a hang reaches it.
inline constexpr std::chrono::seconds kHangDeadline{60};

class WorkerHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = ServerUnderTestPath();
    if (binary.empty()) GTEST_SKIP() << "no server under test (set STALK_TEST_SERVER)";
    std::string error;
    ServerProcess::Options options;
    options.binary = binary;
    server_ = ServerProcess::Start(options, &error);
    ASSERT_NE(server_, nullptr) << error;
    auto client = Client::Connect(ServerOptions());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "server output:\n" << server_->Output();
  }

  Options ServerOptions() const {
    Options o;
    o.port = server_->port();
    return o;
  }

  // A new connection, for a competing consumer.
  std::unique_ptr<Client> Connect() {
    auto client = Client::Connect(ServerOptions());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  JobId Put(std::string_view tube, std::string_view body, PutOptions opts = {}) {
    auto id = client_->PutIn(tube, body, opts);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  JobStats Stats(JobId id) {
    auto stats = client_->StatsJob(id);
    EXPECT_TRUE(stats.ok()) << "stats-job " << id << ": " << stats.status().ToString();
    return stats.ok() ? *stats : JobStats{};
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// Blocks until `token` is stopped or kHangDeadline passes; true if it was stopped.
inline bool WaitForStop(const std::stop_token& token) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, token, kHangDeadline, [] { return false; });
  return token.stop_requested();
}

// A counter that threads can wait on.
class Counter {
 public:
  void Add() {
    {
      std::lock_guard lock(mu_);
      ++n_;
    }
    cv_.notify_all();
  }
  // True once the count reaches `n`; false after kHangDeadline.
  bool WaitFor(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kHangDeadline, [&] { return n_ >= n; });
  }
  int value() {
    std::lock_guard lock(mu_);
    return n_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

}  // namespace stalk::test
