// LocalQueue with a journal: what is logged, recovery through the public Queue API,
// durability before replies, space failures and compaction. The disk is the journal's
// fault-injecting in-memory FileSystem; time is a FakeClock (whose wall clock moves with
// it); the journal's completions run on a TestLoop, as asio::post runs them in stalkd.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fake_clock.h"
#include "journal/fault_file_system.h"
#include "journal/journal.h"
#include "journal/journal_test_util.h"
#include "journal/wal_format.h"
#include "local/local_queue.h"

namespace stalk::local {
namespace {

using journal::testing::FaultFileSystem;
using journal::testing::TestLoop;
using queue::Code;
using queue::JobId;
using queue::JobInfo;
using queue::JobRef;
using queue::JobState;
using queue::QueueInfo;
using queue::SessionId;
using queue::TubeInfo;
using std::chrono::seconds;

constexpr char kDir[] = "/wal";

class LocalQueueJournalTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMaxJobBytes = 1000;  // -z

  LocalQueueJournalTest() {
    options_.dir = kDir;
    options_.fs = &fs_;
    options_.post = loop_.Poster();
    options_.sync = journal::SyncPolicy::kEveryWrite;
    options_.segment_bytes = 64 * 1024;
    options_.max_job_bytes = kMaxJobBytes;
  }

  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    q_ = std::make_unique<LocalQueue>(clock_);
    auto j = journal::Journal::Open(options_, *q_);  // the queue as RecoveryVisitor
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    j_ = std::move(*j);
    q_->AttachJournal(j_.get());
    j_->Flush();  // spares ready: tests about room control it themselves
  }
  // As stalkd shuts down: detach (the completions of this turn go to the journal),
  // then the journal (its destructor runs them), then the queue.
  void Close() {
    if (q_ != nullptr) q_->AttachJournal(nullptr);
    j_.reset();
    q_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }

  // Runs the loop until `*done` is set; false if it never is.
  template <class T>
  bool Await(const std::shared_ptr<std::optional<T>>& done) {
    return loop_.RunUntil([&] { return done->has_value(); });
  }

  // put: waits for the completion, however late it comes.
  std::pair<Code, JobId> TryPut(SessionId s, std::string body, uint32_t pri = 0,
                                Duration delay = {}, Duration ttr = seconds(60)) {
    auto got = PutAsync(s, std::move(body), pri, delay, ttr);
    EXPECT_TRUE(Await(got));
    return got->value_or(std::pair{Code::kInternalError, JobId{0}});
  }
  JobId Put(SessionId s, std::string body, uint32_t pri = 0, Duration delay = {},
            Duration ttr = seconds(60)) {
    auto [code, id] = TryPut(s, std::move(body), pri, delay, ttr);
    EXPECT_EQ(code, Code::kOk);
    return id;
  }
  std::shared_ptr<std::optional<std::pair<Code, JobId>>> PutAsync(SessionId s, std::string body,
                                                                  uint32_t pri = 0,
                                                                  Duration delay = {},
                                                                  Duration ttr = seconds(60)) {
    auto got = std::make_shared<std::optional<std::pair<Code, JobId>>>();
    queue::PutArgs args;
    args.pri = pri;
    args.delay = delay;
    args.ttr = ttr;
    args.body = body;
    q_->Put(s, args, [got](Code c, JobId id) {
      EXPECT_FALSE(got->has_value()) << "put completed twice";
      *got = std::pair{c, id};
    });
    return got;
  }

  // An operation completing with a Code: `call(done)`.
  template <class Call>
  std::shared_ptr<std::optional<Code>> CodeAsync(Call call) {
    auto got = std::make_shared<std::optional<Code>>();
    call([got](Code c) {
      EXPECT_FALSE(got->has_value()) << "completed twice";
      *got = c;
    });
    return got;
  }
  template <class Call>
  Code AwaitCode(Call call) {
    auto got = CodeAsync(call);
    EXPECT_TRUE(Await(got));
    return got->value_or(Code::kInternalError);
  }

  Code Delete(SessionId s, JobId id) {
    return AwaitCode([&](auto done) { q_->Delete(s, id, done); });
  }
  Code Release(SessionId s, JobId id, uint32_t pri, Duration delay = {}) {
    return AwaitCode([&](auto done) { q_->Release(s, id, pri, delay, done); });
  }
  Code Bury(SessionId s, JobId id, uint32_t pri) {
    return AwaitCode([&](auto done) { q_->Bury(s, id, pri, done); });
  }
  Code KickJob(SessionId s, JobId id) {
    return AwaitCode([&](auto done) { q_->KickJob(s, id, done); });
  }
  std::pair<Code, uint64_t> Kick(SessionId s, uint32_t bound) {
    auto got = std::make_shared<std::optional<std::pair<Code, uint64_t>>>();
    q_->Kick(s, bound, [got](Code c, uint64_t n) { *got = std::pair{c, n}; });
    EXPECT_TRUE(Await(got));
    return got->value_or(std::pair{Code::kInternalError, uint64_t{0}});
  }

