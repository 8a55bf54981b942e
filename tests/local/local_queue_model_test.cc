// Randomized tests of LocalQueue with fixed seeds:
// - against a deliberately naive reference model (maps and linear scans) for
//   every command except waiting reserves, comparing every reply and, after
//   every step, every counter, list and job;
// - with waiting reserves, checking invariants (each reserve completes at most
//   once, no job lost, no ready job left next to a waiter on an unpaused tube).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "local/local_queue.h"
#include "local/local_queue_fixture.h"

namespace stalk::local::testing {
namespace {

constexpr Duration kMargin = seconds(1);

// ---------------------------------------------------------------------------
// The reference model.

struct MJob {
  JobId id = 0;
  std::string tube;
  JobState state = JobState::kReady;
  uint32_t pri = 0;
  TimePoint deadline{};
  uint64_t bury_seq = 0;
  SessionId holder = 0;
  Duration ttr{}, delay{};
  TimePoint created{};
  uint32_t reserves = 0, timeouts = 0, releases = 0, buries = 0, kicks = 0;
};

struct MTube {
  int refs = 0;
  uint64_t total_jobs = 0, cmd_delete = 0, cmd_pause = 0, using_count = 0, watching_count = 0;
  bool paused = false;
  Duration pause{};
  TimePoint unpause_at{};
};

struct MSession {
  std::string used = "default";
  std::vector<std::string> watch{"default"};
};

class Model {
 public:
  explicit Model(TimePoint now) : now_(now) { Ref("default"); }

  TimePoint now() const { return now_; }
  const std::map<JobId, MJob>& jobs() const { return jobs_; }
  const std::vector<std::string>& tube_list() const { return list_; }
  const std::map<std::string, MTube>& tubes() const { return tubes_; }
  const std::map<SessionId, MSession>& sessions() const { return sessions_; }
  uint64_t job_timeouts() const { return job_timeouts_; }
  uint64_t total_jobs() const { return total_jobs_; }
  JobId next_id() const { return next_id_; }

  void Advance(Duration d) {
    now_ += d;
    for (auto& [id, j] : jobs_) {
      if (j.state == JobState::kDelayed && j.deadline <= now_) j.state = JobState::kReady;
      if (j.state == JobState::kReserved && j.deadline <= now_) {
        j.state = JobState::kReady;
        j.holder = 0;
        ++j.timeouts;
        ++job_timeouts_;
      }
    }
    for (auto& [name, t] : tubes_) {
      if (t.paused && t.unpause_at <= now_) Unpause(t);
    }
  }

  void Open(SessionId s) {
    sessions_[s] = MSession{};
    Ref("default");
    ++tubes_["default"].using_count;
    Ref("default");
    ++tubes_["default"].watching_count;
  }

  void Close(SessionId s) {
    for (auto& [id, j] : jobs_) {
      if (j.state == JobState::kReserved && j.holder == s) {
        j.state = JobState::kReady;
        j.holder = 0;
      }
    }
    MSession& m = sessions_[s];
    while (!m.watch.empty()) {  // beanstalkd ms_clear: index 0, last moves in
      std::string name = m.watch.front();
      m.watch.front() = m.watch.back();
      m.watch.pop_back();
      --tubes_[name].watching_count;
      Unref(name);
    }
    const std::string used = m.used;
    sessions_.erase(s);
    --tubes_[used].using_count;
    Unref(used);
  }

  JobId Put(SessionId s, uint32_t pri, Duration delay, Duration ttr) {
    MJob j;
    j.id = next_id_++;
    j.tube = sessions_[s].used;
    j.pri = pri;
    j.ttr = std::max(ttr, Duration(seconds(1)));
    j.delay = delay;
    j.created = now_;
    if (delay > Duration::zero()) {
      j.state = JobState::kDelayed;
      j.deadline = now_ + delay;
    }
    Ref(j.tube);
    ++tubes_[j.tube].total_jobs;
    ++total_jobs_;
    jobs_[j.id] = j;
    return j.id;
  }

  void Use(SessionId s, const std::string& name) {
    Ref(name);
    ++tubes_[name].using_count;
    const std::string old = sessions_[s].used;
    sessions_[s].used = name;
    --tubes_[old].using_count;
    Unref(old);
  }

