#include "redis/resp.h"

#include <hiredis/hiredis.h>

#include <cstdlib>

namespace stalk::redis {
namespace {

Value FromHiredis(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return Value::String(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Value::Status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Value::Error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return Value::Integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Value> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) elements.push_back(FromHiredis(r->element[i]));
      return Value::Array(std::move(elements));
    }
    default:  // REDIS_REPLY_NIL; hiredis 0.14 has no RESP3 types
      return Value::Nil();
  }
}

}  // namespace

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* out = nullptr;
  const int len = redisFormatCommandArgv(&out, static_cast<int>(args.size()), argv.data(),
                                         lens.data());
  if (len < 0 || out == nullptr) std::abort();  // only on out of memory
  std::string encoded(out, static_cast<size_t>(len));
  redisFreeCommand(out);
  return encoded;
}

RespReader::RespReader() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) std::abort();  // only on out of memory
}

RespReader::~RespReader() { redisReaderFree(reader_); }

void RespReader::Feed(std::string_view bytes) {
  // Fails only when the reader is already in an error state, which Next() reports.
  redisReaderFeed(reader_, bytes.data(), bytes.size());
}

Result<std::optional<Value>> RespReader::Next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    return Status(StatusCode::kCorruption, std::string("bad RESP from Redis: ") + reader_->errstr);
  }
  if (raw == nullptr) return std::optional<Value>();
  auto* reply = static_cast<redisReply*>(raw);
  Value v = FromHiredis(reply);
  freeReplyObject(reply);
  return std::optional<Value>(std::move(v));
}

}  // namespace stalk::redis