  // Operations that append nothing complete before they return.
  void Use(SessionId s, const std::string& tube) {
    bool called = false;
    q_->Use(s, tube, [&](Code c) {
      called = true;
      EXPECT_EQ(c, Code::kOk);
    });
    EXPECT_TRUE(called);
  }
  void Watch(SessionId s, const std::string& tube) {
    bool called = false;
    q_->Watch(s, tube, [&](Code, size_t) { called = true; });
    EXPECT_TRUE(called);
  }
  // reserve-job / reserve (timeout 0): the id, or 0.
  JobId ReserveJob(SessionId s, JobId id) {
    JobId got = 0;
    bool called = false;
    q_->ReserveJob(s, id, [&](Code c, const JobRef* job) {
      called = true;
      if (c == Code::kOk) got = job->id;
    });
    EXPECT_TRUE(called);
    return got;
  }
  JobId Reserve(SessionId s) {
    JobId got = 0;
    bool called = false;
    q_->Reserve(s, Duration::zero(), [&](Code c, const JobRef* job) {
      called = true;
      if (c == Code::kOk) got = job->id;
    });
    EXPECT_TRUE(called);
    return got;
  }
  std::optional<std::string> Body(JobId id) {
    std::optional<std::string> body;
    q_->Peek(0, id, [&](Code c, const JobRef* job) {
      if (c == Code::kOk) body = std::string(job->body);
    });
    return body;
  }
  std::optional<JobInfo> StatsJob(JobId id) {
    std::optional<JobInfo> info;
    q_->StatsJob(0, id, [&](Code c, const JobInfo* i) {
      if (c == Code::kOk) info = *i;
    });
    return info;
  }
  std::optional<TubeInfo> StatsTube(const std::string& name) {
    std::optional<TubeInfo> info;
    q_->StatsTube(0, name, [&](Code c, const TubeInfo* i) {
      if (c == Code::kOk) info = *i;
    });
    return info;
  }
  QueueInfo Stats() {
    QueueInfo info;
    q_->Stats([&](const QueueInfo& i) { info = i; });
    return info;
  }

  size_t SegmentFiles() {
    size_t n = 0;
    for (const std::string& name : fs_.Names(kDir)) {
      if (journal::format::ParseSegmentFileName(name)) ++n;
    }
    return n;
  }

  // Declared in destruction order: the journal goes before the queue, both before the
  // clock, the file system and the loop they use.
  FakeClock clock_;
  FaultFileSystem fs_;
  TestLoop loop_;
  journal::Options options_;
  std::unique_ptr<LocalQueue> q_;
  std::unique_ptr<journal::Journal> j_;
};

// ---------------------------------------------------------------------------
// Recovery

