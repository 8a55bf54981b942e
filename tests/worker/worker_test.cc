// The worker runtime against a real stalkd: outcomes (delete, release with
// backoff, bury, the dead-letter path through kick), auto-touch with a 1 s TTR, a
// lost job, concurrency, run limits, stop with its grace period, and bad input.
// Delays are checked in stats-job, never against the wall clock.

#include "stalk/worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "worker/worker_harness.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

class WorkerTest : public WorkerHarness {
 protected:
  WorkerOptions Options(int concurrency = 1) {
    WorkerOptions o;
    o.server = ServerOptions();
    o.concurrency = concurrency;
    o.retry.base_delay = 0s;  // failed jobs come straight back unless a test says otherwise
    o.retry.max_delay = 0s;
    return o;
  }

  // Runs `worker` on another thread; a run that outlives kHangDeadline fails the
  // test and is stopped.
  Result<WorkerCounters> RunWithin(Worker& worker, RunLimits limits) {
    auto run = std::async(std::launch::async, [&] { return worker.Run(limits); });
    if (run.wait_for(kHangDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "Run did not return within " << kHangDeadline.count() << " s";
      worker.Stop();
    }
    return run.get();
  }

  // Polls the server (from the test's side) until `n` connections wait in reserve.
  bool WaitForServerWaiting(uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kHangDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      auto stats = client_->Stats();
      if (stats.ok() && stats->current_waiting >= n) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  static RunLimits Count(uint64_t n) {
    RunLimits limits;
    limits.count_limit = n;
    return limits;
  }
};

TEST_F(WorkerTest, SuccessDeletesTheJob) {
  PutOptions put;
  put.pri = 7;
  const JobId id = Put("mail", "hello", put);
  WorkerOptions opts = Options();
  opts.hooks.on_reserved = [](const JobContext&) { throw std::runtime_error("hooks may throw"); };
  Worker worker(opts);
  JobContext seen;
  ASSERT_TRUE(worker
                  .Handle("mail",
                          [&](const JobContext& job) {
                            seen.id = job.id;
                            seen.tube = job.tube;
                            seen.body = job.body;
                            seen.pri = job.pri;
                            seen.attempt = job.attempt;
                            seen.reserves = job.reserves;
                            return Outcome::Success();
                          })
                  .ok());

  auto run = RunWithin(worker, Count(1));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->handled, 1u);
  EXPECT_EQ(run->succeeded, 1u);
  EXPECT_EQ(seen.id, id);
  EXPECT_EQ(seen.tube, "mail");
  EXPECT_EQ(seen.body, "hello");
  EXPECT_EQ(seen.pri, 7u);
  EXPECT_EQ(seen.attempt, 1u);
  EXPECT_EQ(seen.reserves, 1u);
  EXPECT_TRUE(client_->StatsJob(id).status().is(Error::kNotFound));
  EXPECT_EQ(worker.counters().succeeded, 1u);
}

TEST_F(WorkerTest, DefaultTubeIsNotWatchedUnlessHandled) {
  const JobId stray = Put("default", "nobody handles me");
  const JobId mine = Put("mine", "x");
  Worker worker(Options());
  JobId handled = 0;
  ASSERT_TRUE(worker
                  .Handle("mine",
                          [&](const JobContext& job) {
                            handled = job.id;
                            return Outcome::Success();
                          })
                  .ok());
  ASSERT_TRUE(RunWithin(worker, Count(1)).ok());
  EXPECT_EQ(handled, mine);
  EXPECT_EQ(Stats(stray).state, "ready");
  EXPECT_EQ(Stats(stray).reserves, 0u);
}

TEST_F(WorkerTest, FailureReleasesWithBackoffAtTheJobsPriority) {
  PutOptions put;
  put.pri = 42;
  const JobId first = Put("flaky", "1", put);
  WorkerOptions opts = Options();
  opts.retry.base_delay = 10s;
  opts.retry.max_delay = 1000s;
  opts.retry.jitter = 0.2;
  std::mutex mu;
  std::vector<Duration> delays;
  std::vector<std::string> reasons;
  opts.hooks.on_failure = [&](const JobContext&, std::string_view reason, Duration delay) {
    std::lock_guard lock(mu);
    delays.push_back(delay);
    reasons.emplace_back(reason);
  };
  Worker worker(opts);
  ASSERT_TRUE(
      worker.Handle("flaky", [](const JobContext&) { return Outcome::Retry("upstream down"); })
          .ok());

  // Attempt 1: 10 s +-20%.
  ASSERT_TRUE(RunWithin(worker, Count(1)).ok());
  JobStats s = Stats(first);
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.pri, 42u);
  EXPECT_EQ(s.releases, 1u);
  EXPECT_GE(s.delay_s, 8);
  EXPECT_LE(s.delay_s, 12);

