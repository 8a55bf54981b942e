// Worker: the coordinator of a run. It checks the options, connects one Client per
// slot, starts the slots, waits for a limit or a stop, gives jobs in flight the
// grace period, then releases the stragglers and joins every thread.

#include "stalk/worker.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "proto/command.h"
#include "worker/retry.h"
#include "worker/run_state.h"
#include "worker/signal_watcher.h"
#include "worker/slot.h"

namespace stalk {

using detail::RunState;
using detail::Slot;

class Worker::Impl {
 public:
  explicit Impl(WorkerOptions options) : options_(std::move(options)) {}

  Result<void> Handle(std::string_view tube, Handler handler, HandleOptions options);
  Result<WorkerCounters> Run(const RunLimits& limits);
  void Stop();
  bool stop_requested() const;
  WorkerCounters counters() const { return totals_.Snapshot(); }

 private:
  std::string CheckOptions(const RunLimits& limits) const;
  Result<std::unique_ptr<Client>> ConnectSlot() const;
  Result<WorkerCounters> RunChecked(const RunLimits& limits);
  static void Supervise(RunState& run, std::vector<std::unique_ptr<Slot>>& slots,
                        const RunLimits& limits, Duration grace);

  const WorkerOptions options_;
  detail::HandlerMap handlers_;  // written only while no run is in progress
  detail::AtomicCounters totals_;

  mutable std::mutex mu_;
  bool running_ = false;           // GUARDED_BY(mu_)
  bool stop_pending_ = false;      // GUARDED_BY(mu_)
  std::shared_ptr<RunState> run_;  // GUARDED_BY(mu_); the run in progress
};

Result<void> Worker::Impl::Handle(std::string_view tube, Handler handler, HandleOptions options) {
  auto invalid = [](std::string message) { return Status(Error::kInvalidArgument, message); };
  std::lock_guard lock(mu_);
  if (running_) return invalid("Handle() during a run");
  if (!proto::IsValidTubeName(tube)) {
    return invalid("invalid tube name '" + std::string(tube) +
                   "': 1-200 bytes of A-Za-z0-9-+/;.$_(), not starting with '-'");
  }
  if (handlers_.contains(tube)) return invalid("tube '" + std::string(tube) + "' already handled");
  if (!handler) return invalid("empty handler for tube '" + std::string(tube) + "'");
  RetryPolicy retry = options.retry.value_or(options_.retry);
  if (std::string why = detail::CheckRetryPolicy(retry); !why.empty()) {
    return invalid("retry policy of tube '" + std::string(tube) + "': " + why);
  }
  handlers_.emplace(std::string(tube), detail::TubeHandler{std::move(handler), retry});
  return {};
}

std::string Worker::Impl::CheckOptions(const RunLimits& limits) const {
  if (handlers_.empty()) return "no handlers: call Handle() first";
  if (options_.concurrency < 1 || options_.concurrency > 1024) return "concurrency not in 1..1024";
  if (options_.reserve_timeout < std::chrono::seconds(1)) return "reserve_timeout under 1 s";
  if (options_.touch_interval < Duration::zero()) return "touch_interval is negative";
  if (options_.stop_grace < Duration::zero()) return "stop_grace is negative";
  if (std::string why = detail::CheckRetryPolicy(options_.retry); !why.empty()) {
    return "retry policy: " + why;
  }
  const Backoff& b = options_.error_backoff;
  if (b.initial <= Duration::zero() || b.max < b.initial || !(b.multiplier >= 1.0)) {
    return "error_backoff needs 0 < initial <= max and multiplier >= 1";
  }
  if (limits.time_limit < Duration::zero()) return "time_limit is negative";
  return {};
}

Result<std::unique_ptr<Client>> Worker::Impl::ConnectSlot() const {
  auto client = Client::Connect(options_.server);
  if (!client.ok()) return client.status();
  for (const auto& [tube, handler] : handlers_) {
    if (auto watched = (*client)->Watch(tube); !watched.ok()) return watched.status();
  }
  // Every connection starts out watching "default"; a job there has no handler.
  if (!handlers_.contains("default")) {
    if (auto ignored = (*client)->Ignore("default"); !ignored.ok()) return ignored.status();
  }
  return std::move(*client);
}

Result<WorkerCounters> Worker::Impl::Run(const RunLimits& limits) {
  {
    std::lock_guard lock(mu_);
    if (running_) return Status(Error::kInvalidArgument, "a run is already in progress");
    running_ = true;
  }
  auto result = RunChecked(limits);
  std::lock_guard lock(mu_);
  running_ = false;
  run_.reset();
  return result;
}

Result<WorkerCounters> Worker::Impl::RunChecked(const RunLimits& limits) {
  if (std::string why = CheckOptions(limits); !why.empty()) {
    return Status(Error::kInvalidArgument, why);
  }
  auto run = std::make_shared<RunState>(options_, handlers_, totals_, limits.count_limit,
                                        options_.concurrency);
  // Every slot connects before any reserves: a bad address fails the run with no
  // job touched.
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < options_.concurrency; ++i) {
    auto client = ConnectSlot();
    if (!client.ok()) return client.status();
    slots.push_back(std::make_unique<Slot>(*run, std::move(*client)));
  }
  std::unique_ptr<detail::SignalWatcher> signals;
  if (options_.handle_signals) {
    // The callback runs on the watcher's thread only, so `seen` needs no lock.
    auto installed = detail::SignalWatcher::Install([run = run.get(), seen = 0](int) mutable {
      if (seen++ == 0) {
        run->RequestStop();
      } else {
        run->Hurry();
      }
    });
    if (!installed.ok()) return installed.status();
    signals = std::move(*installed);
  }
  bool stop_now = false;
  {
    std::lock_guard lock(mu_);
    run_ = run;
    stop_now = std::exchange(stop_pending_, false);
  }
  if (stop_now) run->RequestStop();

