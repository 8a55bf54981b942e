#include "base/result.h"

#include <cerrno>
#include <cstring>

namespace stalk {
inline namespace internal {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kLocked:
      return "locked";
    case StatusCode::kNoSpace:
      return "no space";
    case StatusCode::kIOError:
      return "I/O error";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

Status Status::FromErrno(int err, std::string_view context) {
  StatusCode code = StatusCode::kIOError;
  if (err == ENOSPC || err == EDQUOT) code = StatusCode::kNoSpace;
  if (err == ENOENT) code = StatusCode::kNotFound;
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  return Status(code, std::move(msg));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // inline namespace internal
}  // namespace stalk
