#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stalk::proto {

// Every reply line of the protocol. The wire text of each lives only in reply.cc.
enum class Reply : uint8_t {
  kOutOfMemory,     // OUT_OF_MEMORY
  kInternalError,   // INTERNAL_ERROR
  kBadFormat,       // BAD_FORMAT
  kUnknownCommand,  // UNKNOWN_COMMAND
  kExpectedCrlf,    // EXPECTED_CRLF
  kJobTooBig,       // JOB_TOO_BIG
  kDraining,        // DRAINING
  kDeadlineSoon,    // DEADLINE_SOON
  kTimedOut,        // TIMED_OUT
  kNotFound,        // NOT_FOUND
  kNotIgnored,      // NOT_IGNORED
  kDeleted,         // DELETED
  kReleased,        // RELEASED
  kBuried,          // BURIED  (bury, and release when the job could not be re-queued)
  kTouched,         // TOUCHED
  kKickedOne,       // KICKED  (kick-job)
  kPaused,          // PAUSED
};

// The bare word of a reply, without CRLF ("NOT_FOUND").
std::string_view ReplyWord(Reply r);

// Encoders append one complete reply, CRLF included, to `out`.
void AppendReply(std::string* out, Reply r);                         // "NOT_FOUND\r\n"
void AppendInserted(std::string* out, uint64_t id);                  // "INSERTED <id>\r\n"
void AppendBuriedId(std::string* out, uint64_t id);                  // "BURIED <id>\r\n"
void AppendKicked(std::string* out, uint64_t count);                 // "KICKED <n>\r\n"
void AppendWatching(std::string* out, uint64_t count);               // "WATCHING <n>\r\n"
void AppendUsing(std::string* out, std::string_view tube);           // "USING <tube>\r\n"
// "RESERVED <id> <bytes>\r\n<body>\r\n"
void AppendReserved(std::string* out, uint64_t id, std::string_view body);
// "FOUND <id> <bytes>\r\n<body>\r\n"
void AppendFound(std::string* out, uint64_t id, std::string_view body);
// "OK <bytes>\r\n<yaml>\r\n"
void AppendOk(std::string* out, std::string_view yaml);

}  // namespace stalk::proto
