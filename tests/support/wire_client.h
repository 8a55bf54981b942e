#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>

#include "support/id_map.h"

namespace stalk::test {

// A blocking TCP (or UNIX socket) client for byte-exact protocol tests.
//
// Every read has a deadline, so a server that stays silent fails the test instead
// of hanging it. The Expect*() calls report a GoogleTest failure at the caller's
// line with both byte strings escaped ("\r\n" shown as such) and the offset of the
// first difference. After a failed Expect the stream is out of step, so the client
// marks itself broken and later Expect*() calls fail quietly (return false, no new
// failure) instead of burying the first failure under follow-on noise.
//
// With an IdMap (UseIdMap), job ids are translated on both streams so a test
// written for sequential ids runs against a server with sparse ones: everything
// the client sends goes through a CommandTranslator and everything it receives
// through a ReplyTranslator (see id_map.h), so Read*() and Expect*() see whole,
// translated replies. Without one, the bytes are exactly the wire's.
//
// Not thread-safe; one thread per client.
class WireClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};

  // Connects to 127.0.0.1:<port>. A connection failure is reported as a test
  // failure and leaves the client broken (ok() == false).
  explicit WireClient(uint16_t port, std::source_location loc = std::source_location::current());
  // Connects to a UNIX stream socket at `unix_path`.
  explicit WireClient(const std::string& unix_path,
                      std::source_location loc = std::source_location::current());
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  // Translates job ids through `map` from now on (see the class comment). Call it
  // before the first byte is sent or received; nullptr turns translation off.
  void UseIdMap(std::shared_ptr<IdMap> map);

  // False after a connection failure or a failed Expect.
  bool ok() const { return fd_ >= 0 && !broken_; }
  int fd() const { return fd_; }

  // Writes all of `bytes` (blocking). Reports a failure if the peer is gone.
  // With an IdMap, a pipelined command that names a job whose id has not come
  // back yet is held until the reply that brings it has been read (into the
  // buffer the Expect*() calls read), at most kDefaultTimeout.
  bool Send(std::string_view bytes, std::source_location loc = std::source_location::current());
  // Like Send but a write error is not a test failure (for tests that race a close).
  bool TrySend(std::string_view bytes);

  // Reads up to and including the next "\r\n". nullopt on timeout, EOF or error
  // (not reported as a failure; the caller decides).
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout = kDefaultTimeout);
  // Reads exactly n bytes. nullopt on timeout, EOF or error.
  std::optional<std::string> ReadExact(size_t n,
                                       std::chrono::milliseconds timeout = kDefaultTimeout);
  // Reads one whole reply: a line, plus "<bytes>\r\n" of data when the line is
  // "RESERVED <id> <bytes>", "FOUND <id> <bytes>" or "OK <bytes>".
  std::optional<std::string> ReadReply(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Reads exactly want.size() bytes and compares. Fails early, without waiting for
  // the full timeout, as soon as the received bytes diverge from `want`.
  bool Expect(std::string_view want, std::chrono::milliseconds timeout = kDefaultTimeout,
              std::source_location loc = std::source_location::current());
  // Sends `command` then expects `reply`.
  bool Roundtrip(std::string_view command, std::string_view reply,
                 std::source_location loc = std::source_location::current());
  // Expects that no byte arrives (and the connection stays open) for `duration`.
  bool ExpectNothingFor(std::chrono::milliseconds duration,
                        std::source_location loc = std::source_location::current());
  // Expects the server to close the connection (EOF or reset) with no more bytes.
  bool ExpectClosed(std::chrono::milliseconds timeout = kDefaultTimeout,
                    std::source_location loc = std::source_location::current());

  // True when the server closes the connection (EOF or reset) within `timeout`
  // and sends nothing more first. Not a test failure either way.
  bool WaitForClose(std::chrono::milliseconds timeout = kDefaultTimeout);

  // Half-closes: no more bytes from us; the server sees EOF on read.
  void ShutdownWrite();
  void Close();

  // Bytes received but not consumed yet (with an IdMap: the translated ones,
  // then those of a reply not complete yet, untranslated).
  std::string pending() const;

 private:
  enum class Fill { kData, kTimeout, kEof, kError };
  // Writes all of `bytes` as they are (blocking); false on a write error.
  bool WriteAll(std::string_view bytes);
  // Waits until some bytes arrive (appended to buf_) or the deadline passes.
  Fill FillOnce(std::chrono::steady_clock::time_point deadline);
  void Fail(std::source_location loc, const std::string& message);
  // Expect() with the command that the reply answers, for the failure message.
  bool ExpectReplyTo(std::string_view command, std::string_view want,
                     std::chrono::milliseconds timeout, std::source_location loc);

  int fd_ = -1;
  bool broken_ = false;
  std::string buf_;  // received, translated when ids are, not consumed yet
  // Only with an IdMap.
  std::unique_ptr<CommandTranslator> commands_;
  std::unique_ptr<ReplyTranslator> replies_;
};

// "put <pri> <delay> <ttr> <len>\r\n<body>\r\n"
std::string PutCommand(std::string_view body, uint32_t pri = 0, uint32_t delay_s = 0,
                       uint32_t ttr_s = 60);

// Shows bytes for humans: "\r", "\n", "\t", "\\", "\"" escaped; other
// non-printable bytes as \xNN. Long strings are cut to `max_bytes` with a note.
std::string EscapeBytes(std::string_view bytes, size_t max_bytes = 600);

// A readable account of how `got` differs from `want`: both escaped, the offset
// of the first difference, and a window around it for long strings.
std::string DescribeMismatch(std::string_view want, std::string_view got);

// Two texts line by line ('\n'-terminated lines, shown escaped): differing
// lines marked "-" (want) and "+" (got), equal ones indented (or left out with
// `only_differences`). Lines are paired by position.
std::string DescribeLineDiff(std::string_view want, std::string_view got, bool only_differences);

}  // namespace stalk::test
