#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "base/clock.h"
#include "proto/command.h"
#include "proto/stats.h"
#include "queue/queue.h"
#include "server/config.h"

namespace stalk::server {

// Counters of the protocol layer, shown by `stats`.
struct ServerCounters {
  std::array<uint64_t, proto::kVerbCount> cmd{};
  uint64_t current_connections = 0;
  uint64_t total_connections = 0;
  uint64_t current_producers = 0;
  uint64_t current_workers = 0;
};

// The protocol server: accepts connections on one listening socket (TCP or UNIX)
// and serves them from one event-loop thread against a Queue it does not own and
// whose implementation it does not know. Not thread-safe: all of it runs on the
// io_context's thread.
class Server {
 public:
  Server(asio::io_context& io, const Config& config, queue::Queue& queue, Clock& clock);
  ~Server();

  // Binds and listens as beanstalkd does (getaddrinfo with AI_PASSIVE, first
  // address that works; `unix:PATH` replaces a stale socket file). Returns the
  // error on failure.
  std::error_code Listen();
  // Starts accepting. REQUIRES: Listen() succeeded.
  void Start();
  // Stops accepting; existing connections are left to the caller (the process exits).
  void StopAccepting();

  // SIGUSR1: from now on every put is answered DRAINING. Permanent, as in beanstalkd.
  void EnterDrainMode() { draining_ = true; }
  bool draining() const { return draining_; }

  const Config& config() const { return config_; }
  queue::Queue& queue() { return queue_; }
  ServerCounters& counters() { return counters_; }

  // Builds the `stats` document from the queue's part and the server's own.
  proto::ServerStats MakeStats(const queue::QueueInfo& q) const;

 private:
  void Accept();

  asio::io_context& io_;
  const Config config_;
  queue::Queue& queue_;
  Clock& clock_;
  asio::basic_socket_acceptor<asio::generic::stream_protocol> acceptor_;
  uint16_t bound_port_ = 0;  // the bound TCP port (logged; differs from -p with -p 0)
  bool tcp_ = true;
  bool draining_ = false;
  ServerCounters counters_;
  const TimePoint started_;
  std::string instance_id_;  // 16 hex chars, random per start
  std::string hostname_, os_, platform_;
};

}  // namespace stalk::server