  size_t Watch(SessionId s, const std::string& name) {
    auto& w = sessions_[s].watch;
    if (std::find(w.begin(), w.end(), name) != w.end()) return w.size();
    Ref(name);
    ++tubes_[name].watching_count;
    w.push_back(name);
    return w.size();
  }

  std::pair<Code, size_t> Ignore(SessionId s, const std::string& name) {
    auto& w = sessions_[s].watch;
    auto it = std::find(w.begin(), w.end(), name);
    if (it == w.end()) return {Code::kOk, w.size()};
    if (w.size() == 1) return {Code::kNotIgnored, 1};
    *it = w.back();
    w.pop_back();
    --tubes_[name].watching_count;
    Unref(name);
    return {Code::kOk, w.size()};
  }

  // (code, id) of a reserve with a zero timeout.
  std::pair<Code, JobId> Reserve(SessionId s) {
    MJob* best = nullptr;
    for (auto& [id, j] : jobs_) {
      if (j.state != JobState::kReady) continue;
      const auto& w = sessions_[s].watch;
      if (std::find(w.begin(), w.end(), j.tube) == w.end()) continue;
      if (tubes_[j.tube].paused) continue;
      if (best == nullptr || j.pri < best->pri || (j.pri == best->pri && j.id < best->id)) {
        best = &j;
      }
    }
    if (best == nullptr) {
      for (auto& [id, j] : jobs_) {
        if (j.state == JobState::kReserved && j.holder == s && j.deadline <= now_ + kMargin) {
          return {Code::kDeadlineSoon, 0};
        }
      }
      return {Code::kTimedOut, 0};
    }
    Hold(s, *best);
    return {Code::kOk, best->id};
  }

  Code ReserveJob(SessionId s, JobId id) {
    MJob* j = Find(id);
    if (j == nullptr || j->state == JobState::kReserved) return Code::kNotFound;
    Hold(s, *j);
    return Code::kOk;
  }

  Code Delete(SessionId s, JobId id) {
    MJob* j = Find(id);
    if (j == nullptr || (j->state == JobState::kReserved && j->holder != s)) {
      return Code::kNotFound;
    }
    const std::string tube = j->tube;
    ++tubes_[tube].cmd_delete;
    jobs_.erase(id);
    Unref(tube);
    return Code::kOk;
  }

  Code Release(SessionId s, JobId id, uint32_t pri, Duration delay) {
    MJob* j = Held(s, id);
    if (j == nullptr) return Code::kNotFound;
    j->holder = 0;
    j->pri = pri;
    j->delay = delay;
    ++j->releases;
    if (delay > Duration::zero()) {
      j->state = JobState::kDelayed;
      j->deadline = now_ + delay;
    } else {
      j->state = JobState::kReady;
    }
    return Code::kOk;
  }

  Code Bury(SessionId s, JobId id, uint32_t pri) {
    MJob* j = Held(s, id);
    if (j == nullptr) return Code::kNotFound;
    j->holder = 0;
    j->pri = pri;
    ++j->buries;
    j->state = JobState::kBuried;
    j->bury_seq = ++bury_seq_;
    return Code::kOk;
  }

  Code Touch(SessionId s, JobId id) {
    MJob* j = Held(s, id);
    if (j == nullptr) return Code::kNotFound;
    j->deadline = now_ + j->ttr;
    return Code::kOk;
  }

  uint64_t Kick(SessionId s, uint32_t bound) {
    const std::string& tube = sessions_[s].used;
    std::vector<MJob*> buried, delayed;
    for (auto& [id, j] : jobs_) {
      if (j.tube != tube) continue;
      if (j.state == JobState::kBuried) buried.push_back(&j);
      if (j.state == JobState::kDelayed) delayed.push_back(&j);
    }
    std::vector<MJob*>& pick = buried.empty() ? delayed : buried;
    std::sort(pick.begin(), pick.end(), [](const MJob* a, const MJob* b) {
      if (a->state == JobState::kBuried) return a->bury_seq < b->bury_seq;
      return a->deadline != b->deadline ? a->deadline < b->deadline : a->id < b->id;
    });
    uint64_t n = 0;
    for (MJob* j : pick) {
      if (n == bound) break;
      j->state = JobState::kReady;
      ++j->kicks;
      ++n;
    }
    return n;
  }

