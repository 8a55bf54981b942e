#include "support/server_fixture.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "support/redis_cluster.h"
#include "support/server_under_test.h"

namespace stalk::test {
namespace {

// The Redis deployment of this test binary (STALK_TEST_REDIS), set up on first
// use and kept until exit, so a cluster is started once, not once per test.
struct RedisBackend {
  std::string address;                    // for --redis; "" when not on Redis
  std::string error;                      // why the deployment is unusable ("" if fine)
  std::unique_ptr<RedisCluster> cluster;  // when the suite started it
};

RedisBackend MakeRedisBackend() {
  RedisBackend backend;
  const char* env = std::getenv("STALK_TEST_REDIS");
  const std::string mode = env ? env : "";
  if (mode.empty()) return backend;
  if (mode == "cluster" || mode == "single") {
    const RedisCluster::Options options =
        mode == "cluster" ? RedisCluster::ThreeByThree() : RedisCluster::Standalone();
    std::string error;
    backend.cluster = RedisCluster::Start(options, &error);
    if (!backend.cluster) {
      backend.error = "STALK_TEST_REDIS=" + mode + ": could not start redis-server: " + error;
      return backend;
    }
    backend.address = backend.cluster->seeds();
    return backend;
  }
  if (mode.find(':') == std::string::npos) {
    backend.error = "STALK_TEST_REDIS='" + mode +
                    "' is none of: cluster, single, redis://host:port[,host:port...]";
    return backend;
  }
  backend.address = mode;
  return backend;
}

RedisBackend& SharedRedisBackend() {
  static RedisBackend backend = MakeRedisBackend();
  return backend;
}

struct HostPort {
  std::string host;
  int port = 0;
};

// "redis://h:p,h:p" (scheme optional) -> endpoints; "" in *error unless bad.
std::vector<HostPort> ParseSeeds(std::string_view address, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (address.starts_with(kScheme)) address.remove_prefix(kScheme.size());
  std::vector<HostPort> seeds;
  while (!address.empty()) {
    const size_t comma = address.find(',');
    const std::string_view item = address.substr(0, comma);
    address = comma == std::string_view::npos ? std::string_view() : address.substr(comma + 1);
    const size_t colon = item.rfind(':');
    const std::string port_text(colon == std::string_view::npos ? "" : item.substr(colon + 1));
    const int port = port_text.empty() ||
                             port_text.find_first_not_of("0123456789") != std::string::npos ||
                             port_text.size() > 5
                         ? 0
                         : std::atoi(port_text.c_str());
    if (colon == 0 || colon == std::string_view::npos || port <= 0 || port > 65535) {
      *error = "bad Redis address item '" + std::string(item) + "' (want host:port)";
      return {};
    }
    seeds.push_back({std::string(item.substr(0, colon)), port});
  }
  if (seeds.empty()) *error = "empty Redis address";
  return seeds;
}

// One blocking command on one node; the reply's text, or an error in *error.
std::string RedisCall(const HostPort& node, const std::vector<std::string>& args,
                      std::string* error) {
  const timeval timeout{2, 0};
  redisContext* c = redisConnectWithTimeout(node.host.c_str(), node.port, timeout);
  const std::string where = node.host + ":" + std::to_string(node.port);
  if (c == nullptr || c->err) {
    *error = "cannot connect to Redis at " + where + ": " + (c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return "";
  }
  redisSetTimeout(c, timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  std::string text;
  if (reply == nullptr) {
    *error = "no reply from Redis at " + where + ": " + c->errstr;
  } else if (reply->type == REDIS_REPLY_ERROR) {
    *error = "Redis at " + where + " answered " + std::string(reply->str, reply->len);
  } else if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
    text.assign(reply->str, reply->len);
  }
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return text;
}

// The primaries of the deployment whose seeds are `seeds`: from CLUSTER NODES of
// the first seed that answers, or that seed alone if it is not a cluster node.
std::vector<HostPort> FindPrimaries(const std::vector<HostPort>& seeds, std::string* error) {
  for (const HostPort& seed : seeds) {
    std::string call_error;
    const std::string nodes = RedisCall(seed, {"CLUSTER", "NODES"}, &call_error);
    if (call_error.find("cluster support disabled") != std::string::npos) return {seed};
    if (!call_error.empty()) {
      *error = call_error;
      continue;
    }
    // <id> <ip:port@cport[,hostname]> <flags> <master> ...
    std::vector<HostPort> primaries;
    std::istringstream lines(nodes);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string id, addr, flags;
      if (!(fields >> id >> addr >> flags)) continue;
      std::string flag_list = "," + flags + ",";
      if (flag_list.find(",master,") == std::string::npos ||
          flag_list.find(",fail,") != std::string::npos) {
        continue;
      }
      const std::string host_port = addr.substr(0, addr.find('@'));
      const size_t colon = host_port.rfind(':');
      if (colon == std::string::npos) continue;
      HostPort p{host_port.substr(0, colon), std::atoi(host_port.c_str() + colon + 1)};
      if (p.host.empty()) p.host = seed.host;  // a node that does not know its own address
      primaries.push_back(p);
    }
    if (!primaries.empty()) {
      error->clear();
      return primaries;
    }
    *error =
        "CLUSTER NODES of " + seed.host + ":" + std::to_string(seed.port) + " lists no primary";
  }
  return {};
}

// Empties every primary of the deployment at `address`; "" or what went wrong.
std::string FlushAll(const std::string& address) {
  std::string error;
  const std::vector<HostPort> seeds = ParseSeeds(address, &error);
  if (!error.empty()) return error;
  const std::vector<HostPort> primaries = FindPrimaries(seeds, &error);
  if (primaries.empty()) return error.empty() ? "no Redis primary found" : error;
  for (const HostPort& primary : primaries) {
    const std::string reply = RedisCall(primary, {"FLUSHALL"}, &error);
    if (!error.empty()) return "FLUSHALL: " + error;
    if (reply != "OK") return "FLUSHALL answered '" + reply + "'";
  }
  return "";
}

void SkipTest(const std::string& why) { GTEST_SKIP() << why; }

}  // namespace

void ServerFixture::SetUp() {
  binary_ = ServerUnderTestPath();
  if (binary_.empty()) {
    GTEST_SKIP() << "no server under test: set STALK_TEST_SERVER=<path> (e.g. "
                    "/usr/bin/beanstalkd) or build the stalkd target";
  }
  if (::access(binary_.c_str(), X_OK) != 0) {
    FAIL() << "server under test '" << binary_
           << "' is missing or not executable; build the stalkd target or set "
              "STALK_TEST_SERVER";
  }
  beanstalkd_ = IsBeanstalkdBinary(binary_);
  const char* env = std::getenv("STALK_TEST_REDIS");
  if (env == nullptr || *env == '\0') return;
  if (beanstalkd_) {
    FAIL() << "STALK_TEST_REDIS is set but the server under test is beanstalkd, which has no "
              "Redis backend";
  }
  if (NeedsLocalStorage()) {
    GTEST_SKIP() << "needs the server's own storage (a binlog directory); on the Redis backend "
                    "jobs live in Redis (STALK_TEST_REDIS is set)";
  }
  const RedisBackend& backend = SharedRedisBackend();
  if (!backend.error.empty()) FAIL() << backend.error;
  redis_address_ = backend.address;
}

void ServerFixture::TearDown() {
  if (server_ && HasFailure()) {
    std::string out = server_->Output();
    std::cerr << "---- output of " << binary_ << " (pid " << server_->pid() << ")"
              << (redis() ? " on Redis " + redis_address_ : std::string()) << " ----\n"
              << (out.empty() ? "(none)\n" : out) << "---- end of server output ----\n";
  }
  server_.reset();
}

bool ServerFixture::PrepareRedis(std::vector<std::string>* args, std::source_location loc) {
  if (std::find(args->begin(), args->end(), "-b") != args->end()) {
    SkipTest("-b (a binlog directory) has no meaning on the Redis backend: jobs live in Redis");
    return false;
  }
  // The previous server of this test (if any) must not write after the flush.
  server_.reset();
  if (std::string error = FlushAll(redis_address_); !error.empty()) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "emptying Redis at " << redis_address_ << " before the test: " << error;
    return false;
  }
  args->insert(args->begin(), {"--redis", redis_address_});
  id_map_ = std::make_shared<IdMap>();
  return true;
}