  // Attempt 3 (two reserves before the worker's): 10 s * 2^2 = 40 s +-20%.
  const JobId third = Put("flaky", "3", put);
  auto other = Connect();
  ASSERT_TRUE(other->Watch("flaky").ok());
  for (int i = 0; i < 2; ++i) {
    auto job = other->Reserve(5s);
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ASSERT_EQ(job->id, third);
    ASSERT_TRUE(other->Release(third, 42).ok());
  }
  ASSERT_TRUE(RunWithin(worker, Count(1)).ok());
  s = Stats(third);
  EXPECT_EQ(s.state, "delayed");
  EXPECT_EQ(s.reserves, 3u);
  EXPECT_EQ(s.pri, 42u);
  EXPECT_GE(s.delay_s, 32);
  EXPECT_LE(s.delay_s, 48);

  std::lock_guard lock(mu);
  ASSERT_EQ(delays.size(), 2u);
  EXPECT_EQ(delays[1], std::chrono::seconds(s.delay_s));  // the hook reports what was sent
  EXPECT_EQ(reasons[0], "upstream down");
  EXPECT_EQ(worker.counters().failed, 2u);
}

TEST_F(WorkerTest, BuriesAfterMaxAttempts) {
  const JobId id = Put("doomed", "x");
  WorkerOptions opts = Options();
  std::string buried_reason;
  opts.hooks.on_buried = [&](const JobContext&, std::string_view reason) {
    buried_reason = reason;
  };
  Worker worker(opts);
  std::vector<uint32_t> attempts;
  RetryPolicy three;
  three.max_attempts = 3;
  three.base_delay = 0s;
  three.max_delay = 0s;
  HandleOptions handle;
  handle.retry = three;  // a per-tube policy
  ASSERT_TRUE(worker
                  .Handle(
                      "doomed",
                      [&](const JobContext& job) {
                        attempts.push_back(job.attempt);
                        return Outcome::Retry("no luck");
                      },
                      handle)
                  .ok());

  auto run = RunWithin(worker, Count(3));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(attempts, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(run->failed, 2u);
  EXPECT_EQ(run->buried, 1u);
  EXPECT_EQ(buried_reason, "no luck (attempt 3 of 3)");
  const JobStats s = Stats(id);
  EXPECT_EQ(s.state, "buried");
  EXPECT_EQ(s.reserves, 3u);
  EXPECT_EQ(s.releases, 2u);
  EXPECT_EQ(s.buries, 1u);
}

TEST_F(WorkerTest, KickedBuriedJobGetsAFreshBudgetAndIsHandled) {
  const JobId id = Put("dlq", "x");
  WorkerOptions opts = Options();
  opts.retry.max_attempts = 2;
  Worker worker(opts);
  std::vector<uint32_t> attempts;
  bool healthy = false;
  ASSERT_TRUE(worker
                  .Handle("dlq",
                          [&](const JobContext& job) {
                            attempts.push_back(job.attempt);
                            // After the kick: one more failure, then success.
                            if (!healthy || attempts.size() == 3) return Outcome::Retry("down");
                            return Outcome::Success();
                          })
                  .ok());

  ASSERT_TRUE(RunWithin(worker, Count(2)).ok());
  ASSERT_EQ(Stats(id).state, "buried");

  healthy = true;
  auto kicked = client_->Kick(10);
  ASSERT_TRUE(kicked.ok()) << kicked.status().ToString();
  ASSERT_EQ(*kicked, 1u);
  auto run = RunWithin(worker, Count(2));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(attempts, (std::vector<uint32_t>{1, 2, 1, 2}));
  EXPECT_EQ(run->failed, 1u);  // attempt 1 of the new budget was released, not buried
  EXPECT_EQ(run->succeeded, 1u);
  EXPECT_TRUE(client_->StatsJob(id).status().is(Error::kNotFound));
}

TEST_F(WorkerTest, BuryOutcomeBuriesAtOnce) {
  PutOptions put;
  put.pri = 3;
  const JobId id = Put("strict", "garbage", put);
  WorkerOptions opts = Options();
  std::string reason;
  opts.hooks.on_buried = [&](const JobContext&, std::string_view r) { reason = r; };
  Worker worker(opts);
  ASSERT_TRUE(
      worker.Handle("strict", [](const JobContext&) { return Outcome::Bury("cannot parse"); })
          .ok());
  ASSERT_TRUE(RunWithin(worker, Count(1)).ok());
  EXPECT_EQ(reason, "cannot parse");
  const JobStats s = Stats(id);
  EXPECT_EQ(s.state, "buried");
  EXPECT_EQ(s.pri, 3u);
  EXPECT_EQ(s.reserves, 1u);
}

TEST_F(WorkerTest, ExceptionInHandlerIsAFailureWithItsWhat) {
  const JobId retried = Put("throws", "x");
  const JobId buried = Put("throws-int", "x");
  WorkerOptions opts = Options();
  opts.retry.base_delay = 30s;
  opts.retry.max_delay = 30s;
  std::mutex mu;
  std::vector<std::string> failures, buries;
  opts.hooks.on_failure = [&](const JobContext&, std::string_view r, Duration) {
    std::lock_guard lock(mu);
    failures.emplace_back(r);
  };
  opts.hooks.on_buried = [&](const JobContext&, std::string_view r) {
    std::lock_guard lock(mu);
    buries.emplace_back(r);
  };
  Worker worker(opts);
  ASSERT_TRUE(
      worker
          .Handle("throws", [](const JobContext&) -> Outcome { throw std::runtime_error("boom"); })
          .ok());
  RetryPolicy once;
  once.max_attempts = 1;
  HandleOptions handle;
  handle.retry = once;
  ASSERT_TRUE(worker
                  .Handle(
                      "throws-int", [](const JobContext&) -> Outcome { throw 42; }, handle)
                  .ok());

  auto run = RunWithin(worker, Count(2));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(Stats(retried).state, "delayed");
  EXPECT_EQ(Stats(buried).state, "buried");
  std::lock_guard lock(mu);
  EXPECT_EQ(failures, (std::vector<std::string>{"boom"}));
  ASSERT_EQ(buries.size(), 1u);
  EXPECT_NE(buries[0].find("not a std::exception"), std::string::npos) << buries[0];
}

TEST_F(WorkerTest, AutoTouchKeepsAOneSecondTtrJobReservedWhileItsHandlerRuns) {
  PutOptions put;
  put.ttr = 1s;
  const JobId id = Put("slow", "x", put);
  auto rival = Connect();
  ASSERT_TRUE(rival->Watch("slow").ok());
  Worker worker(Options());
  Result<Job> rival_got = Status(Error::kInternalError, "not tried");
  JobStats during;
  ASSERT_TRUE(worker
                  .Handle("slow",
                          [&](const JobContext& job) {
                            // About 3.5 s of work, three TTRs and more: a rival consumer asking all
                            // the while must get nothing.
                            std::this_thread::sleep_for(1500ms);
                            rival_got = rival->Reserve(2s);
                            during = Stats(job.id);
                            return Outcome::Success();
                          })
                  .ok());

  auto run = RunWithin(worker, Count(1));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(rival_got.status().is(Error::kTimedOut)) << rival_got.status().ToString();
  EXPECT_EQ(during.state, "reserved");
  EXPECT_EQ(during.timeouts, 0u);
  EXPECT_EQ(during.reserves, 1u);
  EXPECT_EQ(run->succeeded, 1u);
  EXPECT_EQ(run->lost, 0u);
  EXPECT_TRUE(client_->StatsJob(id).status().is(Error::kNotFound));
}

TEST_F(WorkerTest, LostTouchCancelsTheHandlerAndSkipsTheDelete) {
  PutOptions put;
  put.ttr = 1s;
  const JobId id = Put("fragile", "x", put);
  WorkerOptions opts = Options();
  opts.touch_interval = 3s;  // later than the TTR: the job times out in between
  std::mutex mu;
  Status lost_why;
  JobId lost_id = 0;
  opts.hooks.on_lost = [&](const JobContext& job, const Status& why) {
    std::lock_guard lock(mu);
    lost_id = job.id;
    lost_why = why;
  };
  Worker worker(opts);
  bool cancelled = false;
  ASSERT_TRUE(worker
                  .Handle("fragile",
                          [&](const JobContext& job) {
                            cancelled = WaitForStop(job.cancel);
                            return Outcome::Success();  // ignored: the job is not ours any more
                          })
                  .ok());

  // The job times out about 1 s in; the first touch, at 3 s, finds it gone.
  auto run = RunWithin(worker, Count(1));
  ASSERT_TRUE(run.ok()) << run.status().ToString();

  EXPECT_TRUE(cancelled);
  EXPECT_EQ(run->lost, 1u);
  EXPECT_EQ(run->succeeded, 0u);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(lost_id, id);
    EXPECT_TRUE(lost_why.is(Error::kNotFound)) << lost_why.ToString();
  }
  auto server_stats = client_->Stats();
  ASSERT_TRUE(server_stats.ok());
  EXPECT_EQ(server_stats->cmd["delete"], 0u);  // the worker did not even try
  const JobStats s = Stats(id);
  EXPECT_EQ(s.state, "ready");
  EXPECT_EQ(s.timeouts, 1u);
}

