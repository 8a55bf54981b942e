#include "support/wire_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace stalk::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Length of the data chunk announced by a reply header line (without its CRLF),
// or nullopt if the line announces none.
std::optional<size_t> ChunkLength(std::string_view line) {
  auto last_number = [&](std::string_view s) -> std::optional<size_t> {
    size_t space = s.rfind(' ');
    if (space == std::string_view::npos || space + 1 >= s.size()) return std::nullopt;
    size_t n = 0;
    for (char c : s.substr(space + 1)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    return n;
  };
  if (line.starts_with("RESERVED ") || line.starts_with("FOUND ") || line.starts_with("OK ")) {
    return last_number(line);
  }
  return std::nullopt;
}

}  // namespace

std::string EscapeBytes(std::string_view bytes, size_t max_bytes) {
  std::string out = "\"";
  size_t shown = std::min(bytes.size(), max_bytes);
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  if (shown < bytes.size()) {
    out += " ... (" + std::to_string(bytes.size() - shown) + " more bytes, " +
           std::to_string(bytes.size()) + " in all)";
  }
  return out;
}

std::string DescribeMismatch(std::string_view want, std::string_view got) {
  size_t diff = 0;
  while (diff < want.size() && diff < got.size() && want[diff] == got[diff]) ++diff;
  std::string out;
  out += "  expected: " + EscapeBytes(want) + "\n";
  out += "  received: " + EscapeBytes(got) + "\n";
  if (diff == want.size() && diff == got.size()) return out;
  out += "  first difference at byte " + std::to_string(diff);
  if (want.size() > 200 || got.size() > 200) {
    size_t from = diff > 40 ? diff - 40 : 0;
    out += "; around it:\n";
    out += "    expected[" + std::to_string(from) +
           "..]: " + EscapeBytes(want.substr(std::min(from, want.size())), 120) + "\n";
    out += "    received[" + std::to_string(from) +
           "..]: " + EscapeBytes(got.substr(std::min(from, got.size())), 120) + "\n";
  } else {
    out += "\n";
  }
  return out;
}

namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl + 1);
    lines.push_back(line);
    text.remove_prefix(line.size());
  }
  return lines;
}

}  // namespace

std::string DescribeLineDiff(std::string_view want, std::string_view got, bool only_differences) {
  std::vector<std::string_view> a = SplitLines(want), b = SplitLines(got);
  std::string out;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size() && i < b.size() && a[i] == b[i]) {
      if (!only_differences) out += "      " + EscapeBytes(a[i], 200) + "\n";
      continue;
    }
    if (i < a.size()) out += "    - " + EscapeBytes(a[i], 200) + "\n";
    if (i < b.size()) out += "    + " + EscapeBytes(b[i], 200) + "\n";
  }
  return out;
}

std::string PutCommand(std::string_view body, uint32_t pri, uint32_t delay_s, uint32_t ttr_s) {
  std::string cmd = "put " + std::to_string(pri) + " " + std::to_string(delay_s) + " " +
                    std::to_string(ttr_s) + " " + std::to_string(body.size()) + "\r\n";
  cmd.append(body);
  cmd += "\r\n";
  return cmd;
}

WireClient::WireClient(uint16_t port, std::source_location loc) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail(loc, std::string("socket(): ") + std::strerror(errno));
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Fail(loc, "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  }
}

WireClient::WireClient(const std::string& unix_path, std::source_location loc) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail(loc, std::string("socket(AF_UNIX): ") + std::strerror(errno));
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (unix_path.size() >= sizeof addr.sun_path) {
    Fail(loc, "UNIX socket path too long: " + unix_path);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  std::memcpy(addr.sun_path, unix_path.c_str(), unix_path.size() + 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Fail(loc, "connect to unix:" + unix_path + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  }
}

WireClient::~WireClient() { Close(); }

void WireClient::UseIdMap(std::shared_ptr<IdMap> map) {
  if (!map) {
    commands_.reset();
    replies_.reset();
    return;
  }
  commands_ = std::make_unique<CommandTranslator>(map);
  replies_ = std::make_unique<ReplyTranslator>(std::move(map));
}

std::string WireClient::pending() const { return replies_ ? buf_ + replies_->pending() : buf_; }

void WireClient::Fail(std::source_location loc, const std::string& message) {
  broken_ = true;
  ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << message;
}

bool WireClient::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool WireClient::TrySend(std::string_view bytes) {
  if (fd_ < 0) return false;
  if (!commands_) return WriteAll(bytes);
  commands_->NoteReplies(replies_->replies());
  if (!WriteAll(commands_->Feed(bytes))) return false;
  // A pipelined command names a job whose id an earlier command's reply has
  // not brought yet: read replies (into buf_, for the test) until it has, or
  // until the deadline, after which the command goes out as the test wrote it.
  const auto deadline = Clock::now() + kDefaultTimeout;
  while (commands_->blocked()) {
    bool give_up = Clock::now() >= deadline;
    if (!give_up) {
      Fill f = FillOnce(deadline);
      give_up = f == Fill::kEof || f == Fill::kError;
      commands_->NoteReplies(replies_->replies());
    }
    if (!WriteAll(commands_->Resume(give_up))) return false;
  }
  return true;
}

bool WireClient::Send(std::string_view bytes, std::source_location loc) {
  if (fd_ < 0) {
    if (!broken_) Fail(loc, "Send on a closed client");
    return false;
  }
  if (TrySend(bytes)) return true;
  int err = errno;
  if (!broken_) {
    Fail(loc, "send of " + EscapeBytes(bytes, 80) + " failed: " + std::strerror(err));
  }
  return false;
}

WireClient::Fill WireClient::FillOnce(Clock::time_point deadline) {
  if (fd_ < 0) return Fill::kError;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, MillisUntil(deadline));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Fill::kError;
    }
    if (r == 0) return Fill::kTimeout;
    char chunk[64 * 1024];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      std::string_view got(chunk, static_cast<size_t>(n));
      if (replies_) {
        buf_ += replies_->Feed(got);
      } else {
        buf_.append(got);
      }
      return Fill::kData;
    }
    if (n == 0 || errno == ECONNRESET) {
      // No more replies can complete: show the rest as it came.
      if (replies_) buf_ += replies_->TakePending();
      return Fill::kEof;
    }
    if (errno == EINTR || errno == EAGAIN) continue;
    return Fill::kError;
  }
}

