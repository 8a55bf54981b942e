#include "redis_queue/job_key.h"

#include <cstdio>

#include "redis/slot.h"

namespace stalk::redis_queue {

uint16_t TubeSlot(std::string_view tube) { return redis::KeySlot(tube); }

std::string TubeKey(std::string_view tube, std::string_view what) {
  std::string key = "stalk:{";
  key.append(tube).append("}:").append(what);
  return key;
}

queue::JobId MakeJobId(uint16_t slot, uint64_t seq) {
  return (static_cast<uint64_t>(slot) << kSeqBits) + seq;
}

bool SplitJobId(queue::JobId id, uint16_t* slot, uint64_t* seq) {
  const uint64_t s = id >> kSeqBits;
  *seq = id & (kSeqLimit - 1);
  if (s >= redis::kSlotCount || *seq == 0) return false;
  *slot = static_cast<uint16_t>(s);
  return true;
}

std::string JobPrefix(uint16_t slot) {
  std::string key = "stalk:{";
  key.append(redis::TagForSlot(slot)).append("}:j:");
  return key;
}

std::string SeqKey(uint16_t slot) {
  std::string key = "stalk:{";
  key.append(redis::TagForSlot(slot)).append("}:seq");
  return key;
}

std::string PadSeq(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012llu", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace stalk::redis_queue
