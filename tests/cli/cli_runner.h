#pragma once

// Runs the built `stalk` binary as a child process for the end-to-end tests:
// arguments, stdin bytes and extra environment in; stdout, stderr (kept apart) and
// the exit status out. A child that runs past the deadline is killed and the run
// reported as timed out, so a hang fails the test instead of stalling it.
// Not thread-safe; one run at a time per thread.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace stalk::test {

struct CliRun {
  int exit_code = -1;     // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;        // stdout
  std::string err;        // stderr
  std::string Describe() const;  // for failure messages
};

struct CliOptions {
  std::string stdin_bytes;  // written to the child's stdin, then closed
  std::vector<std::pair<std::string, std::string>> env;  // added to a clean environment
  std::chrono::milliseconds deadline{60000};
};

// The path of the stalk binary under test (compiled in as STALK_CLI_PATH).
std::string StalkBinary();

// Runs `stalk <args...>`. STALKD_HOST and STALKD_PORT of the test's own environment
// are not passed on; set them through options.env.
CliRun RunStalk(const std::vector<std::string>& args, const CliOptions& options = {});

}  // namespace stalk::test
