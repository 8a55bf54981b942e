// stalkd: the composition root. Parses flags, picks the Queue implementation,
// binds, drops privileges, and runs the event loop until SIGTERM/SIGINT.

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "local/local_queue.h"
#include "server/asio_clock.h"
#include "server/config.h"
#include "server/server.h"

namespace {

// beanstalkd's exit codes (main.c, serv.c, util.c).
constexpr int kExitFatal = 1;
constexpr int kExitSocket = 111;
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

  if (!config.binlog_dir.empty()) {
    spdlog::critical(
        "-b (write-ahead log) is not available in this build of stalkd yet; refusing to start "
        "without the durability it asks for");
    return kExitFatal;
  }

  signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  stalk::server::AsioClock clock(io);
  stalk::local::LocalQueue queue(clock);
  stalk::server::Server server(io, config, queue, clock);

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
  return 0;
}