TEST_F(LocalQueueJournalTest, ARestartBringsBackEveryJobAsItsLastRecordLeftIt) {
  const SessionId p = q_->OpenSession();
  const SessionId w = q_->OpenSession();
  Watch(w, "a");
  Watch(w, "b");

  // default: a ready job whose body is exactly -z bytes (beanstalkd loses it on restart).
  const std::string max_body(kMaxJobBytes, 'z');
  const JobId ready_max = Put(p, max_body, 10);
  // a: delayed; buried (with a new priority); released with a delay that runs out while
  // the server is down; taken from delayed by reserve-job and held at the restart.
  Use(p, "a");
  const JobId delayed = Put(p, "delayed", 20, seconds(100));
  const JobId buried = Put(p, "to bury", 30);
  ASSERT_EQ(ReserveJob(w, buried), buried);
  ASSERT_EQ(Bury(w, buried, 7), Code::kOk);
  const JobId retried = Put(p, "retry", 35);
  ASSERT_EQ(ReserveJob(w, retried), retried);
  ASSERT_EQ(Release(w, retried, 9, seconds(5)), Code::kOk);
  const JobId taken_delayed = Put(p, "reserve-job of a delayed job", 5, seconds(200));
  ASSERT_EQ(ReserveJob(w, taken_delayed), taken_delayed);
  // b: released with a new priority and no delay; held at the restart; buried then
  // kicked; delayed then kick-job'd. Bodies with CRLF inside.
  Use(p, "b");
  const JobId released = Put(p, "line 1\r\nline 2\r\n", 40);
  ASSERT_EQ(ReserveJob(w, released), released);
  ASSERT_EQ(Release(w, released, 3), Code::kOk);
  const JobId held = Put(p, "\r\n", 50);
  ASSERT_EQ(ReserveJob(w, held), held);
  const JobId kicked = Put(p, "kicked", 60);
  ASSERT_EQ(ReserveJob(w, kicked), kicked);
  ASSERT_EQ(Bury(w, kicked, 60), Code::kOk);
  ASSERT_EQ(Kick(p, 10), std::pair(Code::kOk, uint64_t{1}));
  const JobId kick_job = Put(p, "kick-job", 70, seconds(50));
  ASSERT_EQ(KickJob(p, kick_job), Code::kOk);
  // Deleted, among them the newest ids.
  Use(p, "default");
  const JobId gone = Put(p, "gone");
  ASSERT_EQ(Delete(p, gone), Code::kOk);
  const JobId newest1 = Put(p, "newest 1");
  const JobId newest2 = Put(p, "newest 2");
  ASSERT_EQ(Delete(p, newest2), Code::kOk);
  ASSERT_EQ(Delete(p, newest1), Code::kOk);

  clock_.Advance(seconds(10));  // `retried` becomes ready (not logged)
  std::map<JobId, JobInfo> before;
  for (JobId id :
       {ready_max, delayed, buried, retried, taken_delayed, released, held, kicked, kick_job}) {
    before[id] = StatsJob(id).value();
    EXPECT_EQ(before[id].file, 1u) << id;
  }
  EXPECT_EQ(before[held].state, JobState::kReserved);

  Close();
  clock_.Advance(seconds(20));  // down for 20 s (the wall clock moves with it)
  Open();

  // Every job as the last record of it says, aged by the 20 s.
  auto expect = [&](JobId id, JobState state, uint32_t pri, Duration time_left, uint32_t reserves,
                    uint32_t releases, uint32_t buries, uint32_t kicks) {
    SCOPED_TRACE("job " + std::to_string(id));
    std::optional<JobInfo> got = StatsJob(id);
    ASSERT_TRUE(got.has_value());
    const JobInfo& b = before[id];
    EXPECT_EQ(got->id, id);
    EXPECT_EQ(got->tube, b.tube);
    EXPECT_EQ(got->state, state);
    EXPECT_EQ(got->pri, pri);
    EXPECT_EQ(got->age, b.age + seconds(20));
    EXPECT_EQ(got->delay, b.delay);
    EXPECT_EQ(got->ttr, b.ttr);
    EXPECT_EQ(got->time_left, time_left);
    EXPECT_EQ(got->file, b.file);
    EXPECT_EQ(got->reserves, reserves);
    EXPECT_EQ(got->timeouts, 0u);
    EXPECT_EQ(got->releases, releases);
    EXPECT_EQ(got->buries, buries);
    EXPECT_EQ(got->kicks, kicks);
  };
  auto check_all = [&](Duration down) {
    expect(ready_max, JobState::kReady, 10, {}, 0, 0, 0, 0);
    expect(delayed, JobState::kDelayed, 20, seconds(90) - down, 0, 0, 0, 0);
    expect(buried, JobState::kBuried, 7, {}, 1, 0, 1, 0);
    // Its delay ran out before the restart: the record says delayed, the clock says ready.
    expect(retried, JobState::kReady, 9, {}, 1, 1, 0, 0);
    // reserve-job is not logged: it comes back delayed, with its original deadline.
    expect(taken_delayed, JobState::kDelayed, 5, seconds(190) - down, 0, 0, 0, 0);
    expect(released, JobState::kReady, 3, {}, 1, 1, 0, 0);
    // Reserved -> ready; the reserve itself was never logged.
    expect(held, JobState::kReady, 50, {}, 0, 0, 0, 0);
    expect(kicked, JobState::kReady, 60, {}, 1, 0, 1, 1);
    expect(kick_job, JobState::kReady, 70, {}, 0, 0, 0, 1);
  };
  check_all(seconds(20));
  EXPECT_EQ(Body(ready_max), max_body);
  EXPECT_EQ(Body(released), "line 1\r\nline 2\r\n");
  EXPECT_EQ(Body(held), "\r\n");
  EXPECT_EQ(Body(taken_delayed), "reserve-job of a delayed job");
  for (JobId id : {gone, newest1, newest2}) EXPECT_FALSE(StatsJob(id).has_value()) << id;

  // Tubes rebuilt from their jobs; cumulative counters start again from zero.
  std::optional<TubeInfo> a = StatsTube("a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ready, 1u);
  EXPECT_EQ(a->urgent, 1u);
  EXPECT_EQ(a->delayed, 2u);
  EXPECT_EQ(a->buried, 1u);
  EXPECT_EQ(a->reserved, 0u);
  EXPECT_EQ(a->total_jobs, 0u);
  std::optional<TubeInfo> b = StatsTube("b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ready, 4u);
  EXPECT_EQ(b->urgent, 4u);
  EXPECT_EQ(b->delayed + b->buried + b->reserved, 0u);
  std::optional<TubeInfo> d = StatsTube("default");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->ready, 1u);
  EXPECT_EQ(d->cmd_delete, 0u);
  QueueInfo stats = Stats();
  EXPECT_EQ(stats.ready, 6u);
  EXPECT_EQ(stats.delayed, 2u);
  EXPECT_EQ(stats.buried, 1u);
  EXPECT_EQ(stats.reserved, 0u);
  EXPECT_EQ(stats.tubes, 3u);

  // A second restart changes nothing (no bury is counted by the replay); then ids go on
  // above every id ever used, the deleted newest ones included.
  Reopen();
  check_all(seconds(20));
  const SessionId p2 = q_->OpenSession();
  EXPECT_EQ(Put(p2, "next"), newest2 + 1);
  // The buried job is reservable, kickable and deletable as before.
  const SessionId w2 = q_->OpenSession();
  Use(w2, "a");
  EXPECT_EQ(Kick(w2, 1), std::pair(Code::kOk, uint64_t{1}));
  EXPECT_EQ(StatsJob(buried)->state, JobState::kReady);
  EXPECT_EQ(Delete(w2, buried), Code::kOk);
}

TEST_F(LocalQueueJournalTest, DelayedJobBecomesReadyWhenItsRemainingDelayRunsOut) {
  const SessionId p = q_->OpenSession();
  const JobId id = Put(p, "later", 0, seconds(30));
  clock_.Advance(seconds(10));
  Close();
  clock_.Advance(seconds(5));
  Open();
  EXPECT_EQ(StatsJob(id)->time_left, seconds(15));
  const SessionId w = q_->OpenSession();
  clock_.Advance(seconds(15) - std::chrono::nanoseconds(1));
  EXPECT_EQ(Reserve(w), 0u);
  clock_.Advance(std::chrono::nanoseconds(1));
  EXPECT_EQ(Reserve(w), id);
}

TEST_F(LocalQueueJournalTest, IdsAreNotReusedWhenEveryJobWasDeleted) {
  const SessionId p = q_->OpenSession();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Delete(p, Put(p, "x")), Code::kOk);
  Reopen();
  EXPECT_EQ(q_->job_count(), 0u);
  EXPECT_EQ(Put(q_->OpenSession(), "y"), 6u);
}

