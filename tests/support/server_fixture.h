#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/wire_client.h"

namespace stalk::test {

// Base fixture of the end-to-end suites: each test starts its own fresh server
// (ids from 1, empty counters) from ServerUnderTestPath().
//
//   TEST_F(Conformance, PeekOk) {
//     ASSERT_TRUE(StartServer());
//     auto c = Connect();
//     c->Roundtrip(PutCommand("a"), "INSERTED 1\r\n");
//   }
//
// SetUp() skips the test when no server is configured and fails it when the
// configured path is not an executable. On failure, TearDown() prints what the
// server wrote to stdout/stderr.
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server under test with `args` after -l/-p (e.g. {"-z", "10"}).
  // Reports a failure and returns false if it does not come up.
  [[nodiscard]] bool StartServer(std::vector<std::string> args = {},
                                 std::source_location loc = std::source_location::current());
  // Same, listening on a UNIX socket at `path`.
  [[nodiscard]] bool StartUnixServer(const std::string& path, std::vector<std::string> args = {},
                                     std::source_location loc = std::source_location::current());

  // A new connection to the running server.
  std::unique_ptr<WireClient> Connect(std::source_location loc = std::source_location::current());

  ServerProcess& server() { return *server_; }
  // True when the server under test is beanstalkd (1.12) rather than stalkd.
  bool beanstalkd() const { return beanstalkd_; }
  const std::string& binary() const { return binary_; }

  std::unique_ptr<ServerProcess> server_;

 private:
  std::string binary_;
  bool beanstalkd_ = false;
};

}  // namespace stalk::test
