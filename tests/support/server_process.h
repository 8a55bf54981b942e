#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stalk::test {

// Forks and execs argv[0] with `argv` and `envp` (both null-terminated): stdin
// from /dev/null, stdout and stderr to `out_fd`, default signal dispositions, no
// other inherited descriptors, and SIGKILL if the test process dies first.
// Returns the child's pid, or -1 with errno set. The caller keeps `out_fd`.
pid_t SpawnChild(char* const argv[], char* const envp[], int out_fd);

// A server binary (stalkd or beanstalkd) running as a child process of the test,
// listening on a free loopback port chosen for it.
//
// Start() forks and execs `<binary> -l 127.0.0.1 -p <port> <extra args...>` (or
// `-l unix:<path>` for a UNIX socket), with stdout and stderr sent to a temporary
// file, and returns once the child has a listening socket. Readiness is read from
// /proc (the child's own listening socket in /proc/net/tcp or /proc/net/unix), not
// by connecting, so the server's connection counters start at zero.
//
// The destructor stops the server (SIGTERM, then SIGKILL after a bound) and reaps
// it. The child gets PR_SET_PDEATHSIG(SIGKILL), so a crashed test leaves no server
// behind. Only the child this object started is ever signalled.
//
// Not thread-safe; use from the thread that started it (the death signal is tied
// to that thread).
class ServerProcess {
 public:
  struct Options {
    std::string binary;             // path of the server executable
    std::vector<std::string> args;  // extra arguments after -l/-p
    // When set, listen on this UNIX socket path instead of a TCP port.
    std::string unix_path;
    // When nonzero, listen on this TCP port (e.g. to restart a killed server where
    // its clients expect it) instead of a free one picked for it; no retry.
    uint16_t port = 0;
    std::chrono::milliseconds start_timeout{10000};
  };

  // Starts the server. On failure returns nullptr and writes a readable reason
  // (including the server's stderr) to *error.
  static std::unique_ptr<ServerProcess> Start(const Options& options, std::string* error);

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }  // 0 for a UNIX socket server
  pid_t pid() const { return pid_; }
  const std::string& binary() const { return binary_; }
  const std::string& unix_path() const { return unix_path_; }

  // Sends `sig` to the child if it is still running. Returns false if it has exited.
  bool Signal(int sig);

  // SIGKILL and reap.
  void Kill();

  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the raw wait status
  // (see waitpid), or nullopt if the child had already been reaped.
  std::optional<int> Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

  // Waits up to `timeout` for the child to exit and reaps it. Returns the raw wait
  // status, or nullopt if it is still running.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

  // True while the child has not exited (reaps it if it has).
  bool Running();

  // Everything the server wrote to stdout and stderr so far.
  std::string Output() const;

  // Resident set size and its peak (VmRSS / VmHWM of /proc/<pid>/status), in KiB;
  // -1 if unavailable.
  long RssKib() const;
  long PeakRssKib() const;

 private:
  ServerProcess() = default;

  std::string binary_;
  std::string unix_path_;
  std::string output_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::optional<int> exit_status_;
};

// Renders a raw wait status for messages: "exited with status 0", "killed by signal 15".
std::string DescribeWaitStatus(int status);

}  // namespace stalk::test
