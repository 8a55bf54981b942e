#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "support/server_fixture.h"
#include "support/wire_client.h"
#include "support/yaml_doc.h"

namespace stalk::test {

// What the durability suites (binlog_test, crash_test, compaction_test) share: a
// scratch journal directory per test, starting the server on it with -b, stopping
// and killing it between runs, and looking at the directory's segment files
// (docs/wal_format.md §1: DIR/wal.NNNNNNNNNN and DIR/lock).

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when
// the object goes. path() is empty if it could not be created.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One journal segment file of a directory.
struct SegmentFile {
  uint32_t index = 0;  // from the name: wal.0000000042 -> 42
  std::string path;
  uint64_t bytes = 0;  // file size
};

// The files of `dir` named wal.<10 digits>, sorted by index. Files that vanish
// while the directory is read (removed by the server) are left out.
std::vector<SegmentFile> ListSegments(const std::string& dir);

// Sum of the sizes of ListSegments(dir).
uint64_t SegmentBytes(const std::string& dir);

// The whole content of a file ("" if it cannot be read).
std::string ReadFileBytes(const std::string& path);

// How a process run by RunToExit ended.
struct ExitResult {
  int wait_status = 0;  // raw, see waitpid and DescribeWaitStatus
  std::string output;   // stdout and stderr, interleaved
};

// Runs `binary` with `args` (nothing added) and waits up to `timeout` for it to
// exit. nullopt (with *error set) if it could not be started or was still running
// at the deadline; it is then killed.
std::optional<ExitResult> RunToExit(const std::string& binary, const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout, std::string* error);

// A loopback TCP port that is free right now (0 if none could be found).
uint16_t FreeLoopbackPort();

// `stats` / `stats-job <id>` over `c`, parsed; nullopt (and a test failure at the
// caller) if the reply is not an OK document.
std::optional<YamlDoc> Stats(WireClient& c,
                             std::source_location loc = std::source_location::current());
std::optional<YamlDoc> StatsJob(WireClient& c, uint64_t id,
                                std::source_location loc = std::source_location::current());

// The numeric value of `key` in `doc`; a test failure at the caller and nullopt if
// the key is missing or not a non-negative integer.
std::optional<uint64_t> NumField(const YamlDoc& doc, const std::string& key,
                                 std::source_location loc = std::source_location::current());

// The server under test run on a journal directory that outlives each run: the
// test starts, stops (SIGTERM) or kills (SIGKILL) it, and starts it again on the
// same directory. On failure, TearDown prints the output of every run, not only
// the last one.
//
//   TEST_F(Binlog, PutSurvivesRestart) {
//     ASSERT_TRUE(StartJournaled());
//     Connect()->Roundtrip(PutCommand("a"), "INSERTED 1\r\n");
//     ASSERT_TRUE(StopServer());
//     ASSERT_TRUE(StartJournaled());
//     Connect()->Roundtrip("peek 1\r\n", "FOUND 1 1\r\na\r\n");
//   }
class JournalFixture : public ServerFixture {
 protected:
  void SetUp() override;
  void TearDown() override;
  bool NeedsLocalStorage() const override { return true; }

  // The journal directory of this test (exists, empty at the start).
  const std::string& dir() const { return dir_.path(); }

  // Starts the server with `-b <dir> <args...>`. A running server is stopped first
  // (SIGTERM). Reports a failure and returns false if it does not come up.
  [[nodiscard]] bool StartJournaled(std::vector<std::string> args = {},
                                    std::source_location loc = std::source_location::current());

  // SIGTERM, and expects an orderly exit within 10 s: status 0 for stalkd, death by
  // SIGTERM for beanstalkd (which keeps the default action). Returns false (with a
  // failure) otherwise.
  [[nodiscard]] bool StopServer(std::source_location loc = std::source_location::current());

  // SIGKILL and reap: a crash, as far as the journal can tell.
  void KillServer();

  // The output of the previous runs of this test (each headed by its pid) plus the
  // current one's.
  std::string AllOutput() const;

 private:
  void RetireServer();  // keeps the output of the run that just ended

  ScratchDir dir_;
  std::string past_output_;
};

}  // namespace stalk::test
