// The facade's Redis backend (see redis_backend.h): the facade's calls turned into
// queue::Queue operations on a RedisHost's loop thread. libstalk's Status/Result only;
// everything that touches the Redis client is in redis_host.cc.

#include "client/redis_backend.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client/redis_host.h"
#include "queue/queue.h"
#include "queue/stats.h"
#include "stalk/compression.h"

namespace stalk::detail {
namespace {

using queue::Code;
using queue::SessionId;

// One call's answer, handed from the loop thread to the thread waiting for it.
template <typename T>
class Answer {
 public:
  void Set(T value) {
    std::lock_guard lock(mu_);
    if (!value_ && !abandoned_) value_.emplace(std::move(value));
    cv_.notify_all();
  }
  void Abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    cv_.notify_all();
  }
  // The answer; nullopt when `bound` passed first (*timed_out) or the call was dropped.
  std::optional<T> Wait(std::optional<Duration> bound, bool* timed_out) {
    std::unique_lock lock(mu_);
    auto ready = [this] { return value_.has_value() || abandoned_; };
    if (!bound) {
      cv_.wait(lock, ready);
    } else if (!cv_.wait_for(lock, *bound, ready)) {
      *timed_out = true;
      return std::nullopt;
    }
    return std::move(value_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;
  bool abandoned_ = false;
};

// The loop's end of an Answer. Completions hold it by shared_ptr; when the last copy goes
// without an answer (a completion the queue will never call: a dropped reserve, the queue
// destroyed) the waiter is woken instead of waiting forever.
template <typename T>
class Completer {
 public:
  explicit Completer(std::shared_ptr<Answer<T>> answer) : answer_(std::move(answer)) {}
  ~Completer() { answer_->Abandon(); }  // no effect once answered
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;
  void operator()(T value) { answer_->Set(std::move(value)); }

 private:
  std::shared_ptr<Answer<T>> answer_;
};

template <typename T>
using Done = std::shared_ptr<Completer<Result<T>>>;

// A queue outcome as libstalk's error, the one a stalkd would have put on the wire.
Status CodeStatus(Code code, std::string_view what, JobId id = 0) {
  switch (code) {
    case Code::kOk:
      return Status();
    case Code::kNotFound:
      return Status(Error::kNotFound);
    case Code::kBuried:
      return Status(Error::kBuried, std::string(what) + ": buried", id);
    case Code::kNotIgnored:
      return Status(Error::kNotIgnored);
    case Code::kTimedOut:
      return Status(Error::kTimedOut);
    case Code::kDeadlineSoon:
      return Status(Error::kDeadlineSoon);
    case Code::kOutOfMemory:
      return Status(Error::kOutOfMemory, "Redis is out of memory");
    case Code::kInternalError:
      break;
  }
  // The queue logged the cause (an unreachable Redis, an outcome unknown...).
  return Status(Error::kInternalError, std::string(what) + " failed on Redis");
}

Result<void> CodeResult(Code code, std::string_view what) {
  if (code == Code::kOk) return {};
  return CodeStatus(code, what);
}

// The limits stalk::Client enforces before sending, so both backends refuse the same.
Status CheckDuration(Duration d, std::string_view what) {
  if (d < Duration::zero()) return Status(Error::kInvalidArgument, std::string(what) + " < 0");
  if (std::chrono::duration_cast<std::chrono::seconds>(d).count() > 0xffffffffLL) {
    return Status(Error::kInvalidArgument, std::string(what) + " over 2^32-1 seconds");
  }
  return Status();
}

// Delays and TTRs in whole seconds, as the wire carries them, so that a job behaves the
// same whichever backend put it.
Duration WholeSeconds(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d); }



// The Backend on a RedisQueue of its own (in host_).
//
// Threading: the queue and the lane bookkeeping (control_, idle_, held_) belong to the
// host's loop thread; a public call posts a closure there and waits for its answer
// (std::condition_variable in Answer), so any number of threads may call at once and a
// thread waiting in Reserve holds up nobody: the loop never blocks.
//
// Sessions mirror WireBackend's connections: one control session for puts, peeks, stats
// and kick-job (each call sets its `use` in the same closure as the command, so calls of
// different threads never interleave between the two), and one lane session per
// concurrent Reserve, watching only its tube. A lane that reserved a job is held by it
// until Delete, Release or Bury, and Touch/Delete/Release/Bury of that job go to it
// (the queue accepts them only from the session holding the reservation).
class RedisBackend final : public Backend {
 public:
  RedisBackend(std::string address, Options options, std::unique_ptr<RedisHost> host)
      : address_(std::move(address)), options_(std::move(options)), host_(std::move(host)) {
    // The control session. The queue answers OpenSession at once; going through the loop
    // keeps to the rule that only its thread touches the queue.
    Result<bool> opened = Call<bool>(
        [this](Done<bool> done) {
          control_ = host_->queue().OpenSession();
          (*done)(true);
        },
        std::nullopt);
    (void)opened;  // it cannot fail: the closure always answers
  }

