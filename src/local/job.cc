#include "local/job.h"

#include <cstdint>
#include <cstring>
#include <new>

namespace stalk::local {

Job* Job::Create(queue::JobId id, Tube* tube, uint32_t pri, Duration delay, Duration ttr,
                 TimePoint created, std::string_view body) {
  if (body.size() > UINT32_MAX) return nullptr;  // the wire caps bodies at 1 GiB anyway
  void* mem = ::operator new(sizeof(Job) + body.size(), std::nothrow);
  if (mem == nullptr) return nullptr;
  Job* job = new (mem) Job();
  job->id_ = id;
  job->tube_ = tube;
  job->pri_ = pri;
  job->delay_ns_ = delay.count();
  job->ttr_ns_ = ttr.count();
  job->created_ns_ = created.time_since_epoch().count();
  job->body_size_ = static_cast<uint32_t>(body.size());
  job->set_state(queue::JobState::kReady);
  if (!body.empty()) std::memcpy(static_cast<char*>(mem) + sizeof(Job), body.data(), body.size());
  return job;
}

void Job::Destroy(Job* job) {
  if (job == nullptr) return;
  job->~Job();
  ::operator delete(job);
}

}  // namespace stalk::local