TEST_F(WorkerTest, RunsNJobsInParallel) {
  for (int i = 0; i < 4; ++i) Put("wide", std::to_string(i));
  Worker worker(Options(4));
  Counter inside;
  ASSERT_TRUE(worker
                  .Handle("wide",
                          [&](const JobContext&) {
                            // Every handler waits for all four to be inside: only four slots at
                            // once can get past this.
                            inside.Add();
                            return inside.WaitFor(4) ? Outcome::Success()
                                                     : Outcome::Retry("not concurrent");
                          })
                  .ok());
  auto run = RunWithin(worker, Count(4));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->succeeded, 4u);
}

TEST_F(WorkerTest, CountLimitHandlesExactlyThatManyJobs) {
  for (int i = 0; i < 5; ++i) Put("batch", std::to_string(i));
  Worker worker(Options(2));
  ASSERT_TRUE(worker.Handle("batch", [](const JobContext&) { return Outcome::Success(); }).ok());
  auto run = RunWithin(worker, Count(3));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->reserved, 3u);
  EXPECT_EQ(run->succeeded, 3u);
  auto tube = client_->StatsTube("batch");
  ASSERT_TRUE(tube.ok());
  EXPECT_EQ(tube->current_jobs_ready, 2u);
  EXPECT_EQ(tube->cmd_delete, 3u);
}

