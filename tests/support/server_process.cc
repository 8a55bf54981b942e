#include "support/server_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace stalk::test {

pid_t SpawnChild(char* const argv[], char* const envp[], int out_fd) {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on: the test may have other threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGUSR1, SIGCHLD}) ::signal(sig, SIG_DFL);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execve(argv[0], argv, envp);
    const char msg[] = "stalk test harness: execve failed\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  const int saved_errno = errno;
  if (null_fd >= 0) ::close(null_fd);
  errno = saved_errno;
  return pid;
}
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Asks the kernel for a port that is free right now on 127.0.0.1. Another process
// could take it before the server binds it; Start() retries when that happens.
uint16_t PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Socket inodes the process `pid` holds open ("socket:[123]" links in /proc/<pid>/fd).
std::set<unsigned long> SocketInodesOf(pid_t pid) {
  std::set<unsigned long> inodes;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return inodes;
  while (dirent* e = ::readdir(d)) {
    char target[128];
    std::string link = dir + "/" + e->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    unsigned long inode = 0;
    if (std::sscanf(target, "socket:[%lu]", &inode) == 1) inodes.insert(inode);
  }
  ::closedir(d);
  return inodes;
}

// True when `pid` owns a TCP socket listening on `port` (any local address).
bool ListensOnTcpPort(pid_t pid, uint16_t port) {
  std::set<unsigned long> candidates;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt  uid
      //  timeout inode"
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout;
      unsigned long inode = 0;
      if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >>
            inode)) {
        continue;
      }
      if (state != "0A") continue;  // TCP_LISTEN
      size_t colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      unsigned long local_port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
      if (local_port == port) candidates.insert(inode);
    }
  }
  if (candidates.empty()) return false;
  for (unsigned long inode : SocketInodesOf(pid)) {
    if (candidates.count(inode)) return true;
  }
  return false;
}

// True when `pid` owns a listening UNIX socket bound to `path`.
bool ListensOnUnixPath(pid_t pid, const std::string& path) {
  std::set<unsigned long> candidates;
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // "Num       RefCount Protocol Flags    Type St Inode Path"
    std::istringstream fields(line);
    std::string num, refs, proto, flags, type, st, sock_path;
    unsigned long inode = 0;
    if (!(fields >> num >> refs >> proto >> flags >> type >> st >> inode >> sock_path)) continue;
    bool listening =
        (std::strtoul(flags.c_str(), nullptr, 16) & 0x00010000) != 0;  // __SO_ACCEPTCON
    if (listening && sock_path == path) candidates.insert(inode);
  }
  if (candidates.empty()) return false;
  for (unsigned long inode : SocketInodesOf(pid)) {
    if (candidates.count(inode)) return true;
  }
  return false;
}

bool IsSocketActivationVariable(const char* entry) {
  for (const char* name : {"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET="}) {
    if (std::strncmp(entry, name, std::strlen(name)) == 0) return true;
  }
  return false;
}

long ReadStatusKib(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  size_t key_len = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, key_len, key) == 0) return std::strtol(line.c_str() + key_len, nullptr, 10);
  }
  return -1;
}

std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return (dir != nullptr && *dir != '\0') ? dir : "/tmp";
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const Options& options, std::string* error) {
  if (::access(options.binary.c_str(), X_OK) != 0) {
    *error =
        "server binary '" + options.binary + "' is not an executable file: " + std::strerror(errno);
    return nullptr;
  }
  const bool use_unix = !options.unix_path.empty();
  std::string last_error;
  // A port picked as free can be taken by someone else before the server binds it;
  // then the server exits and we try another one.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::unique_ptr<ServerProcess> server(new ServerProcess());
    server->binary_ = options.binary;
    server->unix_path_ = options.unix_path;
    if (!use_unix) {
      server->port_ = options.port != 0 ? options.port : PickFreePort();
      if (server->port_ == 0) {
        *error = std::string("could not find a free loopback port: ") + std::strerror(errno);
        return nullptr;
      }
    }

    std::string output_template = TempDir() + "/stalk-e2e-server-XXXXXX";
    std::vector<char> path_buf(output_template.begin(), output_template.end());
    path_buf.push_back('\0');
    int out_fd = ::mkstemp(path_buf.data());
    if (out_fd < 0) {
      *error = std::string("mkstemp for the server's output failed: ") + std::strerror(errno);
      return nullptr;
    }
    server->output_path_ = path_buf.data();

    // Everything the child needs is built before fork(): after it, only
    // async-signal-safe calls are allowed (the test may have other threads).
    std::vector<std::string> args = {options.binary, "-l"};
    if (use_unix) {
      args.push_back("unix:" + options.unix_path);
    } else {
      args.push_back("127.0.0.1");
      args.push_back("-p");
      args.push_back(std::to_string(server->port_));
    }
    args.insert(args.end(), options.args.begin(), options.args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!IsSocketActivationVariable(*e)) envp.push_back(*e);
    }
    envp.push_back(nullptr);
    const pid_t pid = SpawnChild(argv.data(), envp.data(), out_fd);
    ::close(out_fd);
    if (pid < 0) {
      *error = std::string("fork failed: ") + std::strerror(errno);
      ::unlink(server->output_path_.c_str());
      return nullptr;
    }
    server->pid_ = pid;

    const auto deadline = Clock::now() + options.start_timeout;
    bool ready = false;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (!server->Running()) {
        exited = true;
        break;
      }
      ready = use_unix ? ListensOnUnixPath(pid, options.unix_path)
                       : ListensOnTcpPort(pid, server->port_);
      if (ready) break;
      std::this_thread::sleep_for(milliseconds(5));
    }
    if (ready) return server;

    std::string where =
        use_unix ? "unix:" + options.unix_path : "127.0.0.1:" + std::to_string(server->port_);
    if (exited) {
      last_error = "server '" + options.binary + "' " + DescribeWaitStatus(*server->exit_status_) +
                   " before listening on " + where + "; its output:\n" + server->Output();
      // Most likely the port was taken in the meantime; try another one.
      if (!use_unix && options.port == 0) continue;
    } else {
      server->Kill();
      last_error = "server '" + options.binary + "' did not listen on " + where + " within " +
                   std::to_string(options.start_timeout.count()) + " ms; its output:\n" +
                   server->Output();
    }
    break;
  }
  *error = last_error;
  return nullptr;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exit_status_) Stop(milliseconds(5000));
  if (!output_path_.empty()) ::unlink(output_path_.c_str());
}

bool ServerProcess::Running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return false;
  }
  return true;
}

bool ServerProcess::Signal(int sig) {
  if (!Running()) return false;
  return ::kill(pid_, sig) == 0;
}

void ServerProcess::Kill() {
  if (!Running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status_ = status;
}

std::optional<int> ServerProcess::WaitForExit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!Running()) return exit_status_;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(2));
  }
}

std::optional<int> ServerProcess::Stop(milliseconds grace) {
  if (exit_status_) return exit_status_;
  if (!Running()) return exit_status_;
  ::kill(pid_, SIGTERM);
  if (auto status = WaitForExit(grace)) return status;
  Kill();
  return exit_status_;
}

std::string ServerProcess::Output() const { return ReadWholeFile(output_path_); }

long ServerProcess::RssKib() const { return ReadStatusKib(pid_, "VmRSS:"); }

long ServerProcess::PeakRssKib() const { return ReadStatusKib(pid_, "VmHWM:"); }

}  // namespace stalk::test
