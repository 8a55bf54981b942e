#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
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
  // kNeedMore may also come with *consumed > 0: the parser is throwing away an
  // over-long line or an oversized put body as it arrives; drop those bytes as
  // usual. Every other event consumes at least one byte. The result never
  // depends on how the input was split across calls.
  //
  // The grammar is beanstalkd 1.13's, quirks included (command words are matched
  // as prefixes in beanstalkd's order, "quitx" quits, "kick 5abc" kicks 5...);
  // see docs/protocol.md section 2.
  Event Next(std::string_view in, size_t* consumed);

  // The last complete command; valid after kCommand until the next call.
  const Command& command() const { return command_; }

  // After kNeedMore: how many bytes of input, from the start of what Next() last
  // saw unconsumed, are needed before the next event can be produced. The caller
  // may use this to size its buffer; 0 when unknown (waiting for a line end) and
  // while the parser is discarding (then it consumes whatever it is given, so
  // nothing needs to be buffered).
  size_t bytes_wanted() const { return bytes_wanted_; }


  // When the last event was an error that beanstalkd nevertheless counts in a
  // cmd-* counter, the counter's verb: a put once its four numbers parse (before
  // the size and trailing-garbage checks), and pause-tube, which beanstalkd counts before it validates
  // the tube name ("pause-tube -x 1" answers BAD_FORMAT and counts in the global
  // cmd-pause-tube). nullopt after any other event.
  std::optional<Verb> error_counted_verb() const {
    if (!error_counted_) return std::nullopt;
    return error_verb_;
  }

  uint64_t max_job_bytes() const { return max_job_bytes_; }

 private:
  enum class State : uint8_t { kLine, kDiscardLine, kDiscardBody };

  Event ParseLine(std::string_view in, size_t* consumed);
  Event ParsePut(std::string_view in, std::string_view args, size_t line_bytes, size_t* consumed);
  Event ParsePauseTube(std::string_view args);
  // The discard states; `done` is what this call already consumed before.
  Event DiscardLine(std::string_view in, size_t done, size_t* consumed);
  Event DiscardBody(std::string_view in, size_t done, size_t* consumed);
  Event CountedError(Event ev, Verb verb) {
    error_counted_ = true;
    error_verb_ = verb;
    return ev;
  }

  uint64_t max_job_bytes_;
  State state_ = State::kLine;
  uint64_t discard_left_ = 0;    // kDiscardBody: bytes still to throw away
  bool discard_saw_cr_ = false;  // kDiscardLine: the previous byte was '\r'
  size_t bytes_wanted_ = 0;
  bool error_counted_ = false;  // see error_counted_verb()
  Verb error_verb_ = Verb::kPut;
  Command command_;
};

}  // namespace stalk::proto
