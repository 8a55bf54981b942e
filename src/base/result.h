#pragma once

// Errors as values (STYLE.md convention 1): Status says whether an operation worked and,
// if not, why; Result<T> holds either a T or a failed Status. Both are [[nodiscard]], so a
// dropped error is a compiler warning. Result<T> is a small look-alike of tl::expected /
// std::expected (C++23) with the same spelling for the common calls (`ok()`, `operator bool`,
// `*r`, `r->`, `value()`, `status()`), so it can migrate later.
//
// Thread-safety: plain values; safe to move between threads, not to share mutably.

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stalk {
// An inline namespace keeps these symbols apart from libstalk's public stalk::Status and
// stalk::Result (include/stalk/client.h, inline namespace v1) in a program that links both.
inline namespace internal {

enum class StatusCode : uint8_t {
  kOk,
  kInvalidArgument,  // the caller asked for something that can never work
  kNotFound,         // no such file / entry
  kLocked,           // a resource is held by someone else (e.g. a directory lock)
  kNoSpace,          // out of disk space or of reserved room (ENOSPC, EDQUOT)
  kIOError,          // any other failed system call
  kCorruption,       // stored data is not what it should be
  kUnsupported,      // e.g. a file written by a newer format version
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // Maps errno to a code (ENOSPC/EDQUOT -> kNoSpace, ENOENT -> kNotFound, others ->
  // kIOError) with "<context>: <strerror>" as the message.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a T (ok) or a failed Status. Constructing a Result from an OK Status is a bug
// (asserted in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status error) : v_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // OK when a value is held, otherwise the error.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // inline namespace internal
}  // namespace stalk