  Code KickJob(JobId id) {
    MJob* j = Find(id);
    if (j == nullptr || (j->state != JobState::kBuried && j->state != JobState::kDelayed)) {
      return Code::kNotFound;
    }
    j->state = JobState::kReady;
    ++j->kicks;
    return Code::kOk;
  }

  Code Pause(const std::string& name, Duration d) {
    auto it = tubes_.find(name);
    if (it == tubes_.end()) return Code::kNotFound;
    MTube& t = it->second;
    ++t.cmd_pause;
    if (d <= Duration::zero()) {
      Unpause(t);
    } else {
      t.paused = true;
      t.pause = d;
      t.unpause_at = now_ + d;
    }
    return Code::kOk;
  }

  // peek-ready / -delayed / -buried of the used tube: the id or 0.
  JobId PeekTube(SessionId s, JobState state) const {
    const std::string& tube = sessions_.at(s).used;
    const MJob* best = nullptr;
    for (const auto& [id, j] : jobs_) {
      if (j.tube != tube || j.state != state) continue;
      bool better = best == nullptr;
      if (!better && state == JobState::kReady) {
        better = j.pri < best->pri || (j.pri == best->pri && j.id < best->id);
      } else if (!better && state == JobState::kDelayed) {
        better = j.deadline < best->deadline || (j.deadline == best->deadline && j.id < best->id);
      } else if (!better) {
        better = j.bury_seq < best->bury_seq;
      }
      if (better) best = &j;
    }
    return best == nullptr ? 0 : best->id;
  }

  MJob* Find(JobId id) {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
  }

 private:
  MJob* Held(SessionId s, JobId id) {
    MJob* j = Find(id);
    return j != nullptr && j->state == JobState::kReserved && j->holder == s ? j : nullptr;
  }

  void Hold(SessionId s, MJob& j) {
    j.state = JobState::kReserved;
    j.holder = s;
    j.deadline = now_ + j.ttr;
    ++j.reserves;
  }

  static void Unpause(MTube& t) {
    t.paused = false;
    t.pause = Duration::zero();
  }

  void Ref(const std::string& name) {
    if (tubes_.find(name) == tubes_.end()) {
      tubes_[name] = MTube{};
      list_.push_back(name);
    }
    ++tubes_[name].refs;
  }

  void Unref(const std::string& name) {
    if (--tubes_[name].refs > 0) return;
    tubes_.erase(name);
    auto it = std::find(list_.begin(), list_.end(), name);
    *it = list_.back();
    list_.pop_back();
  }

