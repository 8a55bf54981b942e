#include <string>

#include "stalk/client.h"

namespace stalk {
inline namespace v1 {

std::string_view ErrorName(Error e) {
  switch (e) {
    case Error::kNotFound: return "NOT_FOUND";
    case Error::kTimedOut: return "TIMED_OUT";
    case Error::kDeadlineSoon: return "DEADLINE_SOON";
    case Error::kDraining: return "DRAINING";
    case Error::kBuried: return "BURIED";
    case Error::kJobTooBig: return "JOB_TOO_BIG";
    case Error::kOutOfMemory: return "OUT_OF_MEMORY";
    case Error::kInternalError: return "INTERNAL_ERROR";
    case Error::kBadFormat: return "BAD_FORMAT";
    case Error::kUnknownCommand: return "UNKNOWN_COMMAND";
    case Error::kExpectedCrlf: return "EXPECTED_CRLF";
    case Error::kNotIgnored: return "NOT_IGNORED";
    case Error::kInvalidArgument: return "INVALID_ARGUMENT";
    case Error::kCallTimeout: return "CALL_TIMEOUT";
    case Error::kConnectFailed: return "CONNECT_FAILED";
    case Error::kDisconnected: return "DISCONNECTED";
    case Error::kProtocol: return "PROTOCOL_ERROR";
    case Error::kClosed: return "CLOSED";
  }
  return "UNKNOWN_ERROR";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(ErrorName(*error_));
  if (error_ == Error::kBuried && id_ != 0) out += " (job " + std::to_string(id_) + ")";
  if (!message_.empty()) out += ": " + message_;
  return out;
}

}  // namespace v1
}  // namespace stalk
