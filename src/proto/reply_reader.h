#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/command.h"

namespace stalk::proto {

// One reply of the server as it came off the wire, split into its parts.
struct RawReply {
  std::string line;               // the header line without its CRLF: "RESERVED 5 3", "NOT_FOUND"
  std::string_view word() const;  // the first token of `line` ("RESERVED")
  std::string_view args() const;  // what follows the first space, "" if none ("5 3")
  // Only for RESERVED, FOUND and OK: the id (0 for OK) and exactly <bytes> bytes of
  // data, without the CRLF that follows them.
  bool has_body = false;
  uint64_t id = 0;
  std::string body;
};

// Incremental reader of the server side of the protocol, for clients. Like Parser it
// does no I/O: the caller hands it whatever bytes arrived and it says how many it
// consumed and whether a reply is complete.
//
// A reply is one header line ended by CRLF; when the line is "RESERVED <id> <bytes>",
// "FOUND <id> <bytes>" or "OK <bytes>", exactly <bytes> bytes of data and a CRLF
// follow. The data is counted, never searched, so bodies that contain "\r\n" or look
// like reply lines come out intact (the bugs of jackd and go-jackd, seeds.md §3, do
// not exist here). The reader copies what it consumes, so the caller never keeps more
// than one read's worth of input and the result never depends on how the input was
// split across calls.
//
// Not thread-safe; one reader per connection.
class ReplyReader {
 public:
  enum class Event : uint8_t {
    kNeedMore,  // everything given was consumed; nothing complete yet
    kReply,     // reply() is complete; call TakeReply() before the next Next()
    kBadReply,  // the input is not a reply (over-long line, bad <bytes>, data not
                // followed by CRLF); error() says why. The stream cannot be
                // resynchronised: drop the connection.
  };

  // `max_body_bytes` bounds the data of one reply (a job body or a YAML document).
  explicit ReplyReader(uint64_t max_body_bytes = kMaxMaxJobBytes);

  // Consumes a prefix of `in` (sets *consumed). Returns kReply as soon as one reply
  // is complete, leaving the rest of `in` unconsumed; call again with the rest.
  // After kBadReply every later call returns kBadReply.
  Event Next(std::string_view in, size_t* consumed);

  // The completed reply, moved out; the reader starts on the next one.
  RawReply TakeReply();

  const std::string& error() const { return error_; }

  // Longest header line accepted, CRLF included. The longest legal reply line is
  // "USING <200-byte name>\r\n"; this leaves room for error text of odd servers.
  static constexpr size_t kMaxReplyLineBytes = 1024;

 private:
  enum class State : uint8_t { kLine, kBody, kBodyCrlf, kDone, kBad };

  Event ReadLine(std::string_view in, size_t* consumed);
  // Parses reply_.line once it is complete: sets up the body if the line announces one.
  Event FinishLine();
  Event Bad(std::string why);

  uint64_t max_body_bytes_;
  State state_ = State::kLine;
  uint64_t body_left_ = 0;  // kBody: data bytes still to come
  size_t crlf_seen_ = 0;    // kBodyCrlf: how many of the trailing "\r\n" arrived
  RawReply reply_;
  std::string error_;
};

}  // namespace stalk::proto
