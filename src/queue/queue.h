#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/types.h"

namespace stalk::queue {

// Completion callbacks. Each is called exactly once per operation (unless the
// session is closed first; see CloseSession), on the queue's thread, either before
// the operation returns or later (after a journal sync, a network round trip, or
// when a reserve is satisfied). Pointers and string_views passed to a completion
// are valid only for the duration of the call.
template <class... Args>
using Completion = std::function<void(Args...)>;

// The queue of jobs, seen by the protocol server. The server never knows which
// implementation is behind it (LocalQueue in memory with a journal, RedisQueue on
// a Redis Cluster). Wire text never crosses this interface: names are validated
// and numbers parsed before a call.
//
// Threading: every call and every completion happens on one thread, the one that
// owns the queue (the server's event loop). No locks.
//
// Ordering: the effects of the operations of one session happen in call order.
// Their completions may not: an operation that waits for the disk (a put under
// -f0) completes after a later one that did not need it (a peek). The caller
// orders the replies (the server numbers each command). The caller may issue the
// next operation before the previous completes, except that Reserve must complete
// before the session's next call (a connection blocked in reserve reads nothing).
//
// Sessions: a session is one client connection. It has a used tube (initially
// "default") and a watch list (initially ["default"]); it owns its reservations.
// Tubes exist while a session uses or watches them, or while they hold a job;
// "default" always exists.
class Queue {
 public:
  virtual ~Queue() = default;

  // Starts a session using and watching "default".
  virtual SessionId OpenSession() = 0;
  // Ends a session: its jobs go back to ready at once (not counted as timeouts),
  // a pending Reserve is dropped without its completion being called, and
  // completions of its other pending operations are still called.
  virtual void CloseSession(SessionId s) = 0;

  // put: into the session's used tube. Completes (kOk, id), (kBuried, id),
  // (kOutOfMemory, 0) or (kInternalError, 0).
  virtual void Put(SessionId s, const PutArgs& args, Completion<Code, JobId> done) = 0;

  // use: kOk.
  virtual void Use(SessionId s, std::string_view tube, Completion<Code> done) = 0;
  // The session's used tube, for list-tube-used.
  virtual void UsedTube(SessionId s, Completion<std::string_view> done) = 0;
  // watch: (kOk, watched count).
  virtual void Watch(SessionId s, std::string_view tube, Completion<Code, size_t> done) = 0;
  // ignore: (kOk, watched count) or (kNotIgnored, count).
  virtual void Ignore(SessionId s, std::string_view tube, Completion<Code, size_t> done) = 0;
  // list-tubes-watched, in beanstalkd's order.
  virtual void WatchedTubes(SessionId s, Completion<const std::vector<std::string>&> done) = 0;
  // list-tubes, in beanstalkd's order.
  virtual void Tubes(Completion<const std::vector<std::string>&> done) = 0;

  // reserve / reserve-with-timeout. `timeout` empty = wait forever; zero = answer
  // now. Completes (kOk, job), (kDeadlineSoon, null) — also while waiting, when a
  // job this session holds comes within 1 s of its deadline — or (kTimedOut, null).
  virtual void Reserve(SessionId s, std::optional<Duration> timeout,
                       Completion<Code, const JobRef*> done) = 0;
  // Ends a waiting Reserve of this session with kTimedOut (the client half-closed
  // its connection). No effect if none is waiting.
  virtual void CancelReserve(SessionId s) = 0;
  // reserve-job: a ready, delayed or buried job in any tube, paused or not.
  // (kOk, job) or (kNotFound, null). Never kDeadlineSoon.
  virtual void ReserveJob(SessionId s, JobId id, Completion<Code, const JobRef*> done) = 0;

  // delete: a ready, delayed or buried job, or one reserved by this session. kOk or kNotFound.
  virtual void Delete(SessionId s, JobId id, Completion<Code> done) = 0;
  // release: a job reserved by this session. kOk, kBuried or kNotFound.
  virtual void Release(SessionId s, JobId id, uint32_t pri, Duration delay,
                       Completion<Code> done) = 0;
  // bury: a job reserved by this session. kOk or kNotFound.
  virtual void Bury(SessionId s, JobId id, uint32_t pri, Completion<Code> done) = 0;
  // touch: a job reserved by this session; its deadline becomes now + ttr. kOk or kNotFound.
  virtual void Touch(SessionId s, JobId id, Completion<Code> done) = 0;
  // kick: up to `bound` jobs of the used tube; buried ones if it has any, else
  // delayed ones. (kOk, number kicked).
  virtual void Kick(SessionId s, uint32_t bound, Completion<Code, uint64_t> done) = 0;
  // kick-job: a buried or delayed job in any tube. kOk or kNotFound.
  virtual void KickJob(SessionId s, JobId id, Completion<Code> done) = 0;

  enum class PeekWhich : uint8_t { kReady, kDelayed, kBuried };
  // peek <id>: any job in any state. (kOk, job) or (kNotFound, null).
  virtual void Peek(SessionId s, JobId id, Completion<Code, const JobRef*> done) = 0;
  // peek-ready / peek-delayed / peek-buried on the used tube.
  virtual void PeekTube(SessionId s, PeekWhich which, Completion<Code, const JobRef*> done) = 0;

  // pause-tube: kOk or kNotFound (no such tube). A zero delay unpauses.
  virtual void PauseTube(SessionId s, std::string_view tube, Duration delay,
                         Completion<Code> done) = 0;

  // stats-job: (kOk, info) or (kNotFound, null).
  virtual void StatsJob(SessionId s, JobId id, Completion<Code, const JobInfo*> done) = 0;
  // stats-tube: (kOk, info) or (kNotFound, null).
  virtual void StatsTube(SessionId s, std::string_view tube,
                         Completion<Code, const TubeInfo*> done) = 0;
  virtual void Stats(Completion<const QueueInfo&> done) = 0;
};

}  // namespace stalk::queue