std::optional<std::string> WireClient::ReadLine(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t scanned = 0;
  for (;;) {
    size_t pos = buf_.find("\r\n", scanned > 0 ? scanned - 1 : 0);
    if (pos != std::string::npos) {
      std::string line = buf_.substr(0, pos + 2);
      buf_.erase(0, pos + 2);
      return line;
    }
    scanned = buf_.size();
    if (FillOnce(deadline) != Fill::kData) return std::nullopt;
  }
}

std::optional<std::string> WireClient::ReadExact(size_t n, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buf_.size() < n) {
    if (FillOnce(deadline) != Fill::kData) return std::nullopt;
  }
  std::string out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

std::optional<std::string> WireClient::ReadReply(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto line = ReadLine(timeout);
  if (!line) return std::nullopt;
  auto len = ChunkLength(std::string_view(*line).substr(0, line->size() - 2));
  if (!len) return line;
  auto data = ReadExact(
      *len + 2,
      std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now())));
  if (!data) {
    // Put back what we have so a caller's error message can show it.
    buf_.insert(0, *line);
    return std::nullopt;
  }
  return *line + *data;
}

bool WireClient::Expect(std::string_view want, milliseconds timeout, std::source_location loc) {
  return ExpectReplyTo({}, want, timeout, loc);
}

bool WireClient::ExpectReplyTo(std::string_view command, std::string_view want,
                               milliseconds timeout, std::source_location loc) {
  if (!ok()) return false;
  const std::string what =
      command.empty() ? std::string("reply") : "reply to " + EscapeBytes(command, 300);
  const auto deadline = Clock::now() + timeout;
  size_t checked = 0;  // bytes of buf_ already known to match want
  for (;;) {
    size_t have = std::min(buf_.size(), want.size());
    bool prefix_matches = std::string_view(buf_).substr(checked, have - checked) ==
                          want.substr(checked, have - checked);
    checked = have;
    if (!prefix_matches) {
      // Diverged: collect the rest of what the server is sending (briefly) so the
      // message shows the whole wrong reply, then fail.
      const auto grace = std::min(deadline, Clock::now() + milliseconds(100));
      while (buf_.size() < want.size() + 64 && FillOnce(grace) == Fill::kData) {
      }
      Fail(loc, "unexpected " + what + "\n" + DescribeMismatch(want, pending()));
      return false;
    }
    if (buf_.size() >= want.size()) {
      buf_.erase(0, want.size());
      return true;
    }
    Fill f = FillOnce(deadline);
    if (f == Fill::kData) continue;
    std::string why = f == Fill::kTimeout ? "timed out after " + std::to_string(timeout.count()) +
                                                " ms waiting for the " + what
                      : f == Fill::kEof ? "the server closed the connection"
                                        : std::string("read error: ") + std::strerror(errno);
    Fail(loc, why + "\n" + DescribeMismatch(want, pending()));
    return false;
  }
}

bool WireClient::Roundtrip(std::string_view command, std::string_view reply,
                           std::source_location loc) {
  if (!ok()) return false;
  if (!Send(command, loc)) return false;
  return ExpectReplyTo(command, reply, kDefaultTimeout, loc);
}

bool WireClient::ExpectNothingFor(milliseconds duration, std::source_location loc) {
  if (!ok()) return false;
  if (!pending().empty()) {
    Fail(loc, "expected silence, but these bytes were already received: " + EscapeBytes(pending()));
    return false;
  }
  Fill f = FillOnce(Clock::now() + duration);
  if (f == Fill::kTimeout) return true;
  if (f == Fill::kData) {
    Fail(loc, "expected no reply for " + std::to_string(duration.count()) + " ms, but received " +
                  EscapeBytes(pending()));
  } else {
    Fail(loc, "expected no reply for " + std::to_string(duration.count()) +
                  " ms, but the connection was closed");
  }
  return false;
}

bool WireClient::ExpectClosed(milliseconds timeout, std::source_location loc) {
  if (!ok()) return false;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!pending().empty()) {
      Fail(loc, "expected the connection to close, but received " + EscapeBytes(pending()));
      return false;
    }
    Fill f = FillOnce(deadline);
    // At EOF an incomplete translated reply is released into buf_: check again.
    if (f == Fill::kEof && buf_.empty()) return true;
    if (f == Fill::kData || f == Fill::kEof) continue;
    Fail(loc, f == Fill::kTimeout ? "the server did not close the connection within " +
                                        std::to_string(timeout.count()) + " ms"
                                  : std::string("read error: ") + std::strerror(errno));
    return false;
  }
}

bool WireClient::WaitForClose(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!pending().empty()) return false;
    Fill f = FillOnce(deadline);
    if (f == Fill::kEof) return buf_.empty();
    if (f != Fill::kData) return false;
  }
}

void WireClient::ShutdownWrite() {
  if (fd_ < 0) return;
  // A command line held back for id translation goes out as it is: the server
  // sees the same unfinished line it would have seen without translation.
  if (commands_) WriteAll(commands_->Flush());
  ::shutdown(fd_, SHUT_WR);
}

void WireClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace stalk::test