// ---------------------------------------------------------------------------
// Durability before replies

TEST_F(LocalQueueJournalTest, UnderEveryWriteAPutCompletesOnlyAfterFdatasync) {
  const SessionId p = q_->OpenSession();
  const uint64_t syncs = fs_.syncs();
  fs_.BlockSyncs(true);
  auto put = PutAsync(p, "durable");
  fs_.WaitSyncBlocked();
  loop_.RunPending();
  EXPECT_FALSE(put->has_value()) << "completed before fdatasync returned";
  // The effect is applied at call time: another session sees the job already.
  EXPECT_EQ(StatsJob(1)->state, JobState::kReady);
  fs_.BlockSyncs(false);
  ASSERT_TRUE(Await(put));
  EXPECT_EQ(**put, std::pair(Code::kOk, JobId{1}));
  EXPECT_GT(fs_.syncs(), syncs);
}

TEST_F(LocalQueueJournalTest, EveryLoggedOperationWaitsForTheDisk) {
  const SessionId p = q_->OpenSession();
  const SessionId w = q_->OpenSession();
  const JobId a = Put(p, "a");
  const JobId b = Put(p, "b");
  const JobId c = Put(p, "c");
  ASSERT_EQ(ReserveJob(w, a), a);
  ASSERT_EQ(ReserveJob(w, b), b);
  fs_.BlockSyncs(true);
  auto release = CodeAsync([&](auto done) { q_->Release(w, a, 1, seconds(1), done); });
  auto bury = CodeAsync([&](auto done) { q_->Bury(w, b, 1, done); });
  auto kick_job = CodeAsync([&](auto done) { q_->KickJob(p, b, done); });
  auto del = CodeAsync([&](auto done) { q_->Delete(p, c, done); });
  fs_.WaitSyncBlocked();
  loop_.RunPending();
  for (auto* got : {&release, &bury, &kick_job, &del}) EXPECT_FALSE((*got)->has_value());
  fs_.BlockSyncs(false);
  for (auto* got : {&release, &bury, &kick_job, &del}) {
    ASSERT_TRUE(Await(*got));
    EXPECT_EQ(**got, Code::kOk);
  }
}

TEST_F(LocalQueueJournalTest, OperationsThatLogNothingCompleteAtOnce) {
  const SessionId p = q_->OpenSession();
  fs_.BlockSyncs(true);
  auto put = PutAsync(p, "pending");
  fs_.WaitSyncBlocked();
  // peek, stats-job, reserve, touch: nothing to log, answered while the put waits.
  EXPECT_EQ(Body(1), "pending");
  const SessionId w = q_->OpenSession();
  EXPECT_EQ(Reserve(w), 1u);
  bool touched = false;
  q_->Touch(w, 1, [&](Code c) { touched = c == Code::kOk; });
  EXPECT_TRUE(touched);
  EXPECT_FALSE(put->has_value());
  fs_.BlockSyncs(false);
  ASSERT_TRUE(Await(put));
  EXPECT_EQ((*put)->first, Code::kOk);
}

