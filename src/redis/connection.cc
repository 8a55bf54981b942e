#include "redis/connection.h"

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <utility>

namespace stalk::redis {
namespace {

TimePoint Now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

}  // namespace

std::shared_ptr<Connection> Connection::Create(asio::io_context& io, Endpoint endpoint,
                                               Duration connect_timeout,
                                               Duration command_timeout) {
  std::shared_ptr<Connection> conn(
      new Connection(io, std::move(endpoint), connect_timeout, command_timeout));
  conn->Connect();
  return conn;
}

Connection::Connection(asio::io_context& io, Endpoint endpoint, Duration connect_timeout,
                       Duration command_timeout)
    : io_(io),
      endpoint_(std::move(endpoint)),
      connect_timeout_(connect_timeout),
      command_timeout_(command_timeout),
      socket_(io),
      resolver_(io),
      timer_(io) {}

Connection::~Connection() = default;

void Connection::Connect() {
  timer_.expires_at(Now() + connect_timeout_);
  ArmTimer();
  auto self = shared_from_this();
  auto on_connect = [self](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
    if (self->closed_) return;
    if (ec) {
      self->Fail(Status(StatusCode::kIOError,
                        "connect to " + self->endpoint_.ToString() + ": " + ec.message()));
      return;
    }
    self->OnConnected();
  };
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(endpoint_.host, ec);
  if (!ec) {
    std::vector<asio::ip::tcp::endpoint> one = {asio::ip::tcp::endpoint(address, endpoint_.port)};
    asio::async_connect(socket_, one, on_connect);
    return;
  }
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      [self, on_connect](const std::error_code& rec, asio::ip::tcp::resolver::results_type r) {
        if (self->closed_) return;
        if (rec) {
          self->Fail(Status(StatusCode::kIOError,
                            "resolve " + self->endpoint_.ToString() + ": " + rec.message()));
          return;
        }
        asio::async_connect(self->socket_, r, on_connect);
      });
}

void Connection::OnConnected() {
  connected_ = true;
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  Read();
  Flush();
}

void Connection::Send(std::string encoded, ReplyFn done) {
  if (closed_) {
    // Never run the callback from inside Send.
    asio::post(io_, [done = std::move(done), ep = endpoint_.ToString()] {
      if (done) done(Status(StatusCode::kIOError, "connection to " + ep + " is closed"), false);
    });
    return;
  }
  out_ += encoded;
  if (!on_push_) {
    pending_.push_back(Pending{std::move(done), Now() + command_timeout_});
    ++unwritten_;
    ArmTimer();
  }
  ScheduleFlush();
}

void Connection::ScheduleFlush() {
  // Posted, so that every Send of this loop turn shares one write.
  if (flush_posted_ || writing_ || !connected_) return;
  flush_posted_ = true;
  asio::post(io_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->Flush();
  });
}

void Connection::Flush() {
  if (closed_ || writing_ || !connected_ || out_.empty()) return;
  writing_ = true;
  writing_buf_.swap(out_);
  out_.clear();
  unwritten_ = 0;
  asio::async_write(socket_, asio::buffer(writing_buf_),
                    [self = shared_from_this()](const std::error_code& ec, size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->Fail(Status(StatusCode::kIOError, "write to " +
                                                                    self->endpoint_.ToString() +
                                                                    ": " + ec.message()));
                        return;
                      }
                      self->writing_buf_.clear();
                      self->Flush();
                    });
}

void Connection::Read() {
  socket_.async_read_some(asio::buffer(read_buf_),
                          [self = shared_from_this()](const std::error_code& ec, size_t n) {
                            if (self->closed_) return;
                            if (ec) {
                              self->Fail(Status(StatusCode::kIOError,
                                                "connection to " + self->endpoint_.ToString() +
                                                    " lost: " + ec.message()));
                              return;
                            }
                            self->OnBytes(n);
                          });
}

void Connection::OnBytes(size_t n) {
  reader_.Feed(std::string_view(read_buf_.data(), n));
  // Keep this object alive across callbacks that may drop the owner's reference.
  auto self = shared_from_this();
  for (;;) {
    Result<std::optional<Value>> next = reader_.Next();
    if (!next.ok()) {
      Fail(Status(StatusCode::kIOError, endpoint_.ToString() + ": " + next.status().message()));
      return;
    }
    if (!next->has_value()) break;
    Value value = std::move(**next);
    if (on_push_) {
      auto on_push = on_push_;  // the handler may close us, which clears on_push_
      on_push(std::move(value));
    } else if (pending_.empty() || pending_.size() <= unwritten_) {
      Fail(Status(StatusCode::kIOError,
                  endpoint_.ToString() + " sent a reply nobody asked for: " + value.ToString()));
      return;
    } else {
      ReplyFn done = std::move(pending_.front().done);
      pending_.pop_front();
      if (done) done(std::move(value), true);
    }
    if (closed_) return;  // a callback closed us
  }
  ArmTimer();
  Read();
}

void Connection::ArmTimer() {
  if (closed_ || timer_armed_) return;
  if (connected_) {
    if (on_push_ || pending_.empty()) return;
    timer_.expires_at(pending_.front().deadline);
  }
  timer_armed_ = true;
  timer_.async_wait([self = shared_from_this()](const std::error_code&) {
    self->timer_armed_ = false;
    if (self->closed_) return;
    if (!self->connected_) {
      self->Fail(Status(StatusCode::kIOError,
                        "connect to " + self->endpoint_.ToString() + ": timed out"));
      return;
    }
    if (!self->pending_.empty() && self->pending_.front().deadline <= Now()) {
      self->Fail(Status(StatusCode::kIOError,
                        "command to " + self->endpoint_.ToString() + " timed out"));
      return;
    }
    self->ArmTimer();
  });
}

void Connection::SetPushHandler(std::function<void(Value)> on_push) {
  on_push_ = std::move(on_push);
}

void Connection::SetCloseHandler(std::function<void(const Status&)> on_close) {
  on_close_ = std::move(on_close);
}

void Connection::Close(const Status& why) {
  on_close_ = nullptr;
  Fail(why);
}

void Connection::Fail(const Status& why) {
  if (closed_) return;
  closed_ = true;
  auto self = shared_from_this();
  std::error_code ignored;
  resolver_.cancel();
  timer_.cancel();
  socket_.close(ignored);
  std::deque<Pending> pending;
  pending.swap(pending_);
  const size_t written = pending.size() - unwritten_;
  auto on_close = std::move(on_close_);
  on_close_ = nullptr;
  on_push_ = nullptr;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].done) pending[i].done(why, i < written);
  }
  if (on_close) on_close(why);
}

}  // namespace stalk::redis