TEST_F(WorkerTest, TimeLimitEndsTheRun) {
  Worker worker(Options(2));
  ASSERT_TRUE(worker.Handle("idle", [](const JobContext&) { return Outcome::Success(); }).ok());
  RunLimits limits;
  limits.time_limit = 1500ms;
  auto run = RunWithin(worker, limits);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->handled, 0u);
}

TEST_F(WorkerTest, StopReleasesJobsThatOutlastTheGraceAndDeletesThoseThatFinish) {
  PutOptions put;
  put.pri = 9;
  const JobId finishes = Put("stop", "finish", put);
  const JobId hangs = Put("stop", "hang", put);
  WorkerOptions opts = Options(2);
  opts.stop_grace = 1s;
  Counter reserved;
  opts.hooks.on_reserved = [&](const JobContext&) { reserved.Add(); };
  Worker worker(opts);
  ASSERT_TRUE(worker
                  .Handle("stop",
                          [](const JobContext& job) {
                            if (job.body == "finish") {
                              return WaitForStop(job.stopping) ? Outcome::Success()
                                                               : Outcome::Retry("no stop came");
                            }
                            WaitForStop(job.cancel);  // holds on past the grace period
                            return Outcome::Success();
                          })
                  .ok());

  auto run = std::async(std::launch::async, [&] { return worker.RunUntilStopped(); });
  ASSERT_TRUE(reserved.WaitFor(2));
  worker.Stop();
  EXPECT_TRUE(worker.stop_requested());
  ASSERT_EQ(run.wait_for(kHangDeadline), std::future_status::ready);
  auto counters = run.get();
  ASSERT_TRUE(counters.ok()) << counters.status().ToString();

  EXPECT_EQ(counters->succeeded, 1u);
  EXPECT_EQ(counters->released, 1u);
  EXPECT_TRUE(client_->StatsJob(finishes).status().is(Error::kNotFound));
  const JobStats s = Stats(hangs);
  EXPECT_EQ(s.state, "ready");  // released with no delay
  EXPECT_EQ(s.pri, 9u);
  EXPECT_EQ(s.releases, 1u);
}

