#include "client/wire_backend.h"

namespace stalk::detail {

WireBackend::WireBackend(Options options, std::unique_ptr<Client> control)
    : options_(std::move(options)), control_(std::move(control)) {}

Result<std::unique_ptr<WireBackend>> WireBackend::Connect(const Options& options) {
  Result<std::unique_ptr<Client>> control = Client::Connect(options);
  if (!control.ok()) return control.status();
  return std::unique_ptr<WireBackend>(new WireBackend(options, std::move(*control)));
}

size_t WireBackend::lanes_created() const {
  std::lock_guard lock(mu_);
  return lanes_created_;
}

Result<WireBackend::Lane> WireBackend::TakeLane(std::string_view tube) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(tube);
    if (it != idle_.end() && !it->second.empty()) {
      Lane lane = std::move(it->second.back());
      it->second.pop_back();
      return lane;
    }
  }
  Result<std::unique_ptr<Client>> c = Client::Connect(options_);
  if (!c.ok()) return c.status();
  Lane lane(std::move(*c));
  if (tube != "default") {
    if (Result<uint64_t> w = lane->Watch(tube); !w.ok()) return w.status();
    if (Result<uint64_t> i = lane->Ignore("default"); !i.ok()) return i.status();
  }
  std::lock_guard lock(mu_);
  ++lanes_created_;
  return lane;
}

void WireBackend::ReturnLane(const std::string& tube, Lane lane) {
  std::lock_guard lock(mu_);
  idle_[tube].push_back(std::move(lane));
}

std::optional<WireBackend::Held> WireBackend::TakeHeld(JobId id) {
  std::lock_guard lock(mu_);
  auto it = held_.find(id);
  if (it == held_.end()) return std::nullopt;
  Held h = std::move(it->second);
  held_.erase(it);
  return h;
}

Result<JobId> WireBackend::Put(std::string_view tube, std::string_view body,
                               const PutOptions& opts) {
  return control_->PutIn(tube, body, opts);
}

Result<Job> WireBackend::Reserve(std::string_view tube, std::optional<Duration> timeout) {
  Result<Lane> lane = TakeLane(tube);
  if (!lane.ok()) return lane.status();
  Result<Job> job = (*lane)->Reserve(timeout);
  std::string name(tube);
  if (!job.ok()) {
    // The lane holds nothing; after a connection error its Client reconnects on
    // its next call, so it stays usable.
    ReturnLane(name, std::move(*lane));
    return job;
  }
  std::lock_guard lock(mu_);
  held_[job->id] = Held{std::move(name), std::move(*lane)};
  return job;
}

Result<void> WireBackend::Touch(JobId id) {
  Lane lane;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(id);
    if (it != held_.end()) lane = it->second.lane;
  }
  return lane ? lane->Touch(id) : control_->Touch(id);
}

Result<void> WireBackend::Delete(JobId id) {
  std::optional<Held> held = TakeHeld(id);
  if (!held) return control_->Delete(id);
  // Whatever the answer, the lane holds no reservation afterwards: deleted, or not
  // ours any more (NOT_FOUND after a reconnect), or the connection is gone.
  Result<void> r = held->lane->Delete(id);
  ReturnLane(held->tube, std::move(held->lane));
  return r;
}

Result<void> WireBackend::Release(JobId id, uint32_t pri, Duration delay) {
  std::optional<Held> held = TakeHeld(id);
  if (!held) return control_->Release(id, pri, delay);
  Result<void> r = held->lane->Release(id, pri, delay);
  ReturnLane(held->tube, std::move(held->lane));
  return r;
}

Result<void> WireBackend::Bury(JobId id, uint32_t pri) {
  std::optional<Held> held = TakeHeld(id);
  if (!held) return control_->Bury(id, pri);
  Result<void> r = held->lane->Bury(id, pri);
  ReturnLane(held->tube, std::move(held->lane));
  return r;
}

Result<void> WireBackend::KickJob(JobId id) { return control_->KickJob(id); }

Result<Job> WireBackend::PeekBuried(std::string_view tube) { return control_->PeekBuriedIn(tube); }

Result<TubeStats> WireBackend::StatsTube(std::string_view tube) {
  return control_->StatsTube(tube);
}

Result<uint64_t> WireBackend::EmptyTube(std::string_view tube) {
  uint64_t deleted = 0;
  for (auto peek : {&Client::PeekReadyIn, &Client::PeekDelayedIn, &Client::PeekBuriedIn}) {
    while (true) {
      Result<Job> job = (control_.get()->*peek)(tube);
      if (!job.ok()) {
        if (job.error() == Error::kNotFound) break;
        return job.status();
      }
      Result<void> d = control_->Delete(job->id);
      if (d.ok()) {
        ++deleted;
      } else if (d.error() != Error::kNotFound) {
        // kNotFound: reserved or deleted by someone between the peek and the
        // delete; the next peek moves on. Anything else is a real failure.
        return d.status();
      }
    }
  }
  return deleted;
}

}  // namespace stalk::detail
