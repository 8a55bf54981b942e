#include "worker/job_keeper.h"

#include <utility>

namespace stalk::detail {
JobKeeper::JobKeeper(Client& client, RunState& run)
    : client_(client), run_(run), thread_([this](std::stop_token quit) { Loop(quit); }) {}

JobKeeper::~JobKeeper() {
  thread_.request_stop();  // condition_variable_any wakes on the stop token
  thread_.join();
}

void JobKeeper::Begin(const JobContext& job, Duration interval, std::stop_source cancel) {
  {
    std::lock_guard lock(mu_);
    job_ = &job;
    fate_ = Fate::kHeld;
    interval_ = interval;
    next_touch_ = Clock::now() + interval;
    cancel_ = std::move(cancel);
  }
  cv_.notify_all();
}

JobKeeper::Fate JobKeeper::End() {
  std::lock_guard lock(mu_);
  job_ = nullptr;
  return fate_;
}

void JobKeeper::Abandon() {
  std::lock_guard lock(mu_);
  if (job_ == nullptr || fate_ != Fate::kHeld) return;
  auto released = client_.Release(job_->id, job_->pri, Duration::zero());
  if (!released.ok() && LosesReservation(released.error())) {
    LoseLocked(released.status());
    return;
  }
  fate_ = Fate::kReleased;
  cancel_.request_stop();
  run_.OnReleased(*job_);
}

void JobKeeper::Loop(std::stop_token quit) {
  std::unique_lock lock(mu_);
  while (!quit.stop_requested()) {
    if (job_ == nullptr || fate_ != Fate::kHeld) {
      cv_.wait(lock, quit, [this] { return job_ != nullptr && fate_ == Fate::kHeld; });
      continue;
    }
    const JobContext* job = job_;
    // Wakes early when the job ends or another one begins; only a job that is
    // still the same one, still held, and due gets touched.
    // By value: the wait reads its deadline while mu_ is released.
    const Clock::time_point due = next_touch_;
    cv_.wait_until(lock, quit, due, [this, job] { return job_ != job; });
    if (job_ == job && fate_ == Fate::kHeld && Clock::now() >= next_touch_) TouchLocked();
  }
}

void JobKeeper::TouchLocked() {
  auto touched = client_.Touch(job_->id);
  if (touched.ok()) {
    next_touch_ = Clock::now() + interval_;
    return;
  }
  if (LosesReservation(touched.error())) {
    LoseLocked(touched.status());
    return;
  }
  // INTERNAL_ERROR and the like: the job may still be ours; say so and try again
  // at the next period.
  run_.OnError(touched.status());
  next_touch_ = Clock::now() + interval_;
}

void JobKeeper::LoseLocked(const Status& why) {
  fate_ = Fate::kLost;
  cancel_.request_stop();
  run_.OnLost(*job_, why);
}

}  // namespace stalk::detail
