#include "queue/types.h"

namespace stalk::queue {

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kReady: return "ready";
    case JobState::kReserved: return "reserved";
    case JobState::kDelayed: return "delayed";
    case JobState::kBuried: return "buried";
  }
  return "invalid";
}

}  // namespace stalk::queue
