#pragma once

// RESP2 encoding and decoding on hiredis 0.14.1's stand-alone parts (redisFormatCommandArgv
// and redisReader): no hiredis I/O is used. Not thread-safe; one RespReader per connection.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "redis/value.h"

struct redisReader;

namespace stalk::redis {

// One command as a RESP array of bulk strings (binary-safe).
std::string EncodeCommand(const std::vector<std::string>& args);

// Incremental reply decoder: Feed() bytes as they arrive, then call Next() until it says it
// needs more.
class RespReader {
 public:
  RespReader();
  ~RespReader();
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  void Feed(std::string_view bytes);
  // The next complete reply; nullopt when more bytes are needed; kCorruption on a protocol
  // error (the stream is unusable afterwards).
  Result<std::optional<Value>> Next();

 private:
  redisReader* reader_;
};

}  // namespace stalk::redis