TEST_F(WorkerTest, StopBeforeRunMakesTheNextRunReturnAtOnce) {
  Put("never", "x");
  Worker worker(Options());
  ASSERT_TRUE(worker.Handle("never", [](const JobContext&) { return Outcome::Success(); }).ok());
  worker.Stop();
  auto run = RunWithin(worker, RunLimits{});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->handled, 0u);
}

TEST_F(WorkerTest, HandleAndRunAreRefusedDuringARun) {
  Put("busy", "x");
  Worker worker(Options());
  Counter inside;
  std::stop_source release_handler;
  ASSERT_TRUE(worker
                  .Handle("busy",
                          [&](const JobContext&) {
                            inside.Add();
                            WaitForStop(release_handler.get_token());
                            return Outcome::Success();
                          })
                  .ok());
  auto run = std::async(std::launch::async, [&] { return worker.Run(Count(1)); });
  ASSERT_TRUE(inside.WaitFor(1));
  auto second = worker.Run(Count(1));
  EXPECT_TRUE(second.status().is(Error::kInvalidArgument)) << second.status().ToString();
  auto handle = worker.Handle("other", [](const JobContext&) { return Outcome::Success(); });
  EXPECT_TRUE(handle.status().is(Error::kInvalidArgument));
  release_handler.request_stop();
  ASSERT_EQ(run.wait_for(kHangDeadline), std::future_status::ready);
  EXPECT_TRUE(run.get().ok());
}

