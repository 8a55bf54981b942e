#include "worker/slot.h"

#include <algorithm>
#include <exception>
#include <random>
#include <string>
#include <utility>

#include "worker/retry.h"

namespace stalk::detail {
namespace {

using std::chrono::steady_clock;

// The next pause after an error: grows by the multiplier up to the maximum.
Duration NextPause(const Backoff& backoff, Duration pause) {
  const auto grown = std::chrono::duration_cast<Duration>(pause * backoff.multiplier);
  return std::min(backoff.max, std::max(backoff.initial, grown));
}

// Up to 20% longer, so that slots that failed together do not retry together.
Duration Jittered(Duration d) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> extra(0.0, 0.2);
  return std::chrono::duration_cast<Duration>(d * (1.0 + extra(rng)));
}

}  // namespace

Slot::Slot(RunState& run, std::unique_ptr<Client> client)
    : run_(run), client_(std::move(client)), keeper_(*client_, run) {}

Slot::~Slot() { Join(); }

void Slot::Start() {
  thread_ = std::thread([this] {
    Loop();
    run_.SlotExited();
  });
}

void Slot::Join() {
  if (thread_.joinable()) thread_.join();
}

void Slot::Loop() {
  const WorkerOptions& options = run_.options();
  Duration pause = options.error_backoff.initial;
  while (!run_.stopping()) {
    if (!run_.TakeTicket()) return;  // the count limit is reached (or held by others)
    auto reserved = client_->Reserve(options.reserve_timeout);
    if (reserved.ok()) {
      pause = options.error_backoff.initial;
      Process(std::move(*reserved));
      continue;
    }
    run_.ReturnTicket();
    if (reserved.error() == Error::kTimedOut) {
      pause = options.error_backoff.initial;
      continue;
    }
    // DEADLINE_SOON means this connection still holds a job whose finish failed
    // with a server error; it is not an error of its own, but answering it at once
    // would spin until that job's TTR runs out.
    if (!reserved.status().is(Error::kDeadlineSoon)) run_.OnError(reserved.status());
    run_.SleepUnlessStopping(Jittered(pause));
    pause = NextPause(options.error_backoff, pause);
  }
}

void Slot::Process(Job job) {
  JobContext ctx;
  const TubeHandler* handler = nullptr;
  if (!Describe(job, ctx, &handler)) {
    run_.ReturnTicket();
    return;
  }
  std::stop_source cancel;
  ctx.cancel = cancel.get_token();
  ctx.stopping = run_.stopping_token();
  run_.OnReserved(ctx);

  keeper_.Begin(ctx, TouchInterval(ctx.ttr), cancel);
  const auto start = steady_clock::now();
  const Outcome outcome = RunHandler(*handler, ctx);
  const auto took = std::chrono::duration_cast<Duration>(steady_clock::now() - start);
  // A job the keeper lost or released is no longer ours: nothing more to do.
  if (keeper_.End() == JobKeeper::Fate::kHeld) Finish(*handler, ctx, outcome, took);
  run_.OnHandled();
}

bool Slot::Describe(Job& job, JobContext& ctx, const TubeHandler** handler) {
  ctx.id = job.id;
  // The tube, priority, TTR and counters are not in the reserve reply.
  auto stats = client_->StatsJob(job.id);
  if (!stats.ok()) {
    // Without its priority the job cannot be released as it was; if it is still
    // ours, its TTR gives it back to the queue.
    run_.OnError(stats.status());
    return false;
  }
  ctx.tube = stats->tube;
  ctx.pri = stats->pri;
  ctx.ttr = std::chrono::seconds(stats->ttr_s);
  ctx.reserves = stats->reserves;
  ctx.body = std::move(job.body);  // the Client has undone any compression already

  *handler = run_.FindHandler(ctx.tube);
  if (*handler == nullptr) {
    // Only handled tubes are watched, so this cannot happen short of a server bug;
    // give the job back untouched rather than guess.
    (void)client_->Release(ctx.id, ctx.pri, Duration::zero());
    run_.OnError(
        Status(Error::kInvalidArgument, "reserved a job of unhandled tube " + ctx.tube, ctx.id));
    return false;
  }
  ctx.max_attempts = (*handler)->retry.max_attempts;
  ctx.attempt = AttemptInBudget(stats->reserves, stats->buries, ctx.max_attempts);

  if (run_.stopping()) {
    // The stop came while the reserve was waiting: this job was never started.
    auto released = client_->Release(ctx.id, ctx.pri, Duration::zero());
    if (released.ok()) {
      run_.OnReleased(ctx);
    } else {
      run_.OnError(released.status());
    }
    return false;
  }
  return true;
}

Outcome Slot::RunHandler(const TubeHandler& handler, const JobContext& ctx) {
  try {
    return handler.handler(ctx);
  } catch (const std::exception& e) {
    return Outcome::Retry(e.what());
  } catch (...) {
    return Outcome::Retry("handler threw an exception that is not a std::exception");
  }
}

void Slot::Finish(const TubeHandler& handler, const JobContext& ctx, const Outcome& outcome,
                  Duration took) {
  switch (outcome.kind()) {
    case Outcome::Kind::kSuccess: {
      auto deleted = client_->Delete(ctx.id);
      if (deleted.ok()) {
        run_.OnSuccess(ctx, took);
      } else {
        Failed(ctx, deleted.status());
      }
      return;
    }
    case Outcome::Kind::kRetry:
      Retry(handler, ctx, outcome.reason());
      return;
    case Outcome::Kind::kBury:
      BuryJob(ctx, outcome.reason());
      return;
  }
}

void Slot::Retry(const TubeHandler& handler, const JobContext& ctx, const std::string& reason) {
  if (AttemptsExhausted(ctx.attempt, ctx.max_attempts)) {
    BuryJob(ctx, reason + " (attempt " + std::to_string(ctx.attempt) + " of " +
                     std::to_string(ctx.max_attempts) + ")");
    return;
  }
  const Duration delay = RandomRetryDelay(handler.retry, ctx.attempt);
  auto released = client_->Release(ctx.id, ctx.pri, delay);
  if (released.ok()) {
    run_.OnFailure(ctx, reason, delay);
  } else if (released.error() == Error::kBuried) {
    // The server had no memory to put it back (beanstalkd buries it then).
    run_.OnBuried(ctx, "the server buried the release: " + reason);
  } else {
    Failed(ctx, released.status());
  }
}

void Slot::BuryJob(const JobContext& ctx, const std::string& reason) {
  auto buried = client_->Bury(ctx.id, ctx.pri);
  if (buried.ok()) {
    run_.OnBuried(ctx, reason);
  } else {
    Failed(ctx, buried.status());
  }
}

void Slot::Failed(const JobContext& ctx, const Status& why) {
  if (LosesReservation(why.error())) {
    run_.OnLost(ctx, why);
  } else {
    // Still reserved by us, probably; its TTR will give it back to the queue.
    run_.OnError(why);
  }
}

Duration Slot::TouchInterval(Duration ttr) const {
  const Duration fixed = run_.options().touch_interval;
  if (fixed > Duration::zero()) return fixed;
  // The server never keeps a TTR under 1 s; a third leaves two touches of margin.
  return std::max<Duration>(ttr, std::chrono::seconds(1)) / 3;
}

}  // namespace stalk::detail