  for (auto& slot : slots) slot->Start();
  Supervise(*run, slots, limits, options_.stop_grace);
  signals.reset();  // before `run`, which its callback uses
  return run->run_counters();
}

void Worker::Impl::Supervise(RunState& run, std::vector<std::unique_ptr<Slot>>& slots,
                             const RunLimits& limits, Duration grace) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> time_limit;
  if (limits.time_limit > Duration::zero()) time_limit = Clock::now() + limits.time_limit;
  if (!run.WaitForExitOrStop(time_limit)) {
    run.RequestStop();  // the time limit, if it was not a stop already
    const auto grace_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(grace);
    if (!run.WaitForExitOrHurry(grace_end)) {
      for (auto& slot : slots) slot->Abandon();
    }
  }
  // Handlers still running were cancelled; their slots end once they return.
  for (auto& slot : slots) slot->Join();
}

void Worker::Impl::Stop() {
  std::shared_ptr<RunState> run;
  {
    std::lock_guard lock(mu_);
    if (!run_) {
      stop_pending_ = true;
      return;
    }
    run = run_;
  }
  // Outside mu_: stopping runs the handlers' stop callbacks, which may call us.
  run->RequestStop();
}

bool Worker::Impl::stop_requested() const {
  std::lock_guard lock(mu_);
  return run_ ? run_->stopping() : stop_pending_;
}

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Worker::~Worker() = default;

Result<void> Worker::Handle(std::string_view tube, Handler handler, HandleOptions options) {
  return impl_->Handle(tube, std::move(handler), std::move(options));
}
Result<WorkerCounters> Worker::Run(const RunLimits& limits) { return impl_->Run(limits); }
void Worker::Stop() { impl_->Stop(); }
bool Worker::stop_requested() const { return impl_->stop_requested(); }
WorkerCounters Worker::counters() const { return impl_->counters(); }

}  // namespace stalk
