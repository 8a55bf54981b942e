#include "client/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace stalk::detail {
namespace {

int PollTimeoutMs(std::optional<SteadyTime> deadline) {
  if (!deadline) return -1;
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count(), 60'000));
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Starts a non-blocking connect of a new socket to `addr` and waits for it.
int ConnectOne(int family, const sockaddr* addr, socklen_t len, SteadyTime deadline,
               std::string* error) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = Errno("socket");
    return -1;
  }
  if (::connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    *error = Errno("connect");
    ::close(fd);
    return -1;
  }
  while (true) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, PollTimeoutMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n == 0 ? std::string("connect timed out") : Errno("poll");
      ::close(fd);
      return -1;
    }
    break;
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    *error = std::string("connect: ") + std::strerror(err);
    ::close(fd);
    return -1;
  }
  if (family != AF_UNIX) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

Result<void> Socket::Connect(const Options& options, SteadyTime deadline) {
  Close();
  std::string error;
  if (!options.unix_path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (options.unix_path.size() >= sizeof addr.sun_path) {
      return Status(Error::kConnectFailed, "unix socket path too long: " + options.unix_path);
    }
    std::memcpy(addr.sun_path, options.unix_path.c_str(), options.unix_path.size() + 1);
    fd_ = ConnectOne(AF_UNIX, reinterpret_cast<const sockaddr*>(&addr), sizeof addr, deadline,
                     &error);
    if (fd_ < 0) return Status(Error::kConnectFailed, "unix:" + options.unix_path + ": " + error);
    return {};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string port = std::to_string(options.port);
  // getaddrinfo has no timeout of its own; a name that needs DNS may exceed the deadline.
  int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &list);
  std::string where = options.host + ":" + port;
  if (rc != 0) {
    return Status(Error::kConnectFailed, where + ": cannot resolve: " + ::gai_strerror(rc));
  }
  for (addrinfo* ai = list; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    fd_ = ConnectOne(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline, &error);
  }
  ::freeaddrinfo(list);
  if (fd_ < 0) return Status(Error::kConnectFailed, where + ": " + error);
  return {};
}

bool Socket::Wait(short events, std::optional<SteadyTime> deadline, Status* status) {
  while (true) {
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, PollTimeoutMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *status = Status(Error::kDisconnected, Errno("poll"));
      return false;
    }
    if (n > 0) return true;  // ready, or an error/hangup the next syscall reports
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      *status = Status(Error::kCallTimeout, "no reply within the call timeout");
      return false;
    }
  }
}

Result<void> Socket::Write(std::string_view bytes, std::optional<SteadyTime> deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status status;
      if (!Wait(POLLOUT, deadline, &status)) return status;
      continue;
    }
    return Status(Error::kDisconnected, Errno("send"));
  }
  return {};
}

Result<size_t> Socket::Read(char* buf, size_t max, std::optional<SteadyTime> deadline) {
  while (true) {
    ssize_t n = ::recv(fd_, buf, max, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status(Error::kDisconnected, "connection closed by the server");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status(Error::kDisconnected, Errno("recv"));
    }
    Status status;
    if (!Wait(POLLIN, deadline, &status)) return status;
  }
}

void Socket::Shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Socket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace stalk::detail