  TimePoint now_;
  std::map<JobId, MJob> jobs_;
  std::map<std::string, MTube> tubes_;
  std::vector<std::string> list_;
  std::map<SessionId, MSession> sessions_;
  JobId next_id_ = 1;
  uint64_t bury_seq_ = 0;
  uint64_t job_timeouts_ = 0, total_jobs_ = 0;
};

// ---------------------------------------------------------------------------

class LocalQueueModelTest : public LocalQueueTest, public ::testing::WithParamInterface<uint32_t> {
 protected:
  void CheckEverything(Model& m) {
    QueueInfo g = Stats();
    uint64_t urgent = 0, ready = 0, reserved = 0, delayed = 0, buried = 0;
    for (const auto& [id, j] : m.jobs()) {
      ready += j.state == JobState::kReady;
      urgent += j.state == JobState::kReady && j.pri < 1024;
      reserved += j.state == JobState::kReserved;
      delayed += j.state == JobState::kDelayed;
      buried += j.state == JobState::kBuried;
    }
    ASSERT_EQ(g.urgent, urgent);
    ASSERT_EQ(g.ready, ready);
    ASSERT_EQ(g.reserved, reserved);
    ASSERT_EQ(g.delayed, delayed);
    ASSERT_EQ(g.buried, buried);
    ASSERT_EQ(g.job_timeouts, m.job_timeouts());
    ASSERT_EQ(g.total_jobs, m.total_jobs());
    ASSERT_EQ(g.tubes, m.tube_list().size());
    ASSERT_EQ(g.waiting, 0u);
    ASSERT_EQ(q_.job_count(), m.jobs().size());
    ASSERT_EQ(Tubes(), m.tube_list());

    for (const std::string& name : kNames) {
      auto info = StatsTube(name);
      auto it = m.tubes().find(name);
      ASSERT_EQ(info.has_value(), it != m.tubes().end()) << name;
      if (!info) continue;
      const MTube& t = it->second;
      TubeInfo want;
      want.name = name;
      for (const auto& [id, j] : m.jobs()) {
        if (j.tube != name) continue;
        want.ready += j.state == JobState::kReady;
        want.urgent += j.state == JobState::kReady && j.pri < 1024;
        want.reserved += j.state == JobState::kReserved;
        want.delayed += j.state == JobState::kDelayed;
        want.buried += j.state == JobState::kBuried;
      }
      ASSERT_EQ(info->urgent, want.urgent) << name;
      ASSERT_EQ(info->ready, want.ready) << name;
      ASSERT_EQ(info->reserved, want.reserved) << name;
      ASSERT_EQ(info->delayed, want.delayed) << name;
      ASSERT_EQ(info->buried, want.buried) << name;
      ASSERT_EQ(info->total_jobs, t.total_jobs) << name;
      ASSERT_EQ(info->using_count, t.using_count) << name;
      ASSERT_EQ(info->watching_count, t.watching_count) << name;
      ASSERT_EQ(info->waiting_count, 0u) << name;
      ASSERT_EQ(info->cmd_delete, t.cmd_delete) << name;
      ASSERT_EQ(info->cmd_pause_tube, t.cmd_pause) << name;
      ASSERT_EQ(info->pause, t.pause) << name;
      ASSERT_EQ(info->pause_time_left, t.paused ? t.unpause_at - m.now() : Duration::zero());
    }

    for (const auto& [s, ms] : m.sessions()) {
      ASSERT_EQ(Watched(s), ms.watch) << "session " << s;
      ASSERT_EQ(UsedTube(s), ms.used) << "session " << s;
      ASSERT_EQ(PeekReady(s), m.PeekTube(s, JobState::kReady));
      ASSERT_EQ(PeekDelayed(s), m.PeekTube(s, JobState::kDelayed));
      ASSERT_EQ(PeekBuried(s), m.PeekTube(s, JobState::kBuried));
    }

    for (JobId id = 1; id < m.next_id(); ++id) {
      auto info = StatsJob(id);
      MJob* j = m.Find(id);
      ASSERT_EQ(info.has_value(), j != nullptr) << "job " << id;
      if (!info) continue;
      ASSERT_EQ(info->tube, j->tube) << id;
      ASSERT_EQ(info->state, j->state) << id;
      ASSERT_EQ(info->pri, j->pri) << id;
      ASSERT_EQ(info->age, m.now() - j->created) << id;
      ASSERT_EQ(info->delay, j->delay) << id;
      ASSERT_EQ(info->ttr, j->ttr) << id;
      const bool timed = j->state == JobState::kReserved || j->state == JobState::kDelayed;
      ASSERT_EQ(info->time_left, timed ? j->deadline - m.now() : Duration::zero()) << id;
      ASSERT_EQ(info->reserves, j->reserves) << id;
      ASSERT_EQ(info->timeouts, j->timeouts) << id;
      ASSERT_EQ(info->releases, j->releases) << id;
      ASSERT_EQ(info->buries, j->buries) << id;
      ASSERT_EQ(info->kicks, j->kicks) << id;
    }
    // Timers: at most one per tube and per session.
    ASSERT_LE(q_.timer_count(), m.tube_list().size() + m.sessions().size());
  }