  // Destroying host_ (first: it is the last member) gives back the jobs the lanes hold.
  ~RedisBackend() override = default;

  Result<JobId> Put(std::string_view tube, std::string_view body, const PutOptions& opts) override {
    if (Status st = CheckDuration(opts.delay, "delay"); !st.ok()) return st;
    if (Status st = CheckDuration(opts.ttr, "ttr"); !st.ok()) return st;
    return Call<JobId>(
        [this, tube = std::string(tube), body = std::string(body), opts](Done<JobId> done) {
          host_->queue().Use(control_, tube, [](Code) {});
          queue::PutArgs args;
          args.pri = opts.pri;
          args.delay = WholeSeconds(opts.delay);
          args.ttr = WholeSeconds(opts.ttr);
          args.body = body;  // copied by the queue before Put returns
          host_->queue().Put(control_, args, [done](Code code, JobId id) {
            if (code == Code::kOk) return (*done)(id);
            (*done)(CodeStatus(code, "put", id));
          });
        },
        options_.call_timeout);
  }

  Result<Job> Reserve(std::string_view tube, std::optional<Duration> timeout) override {
    std::optional<Duration> bound;  // a blocking reserve waits without bound
    if (timeout) {
      if (Status st = CheckDuration(*timeout, "timeout"); !st.ok()) return st;
      bound = *timeout + options_.call_timeout;
    }
    auto ticket = std::make_shared<ReserveTicket>();
    Result<Job> job = Call<Job>(
        [this, tube = std::string(tube), timeout, ticket](Done<Job> done) {
          const SessionId lane = TakeLane(tube);
          ticket->lane = lane;
          host_->queue().Reserve(
              lane, timeout, [this, tube, lane, ticket, done](Code code, const queue::JobRef* j) {
                ticket->finished = true;
                if (code != Code::kOk) {
                  ReturnLane(Lane{tube, lane});
                  return (*done)(CodeStatus(code, "reserve"));
                }
                ticket->job = j->id;
                Hold(j->id, Lane{tube, lane});
                (*done)(Job{j->id, Body(j->body)});
              });
        },
        bound);
    if (!job.ok() && job.error() == Error::kCallTimeout) {
      // Posted after the reserve's own closure, so it runs after it.
      host_->Post([this, ticket] { DropReserve(*ticket); });
    }
    return job;
  }

  Result<void> Touch(JobId id) override {
    return OnHolder(id, /*ends_reservation=*/false, "touch",
                    [this, id](SessionId s, queue::Completion<Code> d) {
                      host_->queue().Touch(s, id, std::move(d));
                    });
  }
  Result<void> Delete(JobId id) override {
    return OnHolder(id, true, "delete", [this, id](SessionId s, queue::Completion<Code> d) {
      host_->queue().Delete(s, id, std::move(d));
    });
  }
  Result<void> Release(JobId id, uint32_t pri, Duration delay) override {
    if (Status st = CheckDuration(delay, "delay"); !st.ok()) return st;
    return OnHolder(id, true, "release",
                    [this, id, pri, delay](SessionId s, queue::Completion<Code> d) {
                      host_->queue().Release(s, id, pri, WholeSeconds(delay), std::move(d));
                    });
  }
  Result<void> Bury(JobId id, uint32_t pri) override {
    return OnHolder(id, true, "bury", [this, id, pri](SessionId s, queue::Completion<Code> d) {
      host_->queue().Bury(s, id, pri, std::move(d));
    });
  }

