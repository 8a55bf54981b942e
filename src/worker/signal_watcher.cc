#include "worker/signal_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace stalk::detail {
namespace {

// The write end of the installed watcher's pipe, or -1. A lock-free atomic is
// async-signal-safe to read.
std::atomic<int> g_write_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

// Byte that tells the watcher's thread to end; signal numbers are never 0.
constexpr unsigned char kQuit = 0;

extern "C" void OnSignal(int signal) {
  const int saved_errno = errno;
  const int fd = g_write_fd.load();
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(signal);
    // A full pipe drops the byte: enough signals are already waiting to be read.
    [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

Status SystemError(const char* what) {
  return Status(Error::kInternalError, std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::Install(
    std::function<void(int signal)> callback) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return SystemError("pipe2");
  // Only the handler's end is non-blocking: the thread blocks in read().
  if (::fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0) {
    Status error = SystemError("fcntl");
    ::close(fds[0]);
    ::close(fds[1]);
    return error;
  }
  int none = -1;
  if (!g_write_fd.compare_exchange_strong(none, fds[1])) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status(Error::kInvalidArgument, "another Worker already handles SIGTERM and SIGINT");
  }
  std::unique_ptr<SignalWatcher> watcher(new SignalWatcher(fds[0], fds[1], std::move(callback)));

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // other threads' system calls carry on
  if (::sigaction(SIGTERM, &action, &watcher->old_term_) != 0 ||
      ::sigaction(SIGINT, &action, &watcher->old_int_) != 0) {
    return SystemError("sigaction");  // the destructor restores and releases
  }
  return watcher;
}

SignalWatcher::SignalWatcher(int read_fd, int write_fd, std::function<void(int)> callback)
    : read_fd_(read_fd), write_fd_(write_fd), callback_(std::move(callback)) {
  // Until sigaction succeeds, "old" means the current disposition.
  ::sigaction(SIGTERM, nullptr, &old_term_);
  ::sigaction(SIGINT, nullptr, &old_int_);
  thread_ = std::thread([this] { Loop(); });
}

SignalWatcher::~SignalWatcher() {
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGINT, &old_int_, nullptr);
  g_write_fd.store(-1);
  // Blocking write: the quit byte must reach the thread even if signal bytes fill
  // the pipe (the thread keeps reading until it sees it).
  const int flags = ::fcntl(write_fd_, F_GETFL);
  ::fcntl(write_fd_, F_SETFL, flags & ~O_NONBLOCK);
  while (::write(write_fd_, &kQuit, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(read_fd_);
  ::close(write_fd_);
}

void SignalWatcher::Loop() {
  for (;;) {
    unsigned char byte = 0;
    const ssize_t n = ::read(read_fd_, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1 || byte == kQuit) return;
    callback_(byte);
  }
}

}  // namespace stalk::detail
