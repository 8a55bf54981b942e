#pragma once

// SlotMap: which primary owns each of the 16384 slots, as read from CLUSTER SLOTS (or one
// node for everything, for a plain Redis). A value type; not thread-safe.

#include <array>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "redis/endpoint.h"
#include "redis/slot.h"
#include "redis/value.h"

namespace stalk::redis {

class SlotMap {
 public:
  SlotMap() { owner_.fill(kNone); }

  // Parses a CLUSTER SLOTS reply: an array of [first, last, [host, port, id, ...],
  // replicas...]. `asked` is the node that answered: an empty host means that node's host
  // (Redis' "same endpoint" convention). Ranges whose primary has an unknown endpoint ("?")
  // are skipped, leaving those slots uncovered, as are shards without slots (they simply do
  // not appear). Slot numbers are accepted as integers or as numeric strings. kCorruption
  // with a description for anything else malformed.
  static Result<SlotMap> FromClusterSlots(const Value& reply, const Endpoint& asked);

  // Every slot owned by `node`: a Redis with cluster support disabled.
  static SlotMap SingleNode(const Endpoint& node);

  // The owner of `slot`, or nullptr when the map does not cover it.
  const Endpoint* OwnerOf(uint16_t slot) const;
  // Records a MOVED redirect for one slot.
  void SetOwner(uint16_t slot, const Endpoint& node);
  // Distinct owners, ordered by the lowest slot each owns.
  std::vector<Endpoint> primaries() const;
  size_t covered_slots() const;

 private:
  static constexpr int16_t kNone = -1;
  int16_t IndexOf(const Endpoint& node);

  std::vector<Endpoint> nodes_;
  std::array<int16_t, kSlotCount> owner_;  // index into nodes_, or kNone
};

}  // namespace stalk::redis
