#pragma once

// A LocalQueue on a FakeClock, with synchronous helpers that check each
// completion is called exactly once before the call returns.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fake_clock.h"
#include "local/local_queue.h"

namespace stalk::local::testing {

using queue::Code;
using queue::JobId;
using queue::JobInfo;
using queue::JobRef;
using queue::JobState;
using queue::QueueInfo;
using queue::SessionId;
using queue::TubeInfo;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr Duration kNs = nanoseconds(1);

// What a reserve completion received. `calls` counts invocations.
struct ReserveResult {
  int calls = 0;
  Code code = Code::kInternalError;
  JobId id = 0;
  std::string body;
};

class LocalQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  LocalQueue q_{clock_};

  void Advance(Duration d) { clock_.Advance(d); }

  JobId Put(SessionId s, uint32_t pri = 0, Duration delay = {}, Duration ttr = seconds(60),
            std::string body = "body") {
    queue::PutArgs args;
    args.pri = pri;
    args.delay = delay;
    args.ttr = ttr;
    args.body = body;
    int calls = 0;
    JobId id = 0;
    q_.Put(s, args, [&](Code code, JobId got) {
      ++calls;
      EXPECT_EQ(code, Code::kOk);
      id = got;
    });
    EXPECT_EQ(calls, 1);
    return id;
  }

  // A reserve whose completion may come later: the result fills in when it does.
  std::shared_ptr<ReserveResult> ReserveAsync(SessionId s,
                                              std::optional<Duration> timeout = std::nullopt) {
    auto result = std::make_shared<ReserveResult>();
    q_.Reserve(s, timeout, [result](Code code, const JobRef* job) {
      ++result->calls;
      result->code = code;
      if (job != nullptr) {
        result->id = job->id;
        result->body = std::string(job->body);
      }
    });
    return result;
  }

  // A reserve that must complete at once.
  ReserveResult Reserve(SessionId s, std::optional<Duration> timeout = Duration::zero()) {
    auto result = ReserveAsync(s, timeout);
    EXPECT_EQ(result->calls, 1) << "reserve did not complete synchronously";
    return *result;
  }

  // The id a reserve got, or 0 (with the code checked to be `expect` otherwise).
  JobId ReserveId(SessionId s, std::optional<Duration> timeout = Duration::zero()) {
    ReserveResult r = Reserve(s, timeout);
    return r.code == Code::kOk ? r.id : 0;
  }

  ReserveResult ReserveJob(SessionId s, JobId id) {
    ReserveResult result;
    q_.ReserveJob(s, id, [&](Code code, const JobRef* job) {
      ++result.calls;
      result.code = code;
      if (job != nullptr) {
        result.id = job->id;
        result.body = std::string(job->body);
      }
    });
    EXPECT_EQ(result.calls, 1);
    return result;
  }

  template <class Call>
  Code CodeOf(Call call) {
    int calls = 0;
    Code result = Code::kInternalError;
    call([&](Code code) {
      ++calls;
      result = code;
    });
    EXPECT_EQ(calls, 1);
    return result;
  }

  Code Delete(SessionId s, JobId id) {
    return CodeOf([&](auto done) { q_.Delete(s, id, done); });
  }
  Code Release(SessionId s, JobId id, uint32_t pri = 0, Duration delay = {}) {
    return CodeOf([&](auto done) { q_.Release(s, id, pri, delay, done); });
  }
  Code Bury(SessionId s, JobId id, uint32_t pri = 0) {
    return CodeOf([&](auto done) { q_.Bury(s, id, pri, done); });
  }
  Code Touch(SessionId s, JobId id) {
    return CodeOf([&](auto done) { q_.Touch(s, id, done); });
  }
  Code KickJob(SessionId s, JobId id) {
    return CodeOf([&](auto done) { q_.KickJob(s, id, done); });
  }
  Code Use(SessionId s, const std::string& tube) {
    return CodeOf([&](auto done) { q_.Use(s, tube, done); });
  }
  Code Pause(const std::string& tube, Duration d, SessionId s = 0) {
    return CodeOf([&](auto done) { q_.PauseTube(s, tube, d, done); });
  }

  uint64_t Kick(SessionId s, uint32_t bound) {
    int calls = 0;
    uint64_t kicked = 0;
    q_.Kick(s, bound, [&](Code code, uint64_t n) {
      ++calls;
      EXPECT_EQ(code, Code::kOk);
      kicked = n;
    });
    EXPECT_EQ(calls, 1);
    return kicked;
  }

  size_t Watch(SessionId s, const std::string& tube) {
    int calls = 0;
    size_t count = 0;
    q_.Watch(s, tube, [&](Code code, size_t n) {
      ++calls;
      EXPECT_EQ(code, Code::kOk);
      count = n;
    });
    EXPECT_EQ(calls, 1);
    return count;
  }

  std::pair<Code, size_t> Ignore(SessionId s, const std::string& tube) {
    int calls = 0;
    std::pair<Code, size_t> result;
    q_.Ignore(s, tube, [&](Code code, size_t n) {
      ++calls;
      result = {code, n};
    });
    EXPECT_EQ(calls, 1);
    return result;
  }

  std::string UsedTube(SessionId s) {
    std::string name;
    q_.UsedTube(s, [&](std::string_view n) { name = std::string(n); });
    return name;
  }

  std::vector<std::string> Tubes() {
    std::vector<std::string> names;
    q_.Tubes([&](const std::vector<std::string>& n) { names = n; });
    return names;
  }

  std::vector<std::string> Watched(SessionId s) {
    std::vector<std::string> names;
    q_.WatchedTubes(s, [&](const std::vector<std::string>& n) { names = n; });
    return names;
  }

  // The peeked id, or 0 for NOT_FOUND.
  JobId Peek(SessionId s, JobId id) {
    JobId got = 0;
    q_.Peek(s, id, [&](Code code, const JobRef* job) {
      if (code == Code::kOk) got = job->id;
    });
    return got;
  }
  JobId PeekTube(SessionId s, queue::Queue::PeekWhich which) {
    JobId got = 0;
    q_.PeekTube(s, which, [&](Code code, const JobRef* job) {
      if (code == Code::kOk) got = job->id;
    });
    return got;
  }
  JobId PeekReady(SessionId s) { return PeekTube(s, queue::Queue::PeekWhich::kReady); }
  JobId PeekDelayed(SessionId s) { return PeekTube(s, queue::Queue::PeekWhich::kDelayed); }
  JobId PeekBuried(SessionId s) { return PeekTube(s, queue::Queue::PeekWhich::kBuried); }

  std::optional<JobInfo> StatsJob(JobId id) {
    std::optional<JobInfo> info;
    q_.StatsJob(0, id, [&](Code code, const JobInfo* i) {
      if (code == Code::kOk) info = *i;
    });
    return info;
  }
  JobState StateOf(JobId id) {
    auto info = StatsJob(id);
    EXPECT_TRUE(info.has_value()) << "no job " << id;
    return info ? info->state : JobState::kReady;
  }

  std::optional<TubeInfo> StatsTube(const std::string& name) {
    std::optional<TubeInfo> info;
    q_.StatsTube(0, name, [&](Code code, const TubeInfo* i) {
      if (code == Code::kOk) info = *i;
    });
    return info;
  }

  QueueInfo Stats() {
    QueueInfo info;
    q_.Stats([&](const QueueInfo& i) { info = i; });
    return info;
  }
};

}  // namespace stalk::local::testing
