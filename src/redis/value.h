#pragma once

// Value: one RESP2 reply from Redis, owned (no pointers into a reader's buffer).
// Plain value type; safe to move between threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stalk::redis {

struct Value {
  enum class Type : uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;          // kInteger
  std::string str;              // kString, kStatus, kError (the whole error line, e.g. "ERR ...")
  std::vector<Value> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }

  static Value Nil() { return Value(); }
  static Value Integer(int64_t v);
  static Value String(std::string s);
  static Value Status(std::string s);
  static Value Error(std::string s);
  static Value Array(std::vector<Value> elements);

  // The first word of an error line ("MOVED", "ERR", ...); empty when not an error.
  std::string_view error_code() const;

  // A one-line rendering for logs and test messages: 42, "abc", +OK, -ERR x, (nil), [a, b].
  std::string ToString() const;

  friend bool operator==(const Value&, const Value&) = default;
};

}  // namespace stalk::redis
