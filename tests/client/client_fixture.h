#pragma once

// What the libstalk suites share: a fresh server per test (the stalkd of this tree,
// or $STALK_TEST_SERVER, e.g. /usr/bin/beanstalkd), and Options pointing at it with
// deadlines generous enough for a loaded machine, so a hang fails instead of
// blocking the suite.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "stalk/client.h"
#include "support/server_process.h"
#include "support/server_under_test.h"

// ASSERT_OK(result-or-status expression); EXPECT_ERROR(expression, Error::kX).
#define ASSERT_OK(expr)                                              \
  do {                                                               \
    auto&& _r = (expr);                                              \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.status().ToString(); \
  } while (0)

#define EXPECT_ERROR(expr, err)                                              \
  do {                                                                       \
    auto&& _r = (expr);                                                      \
    EXPECT_FALSE(_r.ok()) << #expr << " succeeded";                          \
    if (!_r.ok()) {                                                          \
      EXPECT_EQ(_r.error(), err) << #expr << ": " << _r.status().ToString(); \
    }                                                                        \
  } while (0)

namespace stalk::test {

class ClientFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = ServerUnderTestPath();
    if (binary_.empty())
      GTEST_SKIP() << "no server under test (build stalkd or set STALK_TEST_SERVER)";
    ASSERT_EQ(::access(binary_.c_str(), X_OK), 0) << binary_ << " is not executable";
    beanstalkd_ = IsBeanstalkdBinary(binary_);
  }

  void TearDown() override {
    if (server_ && HasFailure()) {
      std::cerr << "---- server output ----\n" << server_->Output() << "---- end ----\n";
    }
  }

  // Starts the server with `args` after -l/-p, on `port` when nonzero.
  [[nodiscard]] bool StartServer(std::vector<std::string> args = {}, uint16_t port = 0) {
    ServerProcess::Options o;
    o.binary = binary_;
    o.args = std::move(args);
    o.port = port;
    std::string error;
    server_ = ServerProcess::Start(o, &error);
    if (!server_) ADD_FAILURE() << error;
    return server_ != nullptr;
  }

  Options ClientOptions() const {
    Options o;
    o.host = "127.0.0.1";
    o.port = server_ ? server_->port() : 0;
    o.connect_timeout = std::chrono::seconds(5);
    o.call_timeout = std::chrono::seconds(20);
    o.backoff.initial = std::chrono::milliseconds(10);
    o.backoff.max = std::chrono::milliseconds(200);
    return o;
  }

  std::unique_ptr<Client> Connect() { return Connect(ClientOptions()); }
  std::unique_ptr<Client> Connect(const Options& o) {
    Result<std::unique_ptr<Client>> c = Client::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  bool beanstalkd() const { return beanstalkd_; }

  std::string binary_;
  bool beanstalkd_ = false;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace stalk::test
