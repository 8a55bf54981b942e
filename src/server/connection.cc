#include "server/connection.h"

#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "proto/reply.h"
#include "proto/stats.h"
#include "queue/stats.h"
#include "server/server.h"

namespace stalk::server {
namespace {

using proto::Reply;
using proto::Verb;
using queue::Code;
using queue::JobRef;

// The reply of the commands that answer with one word per outcome.
Reply WordFor(Code c, Reply ok) {
  switch (c) {
    case Code::kOk: return ok;
    case Code::kNotFound: return Reply::kNotFound;
    case Code::kBuried: return Reply::kBuried;
    case Code::kNotIgnored: return Reply::kNotIgnored;
    case Code::kTimedOut: return Reply::kTimedOut;
    case Code::kDeadlineSoon: return Reply::kDeadlineSoon;
    case Code::kOutOfMemory: return Reply::kOutOfMemory;
    case Code::kInternalError: return Reply::kInternalError;
  }
  return Reply::kInternalError;
}

}  // namespace

Connection::Connection(Server& server, Socket socket, uint64_t number)
    : server_(server),
      socket_(std::move(socket)),
      number_(number),
      queue_(server.queue()),
      session_(queue_.OpenSession()),
      parser_(server.config().max_job_bytes),
      in_(nullptr) {}


Connection::~Connection() = default;

void Connection::Start() {
  self_ = shared_from_this();
  if (server_.config().verbosity > 0) spdlog::info("accept conn #{}", number_);
  MaybeRead();
}

// ---- input ----------------------------------------------------------------

void Connection::MaybeRead() {
  if (reading_ || eof_ || quitting_ || closed_ || OutputFull()) return;
  const size_t buffered = in_end_ - in_begin_;
  const size_t wanted = parser_.bytes_wanted();
  if (buffered >= kReadAheadBytes && buffered >= wanted) return;
  ReserveInput(std::max(read_size_, wanted > buffered ? wanted - buffered : 0));
  reading_ = true;
  // async_read_some, not async_wait + read: on Asio's edge-triggered epoll a wait
  // re-registers the socket (one epoll_ctl per read), a read does not.
  const size_t offered = in_capacity_ - in_end_;
  socket_.async_read_some(asio::buffer(in_.get() + in_end_, offered),
                          [self = shared_from_this(), offered](const std::error_code& ec, size_t n) {
                            self->OnRead(ec, n, offered);
                          });
}

void Connection::ReserveInput(size_t free_bytes) {
  const size_t buffered = in_end_ - in_begin_;
  if (in_capacity_ - in_end_ >= free_bytes) return;
  if (in_capacity_ - buffered >= free_bytes) {
    std::memmove(in_.get(), in_.get() + in_begin_, buffered);
  } else {
    const size_t capacity = std::max(buffered + free_bytes, 2 * in_capacity_);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (buffered > 0) std::memcpy(bigger.get(), in_.get() + in_begin_, buffered);
    in_ = std::move(bigger);
    in_capacity_ = capacity;
  }
  in_begin_ = 0;
  in_end_ = buffered;
}

void Connection::OnRead(const std::error_code& ec, size_t n, size_t offered) {
  reading_ = false;
  if (closed_) return;
  if (ec == asio::error::eof) {
    eof_ = true;
  } else if (ec) {
    // The peer is gone (reset, ...): nobody will read our replies.
    spdlog::debug("conn #{} read: {}", number_, ec.message());
    Close();
    return;
  }
  in_end_ += n;
  // Read in bigger pieces while the client keeps the buffer full, smaller again
  // once it does not.
  if (n == offered) {
    read_size_ = std::min(2 * read_size_, kReadAheadBytes);
  } else if (n < offered / 4) {
    read_size_ = std::max(read_size_ / 2, kMinReadBytes);
  }
  Process();
}

void Connection::Process() {
  if (processing_ || closed_) return;
  processing_ = true;
  while (!closed_) {
    while (!blocked_ && !quitting_ && !OutputFull()) {
      size_t used = 0;
      const auto ev = parser_.Next(std::string_view(in_.get() + in_begin_, in_end_ - in_begin_), &used);
      in_begin_ += used;
      if (ev == proto::Parser::Event::kNeedMore) break;
      const uint64_t seq = next_seq_++;
      if (ev == proto::Parser::Event::kCommand) {
        Execute(parser_.command(), seq);
      } else {
        ReplyError(ev, seq);
      }
    }
    // A client that half-closed while waiting in reserve gets TIMED_OUT (as
    // beanstalkd does on EPOLLRDHUP); then the rest of its input is run.
    if (eof_ && blocked_) {
      queue_.CancelReserve(session_);
      if (!blocked_) continue;
    }
    break;
  }
  processing_ = false;
  // Everything consumed: start again at the front, and give back a buffer that
  // grew for a large body or a burst (never while a read is filling it).
  if (in_begin_ == in_end_ && !reading_) {
    in_begin_ = in_end_ = 0;
    if (in_capacity_ > 2 * read_size_) {
      in_.reset();
      in_capacity_ = 0;
    }
  }
  MaybeWrite();
  MaybeRead();
  MaybeFinish();
}

void Connection::ReplyError(proto::Parser::Event ev, uint64_t seq) {
  if (auto verb = parser_.error_counted_verb()) ++server_.counters().cmd[static_cast<int>(*verb)];
  Reply r = Reply::kInternalError;
  switch (ev) {
    case proto::Parser::Event::kBadFormat: r = Reply::kBadFormat; break;
    case proto::Parser::Event::kUnknownCommand: r = Reply::kUnknownCommand; break;
    case proto::Parser::Event::kExpectedCrlf: r = Reply::kExpectedCrlf; break;
    case proto::Parser::Event::kJobTooBig: r = Reply::kJobTooBig; break;
    case proto::Parser::Event::kNeedMore:
    case proto::Parser::Event::kCommand: break;
  }
  Complete(seq, [r](std::string* o) { proto::AppendReply(o, r); });
}

void Connection::Execute(const proto::Command& cmd, uint64_t seq) {
  ServerCounters& counters = server_.counters();
  ++counters.cmd[static_cast<int>(cmd.verb)];
  if (server_.config().verbosity > 1) {
    spdlog::info("conn #{} {}", number_, proto::VerbName(cmd.verb));
  }

  // Completions capture `this`: the connection keeps itself alive (self_) until
  // every command it issued has been answered; see MaybeFinish().
  auto word = [this, seq](Reply ok) {
    return [this, seq, ok](Code c) {
      Complete(seq, [&](std::string* o) { proto::AppendReply(o, WordFor(c, ok)); });
      AfterAsyncCompletion();
    };
  };
  auto found = [this, seq](Code c, const JobRef* j) {
    Complete(seq, [&](std::string* o) {
      if (c != Code::kOk) return proto::AppendReply(o, WordFor(c, Reply::kInternalError));
      proto::AppendFound(o, j->id, j->body);
    });
    AfterAsyncCompletion();
  };
  auto reserve_done = [this, seq](Code c, const JobRef* j) {
    blocked_ = false;
    Complete(seq, [&](std::string* o) {
      if (c != Code::kOk) return proto::AppendReply(o, WordFor(c, Reply::kInternalError));
      proto::AppendReserved(o, j->id, j->body);
    });
    AfterAsyncCompletion();
  };
  auto watching = [this, seq](Code c, size_t n) {
    Complete(seq, [&](std::string* o) {
      if (c == Code::kOk) return proto::AppendWatching(o, n);
      proto::AppendReply(o, WordFor(c, Reply::kInternalError));
    });
    AfterAsyncCompletion();
  };
  auto tube_list = [this, seq](const std::vector<std::string>& names) {
    Complete(seq, [&](std::string* o) { proto::AppendOk(o, proto::EncodeTubeList(names)); });
    AfterAsyncCompletion();
  };

  switch (cmd.verb) {
    case Verb::kPut: {
      if (!producer_) {
        producer_ = true;
        ++counters.current_producers;
      }
      if (server_.draining()) {
        Complete(seq, [](std::string* o) { proto::AppendReply(o, Reply::kDraining); });
        return;
      }
      queue::PutArgs args{cmd.pri, cmd.delay, cmd.ttr, cmd.body};
      queue_.Put(session_, args, [this, seq](Code c, queue::JobId id) {
        Complete(seq, [&](std::string* o) {
          if (c == Code::kOk) return proto::AppendInserted(o, id);
          if (c == Code::kBuried) return proto::AppendBuriedId(o, id);
          proto::AppendReply(o, WordFor(c, Reply::kInternalError));
        });
        AfterAsyncCompletion();
      });
      return;
    }
    case Verb::kReserve:
    case Verb::kReserveWithTimeout: {
      BecomeWorker();
      std::optional<Duration> timeout;
      if (cmd.verb == Verb::kReserveWithTimeout) timeout = cmd.timeout;
      blocked_ = true;
      blocked_seq_ = seq;
      queue_.Reserve(session_, timeout, reserve_done);
      return;
    }
    case Verb::kReserveJob:
      // beanstalkd counts a worker only once reserve-job has reserved something.
      queue_.ReserveJob(session_, cmd.id, [this, seq](Code c, const JobRef* j) {
        if (c == Code::kOk) BecomeWorker();
        Complete(seq, [&](std::string* o) {
          if (c != Code::kOk) return proto::AppendReply(o, WordFor(c, Reply::kInternalError));
          proto::AppendReserved(o, j->id, j->body);
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kDelete: queue_.Delete(session_, cmd.id, word(Reply::kDeleted)); return;
    case Verb::kRelease:
      queue_.Release(session_, cmd.id, cmd.pri, cmd.delay, word(Reply::kReleased));
      return;
    case Verb::kBury: queue_.Bury(session_, cmd.id, cmd.pri, word(Reply::kBuried)); return;
    case Verb::kTouch: queue_.Touch(session_, cmd.id, word(Reply::kTouched)); return;
    case Verb::kKickJob: queue_.KickJob(session_, cmd.id, word(Reply::kKickedOne)); return;
    case Verb::kKick:
      queue_.Kick(session_, cmd.bound, [this, seq](Code c, uint64_t n) {
        Complete(seq, [&](std::string* o) {
          if (c == Code::kOk) return proto::AppendKicked(o, n);
          proto::AppendReply(o, WordFor(c, Reply::kInternalError));
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kPeek: queue_.Peek(session_, cmd.id, found); return;
    case Verb::kPeekReady: queue_.PeekTube(session_, queue::Queue::PeekWhich::kReady, found); return;
    case Verb::kPeekDelayed:
      queue_.PeekTube(session_, queue::Queue::PeekWhich::kDelayed, found);
      return;
    case Verb::kPeekBuried: queue_.PeekTube(session_, queue::Queue::PeekWhich::kBuried, found); return;
    case Verb::kUse:
      queue_.Use(session_, cmd.tube, [this, seq, tube = std::string(cmd.tube)](Code c) {
        Complete(seq, [&](std::string* o) {
          if (c == Code::kOk) return proto::AppendUsing(o, tube);
          proto::AppendReply(o, WordFor(c, Reply::kInternalError));
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kListTubeUsed:
      queue_.UsedTube(session_, [this, seq](std::string_view tube) {
        Complete(seq, [&](std::string* o) { proto::AppendUsing(o, tube); });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kWatch: queue_.Watch(session_, cmd.tube, watching); return;
    case Verb::kIgnore: queue_.Ignore(session_, cmd.tube, watching); return;
    case Verb::kListTubes: queue_.Tubes(tube_list); return;
    case Verb::kListTubesWatched: queue_.WatchedTubes(session_, tube_list); return;
    case Verb::kPauseTube: queue_.PauseTube(session_, cmd.tube, cmd.delay, word(Reply::kPaused)); return;
    case Verb::kStatsJob:
      queue_.StatsJob(session_, cmd.id, [this, seq](Code c, const queue::JobInfo* info) {
        Complete(seq, [&](std::string* o) {
          if (c == Code::kOk) return proto::AppendOk(o, proto::EncodeJobStats(queue::ToStats(*info)));
          proto::AppendReply(o, WordFor(c, Reply::kInternalError));
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kStatsTube:
      queue_.StatsTube(session_, cmd.tube, [this, seq](Code c, const queue::TubeInfo* info) {
        Complete(seq, [&](std::string* o) {
          if (c == Code::kOk) return proto::AppendOk(o, proto::EncodeTubeStats(queue::ToStats(*info)));
          proto::AppendReply(o, WordFor(c, Reply::kInternalError));
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kStats:
      queue_.Stats([this, seq](const queue::QueueInfo& q) {
        Complete(seq, [&](std::string* o) {
          proto::AppendOk(o, proto::EncodeServerStats(server_.MakeStats(q)));
        });
        AfterAsyncCompletion();
      });
      return;
    case Verb::kQuit:
      // No reply. Replies to earlier commands still go out; then we close.
      --next_seq_;
      quitting_ = true;
      return;
  }
}

// ---- replies ----------------------------------------------------------------

template <class Encode>
void Connection::Complete(uint64_t seq, Encode&& encode) {
  // After Close() nobody reads the replies: they are only accounted for.
  if (seq != flushed_seq_) {
    // An earlier command is still unanswered: park this reply in its slot.
    const size_t index = seq - flushed_seq_;
    if (pending_.size() <= index) pending_.resize(index + 1);
    if (!closed_) encode(&pending_[index].bytes);
    pending_[index].done = true;
    parked_bytes_ += pending_[index].bytes.size();
    return;
  }
  // The common case: the oldest unanswered command. Encode straight into the
  // output, then release any later replies that were waiting behind it.
  if (!closed_) encode(&out_);
  ++flushed_seq_;
  if (!pending_.empty()) pending_.pop_front();
  while (!pending_.empty() && pending_.front().done) {
    if (!closed_) out_ += pending_.front().bytes;
    parked_bytes_ -= pending_.front().bytes.size();
    pending_.pop_front();
    ++flushed_seq_;
  }
}

void Connection::AfterAsyncCompletion() {
  if (processing_) return;  // completed inline; Process() carries on
  if (closed_) return ReleaseIfDone();
  // A completion arriving later: a waiting reserve was answered, or a journal
  // sync / network round trip finished. Resume.
  Process();
}

bool Connection::OutputFull() const {
  return out_.size() + wbuf_.size() + parked_bytes_ > kMaxOutputBytes ||
         Unanswered() > kMaxUnansweredCommands;
}

void Connection::MaybeWrite() {
  if (writing_ || closed_ || out_.empty()) return;
  writing_ = true;
  wbuf_.swap(out_);
  asio::async_write(socket_, asio::buffer(wbuf_),
                    [self = shared_from_this()](const std::error_code& ec, size_t) {
                      self->OnWrite(ec);
                    });
}

void Connection::OnWrite(const std::error_code& ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  wbuf_.clear();
  if (wbuf_.capacity() > kReadAheadBytes) std::string().swap(wbuf_);
  // Output drained: commands held back by backpressure may run now.
  Process();
}

void Connection::MaybeFinish() {
  if (closed_) return;
  const bool flushed = !writing_ && out_.empty() && Unanswered() == 0;
  if (flushed && (quitting_ || (eof_ && !reading_))) Close();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (server_.config().verbosity > 0) spdlog::info("close conn #{}", number_);
  std::error_code ignored;
  socket_.close(ignored);
  queue_.CloseSession(session_);
  if (blocked_) {
    // The queue drops a waiting reserve without calling it back.
    blocked_ = false;
    Complete(blocked_seq_, [](std::string*) {});
  }
  ServerCounters& counters = server_.counters();
  --counters.current_connections;
  if (producer_) --counters.current_producers;
  if (worker_) --counters.current_workers;
  ReleaseIfDone();
}

void Connection::BecomeWorker() {
  if (worker_) return;
  worker_ = true;
  ++server_.counters().current_workers;
}

void Connection::ReleaseIfDone() {
  if (!closed_ || Unanswered() != 0 || !self_) return;
  auto last_reference = std::move(self_);  // `this` may die when this returns
}

}  // namespace stalk::server