  Result<void> KickJob(JobId id) override {
    return Call<void>(
        [this, id](Done<void> done) {
          host_->queue().KickJob(control_, id,
                                 [done](Code code) { (*done)(CodeResult(code, "kick-job")); });
        },
        options_.call_timeout);
  }

  Result<Job> PeekBuried(std::string_view tube) override {
    return PeekIn(tube, queue::Queue::PeekWhich::kBuried);
  }

  Result<TubeStats> StatsTube(std::string_view tube) override {
    return Call<TubeStats>(
        [this, tube = std::string(tube)](Done<TubeStats> done) {
          host_->queue().StatsTube(control_, tube, [done](Code code, const queue::TubeInfo* info) {
            if (code != Code::kOk) return (*done)(CodeStatus(code, "stats-tube"));
            (*done)(queue::ToStats(*info));
          });
        },
        options_.call_timeout);
  }

  Result<uint64_t> EmptyTube(std::string_view tube) override {
    using Which = queue::Queue::PeekWhich;
    uint64_t deleted = 0;
    for (Which which : {Which::kReady, Which::kDelayed, Which::kBuried}) {
      while (true) {
        Result<Job> job = PeekIn(tube, which);
        if (!job.ok()) {
          if (job.error() == Error::kNotFound) break;
          return job.status();
        }
        Result<void> d = Call<void>(
            [this, id = job->id](Done<void> done) {
              host_->queue().Delete(control_, id,
                                    [done](Code code) { (*done)(CodeResult(code, "delete")); });
            },
            options_.call_timeout);
        if (d.ok()) {
          ++deleted;
        } else if (d.error() != Error::kNotFound) {
          // kNotFound: reserved or deleted by someone between the peek and the delete;
          // the next peek moves on. Anything else is a real failure.
          return d.status();
        }
      }
    }
    return deleted;
  }

  Client* client() override { return nullptr; }
  std::string address() const override { return address_; }

 private:
  struct Lane {
    std::string tube;
    SessionId session = 0;
  };
  // What the loop knows of one Reserve call, for when its caller stops waiting.
  struct ReserveTicket {
    SessionId lane = 0;
    bool finished = false;
    JobId job = 0;  // when it reserved one
  };

  // Runs `start` on the loop and waits up to `bound` (none: forever) for the answer it
  // gives through the Completer. kCallTimeout when the bound passes first.
  template <typename T>
  Result<T> Call(std::function<void(Done<T>)> start, std::optional<Duration> bound) {
    auto answer = std::make_shared<Answer<Result<T>>>();
    auto done = std::make_shared<Completer<Result<T>>>(answer);
    host_->Post(
        [start = std::move(start), done = std::move(done)]() mutable { start(std::move(done)); });
    bool timed_out = false;
    std::optional<Result<T>> result = answer->Wait(bound, &timed_out);
    if (result) return std::move(*result);
    if (timed_out) return Status(Error::kCallTimeout, "no answer from the Redis queue in time");
    return Status(Error::kClosed, "the Redis queue dropped the call");
  }

  // A job command: on the lane holding job `id` if this backend reserved it, else on the
  // control session. When it ends the reservation, the lane is free again once answered.
  Result<void> OnHolder(JobId id, bool ends_reservation, std::string what,
                        std::function<void(SessionId, queue::Completion<Code>)> op) {
    return Call<void>(
        [this, id, ends_reservation, what = std::move(what), op = std::move(op)](Done<void> done) {
          std::optional<Lane> lane;
          auto it = held_.find(id);
          if (it != held_.end()) {
            lane = it->second;
            if (ends_reservation) held_.erase(it);
          }
          op(lane ? lane->session : control_,
             [this, lane, ends_reservation, what, done](Code code) {
               // Whatever the answer, the lane holds no reservation any more: ended, or
               // no longer its own (TTR passed).
               if (lane && ends_reservation) ReturnLane(*lane);
               (*done)(CodeResult(code, what));
             });
        },
        options_.call_timeout);
  }

