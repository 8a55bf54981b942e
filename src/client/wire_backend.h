#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/backend.h"

namespace stalk::detail {

// The facade over the beanstalkd protocol: one control Client for everything that
// does not wait, and one "lane" Client per concurrent Reserve (see stalk/stalk.h).
//
// Threading: thread-safe. mu_ guards only the lane bookkeeping and is never held
// across a network call.
class WireBackend : public Backend {
 public:
  static Result<std::unique_ptr<WireBackend>> Connect(const Options& options);

  Result<JobId> Put(std::string_view tube, std::string_view body, const PutOptions& opts) override;
  Result<Job> Reserve(std::string_view tube, std::optional<Duration> timeout) override;
  Result<void> Touch(JobId id) override;
  Result<void> Delete(JobId id) override;
  Result<void> Release(JobId id, uint32_t pri, Duration delay) override;
  Result<void> Bury(JobId id, uint32_t pri) override;
  Result<void> KickJob(JobId id) override;
  Result<Job> PeekBuried(std::string_view tube) override;
  Result<TubeStats> StatsTube(std::string_view tube) override;
  Result<uint64_t> EmptyTube(std::string_view tube) override;
  Client* client() override { return control_.get(); }
  std::string address() const override { return control_->address(); }

  // Lanes made so far (for tests: proves a Reserve did not use the control connection).
  size_t lanes_created() const;

 private:
  using Lane = std::shared_ptr<Client>;
  struct Held {
    std::string tube;
    Lane lane;
  };

  WireBackend(Options options, std::unique_ptr<Client> control);
  // An idle lane watching only `tube`, made if there is none.
  Result<Lane> TakeLane(std::string_view tube);
  void ReturnLane(const std::string& tube, Lane lane);
  // Removes and returns the lane holding job `id`, if this backend reserved it.
  std::optional<Held> TakeHeld(JobId id);

  const Options options_;
  std::unique_ptr<Client> control_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Lane>, std::less<>> idle_;  // by tube
  std::unordered_map<JobId, Held> held_;
  size_t lanes_created_ = 0;
};

}  // namespace stalk::detail