TEST_F(LocalQueueJournalTest, DurableCompletionsRunInCallOrderAcrossSessions) {
  const SessionId s1 = q_->OpenSession();
  const SessionId s2 = q_->OpenSession();
  const JobId first = Put(s1, "first");
  ASSERT_EQ(ReserveJob(s2, first), first);
  std::vector<std::string> order;
  fs_.BlockSyncs(true);
  q_->Put(s1, queue::PutArgs{0, {}, seconds(1), "x"},
          [&](Code, JobId) { order.push_back("put1"); });
  q_->Release(s2, first, 0, {}, [&](Code) { order.push_back("release"); });
  q_->Put(s2, queue::PutArgs{0, {}, seconds(1), "y"},
          [&](Code, JobId) { order.push_back("put2"); });
  q_->Kick(s1, 5, [&](Code, uint64_t) { order.push_back("kick"); });  // nothing: at once
  q_->Delete(s1, first, [&](Code) { order.push_back("delete"); });
  EXPECT_EQ(order, std::vector<std::string>{"kick"});
  fs_.BlockSyncs(false);
  ASSERT_TRUE(loop_.RunUntil([&] { return order.size() == 5; }));
  EXPECT_EQ(order, (std::vector<std::string>{"kick", "put1", "release", "put2", "delete"}));
}

TEST_F(LocalQueueJournalTest, CompletionsWaitForTheEndOfTheLoopTurn) {
  // The calls of one turn share one WhenDurable, registered by a function posted to the
  // loop: until the loop runs it, nothing can complete, however fast the disk is.
  const SessionId p = q_->OpenSession();
  auto first = PutAsync(p, "1");
  auto second = PutAsync(p, "2");
  j_->Flush();  // both records are on disk
  EXPECT_FALSE(first->has_value());
  EXPECT_FALSE(second->has_value());
  ASSERT_TRUE(Await(second));
  EXPECT_EQ(**first, std::pair(Code::kOk, JobId{1}));
  EXPECT_EQ(**second, std::pair(Code::kOk, JobId{2}));
}

TEST_F(LocalQueueJournalTest, DetachingHandsThisTurnsCompletionsToTheJournal) {
  const SessionId p = q_->OpenSession();
  auto put = PutAsync(p, "last words");
  q_->AttachJournal(nullptr);
  j_.reset();  // syncs what was appended and runs the completions still waiting
  ASSERT_TRUE(put->has_value());
  EXPECT_EQ(**put, std::pair(Code::kOk, JobId{1}));
  // Detached, the queue is in memory only: it completes at once.
  auto more = PutAsync(p, "not logged");
  ASSERT_TRUE(more->has_value());
  EXPECT_EQ(**more, std::pair(Code::kOk, JobId{2}));
  loop_.RunPending();  // the flush posted by the first put finds nothing to do
  q_.reset();
  Open();
  EXPECT_EQ(Body(1), "last words");
  EXPECT_FALSE(Body(2).has_value());
}

// ---------------------------------------------------------------------------
// Space and write failures

class LocalQueueJournalSpaceTest : public LocalQueueJournalTest {
 protected:
  LocalQueueJournalSpaceTest() {
    options_.segment_bytes = 4096;
    options_.max_job_bytes = 200;
    options_.sync = journal::SyncPolicy::kInterval;
  }
  // Puts until the journal has no room; returns the ids put.
  std::vector<JobId> FillDisk(SessionId p) {
    fs_.set_fail_allocate(true);
    std::vector<JobId> ids;
    for (int i = 0; i < 10000; ++i) {
      auto [code, id] = TryPut(p, std::string(100, static_cast<char>('a' + i % 26)));
      if (code != Code::kOk) {
        EXPECT_EQ(code, Code::kOutOfMemory);
        return ids;
      }
      ids.push_back(id);
    }
    ADD_FAILURE() << "the disk never filled";
    return ids;
  }
};

