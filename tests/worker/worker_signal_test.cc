// SIGTERM to a process running a worker (worker_child): jobs in flight that finish
// within the grace period are deleted, the others are released (delay 0, same
// priority), and the process exits 0. A second signal ends the grace period.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/server_process.h"
#include "worker/worker_harness.h"

extern char** environ;

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

// worker_child running against the test's server; killed if the test leaves it.
class Child {
 public:
  Child(uint16_t port, std::chrono::milliseconds grace) {
    output_path_ = ::testing::TempDir() + "worker_child." + std::to_string(::getpid()) + "." +
                   std::to_string(port) + ".out";
    const int fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<std::string> args = {WORKER_CHILD_PATH, std::to_string(port),
                                     std::to_string(grace.count())};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fd < 0 ? -1 : SpawnChild(argv.data(), environ, fd);
    if (fd >= 0) ::close(fd);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(output_path_.c_str());
  }

  bool started() const { return pid_ > 0; }
  void Signal(int sig) { ::kill(pid_, sig); }

  // The wait status, or nullopt if it is still running after kHangDeadline.
  std::optional<int> Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kHangDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

  std::string Output() const {
    std::ifstream in(output_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

class WorkerSignalTest : public WorkerHarness {
 protected:
  // Polls (the test's side, not the worker's) until `n` jobs of "signal" are reserved.
  bool WaitForReserved(uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kHangDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      auto tube = client_->StatsTube("signal");
      if (tube.ok() && tube->current_jobs_reserved == n) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

TEST_F(WorkerSignalTest, SigtermDeletesFinishedJobsAndReleasesTheRest) {
  PutOptions put;
  put.pri = 11;
  const JobId finishes = Put("signal", "finish", put);
  const JobId hangs = Put("signal", "hang", put);
  Child child(server_->port(), 1000ms);
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(WaitForReserved(2)) << child.Output();

  child.Signal(SIGTERM);
  auto status = child.Wait();
  ASSERT_TRUE(status.has_value()) << "worker_child did not exit\n" << child.Output();
  EXPECT_EQ(DescribeWaitStatus(*status), "exited with status 0") << child.Output();
  EXPECT_NE(child.Output().find("succeeded=1 released=1"), std::string::npos) << child.Output();

  EXPECT_TRUE(client_->StatsJob(finishes).status().is(Error::kNotFound));
  const JobStats s = Stats(hangs);
  EXPECT_EQ(s.state, "ready");
  EXPECT_EQ(s.pri, 11u);
  EXPECT_EQ(s.releases, 1u);
}

TEST_F(WorkerSignalTest, SecondSignalEndsTheGracePeriodAtOnce) {
  const JobId hangs = Put("signal", "hang");
  // A grace longer than the test's hang deadline: only the second signal can end
  // the run in time.
  Child child(server_->port(),
              std::chrono::duration_cast<std::chrono::milliseconds>(kHangDeadline * 10));
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(WaitForReserved(1)) << child.Output();

  child.Signal(SIGINT);
  child.Signal(SIGTERM);
  auto status = child.Wait();
  ASSERT_TRUE(status.has_value()) << "worker_child did not exit\n" << child.Output();
  EXPECT_EQ(DescribeWaitStatus(*status), "exited with status 0") << child.Output();
  EXPECT_EQ(Stats(hangs).state, "ready");
}

}  // namespace
}  // namespace stalk::test
