#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stalk/client.h"

namespace stalk::detail {

// What the stalk::Conn facade needs from a queue: the one seam between the facade
// and a transport. WireBackend speaks the beanstalkd protocol to stalkd or
// beanstalkd; a later backend speaks to a Redis Cluster directly (reference/
// distributed.md), behind the same facade. Bodies cross this interface as stored
// (compression is the facade's business); reads decompress per Options::decompress.
//
// Implementations are thread-safe, and a blocking Reserve on one thread never
// delays the other calls.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual Result<JobId> Put(std::string_view tube, std::string_view body,
                            const PutOptions& opts) = 0;
  virtual Result<Job> Reserve(std::string_view tube, std::optional<Duration> timeout) = 0;
  virtual Result<void> Touch(JobId id) = 0;
  virtual Result<void> Delete(JobId id) = 0;
  virtual Result<void> Release(JobId id, uint32_t pri, Duration delay) = 0;
  virtual Result<void> Bury(JobId id, uint32_t pri) = 0;
  virtual Result<void> KickJob(JobId id) = 0;
  virtual Result<Job> PeekBuried(std::string_view tube) = 0;
  virtual Result<TubeStats> StatsTube(std::string_view tube) = 0;
  // Deletes the tube's ready, delayed and buried jobs; returns how many.
  virtual Result<uint64_t> EmptyTube(std::string_view tube) = 0;

  virtual Client* client() = 0;  // nullptr when there is none
  virtual std::string address() const = 0;
};

}  // namespace stalk::detail