TEST_F(LocalQueueJournalSpaceTest, PutsFailOnAFullDiskDeletesStillWorkAndPutsResumeWithSpace) {
  // beanstalkd testserv binlog_disk_full / binlog_disk_full_delete.
  const SessionId p = q_->OpenSession();
  const std::vector<JobId> ids = FillDisk(p);
  ASSERT_GT(ids.size(), 10u);
  // The refused put was answered at once and used no id.
  auto refused = PutAsync(p, "no room");
  ASSERT_TRUE(refused->has_value());
  EXPECT_EQ(**refused, std::pair(Code::kOutOfMemory, JobId{0}));
  EXPECT_EQ(q_->job_count(), ids.size());
  // Everything acknowledged is intact, and stays deletable.
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(Body(ids[i]), std::string(100, static_cast<char>('a' + i % 26)));
  }
  for (JobId id : ids) EXPECT_EQ(Delete(p, id), Code::kOk) << id;
  EXPECT_EQ(q_->job_count(), 0u);
  // Space returns: puts work again, and ids went on from the last job put.
  fs_.set_fail_allocate(false);
  j_->Flush();  // lets the journal retry creating a segment now rather than in 1 s
  EXPECT_EQ(Put(p, "again"), ids.back() + 1);
}

TEST_F(LocalQueueJournalSpaceTest, RefusedUpdatesLeaveTheJobAsItWas) {
  const SessionId p = q_->OpenSession();
  const SessionId w = q_->OpenSession();
  const JobId buried = Put(p, "buried", 1);
  ASSERT_EQ(ReserveJob(w, buried), buried);
  ASSERT_EQ(Bury(w, buried, 1), Code::kOk);
  const JobId job = Put(p, "job", 2);
  FillDisk(p);
  // Updates take what room puts left; release (without delay) until one is refused.
  ASSERT_EQ(ReserveJob(w, job), job);
  Code code = Code::kOk;
  int logged = 0;
  for (int i = 0; i < 10000 && code == Code::kOk; ++i) {
    code = Release(w, job, 5);
    if (code == Code::kOk) ++logged;
    if (code == Code::kOk) {
      ASSERT_EQ(ReserveJob(w, job), job);
    }
  }
  // Refused at once, OUT_OF_MEMORY as beanstalkd answers a release it cannot log.
  ASSERT_EQ(code, Code::kOutOfMemory);
  std::optional<JobInfo> info = StatsJob(job);
  EXPECT_EQ(info->state, JobState::kReserved);
  const uint32_t releases = info->releases;
  auto bury = CodeAsync([&](auto done) { q_->Bury(w, job, 9, done); });
  ASSERT_TRUE(bury->has_value());
  EXPECT_EQ(**bury, Code::kInternalError);
  auto release_delay = CodeAsync([&](auto done) { q_->Release(w, job, 9, seconds(5), done); });
  ASSERT_TRUE(release_delay->has_value());
  EXPECT_EQ(**release_delay, Code::kOutOfMemory);
  auto kick_job = CodeAsync([&](auto done) { q_->KickJob(p, buried, done); });
  ASSERT_TRUE(kick_job->has_value());
  EXPECT_EQ(**kick_job, Code::kInternalError);
  auto kick = std::make_shared<std::optional<std::pair<Code, uint64_t>>>();
  q_->Kick(p, 10, [kick](Code c, uint64_t n) { *kick = std::pair{c, n}; });
  ASSERT_TRUE(kick->has_value());
  EXPECT_EQ(**kick, std::pair(Code::kInternalError, uint64_t{0}));
  info = StatsJob(job);
  EXPECT_EQ(info->state, JobState::kReserved);
  EXPECT_EQ(info->pri, logged > 0 ? 5u : 2u);  // as the last release that was logged left it
  EXPECT_EQ(info->releases, releases);
  EXPECT_EQ(info->buries, 0u);
  EXPECT_EQ(StatsJob(buried)->state, JobState::kBuried);
  EXPECT_EQ(StatsJob(buried)->kicks, 0u);
  // The job is still the worker's: delete needs no new room.
  EXPECT_EQ(Delete(w, job), Code::kOk);
}

TEST_F(LocalQueueJournalTest, AFailedFdatasyncFailsThePutAndRemovesItsJob) {
  const SessionId p = q_->OpenSession();
  const JobId kept = Put(p, "kept");
  fs_.FailNextSyncs(1);
  auto [code, id] = TryPut(p, "lost");
  EXPECT_EQ(code, Code::kOutOfMemory);
  EXPECT_EQ(id, 0u);
  EXPECT_FALSE(StatsJob(kept + 1).has_value());  // removed again
  EXPECT_EQ(q_->job_count(), 1u);
  // The queue goes on (the journal moved to a fresh segment); the failed put's id is
  // not reused.
  j_->Flush();
  EXPECT_EQ(Put(p, "next"), kept + 2);
  EXPECT_EQ(Body(kept), "kept");
  Reopen();
  EXPECT_EQ(q_->job_count(), 2u);
  EXPECT_EQ(Body(kept), "kept");
  EXPECT_EQ(Body(kept + 2), "next");
  EXPECT_FALSE(Body(kept + 1).has_value());
}