  const std::vector<std::string> kNames{"default", "a", "b", "c"};
};

TEST_P(LocalQueueModelTest, AgreesWithAReferenceModelOnEveryReplyAndCounter) {
  std::mt19937 rng(GetParam());
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto ms = [&](int lo, int hi) { return Duration(milliseconds(lo + pick(hi - lo + 1))); };
  const uint32_t kPris[] = {0, 1, 1023, 1024, 5000, 4294967295u};

  Model m(clock_.Now());
  std::vector<SessionId> live;
  auto open = [&] {
    SessionId s = q_.OpenSession();
    m.Open(s);
    live.push_back(s);
  };
  open();
  open();

  for (int step = 0; step < 2500; ++step) {
    const SessionId s = live[pick(live.size())];
    const std::string& name = kNames[pick(kNames.size())];
    const int op = static_cast<int>(pick(20));
    // Usually a job the operation can act on (held by s for release, bury and
    // touch; buried or delayed for kick-job), otherwise any id, even unused.
    std::vector<JobId> fitting;
    for (const auto& [jid, j] : m.jobs()) {
      const bool held = j.state == JobState::kReserved && j.holder == s;
      const bool kickable = j.state == JobState::kBuried || j.state == JobState::kDelayed;
      if ((op >= 12 && op <= 14) ? held : op == 16 ? kickable : true) fitting.push_back(jid);
    }
    JobId id = 1 + pick(m.next_id());
    if (!fitting.empty() && pick(4) != 0) id = fitting[pick(fitting.size())];
    SCOPED_TRACE(::testing::Message() << "step " << step << " op " << op << " session " << s
                                      << " id " << id << " tube " << name);
    switch (op) {
      case 0:
        if (live.size() < 5) open();
        break;
      case 1:
        if (live.size() > 1) {
          q_.CloseSession(s);
          m.Close(s);
          live.erase(std::find(live.begin(), live.end(), s));
        }
        break;
      case 2:
      case 3:
      case 4: {
        const uint32_t pri = kPris[pick(6)];
        const Duration delay = pick(2) ? Duration::zero() : ms(1, 3000);
        const Duration ttr = ms(0, 4000);
        ASSERT_EQ(Put(s, pri, delay, ttr), m.Put(s, pri, delay, ttr));
        break;
      }
      case 5:
        ASSERT_EQ(Use(s, name), Code::kOk);
        m.Use(s, name);
        break;
      case 6:
        ASSERT_EQ(Watch(s, name), m.Watch(s, name));
        break;
      case 7:
        ASSERT_EQ(Ignore(s, name), m.Ignore(s, name));
        break;
      case 8:
      case 9: {
        ReserveResult r = Reserve(s, Duration::zero());
        auto [code, want] = m.Reserve(s);
        ASSERT_EQ(r.code, code);
        ASSERT_EQ(r.id, want);
        break;
      }
      case 10:
        ASSERT_EQ(ReserveJob(s, id).code, m.ReserveJob(s, id));
        break;
      case 11:
        ASSERT_EQ(Delete(s, id), m.Delete(s, id));
        break;
      case 12: {
        const uint32_t pri = kPris[pick(6)];
        const Duration delay = pick(2) ? Duration::zero() : ms(1, 2000);
        ASSERT_EQ(Release(s, id, pri, delay), m.Release(s, id, pri, delay));
        break;
      }
      case 13: {
        const uint32_t pri = kPris[pick(6)];
        ASSERT_EQ(Bury(s, id, pri), m.Bury(s, id, pri));
        break;
      }
      case 14:
        ASSERT_EQ(Touch(s, id), m.Touch(s, id));
        break;
      case 15: {
        const uint32_t bound = static_cast<uint32_t>(pick(4));
        ASSERT_EQ(Kick(s, bound), m.Kick(s, bound));
        break;
      }
      case 16:
        ASSERT_EQ(KickJob(s, id), m.KickJob(id));
        break;
      case 17: {
        const Duration d = pick(3) == 0 ? Duration::zero() : ms(1, 3000);
        ASSERT_EQ(Pause(name, d, s), m.Pause(name, d));
        break;
      }
      default: {
        // Sometimes land exactly on a pending deadline, sometimes just before.
        Duration d = ms(0, 1500);
        if (pick(4) == 0) {
          for (const auto& [jid, j] : m.jobs()) {
            if ((j.state == JobState::kReserved || j.state == JobState::kDelayed) &&
                j.deadline > m.now()) {
              d = j.deadline - m.now() - (pick(2) ? kNs : Duration::zero());
              break;
            }
          }
        }
        Advance(d);
        m.Advance(d);
        break;
      }
    }
    ASSERT_NO_FATAL_FAILURE(CheckEverything(m));
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LocalQueueModelTest, ::testing::Values(1u, 2u, 3u, 42u, 2024u));

// ---------------------------------------------------------------------------
// Waiting reserves: invariants under random traffic.

TEST_F(LocalQueueTest, RandomTrafficWithWaitersKeepsInvariants) {
  std::mt19937 rng(7);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> names{"default", "a", "b"};

  struct Client {
    SessionId id;
    std::shared_ptr<ReserveResult> pending;  // a reserve not yet completed
    std::vector<JobId> held;
  };
  std::vector<Client> clients;
  for (int i = 0; i < 6; ++i) clients.push_back({q_.OpenSession(), nullptr, {}});
  uint64_t completions = 0;

  // Collects finished reserves; a completed one must have been called once.
  auto settle = [&] {
    for (Client& c : clients) {
      if (!c.pending || c.pending->calls == 0) continue;
      ASSERT_EQ(c.pending->calls, 1);
      ++completions;
      if (c.pending->code == Code::kOk) c.held.push_back(c.pending->id);
      c.pending = nullptr;
    }
  };

  for (int step = 0; step < 20000; ++step) {
    Client& c = clients[pick(clients.size())];
    const std::string& name = names[pick(names.size())];
    SCOPED_TRACE(::testing::Message() << "step " << step);
    if (c.pending) {
      // A waiting client may only be cancelled or closed.
      switch (pick(10)) {
        case 0:
          q_.CancelReserve(c.id);
          ASSERT_EQ(c.pending->calls, 1);
          break;
        case 1: {
          auto dropped = c.pending;
          q_.CloseSession(c.id);
          ASSERT_EQ(dropped->calls, 0);
          c = Client{q_.OpenSession(), nullptr, {}};
          break;
        }
        default:
          break;
      }
    } else {
      switch (pick(9)) {
        case 0:
          Use(c.id, name);
          break;
        case 1:
          if (pick(2)) {
            Watch(c.id, name);
          } else {
            Ignore(c.id, name);
          }
          break;
        case 2:
        case 3:
          Put(c.id, static_cast<uint32_t>(pick(3)),
              pick(3) ? Duration::zero() : milliseconds(pick(2000)), milliseconds(pick(4000)));
          break;
        case 4:
        case 5: {
          std::optional<Duration> timeout;
          if (pick(3)) timeout = milliseconds(pick(3000));
          c.pending = ReserveAsync(c.id, timeout);
          break;
        }
        case 6:
          if (!c.held.empty()) {
            const JobId id = c.held.back();
            c.held.pop_back();
            switch (pick(4)) {
              case 0:
                Delete(c.id, id);
                break;
              case 1:
                Release(c.id, id, 0, pick(2) ? Duration::zero() : milliseconds(pick(1000)));
                break;
              case 2:
                Bury(c.id, id);
                break;
              default:
                if (Touch(c.id, id) == Code::kOk) c.held.push_back(id);
                break;
            }
          }
          break;
        case 7:
          Kick(c.id, static_cast<uint32_t>(pick(3)));
          break;
        default:
          Pause(name, pick(3) ? Duration::zero() : milliseconds(pick(2000)));
          break;
      }
    }
    if (pick(3) == 0) Advance(milliseconds(pick(700)));
    ASSERT_NO_FATAL_FAILURE(settle());

    // Invariants.
    QueueInfo g = Stats();
    ASSERT_EQ(g.ready + g.reserved + g.delayed + g.buried, q_.job_count());
    uint64_t waiting = 0;
    for (const Client& cl : clients) waiting += cl.pending != nullptr;
    ASSERT_EQ(g.waiting, waiting);
    for (const std::string& n : names) {
      auto t = StatsTube(n);
      if (!t) continue;
      if (t->pause == Duration::zero() && t->ready > 0) {
        ASSERT_EQ(t->waiting_count, 0u) << n << ": a ready job next to a waiter";
      }
    }
  }
  EXPECT_GT(completions, 1000u);
}

}  // namespace
}  // namespace stalk::local::testing
