// Compaction keeps the journal's disk use bounded by the live data, however many
// state changes the live jobs go through (beanstalkd #622: a job released with a
// delay over and over made beanstalkd's binlog grow without end).
//
// A few live jobs go through 20 000 rounds of reserve-job followed by release
// (delay 0), release with delay 1 + kick-job, or bury + kick-job, pipelined over
// the protocol. Each round appends one or two update records (61 bytes) that pin
// nothing; without compaction they would fill ~30 segments of 64 KiB. The test
// checks the total size of the segment files against the bound that follows from
// docs/wal_format.md §6, that records were migrated, and that the jobs come back
// intact after a restart.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <source_location>
#include <string>
#include <thread>
#include <vector>

#include "support/journal_fixture.h"
#include "support/wire_client.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kSegmentBytes = 65536;
constexpr int kJobs = 5;
constexpr int kBodyBytes = 100;
constexpr int kRounds = 20000;  // reserve + (release | release-delayed + kick | bury + kick)
constexpr int kBatches = kRounds / kJobs;  // one round per job per pipelined batch

// Sizes from docs/wal_format.md §2: a job record is 12 + 71 + tube + body bytes, and
// every live job holds room for its 20-byte delete.
constexpr uint64_t kJobRecordBytes = 12 + 71 + 7 /* "default" */ + kBodyBytes;
constexpr uint64_t kDeleteRecordBytes = 20;
constexpr uint64_t kLiveBytes = kJobs * (kJobRecordBytes + kDeleteRecordBytes);

// §6: with compaction keeping up, the segments hold at most 2 x live bytes + 3
// segments (the slack of 2 and the one being emptied), plus the spare segments:
// one to move into, and none more for 5 deletes. On top of what the journal counts
// the directory may briefly hold one segment being created and one already dropped
// whose file the disk thread has not removed yet (it removes after the batch's
// replies are released).
constexpr uint64_t kBoundBytes = 2 * kLiveBytes + (3 + 1 + 2) * kSegmentBytes;

std::string BodyOf(int job) {
  std::string body = "live-job-" + std::to_string(job) + ":";
  while (body.size() < kBodyBytes) body.push_back(static_cast<char>('a' + body.size() % 26));
  return body;
}

uint32_t PriOf(int job) { return 10 + static_cast<uint32_t>(job); }

struct Counters {
  uint64_t reserves = 0, releases = 0, buries = 0, kicks = 0;
};

class Compaction : public JournalFixture {
 protected:
  const std::vector<std::string> args_ = {"-s", std::to_string(kSegmentBytes), "-z", "1024"};

  void PutLiveJobs() {
    auto c = Connect();
    for (int j = 1; j <= kJobs; ++j) {
      c->Roundtrip(PutCommand(BodyOf(j), PriOf(j), 0, 60),
                   "INSERTED " + std::to_string(j) + "\r\n");
    }
  }

  // `batches` pipelined batches of one round per live job, checking the size of the
  // segment files every 10 batches. Returns false after a failure.
  bool RunRounds(int batches) {
    auto c = Connect();
    for (int i = 0; i < batches; ++i, ++batch_) {
      std::string commands, replies;
      for (int j = 1; j <= kJobs; ++j) {
        const std::string id = std::to_string(j);
        const std::string pri = std::to_string(PriOf(j));
        commands += "reserve-job " + id + "\r\n";
        replies +=
            "RESERVED " + id + " " + std::to_string(kBodyBytes) + "\r\n" + BodyOf(j) + "\r\n";
        ++want_[j].reserves;
        switch ((batch_ + j) % 3) {
          case 0:
            commands += "release " + id + " " + pri + " 0\r\n";
            replies += "RELEASED\r\n";
            ++want_[j].releases;
            records_ += 1;
            break;
          case 1:
            commands += "release " + id + " " + pri + " 1\r\nkick-job " + id + "\r\n";
            replies += "RELEASED\r\nKICKED\r\n";
            ++want_[j].releases;
            ++want_[j].kicks;
            records_ += 2;
            break;
          default:
            commands += "bury " + id + " " + pri + "\r\nkick-job " + id + "\r\n";
            replies += "BURIED\r\nKICKED\r\n";
            ++want_[j].buries;
            ++want_[j].kicks;
            records_ += 2;
            break;
        }
      }
      if (!c->Send(commands)) return false;
      if (!c->Expect(replies)) {
        ADD_FAILURE() << "in batch " << batch_;
        return false;
      }
      if (i % 10 == 9 && !DiskUseWithinBound()) return false;
    }
    return true;
  }

  bool DiskUseWithinBound(std::source_location loc = std::source_location::current()) {
    const uint64_t bytes = SegmentBytes(dir());
    largest_seen_ = std::max(largest_seen_, bytes);
    if (bytes <= kBoundBytes) return true;
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "after " << batch_ * kJobs << " rounds (" << records_
        << " update records) the segment files hold " << bytes << " bytes, over the bound of "
        << kBoundBytes << " (2 x " << kLiveBytes << " live bytes + 6 segments of " << kSegmentBytes
        << "):\n"
        << Listing();
    return false;
  }

