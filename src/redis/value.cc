#include "redis/value.h"

#include <utility>

namespace stalk::redis {

Value Value::Integer(int64_t v) {
  Value out;
  out.type = Type::kInteger;
  out.integer = v;
  return out;
}

Value Value::String(std::string s) {
  Value out;
  out.type = Type::kString;
  out.str = std::move(s);
  return out;
}

Value Value::Status(std::string s) {
  Value out;
  out.type = Type::kStatus;
  out.str = std::move(s);
  return out;
}

Value Value::Error(std::string s) {
  Value out;
  out.type = Type::kError;
  out.str = std::move(s);
  return out;
}

Value Value::Array(std::vector<Value> elements) {
  Value out;
  out.type = Type::kArray;
  out.elements = std::move(elements);
  return out;
}

std::string_view Value::error_code() const {
  if (type != Type::kError) return {};
  std::string_view line = str;
  return line.substr(0, line.find(' '));
}

std::string Value::ToString() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kInteger:
      return std::to_string(integer);
    case Type::kString:
      return "\"" + str + "\"";
    case Type::kStatus:
      return "+" + str;
    case Type::kError:
      return "-" + str;
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].ToString();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace stalk::redis