  // peek-ready / -delayed / -buried of `tube`, through the control session.
  Result<Job> PeekIn(std::string_view tube, queue::Queue::PeekWhich which) {
    return Call<Job>(
        [this, tube = std::string(tube), which](Done<Job> done) {
          host_->queue().Use(control_, tube, [](Code) {});
          host_->queue().PeekTube(control_, which, [this, done](Code code, const queue::JobRef* j) {
            if (code != Code::kOk) return (*done)(CodeStatus(code, "peek"));
            (*done)(Job{j->id, Body(j->body)});
          });
        },
        options_.call_timeout);
  }

  std::string Body(std::string_view stored) const {
    if (options_.decompress) {
      if (std::optional<std::string> original = DecompressBody(stored)) return std::move(*original);
    }
    return std::string(stored);
  }

  // Loop thread: an idle lane watching only `tube`, opened if there is none.
  SessionId TakeLane(const std::string& tube) {
    auto it = idle_.find(tube);
    if (it != idle_.end() && !it->second.empty()) {
      SessionId s = it->second.back();
      it->second.pop_back();
      return s;
    }
    const SessionId s = host_->queue().OpenSession();
    if (tube != "default") {
      host_->queue().Watch(s, tube, [](Code, size_t) {});
      host_->queue().Ignore(s, "default", [](Code, size_t) {});
    }
    return s;
  }

  void ReturnLane(Lane lane) { idle_[lane.tube].push_back(lane.session); }

  // Loop thread: records that `lane` holds job `id`. A lane already listed for that job
  // lost it when its TTR ran out (that is how the job could be reserved again), so that
  // lane holds nothing and goes back to the pool.
  void Hold(JobId id, Lane lane) {
    auto [it, inserted] = held_.try_emplace(id, lane);
    if (!inserted) {
      ReturnLane(std::move(it->second));
      it->second = std::move(lane);
    }
  }

  // Loop thread: the caller of a Reserve stopped waiting (kCallTimeout). Its lane is
  // closed, as WireBackend drops the connection: a pending reserve is cancelled, and a
  // job it got after all goes back to ready at once.
  void DropReserve(const ReserveTicket& ticket) {
    if (ticket.lane == 0) return;
    if (ticket.finished) {
      if (ticket.job == 0) return;  // the lane went back to the pool
      auto it = held_.find(ticket.job);
      if (it == held_.end() || it->second.session != ticket.lane) return;
      held_.erase(it);
    }
    host_->queue().CloseSession(ticket.lane);
  }

  const std::string address_;
  const Options options_;

  // Loop thread only.
  SessionId control_ = 0;
  std::map<std::string, std::vector<SessionId>> idle_;  // lanes holding nothing, by tube
  std::unordered_map<JobId, Lane> held_;                // lanes holding a job, by job

  // Last, so destroyed first: its loop runs completions that use the members above.
  std::unique_ptr<RedisHost> host_;
};

}  // namespace

bool IsRedisAddress(std::string_view address) { return address.starts_with("redis://"); }

Result<std::unique_ptr<Backend>> ConnectRedisBackend(std::string_view address,
                                                     const Options& options) {
  RedisHost::StartError error;
  std::unique_ptr<RedisHost> host = RedisHost::Start(address, options.connect_timeout, &error);
  if (!host) {
    return Status(error.bad_address ? Error::kInvalidArgument : Error::kConnectFailed,
                  "address '" + std::string(address) + "': " + error.message);
  }
  return std::unique_ptr<Backend>(
      std::make_unique<RedisBackend>(std::string(address), options, std::move(host)));
}

}  // namespace stalk::detail