  std::string Listing() {
    std::string out;
    for (const SegmentFile& f : ListSegments(dir())) {
      out += "  " + f.path + " " + std::to_string(f.bytes) + "\n";
    }
    return out;
  }

  // The journal's own account, after a stretch of rounds in this run of the server.
  void ExpectCompacted() {
    auto c = Connect();
    auto stats = Stats(*c);
    ASSERT_TRUE(stats);
    EXPECT_GT(NumField(*stats, "binlog-records-migrated").value_or(0), 0u);
    EXPECT_GT(NumField(*stats, "binlog-oldest-index").value_or(0), 1u)
        << "the first segments should have been emptied and collected";
    EXPECT_EQ(NumField(*stats, "binlog-max-size"), kSegmentBytes);
    EXPECT_LE(SegmentBytes(dir()), kBoundBytes) << Listing();
  }

  // The live jobs are as the rounds left them: bodies, priorities, ready, and the
  // counters of their last record (every round ends with a record).
  void CheckJobs(const char* when) {
    SCOPED_TRACE(when);
    auto c = Connect();
    for (int j = 1; j <= kJobs; ++j) {
      const std::string id = std::to_string(j);
      c->Roundtrip("peek " + id + "\r\n",
                   "FOUND " + id + " " + std::to_string(kBodyBytes) + "\r\n" + BodyOf(j) + "\r\n");
      auto doc = StatsJob(*c, j);
      ASSERT_TRUE(doc);
      EXPECT_EQ(doc->Get("state"), "ready") << "job " << j;
      EXPECT_EQ(NumField(*doc, "pri"), PriOf(j)) << "job " << j;
      EXPECT_EQ(NumField(*doc, "reserves"), want_[j].reserves) << "job " << j;
      EXPECT_EQ(NumField(*doc, "releases"), want_[j].releases) << "job " << j;
      EXPECT_EQ(NumField(*doc, "buries"), want_[j].buries) << "job " << j;
      EXPECT_EQ(NumField(*doc, "kicks"), want_[j].kicks) << "job " << j;
    }
    auto s = Stats(*c);
    ASSERT_TRUE(s);
    EXPECT_EQ(NumField(*s, "current-jobs-ready"), static_cast<uint64_t>(kJobs));
    EXPECT_LE(SegmentBytes(dir()), kBoundBytes) << Listing();
  }

  void Report() {
    std::printf(
        "[ compaction ] %llu update records (%llu bytes) written; segment files peaked at "
        "%llu bytes (bound %llu)\n",
        static_cast<unsigned long long>(records_), static_cast<unsigned long long>(records_ * 61),
        static_cast<unsigned long long>(largest_seen_),
        static_cast<unsigned long long>(kBoundBytes));
  }

  int batch_ = 0;
  std::array<Counters, kJobs + 1> want_{};
  uint64_t records_ = 0;
  uint64_t largest_seen_ = 0;
};

TEST_F(Compaction, DiskUseStaysBoundedUnderEndlessStateChanges) {
  if (beanstalkd()) GTEST_SKIP() << "stalkd's segment files and compaction bound";
  ASSERT_TRUE(StartJournaled(args_));
  PutLiveJobs();
  ASSERT_TRUE(RunRounds(kBatches));
  Report();
  ASSERT_GT(records_ * 61, 4 * kBoundBytes) << "the loop must write far more than the bound";
  ExpectCompacted();
  CheckJobs("before the restart");

  // The moved records are what recovery reads now: the old ones are gone.
  KillServer();
  ASSERT_TRUE(StartJournaled(args_));
  CheckJobs("after a kill");
  ASSERT_TRUE(StopServer());
  ASSERT_TRUE(StartJournaled(args_));
  CheckJobs("after SIGTERM");
  Connect()->Roundtrip(PutCommand("new"), "INSERTED " + std::to_string(kJobs + 1) + "\r\n");
}

// Compaction picks up where it was after a crash: the segments found at start are
// emptied and collected like the ones written since.
TEST_F(Compaction, DiskUseStaysBoundedAcrossAKill) {
  if (beanstalkd()) GTEST_SKIP() << "stalkd's segment files and compaction bound";
  ASSERT_TRUE(StartJournaled(args_));
  PutLiveJobs();
  ASSERT_TRUE(RunRounds(kBatches / 2));
  KillServer();
  ASSERT_TRUE(StartJournaled(args_));
  ASSERT_TRUE(DiskUseWithinBound());
  CheckJobs("after the kill");
  ASSERT_TRUE(RunRounds(kBatches / 2));
  Report();
  ExpectCompacted();
  CheckJobs("after the second half");
  ASSERT_TRUE(StopServer());
  ASSERT_TRUE(StartJournaled(args_));
  CheckJobs("after SIGTERM");
}

}  // namespace
}  // namespace stalk::test
