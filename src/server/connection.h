#pragma once

#include <asio/generic/stream_protocol.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "proto/parser.h"
#include "queue/queue.h"

namespace stalk::server {

class Server;

// One client connection: reads commands, runs them against the Queue, writes the
// replies in command order.
//
// Pipelining: every complete command in the input buffer is run before the
// replies go out, and all replies gathered meanwhile leave in one write. Queue
// operations may complete later than they are issued (after a journal sync, a
// Redis round trip); each command gets a sequence number and replies are released
// strictly in that order. A reserve that has to wait stops the running of later
// commands until it is answered, as in beanstalkd.
//
// Bounded memory: the connection stops reading while its unsent output or its
// number of unanswered commands is over a limit, and reads ahead at most
// kReadAheadBytes beyond what the parser needs (a job body of up to -z bytes).
// An idle connection holds a 2 KiB input buffer; the buffer grows while the
// client keeps it full and shrinks back once consumed.
//
// Lifetime: owned by shared_ptrs held by its pending I/O handlers and by itself
// while its socket is open or queue operations are outstanding. Single-threaded:
// everything runs on the server's event loop.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  Connection(Server& server, Socket socket, uint64_t number);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. Call once, right after construction via make_shared.
  void Start();

  static constexpr size_t kMinReadBytes = 2 * 1024;
  static constexpr size_t kReadAheadBytes = 64 * 1024;
  static constexpr size_t kMaxOutputBytes = 1024 * 1024;
  // Commands in flight per connection. With an in-memory queue almost every command
  // is answered at once; with a journal (-f0) or Redis each waits for a sync or a
  // round trip, and this cap bounds the replies that can land together (1024 peeks of
  // a 64 KiB job: 64 MiB) while leaving room for group commit and pipelining.
  static constexpr size_t kMaxUnansweredCommands = 1024;

 private:
  struct Slot {
    bool done = false;
    std::string bytes;
  };

  void MaybeRead();
  void OnRead(const std::error_code& ec, size_t n, size_t offered);
  // Makes room for at least `free_bytes` more input after what is buffered.
  void ReserveInput(size_t free_bytes);
  void Process();
  void Execute(const proto::Command& cmd, uint64_t seq);
  void ReplyError(proto::Parser::Event ev, uint64_t seq);

  // Records the reply of command `seq`; `encode(std::string*)` appends its bytes.
  template <class Encode>
  void Complete(uint64_t seq, Encode&& encode);
  // Called by a completion that arrives after its command was issued.
  void AfterAsyncCompletion();

  void MaybeWrite();
  void OnWrite(const std::error_code& ec);
  void MaybeFinish();
  void Close();
  // Drops the self-reference once closed and every command is answered. May
  // destroy `this`: call last.
  void ReleaseIfDone();

  // Counts this connection in current-workers (once).
  void BecomeWorker();
  bool OutputFull() const;
  uint64_t Unanswered() const { return next_seq_ - flushed_seq_; }

  Server& server_;
  Socket socket_;
  const uint64_t number_;
  queue::Queue& queue_;
  const queue::SessionId session_;
  proto::Parser parser_;

  // Input. A read is always pending into it, so an idle connection holds a
  // kMinReadBytes buffer; it grows while reads fill it (up to kReadAheadBytes, or
  // what a job body needs) and shrinks back once consumed.
  std::unique_ptr<char[]> in_;
  size_t in_capacity_ = 0;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  size_t read_size_ = kMinReadBytes;  // how much the next read offers

  std::string out_;    // replies ready to send, in order
  std::string wbuf_;   // the bytes of the write in progress
  std::deque<Slot> pending_;  // replies of commands flushed_seq_, flushed_seq_+1, ...
  size_t parked_bytes_ = 0;   // bytes of the replies parked in pending_
  uint64_t next_seq_ = 0;     // sequence number of the next command
  uint64_t flushed_seq_ = 0;  // first command whose reply is not yet in out_

  bool reading_ = false;
  bool writing_ = false;
  bool eof_ = false;        // the client half-closed (or closed) its side
  bool quitting_ = false;   // `quit` seen: finish what is in flight, then close
  bool closed_ = false;     // socket closed and session ended
  bool blocked_ = false;    // a reserve is waiting
  uint64_t blocked_seq_ = 0;
  bool processing_ = false;
  bool producer_ = false;
  bool worker_ = false;

  std::shared_ptr<Connection> self_;
};

}  // namespace stalk::server
