#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/command.h"

namespace stalk::proto {

// Incremental parser of the client side of the protocol. It does no I/O: the
// caller hands it the bytes it has buffered, and the parser says how many it
// consumed and what they were. It keeps state only for input it is discarding
// (an over-long line, the body of a job that is too big), so the caller never
// has to buffer more than one command line plus one acceptable job body.
//
// Usage:
//   size_t used = 0;
//   Parser::Event ev = parser.Next(buffered, &used);
//   buffered.remove_prefix(used);
//   switch (ev) { case kNeedMore: read more; case kCommand: run parser.command(); ... }
//
// Not thread-safe; one parser per connection.
class Parser {
 public:
  enum class Event : uint8_t {
    kNeedMore,        // nothing complete yet; read more and call again
    kCommand,         // command() is a complete command (a put includes its body)
    kBadFormat,       // reply BAD_FORMAT
    kUnknownCommand,  // reply UNKNOWN_COMMAND
    kExpectedCrlf,    // a put whose body was not followed by CRLF; reply EXPECTED_CRLF
    kJobTooBig,       // a put over the size limit, body already discarded; reply JOB_TOO_BIG
  };

  // `max_job_bytes` is the -z limit: a body of exactly that many bytes is accepted.
  explicit Parser(uint64_t max_job_bytes = kDefaultMaxJobBytes);

  // Consumes a prefix of `in` (sets *consumed, possibly to 0) and reports what it
  // was. Call again with the rest of the input until it returns kNeedMore.
  // For a put whose body has not fully arrived, returns kNeedMore with
  // *consumed == 0 and bytes_wanted() telling how many bytes the whole command needs.
  Event Next(std::string_view in, size_t* consumed);

  // The last complete command; valid after kCommand until the next call.
  const Command& command() const { return command_; }

  // After kNeedMore: how many bytes of input, from the start of what Next() last
  // saw unconsumed, are needed before the next event can be produced. The caller
  // may use this to size its buffer; 0 when unknown (waiting for a line end).
  size_t bytes_wanted() const { return bytes_wanted_; }

  // True when the last error event (kBadFormat, kJobTooBig, kExpectedCrlf) came
  // from a put that beanstalkd already counted in cmd-put (it counts a put once
  // its four numbers parse, before the size and trailing-garbage checks).
  bool error_counts_as_put() const { return error_counts_as_put_; }

  uint64_t max_job_bytes() const { return max_job_bytes_; }

 private:
  enum class State : uint8_t { kLine, kDiscardLine, kDiscardBody };

  uint64_t max_job_bytes_;
  State state_ = State::kLine;
  uint64_t discard_left_ = 0;  // kDiscardBody: bytes still to throw away
  bool discard_saw_cr_ = false;  // kDiscardLine: the previous byte was '\r'
  size_t bytes_wanted_ = 0;
  bool error_counts_as_put_ = false;
  Command command_;
};

}  // namespace stalk::proto
