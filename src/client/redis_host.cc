// RedisHost (see redis_host.h). Internal status types only: this file must not include
// <stalk/client.h>.

#include "client/redis_host.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"
#include "redis/cluster.h"
#include "redis/endpoint.h"
#include "redis_queue/redis_queue.h"
#include "server/asio_clock.h"

namespace stalk::detail {
namespace {

// A one-shot hand-over of a value from the loop thread to a waiting thread.
template <typename T>
class Handoff {
 public:
  void Set(T value) {
    std::lock_guard lock(mu_);
    value_.emplace(std::move(value));
    cv_.notify_all();
  }
  std::optional<T> WaitFor(Duration bound) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, bound, [this] { return value_.has_value(); });
    return std::move(value_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

// Bounds on the host's own blocking waits: they only turn a lost answer into an error
// (every step answers on its own within the cluster client's timeouts).
constexpr Duration kGiveBackBound = std::chrono::seconds(3);
constexpr Duration kLoopAnswerBound = std::chrono::seconds(30);

}  // namespace

class RedisHost::Impl {
 public:
  Impl() : work_(asio::make_work_guard(io_)), clock_(io_), thread_([this] { io_.run(); }) {}

  ~Impl() {
    // Give back every job the sessions hold now, not after its TTR; then destroy the
    // queue and the client on their own thread, as the client requires.
    auto gave_back = std::make_shared<Handoff<bool>>();
    asio::post(io_, [this, gave_back] {
      if (!queue_) return gave_back->Set(true);
      queue_->Shutdown(kGiveBackBound, [gave_back] { gave_back->Set(true); });
    });
    (void)gave_back->WaitFor(kGiveBackBound + kLoopAnswerBound);
    auto destroyed = std::make_shared<Handoff<bool>>();
    asio::post(io_, [this, destroyed] {
      queue_.reset();
      if (client_) client_->Stop();
      client_.reset();
      destroyed->Set(true);
    });
    (void)destroyed->WaitFor(kLoopAnswerBound);
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Connects and opens the queue; an empty string on success, else why not.
  std::string Start(std::vector<redis::Endpoint> seeds, Duration connect_timeout) {
    redis::ClusterOptions options;
    options.seeds = std::move(seeds);
    if (connect_timeout > Duration::zero()) options.connect_timeout = connect_timeout;
    // Start tries each seed once, within these timeouts.
    const Duration bound = (options.connect_timeout + options.command_timeout) *
                               static_cast<int64_t>(options.seeds.size()) +
                           kLoopAnswerBound;
    auto started = std::make_shared<Handoff<std::string>>();
    asio::post(io_, [this, options, started] {
      client_ = std::make_unique<redis::ClusterClient>(io_, options);
      client_->Start([this, started](Status st) {
        if (!st.ok()) return started->Set(st.ToString());
        queue_ = std::make_unique<redis_queue::RedisQueue>(*client_, clock_);
        queue_->Start();
        started->Set(std::string());
      });
    });
    std::optional<std::string> error = started->WaitFor(bound);
    if (!error) return "no answer from the Redis client in time";
    return std::move(*error);
  }

  void Post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }
  queue::Queue& queue() { return *queue_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  server::AsioClock clock_;
  // Loop thread only.
  std::unique_ptr<redis::ClusterClient> client_;
  std::unique_ptr<redis_queue::RedisQueue> queue_;
  std::thread thread_;  // last: started once everything it uses exists
};

RedisHost::RedisHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisHost::~RedisHost() = default;

std::unique_ptr<RedisHost> RedisHost::Start(std::string_view address, Duration connect_timeout,
                                            StartError* error) {
  Result<std::vector<redis::Endpoint>> seeds = redis::ParseRedisAddress(address);
  if (!seeds.ok()) {
    error->bad_address = true;
    error->message = seeds.status().message();
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  std::string why = impl->Start(std::move(*seeds), connect_timeout);
  if (!why.empty()) {
    error->bad_address = false;
    error->message = std::move(why);
    return nullptr;  // ~Impl stops the client and the thread
  }
  return std::unique_ptr<RedisHost>(new RedisHost(std::move(impl)));
}

void RedisHost::Post(std::function<void()> fn) { impl_->Post(std::move(fn)); }

queue::Queue& RedisHost::queue() { return impl_->queue(); }

}  // namespace stalk::detail
