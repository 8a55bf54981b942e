#include "server/server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "server/connection.h"
#include "server/version.h"

namespace stalk::server {
namespace {

constexpr int kListenBacklog = 1024;

std::string RandomInstanceId() {
  uint64_t v = 0;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(&v), sizeof v)) v = std::random_device{}();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

int64_t TimevalMicros(const timeval& tv) { return int64_t{tv.tv_sec} * 1000000 + tv.tv_usec; }

}  // namespace

Server::Server(asio::io_context& io, const Config& config, queue::Queue& queue, Clock& clock)
    : io_(io),
      config_(config),
      queue_(queue),
      clock_(clock),
      acceptor_(io),
      started_(clock.Now()),
      instance_id_(RandomInstanceId()) {
  utsname u{};
  if (uname(&u) == 0) {
    hostname_ = u.nodename;
    os_ = u.version;
    platform_ = u.machine;
  }
}

Server::~Server() = default;

std::error_code Server::Listen() {
  const std::string& addr = config_.listen_address;
  if (addr.rfind("unix:", 0) == 0) {
    const std::string path = addr.substr(5);
    sockaddr_un sa{};
    if (path.empty() || path.size() >= sizeof sa.sun_path) {
      return std::make_error_code(std::errc::filename_too_long);
    }
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    // Replace a stale socket file, but never some other kind of file.
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return std::make_error_code(std::errc::file_exists);
      unlink(path.c_str());
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {errno, std::system_category()};
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        listen(fd, kListenBacklog) != 0) {
      std::error_code ec{errno, std::system_category()};
      close(fd);
      return ec;
    }
    std::error_code ec;
    acceptor_.assign(asio::generic::stream_protocol(AF_UNIX, 0), fd, ec);
    tcp_ = false;
    if (!ec) spdlog::info("listening on unix:{}", path);
    return ec;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(config_.port);
  const int gai = getaddrinfo(addr.empty() ? nullptr : addr.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) {
    spdlog::error("getaddrinfo({}): {}", addr, gai_strerror(gai));
    return std::make_error_code(std::errc::address_not_available);
  }
  std::error_code last = std::make_error_code(std::errc::address_not_available);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = {errno, std::system_category()};
      continue;
    }
    const int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6 && addr.empty()) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, kListenBacklog) != 0) {
      last = {errno, std::system_category()};
      close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    bound_port_ = ntohs(bound.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::error_code ec;
    acceptor_.assign(asio::generic::stream_protocol(ai->ai_family, ai->ai_protocol), fd, ec);
    freeaddrinfo(res);
    if (!ec) spdlog::info("listening on {}:{}", addr.empty() ? "*" : addr, bound_port_);
    return ec;
  }
  freeaddrinfo(res);
  return last;
}

void Server::Start() { Accept(); }

void Server::StopAccepting() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

void Server::Accept() {
  acceptor_.async_accept([this](const std::error_code& ec, Connection::Socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // EMFILE and friends: log, back off a little by retrying on the next turn.
      spdlog::warn("accept: {}", ec.message());
      asio::post(io_, [this] { Accept(); });
      return;
    }
    if (tcp_) {
      const int one = 1;
      setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    const uint64_t number = ++counters_.total_connections;
    ++counters_.current_connections;
    std::make_shared<Connection>(*this, std::move(socket), number)->Start();
    Accept();
  });
}

proto::ServerStats Server::MakeStats(const queue::QueueInfo& q) const {
  proto::ServerStats s;
  s.current_jobs_urgent = q.urgent;
  s.current_jobs_ready = q.ready;
  s.current_jobs_reserved = q.reserved;
  s.current_jobs_delayed = q.delayed;
  s.current_jobs_buried = q.buried;
  s.cmd = counters_.cmd;
  s.job_timeouts = q.job_timeouts;
  s.total_jobs = q.total_jobs;
  s.max_job_size = config_.max_job_bytes;
  s.current_tubes = q.tubes;
  s.current_connections = counters_.current_connections;
  s.current_producers = counters_.current_producers;
  s.current_workers = counters_.current_workers;
  s.current_waiting = q.waiting;
  s.total_connections = counters_.total_connections;
  s.pid = getpid();
  s.version = std::string(kStatsVersion);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.rusage_utime_us = TimevalMicros(ru.ru_utime);
  s.rusage_stime_us = TimevalMicros(ru.ru_stime);
  s.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now() - started_).count();
  s.binlog_oldest_index = q.binlog_oldest_index;
  s.binlog_current_index = q.binlog_current_index;
  s.binlog_records_migrated = q.binlog_records_migrated;
  s.binlog_records_written = q.binlog_records_written;
  s.binlog_max_size = config_.binlog_size_bytes;
  s.draining = draining_;
  s.id = instance_id_;
  s.hostname = hostname_;
  s.os = os_;
  s.platform = platform_;
  return s;
}

}  // namespace stalk::server
