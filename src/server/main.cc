// stalkd: the composition root. Parses flags, picks the Queue implementation,
// binds, drops privileges, and runs the event loop until SIGTERM/SIGINT.

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "journal/journal.h"
#include "local/local_queue.h"
#include "redis/cluster.h"
#include "redis/endpoint.h"
#include "redis_queue/redis_queue.h"
#include "server/asio_clock.h"
#include "server/config.h"
#include "server/server.h"

namespace {

// beanstalkd's exit codes (main.c, serv.c, util.c).
constexpr int kExitFatal = 1;
constexpr int kExitBinlogLock = 10;
constexpr int kExitSocket = 111;
constexpr int kExitUsage = 5;
constexpr int kExitUserLookup = 32;
constexpr int kExitSetgid = 33;
constexpr int kExitSetuid = 34;

int DropPrivileges(const std::string& user) {
  errno = 0;
  passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    spdlog::critical("getpwnam(\"{}\"): {}", user, errno ? std::strerror(errno) : "no such user");
    return kExitUserLookup;
  }
  if (setgroups(0, nullptr) != 0 && errno != EPERM) {
    spdlog::critical("setgroups: {}", std::strerror(errno));
    return kExitSetgid;
  }
  if (setgid(pw->pw_gid) != 0) {
    spdlog::critical("setgid({}): {}", pw->pw_gid, std::strerror(errno));
    return kExitSetgid;
  }
  if (setuid(pw->pw_uid) != 0) {
    spdlog::critical("setuid({}): {}", pw->pw_uid, std::strerror(errno));
    return kExitSetuid;
  }
  return 0;
}

// Connects to the Redis named by --redis before anything listens: a Redis that cannot be
// reached is a clear error at start, never a server that hangs on its first command.
// Returns the started client, or nullptr after logging why.
std::unique_ptr<stalk::redis::ClusterClient> ConnectRedis(asio::io_context& io,
                                                          const stalk::server::Config& config,
                                                          int* exit_code) {
  auto seeds = stalk::redis::ParseRedisAddress(config.redis_url);
  if (!seeds.ok()) {
    std::cerr << "stalkd: --redis " << config.redis_url << ": " << seeds.status().message()
              << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  stalk::redis::ClusterOptions options;
  options.seeds = std::move(seeds).value();
  auto client = std::make_unique<stalk::redis::ClusterClient>(io, std::move(options));
  std::optional<stalk::Status> started;
  client->Start([&started](stalk::Status st) { started = std::move(st); });
  // Start reports on its own within the client's timeouts; this bound only guards against a
  // client that never answers.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!started && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::milliseconds(100));
    if (io.stopped()) io.restart();
  }
  io.restart();
  if (!started || !started->ok()) {
    spdlog::critical("cannot reach Redis at {}: {}", config.redis_url,
                     started ? started->ToString() : std::string("no answer in 30 s"));
    *exit_code = kExitFatal;
    return nullptr;
  }
  spdlog::info("using Redis at {} ({} mode)", config.redis_url,
               client->cluster_mode() ? "cluster" : "single-node");
  return client;
}

}  // namespace

