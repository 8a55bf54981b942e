#pragma once

// The exit codes of `stalk`, which scripts rely on (docs/cli.md "Exit codes"),
// and the error value the CLI's own code passes around.
//
// stalk::Result / stalk::Status of <stalk/client.h> describe the client's
// failures; cli::Outcome<T> describes the CLI's, each already bound to the exit
// code it ends the process with. Plain values; no threading concerns.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace stalk::cli {

enum class ExitCode : int {
  kOk = 0,
  kServerError = 1,  // the server answered an error (NOT_FOUND, ...)
  kUsage = 2,        // bad arguments
  kConnection = 3,   // could not connect, or the connection broke
  kTimedOut = 4,     // reserve --timeout found no job
  kBadInput = 5,     // a bad import file or unreadable input
};

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

struct Failure {
  ExitCode code = ExitCode::kUsage;
  std::string message;  // one line for stderr, without the "stalk: " prefix
};

// Either a T or a Failure. Same spelling as stalk::Result (ok(), *r, r->, failure()).
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Outcome(Failure f) : v_(std::in_place_index<1>, std::move(f)) {}    // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok().
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

inline Failure UsageError(std::string message) { return {ExitCode::kUsage, std::move(message)}; }
inline Failure BadInput(std::string message) { return {ExitCode::kBadInput, std::move(message)}; }

}  // namespace stalk::cli
