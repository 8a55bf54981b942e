#pragma once

// RedisQueue's key schema (docs/redis_schema.md): where a tube's and a job's keys live, and
// how a job id carries its slot. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "queue/types.h"

namespace stalk::redis_queue {

// id = slot * 2^39 + seq, seq = 1, 2, ... from the slot's counter: any node finds a job's
// shard from its id alone, and ids stay below 2^53 (exact in a double, for JavaScript clients).
inline constexpr int kSeqBits = 39;
inline constexpr uint64_t kSeqLimit = uint64_t{1} << kSeqBits;  // seqs are 1 .. kSeqLimit-1

// The registry of tubes that hold or held jobs (a SET in its own slot).
inline constexpr std::string_view kRegistryKey = "stalk:tubes";

// The slot of every key of `tube` (its keys are "stalk:{<tube>}:..."; tube names cannot
// contain braces).
uint16_t TubeSlot(std::string_view tube);

// "stalk:{<tube>}:<what>", what = ready, delayed, reserved, buried, meta or wake.
std::string TubeKey(std::string_view tube, std::string_view what);

queue::JobId MakeJobId(uint16_t slot, uint64_t seq);
// The slot and seq of `id`; false for an id no job can have (0, seq 0, slot >= 16384).
bool SplitJobId(queue::JobId id, uint16_t* slot, uint64_t* seq);

// "stalk:{<g>}:j:" where g = redis::TagForSlot(slot): the job hashes of that slot are this
// prefix plus the 12-digit padded seq.
std::string JobPrefix(uint16_t slot);
// "stalk:{<g>}:seq": the slot's id counter.
std::string SeqKey(uint16_t slot);
// seq as 12 decimal digits (2^39 has 12), the member of the tube sets: equal scores then
// sort by seq, which is beanstalkd's (pri, id) order within a tube.
std::string PadSeq(uint64_t seq);

}  // namespace stalk::redis_queue