TEST_F(LocalQueueJournalTest, AJobReservedBeforeItsPutFailedStaysWithItsWorker) {
  const SessionId p = q_->OpenSession();
  const SessionId w = q_->OpenSession();
  fs_.BlockSyncs(true);
  auto put = PutAsync(p, "at least once");
  fs_.WaitSyncBlocked();
  EXPECT_EQ(Reserve(w), 1u);  // handed out before its put is durable
  fs_.FailNextSyncs(1);
  fs_.BlockSyncs(false);
  ASSERT_TRUE(Await(put));
  EXPECT_EQ(**put, std::pair(Code::kOutOfMemory, JobId{0}));
  EXPECT_EQ(StatsJob(1)->state, JobState::kReserved);
  j_->Flush();
  EXPECT_EQ(Delete(w, 1), Code::kOk);
}

TEST_F(LocalQueueJournalTest, AFailedFdatasyncAfterAReleaseIsAnInternalError) {
  const SessionId p = q_->OpenSession();
  const JobId id = Put(p, "job");
  ASSERT_EQ(ReserveJob(p, id), id);
  fs_.FailNextSyncs(1);
  EXPECT_EQ(Release(p, id, 1), Code::kInternalError);
  EXPECT_EQ(StatsJob(id)->state, JobState::kReady);  // applied; only its durability failed
  j_->Flush();
  EXPECT_EQ(Delete(p, id), Code::kOk);
}

// ---------------------------------------------------------------------------
// Compaction

TEST_F(LocalQueueJournalTest, ReserveReleaseWithDelayLoopsKeepDiskUseBounded) {
  // beanstalkd issue #622: jobs released with a delay over and over grow its binlog
  // without bound. 100 000 releases of 4 live jobs through 4 KiB segments.
  Close();
  options_.segment_bytes = 4096;
  options_.max_job_bytes = 200;
  options_.sync = journal::SyncPolicy::kNever;
  Open();
  const SessionId p = q_->OpenSession();
  const SessionId w = q_->OpenSession();
  constexpr int kJobs = 4;
  std::vector<JobId> ids;
  for (int i = 0; i < kJobs; ++i) ids.push_back(Put(p, std::string(100, 'a' + i)));
  // The bound, from live data only (docs/wal_format.md §6): twice the live full records
  // and their reserved deletes, plus two segments of slack, the one being emptied, and
  // what one loop turn (kTurn releases, under a segment) appends before the turn's
  // Compact; plus the spare segments: at most two (the deletes of 4 jobs fit in one,
  // and one to move into) and the extra ones kept after bursts outran segment creation.
  const uint64_t seg = options_.segment_bytes;
  const uint64_t live_bytes =
      kJobs * (journal::FullRecordBytes(7, 100) + journal::format::kDeleteRecordBytes);
  const uint64_t bound_in_use = 2 * live_bytes + 4 * seg;
  const uint64_t bound_bytes = bound_in_use + (2 + journal::Journal::kMaxBurstSpares) * seg;
  const size_t bound_segments = bound_bytes / seg;
  constexpr int kTurn = 16;

  struct Tally {
    int ok = 0, failed = 0;
  };
  auto tally = std::make_shared<Tally>();
  int refused = 0;
  size_t max_segments = 0;
  constexpr int kRounds = 100000;
  for (int round = 0; round < kRounds; ++round) {
    const JobId id = ids[round % kJobs];
    ASSERT_EQ(ReserveJob(w, id), id) << "round " << round;
    for (;;) {
      auto now = std::make_shared<std::optional<Code>>();  // set only if refused at once
      auto later = std::make_shared<bool>(false);
      q_->Release(w, id, static_cast<uint32_t>(round), seconds(1), [now, later, tally](Code c) {
        if (!*later) {
          *now = c;
          return;
        }
        ++(c == Code::kOk ? tally->ok : tally->failed);
      });
      *later = true;
      if (!now->has_value()) break;  // appended: completes once written
      // Refused at once: a 4 KiB segment fills faster than the disk thread makes the
      // next one (a 10 MB one takes tens of thousands of releases). Let it catch up.
      ASSERT_EQ(**now, Code::kOutOfMemory);
      ++refused;
      j_->Flush();
    }
    if (round % kJobs == kJobs - 1) clock_.Advance(seconds(1));  // all ready again
    if (round % kTurn == kTurn - 1) {
      loop_.RunPending();  // the end of a loop turn: Compact, WhenDurable
      // The segments the journal keeps (its own accounting, on this thread).
      const journal::JournalStats js = j_->stats();
      ASSERT_LE(js.disk_bytes - js.spare_segments * seg, bound_in_use) << "round " << round;
    }
    if (round % 1024 == 1023) {
      // The files themselves, once the disk thread has caught up with the removals.
      j_->Flush();
      max_segments = std::max(max_segments, SegmentFiles());
      ASSERT_LE(SegmentFiles(), bound_segments) << "round " << round;
      ASSERT_LE(fs_.TotalBytes(kDir), bound_bytes + 64) << "round " << round;  // + the lock
    }
  }
  j_->Flush();
  ASSERT_TRUE(loop_.RunUntil([&] { return tally->ok + tally->failed == kRounds; }));
  EXPECT_EQ(tally->ok, kRounds);
  EXPECT_LE(fs_.TotalBytes(kDir), bound_bytes + 64);
  const QueueInfo stats = Stats();
  EXPECT_GT(stats.binlog_current_index, 1000u);  // ~6 MB of records went through
  EXPECT_GT(stats.binlog_records_migrated, 0u);
  EXPECT_LE(stats.binlog_current_index - stats.binlog_oldest_index + 1, bound_segments);
  // stats-job `file` follows the moved records.
  for (JobId id : ids) {
    EXPECT_GE(StatsJob(id)->file, stats.binlog_oldest_index);
    EXPECT_LE(StatsJob(id)->file, stats.binlog_current_index);
  }
  RecordProperty("refused_releases", refused);
  RecordProperty("max_segment_files", static_cast<int>(max_segments));

  Reopen();
  for (int i = 0; i < kJobs; ++i) {
    std::optional<JobInfo> info = StatsJob(ids[i]);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->state, JobState::kReady);  // delayed 1 s, long past
    EXPECT_EQ(info->releases, static_cast<uint32_t>(kRounds / kJobs));
    EXPECT_EQ(info->reserves, static_cast<uint32_t>(kRounds / kJobs));
    EXPECT_EQ(info->pri, static_cast<uint32_t>(kRounds - kJobs + i));
    EXPECT_EQ(Body(ids[i]), std::string(100, 'a' + i));
  }
}