bool ServerFixture::StartServer(std::vector<std::string> args, std::source_location loc) {
  if (redis() && !PrepareRedis(&args, loc)) return false;
  ServerProcess::Options options;
  options.binary = binary_;
  options.args = std::move(args);
  std::string error;
  server_ = ServerProcess::Start(options, &error);
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << error;
    return false;
  }
  return true;
}

bool ServerFixture::StartUnixServer(const std::string& path, std::vector<std::string> args,
                                    std::source_location loc) {
  if (redis() && !PrepareRedis(&args, loc)) return false;
  ServerProcess::Options options;
  options.binary = binary_;
  options.args = std::move(args);
  options.unix_path = path;
  std::string error;
  server_ = ServerProcess::Start(options, &error);
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << error;
    return false;
  }
  return true;
}

std::unique_ptr<WireClient> ServerFixture::Connect(std::source_location loc) {
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << "no server running";
    return std::make_unique<WireClient>(uint16_t{0}, loc);
  }
  auto client = server_->unix_path().empty()
                    ? std::make_unique<WireClient>(server_->port(), loc)
                    : std::make_unique<WireClient>(server_->unix_path(), loc);
  if (id_map_) client->UseIdMap(id_map_);
  return client;
}

uint64_t ServerFixture::ServerJobId(uint64_t ordinal) const {
  if (!id_map_) return ordinal;
  return id_map_->ServerIdOf(ordinal).value_or(ordinal);
}

}  // namespace stalk::test