int main(int argc, char** argv) {
  using stalk::server::ParsedArgs;
  const ParsedArgs args = stalk::server::ParseCommandLine(argc, argv);
  if (args.action == ParsedArgs::Action::kExit) return args.exit_code;
  const stalk::server::Config& config = args.config;

  auto logger = spdlog::stderr_logger_st("stalkd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("stalkd: %Y-%m-%dT%H:%M:%S.%e %l: %v");
  spdlog::set_level(config.verbosity > 0 ? spdlog::level::info : spdlog::level::warn);

  signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  stalk::server::AsioClock clock(io);
  // The queue: in memory (with the journal under -b), or in Redis under --redis. Both are
  // declared before the server, which holds a reference, so they outlive it.
  std::unique_ptr<stalk::redis::ClusterClient> redis_client;
  std::unique_ptr<stalk::queue::Queue> queue_owner;
  stalk::local::LocalQueue* local_queue = nullptr;
  stalk::redis_queue::RedisQueue* redis_queue = nullptr;
  if (!config.redis_url.empty()) {
    int exit_code = 0;
    redis_client = ConnectRedis(io, config, &exit_code);
    if (!redis_client) return exit_code;
    stalk::redis_queue::RedisQueueOptions options;
    options.wait_replicas = config.redis_wait_replicas;
    options.wait_timeout = std::chrono::milliseconds(config.redis_wait_timeout_ms);
    auto rq = std::make_unique<stalk::redis_queue::RedisQueue>(*redis_client, clock, options);
    rq->Start();
    redis_queue = rq.get();
    queue_owner = std::move(rq);
  } else {
    auto lq = std::make_unique<stalk::local::LocalQueue>(clock);
    local_queue = lq.get();
    queue_owner = std::move(lq);
  }
  stalk::server::Server server(io, config, *queue_owner, clock);

  // The journal is declared after the server so that it is destroyed first: its
  // destructor syncs what is pending and runs the completions still waiting,
  // which reach connections and the server's counters.
  std::unique_ptr<stalk::journal::Journal> journal;
  if (local_queue != nullptr && !config.binlog_dir.empty()) {
    stalk::journal::Options options;
    options.dir = config.binlog_dir;
    options.segment_bytes = config.binlog_size_bytes;
    options.max_job_bytes = config.max_job_bytes;
    if (config.never_fsync) {
      options.sync = stalk::journal::SyncPolicy::kNever;
    } else if (config.fsync_ms.value_or(50) == 0) {
      options.sync = stalk::journal::SyncPolicy::kEveryWrite;
    } else {
      options.sync = stalk::journal::SyncPolicy::kInterval;
      options.sync_interval = std::chrono::milliseconds(config.fsync_ms.value_or(50));
    }
    options.post = [&io](std::function<void()> f) { asio::post(io, std::move(f)); };
    auto opened = stalk::journal::Journal::Open(options, *local_queue);
    if (!opened.ok()) {
      spdlog::critical("cannot open the write-ahead log in {}: {}", config.binlog_dir,
                       opened.status().ToString());
      return opened.status().code() == stalk::StatusCode::kLocked ? kExitBinlogLock
                                                                        : kExitFatal;
    }
    journal = std::move(opened).value();
    local_queue->AttachJournal(journal.get());
  }

  if (std::error_code ec = server.Listen()) {
    spdlog::critical("cannot listen on {}:{}: {}",
                     config.listen_address.empty() ? "*" : config.listen_address, config.port,
                     ec.message());
    return kExitSocket;
  }
  if (!config.user.empty()) {
    if (int code = DropPrivileges(config.user)) return code;
  }

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const std::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    server.StopAccepting();
    if (redis_queue != nullptr) {
      // Give this node's reservations back now, not after their TTR (beanstalkd releases a
      // closed connection's jobs); bounded, so a lost Redis cannot hold the exit up.
      redis_queue->Shutdown(std::chrono::seconds(3), [&io] { io.stop(); });
      return;
    }
    io.stop();
  });
  asio::signal_set drain_signal(io, SIGUSR1);
  std::function<void(const std::error_code&, int)> on_drain = [&](const std::error_code& ec, int) {
    if (ec) return;
    spdlog::warn("SIGUSR1: entering drain mode; puts now answer DRAINING");
    server.EnterDrainMode();
    drain_signal.async_wait(on_drain);
  };
  drain_signal.async_wait(on_drain);

  if (config.verbosity > 0) spdlog::info("pid {}", getpid());
  server.Start();
  io.run();
  if (journal) {
    // Orderly stop: hand the replies still waiting for this turn's sync to the
    // journal, whose destructor syncs and runs them before it goes.
    local_queue->AttachJournal(nullptr);
    journal.reset();
  }
  return 0;
}
