// The journal on a real temporary directory with real fsync: the POSIX FileSystem and the
// behaviours that depend on it (locking, files on disk, recovery of damaged files).

#include "journal/posix_file_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "journal/journal.h"
#include "journal/journal_test_util.h"
#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

using testing::JobStore;
using testing::StoredJob;
using testing::TestLoop;

class PosixJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "stalk-journal-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Options Opts(uint64_t segment_bytes = 1 << 20) {
    Options o;
    o.dir = dir_;
    o.post = loop_.Poster();
    o.sync = SyncPolicy::kEveryWrite;
    o.segment_bytes = segment_bytes;
    o.max_job_bytes = 1000;
    return o;
  }
  std::string SegPath(uint32_t i) const { return dir_ + "/" + format::SegmentFileName(i); }

  static StoredJob Job(uint64_t id, size_t body = 100) {
    StoredJob s;
    s.id = id;
    s.pri = static_cast<uint32_t>(id);
    s.ttr_ns = 1'000'000'000;
    s.body = std::string(body, static_cast<char>('A' + id % 26));
    return s;
  }
  void Put(Journal& j, StoredJob s, JobStore* live) {
    auto where = j.AppendPut(s.Record());
    if (!where.ok()) {
      j.Flush();  // tiny segments: let the spare catch up
      where = j.AppendPut(s.Record());
    }
    ASSERT_TRUE(where.ok()) << where.status().ToString();
    s.where = *where;
    live->jobs[s.id] = s;
  }
  bool Durable(Journal& j) {
    std::optional<bool> got;
    j.WhenDurable([&](bool ok) { got = ok; });
    EXPECT_TRUE(loop_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(false);
  }
  static void ExpectSameJobs(const JobStore& want, const JobStore& got) {
    ASSERT_EQ(want.jobs.size(), got.jobs.size());
    for (const auto& [id, job] : want.jobs) {
      ASSERT_EQ(got.jobs.count(id), 1u) << id;
      EXPECT_TRUE(job == got.jobs.at(id)) << id;
    }
  }

  std::string dir_;
  TestLoop loop_;
};

TEST_F(PosixJournalTest, RoundTripWithRealFsync) {
  JobStore none, live;
  auto j = Journal::Open(Opts(), none);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  for (uint64_t id = 1; id <= 100; ++id) Put(**j, Job(id), &live);
  for (uint64_t id = 1; id <= 100; id += 3) {
    StoredJob& s = live.jobs.at(id);
    s.state = RecState::kBuried;
    s.buries = 1;
    ASSERT_TRUE((*j)->AppendUpdate(s.Update()).ok());
  }
  for (uint64_t id = 2; id <= 100; id += 5) {
    (*j)->AppendDelete(id, live.jobs.at(id).where);
    live.jobs.erase(id);
  }
  EXPECT_TRUE(Durable(**j));
  EXPECT_GT((*j)->stats().syncs, 0u);
  j->reset();

  JobStore got;
  auto k = Journal::Open(Opts(), got);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  ExpectSameJobs(live, got);
  EXPECT_EQ((*k)->next_job_id(), 101u);
}

TEST_F(PosixJournalTest, LockPreventsASecondOpenAndNamesTheHolder) {
  JobStore a, b;
  auto first = Journal::Open(Opts(), a);
  ASSERT_TRUE(first.ok());
  auto second = Journal::Open(Opts(), b);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kLocked);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos)
      << second.status().message();
  first->reset();
  auto third = Journal::Open(Opts(), b);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(PosixJournalTest, TruncatedTrailingRecordIsIgnored) {
  JobStore none, live;
  {
    auto j = Journal::Open(Opts(), none);
    ASSERT_TRUE(j.ok());
    for (uint64_t id = 1; id <= 10; ++id) Put(**j, Job(id), &live);
    EXPECT_TRUE(Durable(**j));
  }
  // Drop the end of the last record (and the preallocated zeros after it).
  const uint64_t rec = format::JobRecordBytes(7, 100);
  const uint64_t end = format::kFileHeaderBytes + format::kSegmentStartRecordBytes + 10 * rec;
  std::filesystem::resize_file(SegPath(1), end - 30);
  live.jobs.erase(10);
  JobStore got;
  auto j = Journal::Open(Opts(), got);
  ASSERT_TRUE(j.ok());
  ExpectSameJobs(live, got);
  EXPECT_EQ((*j)->recovery_report().torn_tails, 1u);
  EXPECT_EQ((*j)->recovery_report().damaged_segments, 0u);
}

TEST_F(PosixJournalTest, CorruptMiddleRecordIsSkippedAndTheRestRecovered) {
  JobStore none, live;
  {
    auto j = Journal::Open(Opts(), none);
    ASSERT_TRUE(j.ok());
    for (uint64_t id = 1; id <= 10; ++id) Put(**j, Job(id), &live);
  }
  const uint64_t rec = format::JobRecordBytes(7, 100);
  {
    std::fstream f(SegPath(1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(format::kFileHeaderBytes +
                                        format::kSegmentStartRecordBytes + 3 * rec + rec - 1));
    f.put('!');  // the last body byte of job 4
  }
  live.jobs.erase(4);
  JobStore got;
  auto j = Journal::Open(Opts(), got);
  ASSERT_TRUE(j.ok());
  ExpectSameJobs(live, got);
  EXPECT_EQ((*j)->recovery_report().skipped_records, 1u);
}

TEST_F(PosixJournalTest, DeadSegmentsAreRemovedFromTheDirectory) {
  JobStore none, live;
  Options o = Opts(16 * 1024);
  auto j = Journal::Open(o, none);
  ASSERT_TRUE(j.ok());
  for (uint64_t id = 1; id <= 300; ++id) Put(**j, Job(id), &live);
  const uint32_t current = (*j)->stats().current_segment;
  ASSERT_GE(current, 3u);
  for (auto it = live.jobs.begin(); it != live.jobs.end();) {
    if (it->second.where.segment < current) {
      (*j)->AppendDelete(it->first, it->second.where);
      it = live.jobs.erase(it);
    } else {
      ++it;
    }
  }
  EXPECT_TRUE(Durable(**j));
  (*j)->Flush();
  for (uint32_t i = 1; i < current; ++i) EXPECT_FALSE(std::filesystem::exists(SegPath(i))) << i;
  EXPECT_TRUE(std::filesystem::exists(SegPath(current)));
  EXPECT_EQ((*j)->stats().oldest_segment, current);
  j->reset();
  JobStore got;
  auto k = Journal::Open(o, got);
  ASSERT_TRUE(k.ok());
  ExpectSameJobs(live, got);
  EXPECT_EQ((*k)->next_job_id(), 301u);
}

TEST_F(PosixJournalTest, SegmentFilesArePreallocatedToTheirSize) {
  JobStore none;
  auto j = Journal::Open(Opts(256 * 1024), none);
  ASSERT_TRUE(j.ok());
  (*j)->Flush();
  EXPECT_EQ(std::filesystem::file_size(SegPath(1)), 256u * 1024);
  EXPECT_EQ(std::filesystem::file_size(SegPath(2)), 256u * 1024);  // the spare
}

}  // namespace
}  // namespace stalk::journal
