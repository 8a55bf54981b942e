#pragma once

// Connection: one TCP connection to one Redis node, on the io_context's thread. It connects
// on creation, pipelines: everything Send()s in one loop turn goes out in one write, and
// matches replies to requests in order. A request that has not been answered within
// command_timeout breaks the connection (a stopped or partitioned node), as does any
// transport or protocol error; a broken Connection fails everything pending and is never
// used again: the owner makes a new one.
//
// Push mode (SetPushHandler, for pub/sub): every reply goes to the push handler; Send()
// callbacks are not used and no command timeout applies.
//
// Threading: single-threaded, on the io thread. Owned through shared_ptr: in-flight Asio
// handlers keep it alive; Close() makes them no-ops.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "redis/endpoint.h"
#include "redis/resp.h"
#include "redis/value.h"

namespace stalk::redis {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `written` says whether the request's bytes had been handed to the socket when it
  // failed (so it may have run on the node).
  using ReplyFn = std::function<void(Result<Value> reply, bool written)>;

  static std::shared_ptr<Connection> Create(asio::io_context& io, Endpoint endpoint,
                                            Duration connect_timeout, Duration command_timeout);
  ~Connection();

  // Queues one encoded command (see EncodeCommand). `done` runs once, from a later loop turn:
  // with the reply, or with a failed Status when the connection breaks first.
  void Send(std::string encoded, ReplyFn done);

  // Switches to push mode (see above). Call before the first Send.
  void SetPushHandler(std::function<void(Value)> on_push);
  // Runs once when the connection breaks (not after Close()).
  void SetCloseHandler(std::function<void(const Status&)> on_close);

  // Fails every pending request with `why` and closes the socket. Idempotent.
  void Close(const Status& why);

  bool broken() const { return closed_; }
  const Endpoint& endpoint() const { return endpoint_; }
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    ReplyFn done;
    TimePoint deadline;
  };

  Connection(asio::io_context& io, Endpoint endpoint, Duration connect_timeout,
             Duration command_timeout);
  void Connect();
  void OnConnected();
  void ScheduleFlush();
  void Flush();
  void Read();
  void OnBytes(size_t n);
  void ArmTimer();
  void Fail(const Status& why);

  asio::io_context& io_;
  Endpoint endpoint_;
  Duration connect_timeout_;
  Duration command_timeout_;
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool connected_ = false;
  bool closed_ = false;
  bool writing_ = false;
  bool flush_posted_ = false;
  std::string out_;           // bytes queued for the next write
  std::string writing_buf_;   // bytes of the write in flight
  std::deque<Pending> pending_;
  size_t unwritten_ = 0;      // the last `unwritten_` pending requests are still in out_
  RespReader reader_;
  std::array<char, 64 * 1024> read_buf_;
  std::function<void(Value)> on_push_;
  std::function<void(const Status&)> on_close_;
};

}  // namespace stalk::redis