TEST_F(WorkerTest, HandleRefusesBadInput) {
  Worker worker(Options());
  auto ok = [](const JobContext&) { return Outcome::Success(); };
  for (std::string bad : {std::string(""), std::string("-dash"), std::string("sp ace"),
                          std::string(201, 'a'), std::string("star*")}) {
    auto r = worker.Handle(bad, ok);
    EXPECT_TRUE(r.status().is(Error::kInvalidArgument)) << "'" << bad << "'";
    EXPECT_FALSE(r.status().message().empty());
  }
  EXPECT_TRUE(worker.Handle(std::string(200, 'a'), ok).ok());
  ASSERT_TRUE(worker.Handle("t", ok).ok());
  EXPECT_TRUE(worker.Handle("t", ok).status().is(Error::kInvalidArgument));  // twice
  EXPECT_TRUE(worker.Handle("u", Handler{}).status().is(Error::kInvalidArgument));
  HandleOptions bad_policy;
  bad_policy.retry = RetryPolicy{};
  bad_policy.retry->jitter = 1.5;
  EXPECT_TRUE(worker.Handle("v", ok, bad_policy).status().is(Error::kInvalidArgument));
}

TEST_F(WorkerTest, RunRefusesBadOptions) {
  auto ok = [](const JobContext&) { return Outcome::Success(); };
  {
    Worker worker(Options());
    auto r = worker.Run(Count(1));
    EXPECT_TRUE(r.status().is(Error::kInvalidArgument)) << "no handlers";
  }
  auto expect_refused = [&](WorkerOptions opts, RunLimits limits, const char* what) {
    Worker worker(opts);
    ASSERT_TRUE(worker.Handle("t", ok).ok());
    auto r = worker.Run(limits);
    EXPECT_TRUE(r.status().is(Error::kInvalidArgument)) << what << ": " << r.status().ToString();
  };
  WorkerOptions o = Options();
  o.concurrency = 0;
  expect_refused(o, Count(1), "concurrency 0");
  o = Options();
  o.reserve_timeout = 0s;
  expect_refused(o, Count(1), "reserve_timeout 0");
  o = Options();
  o.stop_grace = -1s;
  expect_refused(o, Count(1), "negative grace");
  o = Options();
  o.error_backoff.initial = 0s;
  expect_refused(o, Count(1), "zero error backoff");
  RunLimits negative;
  negative.time_limit = -1s;
  expect_refused(Options(), negative, "negative time limit");
}

TEST_F(WorkerTest, RunFailsCleanlyWhenTheServerIsUnreachable) {
  WorkerOptions opts = Options();
  opts.server.port = 1;  // nothing listens there
  opts.server.max_connect_attempts = 1;
  opts.server.connect_timeout = 5s;
  Worker worker(opts);
  ASSERT_TRUE(worker.Handle("t", [](const JobContext&) { return Outcome::Success(); }).ok());
  auto run = RunWithin(worker, Count(1));
  EXPECT_TRUE(run.status().is(Error::kConnectFailed)) << run.status().ToString();
}

TEST_F(WorkerTest, ConnectionErrorsAreReportedAndTheRunStillStops) {
  WorkerOptions opts = Options(2);
  opts.server.max_connect_attempts = 1;
  Counter errors;
  opts.hooks.on_error = [&](const Status&) { errors.Add(); };
  Worker worker(opts);
  ASSERT_TRUE(worker.Handle("t", [](const JobContext&) { return Outcome::Success(); }).ok());
  auto run = std::async(std::launch::async, [&] { return worker.RunUntilStopped(); });
  // Once both slots are connected and waiting, the server goes away under them.
  ASSERT_TRUE(WaitForServerWaiting(2));
  server_->Kill();
  ASSERT_TRUE(errors.WaitFor(2));  // the slots back off and keep trying
  worker.Stop();
  ASSERT_EQ(run.wait_for(kHangDeadline), std::future_status::ready);
  auto counters = run.get();
  ASSERT_TRUE(counters.ok()) << counters.status().ToString();
  EXPECT_GE(counters->errors, 2u);
  EXPECT_EQ(counters->handled, 0u);
}

}  // namespace
}  // namespace stalk::test
