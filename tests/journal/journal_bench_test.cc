// Timings printed, never asserted (ctest labels "unit;slow"): recovery of a million small
// jobs, and put throughput under the every-write policy with N appenders on this disk.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <unordered_map>

#include "journal/journal.h"
#include "journal/journal_test_util.h"
#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

using Clock = std::chrono::steady_clock;
using testing::TestLoop;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "stalk-journal-bench-XXXXXX").string();
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Counts; touches every field so nothing is optimised away.
class CountingVisitor : public RecoveryVisitor {
 public:
  uint64_t jobs = 0, updates = 0, deletes = 0, checksum = 0;
  void OnJob(const JobRecord& r, Placement) override {
    ++jobs;
    checksum += r.id + r.body.size() + static_cast<unsigned char>(r.body.empty() ? 0 : r.body[0]);
  }
  void OnUpdate(const JobUpdate& u) override { ++updates, checksum += u.id; }
  void OnDelete(uint64_t id) override { ++deletes, checksum -= id; }
};

// Roughly what a queue does: one allocation per job, a hash table by id.
class StoringVisitor : public RecoveryVisitor {
 public:
  struct Job {
    std::string tube;
    std::string body;
    uint32_t pri;
    Placement where;
  };
  std::unordered_map<uint64_t, Job> jobs;
  void OnJob(const JobRecord& r, Placement where) override {
    jobs[r.id] = Job{std::string(r.tube), std::string(r.body), r.pri, where};
  }
  void OnUpdate(const JobUpdate& u) override { jobs[u.id].pri = u.pri; }
  void OnDelete(uint64_t id) override { jobs.erase(id); }
};

void DropFromPageCache(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    int fd = ::open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

TEST(JournalBench, RecoveryOfAMillionJobsOf100Bytes) {
  spdlog::set_level(spdlog::level::warn);
  TempDir dir;
  TestLoop loop;
  Options o;
  o.dir = dir.path();
  o.post = loop.Poster();
  o.sync = SyncPolicy::kNever;
  constexpr uint64_t kJobs = 1'000'000;
  const std::string body(100, 'x');
  {
    CountingVisitor none;
    auto j = Journal::Open(o, none);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    const auto t0 = Clock::now();
    JobRecord r;
    r.tube = "default";
    r.body = body;
    r.ttr_ns = 60'000'000'000;
    for (uint64_t id = 1; id <= kJobs; ++id) {
      r.id = id;
      r.pri = static_cast<uint32_t>(id);
      r.created_unix_ns = static_cast<int64_t>(id);
      auto where = (*j)->AppendPut(r);
      if (!where.ok()) {
        (*j)->Flush();  // the writer thread lagging behind a tight loop
        where = (*j)->AppendPut(r);
      }
      ASSERT_TRUE(where.ok()) << where.status().ToString();
    }
    (*j)->Flush();
    const auto t1 = Clock::now();
    const JournalStats s = (*j)->stats();
    std::printf("[bench] wrote %llu jobs (%llu segments, %.1f MB of segments) in %.3f s\n",
                static_cast<unsigned long long>(kJobs), static_cast<unsigned long long>(s.segments),
                static_cast<double>(s.disk_bytes) / 1e6, Seconds(t1 - t0));
  }
  for (int round = 0; round < 2; ++round) {
    const bool cold = round == 0;
    if (cold) DropFromPageCache(dir.path());
    CountingVisitor v;
    const auto t0 = Clock::now();
    auto j = Journal::Open(o, v);
    const auto t1 = Clock::now();
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(v.jobs, kJobs);
    EXPECT_EQ((*j)->next_job_id(), kJobs + 1);
    std::printf(
        "[bench] recovery of %llu jobs x 100 B, %s page cache, counting visitor: "
        "replay %.3f s, Open total %.3f s (%.0f records/s)\n",
        static_cast<unsigned long long>(v.jobs), cold ? "cold (fadvise DONTNEED)" : "warm",
        static_cast<double>((*j)->recovery_report().elapsed_ns) / 1e9, Seconds(t1 - t0),
        static_cast<double>(kJobs) / Seconds(t1 - t0));
  }
  {
    StoringVisitor v;
    v.jobs.reserve(kJobs);
    const auto t0 = Clock::now();
    auto j = Journal::Open(o, v);
    const auto t1 = Clock::now();
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(v.jobs.size(), kJobs);
    std::printf(
        "[bench] recovery of %zu jobs, warm page cache, visitor storing every job in an "
        "unordered_map: Open total %.3f s\n",
        v.jobs.size(), Seconds(t1 - t0));
  }
}

// N clients each keep one put outstanding: the next put goes in when the previous one's
// completion fires (a reply under -f0). Records/s = what group commit delivers.
void PutThroughput(SyncPolicy policy, const char* name, int appenders) {
  const auto kRunFor = std::chrono::milliseconds(600);
  TempDir dir;
  TestLoop loop;
  Options o;
  o.dir = dir.path();
  o.post = loop.Poster();
  o.sync = policy;
  CountingVisitor none;
  auto j = Journal::Open(o, none);
  ASSERT_TRUE(j.ok());
  (*j)->Flush();
  const std::string body(100, 'x');
  uint64_t issued = 0, done = 0, failed = 0;
  bool stop = false;
  std::function<void()> issue = [&] {
    JobRecord r;
    r.id = ++issued;
    r.tube = "default";
    r.body = body;
    auto where = (*j)->AppendPut(r);
    if (!where.ok()) ++failed;
    (*j)->WhenDurable([&](bool ok) {
      ++done;
      if (!ok) ++failed;
      if (!stop) issue();
    });
  };
  const uint64_t syncs0 = (*j)->stats().syncs;
  const auto t0 = Clock::now();
  for (int i = 0; i < appenders; ++i) issue();
  loop.RunUntil([&] { return Clock::now() - t0 >= kRunFor; }, std::chrono::seconds(5));
  stop = true;
  ASSERT_TRUE(loop.RunUntil([&] { return done == issued; }, std::chrono::seconds(60)));
  const auto t1 = Clock::now();
  const uint64_t syncs = (*j)->stats().syncs - syncs0;
  std::printf(
      "[bench] %-11s %4d appenders: %8.0f puts/s (%llu puts, %llu fdatasyncs, %.1f "
      "puts per sync, %.1f us per put)%s\n",
      name, appenders, static_cast<double>(done) / Seconds(t1 - t0),
      static_cast<unsigned long long>(done), static_cast<unsigned long long>(syncs),
      syncs ? static_cast<double>(done) / static_cast<double>(syncs) : 0.0,
      Seconds(t1 - t0) * 1e6 / static_cast<double>(done), failed ? " FAILURES" : "");
  EXPECT_EQ(failed, 0u);
}

TEST(JournalBench, EveryWritePutThroughputWithNAppenders) {
  spdlog::set_level(spdlog::level::warn);
  PutThroughput(SyncPolicy::kEveryWrite, "every-write", 1);
  PutThroughput(SyncPolicy::kEveryWrite, "every-write", 4);
  PutThroughput(SyncPolicy::kEveryWrite, "every-write", 16);
  PutThroughput(SyncPolicy::kEveryWrite, "every-write", 64);
  PutThroughput(SyncPolicy::kEveryWrite, "every-write", 256);
  PutThroughput(SyncPolicy::kInterval, "interval-50", 1);
  PutThroughput(SyncPolicy::kInterval, "interval-50", 64);
}

}  // namespace
}  // namespace stalk::journal
