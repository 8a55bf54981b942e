#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "support/id_map.h"
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
//
// The Redis backend. With STALK_TEST_REDIS set, the server under test (stalkd)
// runs on Redis instead of its own storage:
//   STALK_TEST_REDIS=cluster      a 3-primary/3-replica cluster (RedisCluster),
//                                 started on first use and shared by every test
//                                 of the binary;
//   STALK_TEST_REDIS=single       one plain redis-server, shared the same way;
//   STALK_TEST_REDIS=redis://h:p[,h:p...]  an existing deployment (loopback);
//                                 the suites FLUSHALL it.
// Every StartServer() then FLUSHALLs every primary (each test sees an empty
// queue, as with a fresh server), passes `--redis <address>` before the test's
// arguments, and gives every client from Connect() one shared IdMap: job ids on
// Redis are sparse (slot * 2^39 + seq), and the clients show them to the test as
// 1, 2, 3... in order of first appearance (support/id_map.h), so suites written
// for beanstalkd's sequential ids run unchanged. Tests that depend on the
// server's own storage are skipped (NeedsLocalStorage, -b).
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Suites whose every test needs the server's own storage (a binlog directory)
  // return true: on the Redis backend they are skipped in SetUp.
  virtual bool NeedsLocalStorage() const { return false; }

  // Starts the server under test with `args` after -l/-p (e.g. {"-z", "10"}).
  // Reports a failure and returns false if it does not come up. On the Redis
  // backend, args with -b (a binlog directory) skip the test (GTEST_SKIP) and
  // return false: a caller that ASSERTs on the result then fails instead, which
  // is why such suites override NeedsLocalStorage.
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

  // True when the server under test runs on Redis (STALK_TEST_REDIS).
  bool redis() const { return !redis_address_.empty(); }
  // The --redis address given to the server ("" without Redis).
  const std::string& redis_address() const { return redis_address_; }
  // The ids the clients translate; null without Redis.
  const std::shared_ptr<IdMap>& id_map() const { return id_map_; }
  // The server's id of the job the test knows as `ordinal`: the same number
  // without Redis, or when no reply has shown that ordinal yet. For tests that
  // bypass WireClient (raw socket I/O).
  uint64_t ServerJobId(uint64_t ordinal) const;

  std::unique_ptr<ServerProcess> server_;

 private:
  // The Redis part of starting a server: empties the deployment, adds --redis to
  // `args`, installs a fresh IdMap. False (with a failure or a skip) if the test
  // cannot go on.
  bool PrepareRedis(std::vector<std::string>* args, std::source_location loc);

  std::string binary_;
  bool beanstalkd_ = false;
  std::string redis_address_;
  std::shared_ptr<IdMap> id_map_;
};

}  // namespace stalk::test