// ---------------------------------------------------------------------------
// Stats and placement

TEST_F(LocalQueueJournalTest, StatsShowTheJournalAndStatsJobTheSegment) {
  QueueInfo s = Stats();
  EXPECT_EQ(s.binlog_oldest_index, 1u);
  EXPECT_EQ(s.binlog_current_index, 1u);
  EXPECT_EQ(s.binlog_records_written, 0u);
  const SessionId p = q_->OpenSession();
  const JobId id = Put(p, "x");
  ASSERT_EQ(ReserveJob(p, id), id);
  ASSERT_EQ(Release(p, id, 1, seconds(3)), Code::kOk);
  s = Stats();
  EXPECT_EQ(s.binlog_records_written, 2u);
  EXPECT_EQ(s.binlog_records_migrated, 0u);
  EXPECT_EQ(StatsJob(id)->file, 1u);
  Reopen();  // a restart always writes to a new segment
  s = Stats();
  EXPECT_EQ(s.binlog_oldest_index, 1u);
  EXPECT_EQ(s.binlog_current_index, 2u);
  EXPECT_EQ(StatsJob(id)->file, 1u);
}

TEST_F(LocalQueueJournalTest, RecomputedPlacementsKeepTheJournalsLiveBytesExact) {
  // The queue keeps only the segment and recomputes the record size for AppendDelete;
  // a wrong size would drift the journal's live-byte count that compaction works from.
  const SessionId p = q_->OpenSession();
  uint64_t want = 0;
  std::vector<JobId> ids;
  for (const std::string& tube : std::vector<std::string>{"default", "t", std::string(200, 'n')}) {
    Use(p, tube);
    for (size_t body : {size_t{0}, size_t{1}, size_t{777}, size_t{kMaxJobBytes}}) {
      ids.push_back(Put(p, std::string(body, 'b')));
      want += journal::FullRecordBytes(tube.size(), body);
    }
  }
  EXPECT_EQ(j_->stats().live_bytes, want);
  Reopen();
  EXPECT_EQ(j_->stats().live_bytes, want);
  const SessionId p2 = q_->OpenSession();
  for (JobId id : ids) ASSERT_EQ(Delete(p2, id), Code::kOk);
  EXPECT_EQ(j_->stats().live_bytes, 0u);
  EXPECT_EQ(j_->stats().live_jobs, 0u);
}

TEST(LocalQueueWithoutJournal, StatsJobFileIsZeroAndBinlogStatsAreZero) {
  FakeClock clock;
  LocalQueue q(clock);
  const SessionId s = q.OpenSession();
  bool put = false;
  q.Put(s, queue::PutArgs{0, {}, seconds(1), "x"}, [&](Code c, JobId) { put = c == Code::kOk; });
  EXPECT_TRUE(put);  // at once: nothing to wait for
  q.StatsJob(s, 1, [](Code c, const JobInfo* info) {
    ASSERT_EQ(c, Code::kOk);
    EXPECT_EQ(info->file, 0u);
  });
  q.Stats([](const QueueInfo& info) {
    EXPECT_EQ(info.binlog_current_index, 0u);
    EXPECT_EQ(info.binlog_records_written, 0u);
  });
}

}  // namespace
}  // namespace stalk::local
