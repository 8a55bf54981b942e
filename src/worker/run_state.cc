#include "worker/run_state.h"

#include <utility>

namespace stalk::detail {
namespace {

// Hooks are the user's code: one that throws must not take a slot down with it.
template <typename Fn, typename... Args>
void CallHook(const Fn& hook, Args&&... args) {
  if (!hook) return;
  try {
    hook(std::forward<Args>(args)...);
  } catch (...) {  // NOLINT(bugprone-empty-catch): documented as swallowed
  }
}

}  // namespace

bool LosesReservation(Error e) {
  switch (e) {
    case Error::kNotFound:
    case Error::kDisconnected:
    case Error::kCallTimeout:
    case Error::kConnectFailed:
    case Error::kClosed:
      return true;
    default:
      return false;
  }
}

WorkerCounters AtomicCounters::Snapshot() const {
  WorkerCounters c;
  c.reserved = reserved.load();
  c.handled = handled.load();
  c.succeeded = succeeded.load();
  c.failed = failed.load();
  c.buried = buried.load();
  c.lost = lost.load();
  c.released = released.load();
  c.errors = errors.load();
  return c;
}

RunState::RunState(const WorkerOptions& options, const HandlerMap& handlers, AtomicCounters& totals,
                   uint64_t count_limit, int slots)
    : options_(options),
      handlers_(handlers),
      totals_(totals),
      limited_(count_limit > 0),
      tickets_(count_limit),
      active_slots_(slots) {}

const TubeHandler* RunState::FindHandler(std::string_view tube) const {
  auto it = handlers_.find(tube);
  return it == handlers_.end() ? nullptr : &it->second;
}

bool RunState::TakeTicket() {
  if (!limited_) return true;
  uint64_t left = tickets_.load();
  while (left > 0) {
    if (tickets_.compare_exchange_weak(left, left - 1)) return true;
  }
  return false;
}

void RunState::ReturnTicket() {
  if (limited_) tickets_.fetch_add(1);
}

void RunState::RequestStop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  // Outside the lock: a handler's stop_callback may call back into the Worker.
  stop_source_.request_stop();
}

bool RunState::stopping() const {
  std::lock_guard lock(mu_);
  return stop_;
}

void RunState::Hurry() {
  {
    std::lock_guard lock(mu_);
    hurry_ = true;
  }
  cv_.notify_all();
}

bool RunState::SleepUnlessStopping(Duration d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [this] { return stop_; });
}

void RunState::SlotExited() {
  {
    std::lock_guard lock(mu_);
    --active_slots_;
  }
  cv_.notify_all();
}

bool RunState::WaitForExitOrStop(std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::unique_lock lock(mu_);
  auto done = [this] { return stop_ || active_slots_ == 0; };
  if (deadline) {
    cv_.wait_until(lock, *deadline, done);
  } else {
    cv_.wait(lock, done);
  }
  return active_slots_ == 0;
}

bool RunState::WaitForExitOrHurry(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [this] { return hurry_ || active_slots_ == 0; });
  return active_slots_ == 0;
}

void RunState::Bump(std::atomic<uint64_t> AtomicCounters::*counter) {
  (run_.*counter).fetch_add(1);
  (totals_.*counter).fetch_add(1);
}

void RunState::OnReserved(const JobContext& job) {
  Bump(&AtomicCounters::reserved);
  CallHook(options_.hooks.on_reserved, job);
}

void RunState::OnSuccess(const JobContext& job, Duration took) {
  Bump(&AtomicCounters::succeeded);
  CallHook(options_.hooks.on_success, job, took);
}

void RunState::OnFailure(const JobContext& job, std::string_view reason, Duration next_delay) {
  Bump(&AtomicCounters::failed);
  CallHook(options_.hooks.on_failure, job, reason, next_delay);
}

void RunState::OnBuried(const JobContext& job, std::string_view reason) {
  Bump(&AtomicCounters::buried);
  CallHook(options_.hooks.on_buried, job, reason);
}

void RunState::OnLost(const JobContext& job, const Status& why) {
  Bump(&AtomicCounters::lost);
  CallHook(options_.hooks.on_lost, job, why);
}

void RunState::OnReleased(const JobContext& job) {
  Bump(&AtomicCounters::released);
  CallHook(options_.hooks.on_released, job);
}

void RunState::OnError(const Status& error) {
  Bump(&AtomicCounters::errors);
  CallHook(options_.hooks.on_error, error);
}

void RunState::OnHandled() { Bump(&AtomicCounters::handled); }

}  // namespace stalk::detail
