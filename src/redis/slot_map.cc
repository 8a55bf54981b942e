#include "redis/slot_map.h"

#include <charconv>
#include <optional>

namespace stalk::redis {
namespace {

Status Malformed(std::string_view why, const Value& where) {
  return Status(StatusCode::kCorruption,
                "unexpected CLUSTER SLOTS reply: " + std::string(why) + " in " + where.ToString());
}

// An integer, or a string holding one (a reported 7.0.14 quirk).
std::optional<int64_t> AsInteger(const Value& v) {
  if (v.type == Value::Type::kInteger) return v.integer;
  if (v.type != Value::Type::kString) return std::nullopt;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.str.data(), v.str.data() + v.str.size(), out);
  if (v.str.empty() || ec != std::errc() || end != v.str.data() + v.str.size()) return std::nullopt;
  return out;
}

}  // namespace

Result<SlotMap> SlotMap::FromClusterSlots(const Value& reply, const Endpoint& asked) {
  if (reply.type != Value::Type::kArray) return Malformed("not an array", reply);
  SlotMap map;
  for (const Value& range : reply.elements) {
    if (range.type != Value::Type::kArray || range.elements.size() < 3) {
      return Malformed("a range is not [first, last, primary, ...]", range);
    }
    const std::optional<int64_t> first = AsInteger(range.elements[0]);
    const std::optional<int64_t> last = AsInteger(range.elements[1]);
    if (!first || !last || *first < 0 || *last >= kSlotCount || *first > *last) {
      return Malformed("bad slot numbers", range);
    }
    const Value& node = range.elements[2];
    if (node.type != Value::Type::kArray || node.elements.size() < 2 ||
        node.elements[0].type != Value::Type::kString) {
      return Malformed("bad node entry", range);
    }
    const std::optional<int64_t> port = AsInteger(node.elements[1]);
    if (!port || *port < 0 || *port > 65535) return Malformed("bad port", range);
    const std::string& host = node.elements[0].str;
    if (host == "?" || *port == 0) continue;  // endpoint unknown to that node for now
    const int16_t index = map.IndexOf(Endpoint{host.empty() ? asked.host : host,
                                               static_cast<uint16_t>(*port)});
    for (int64_t s = *first; s <= *last; ++s) map.owner_[s] = index;
  }
  return map;
}

SlotMap SlotMap::SingleNode(const Endpoint& node) {
  SlotMap map;
  map.owner_.fill(map.IndexOf(node));
  return map;
}

int16_t SlotMap::IndexOf(const Endpoint& node) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == node) return static_cast<int16_t>(i);
  }
  nodes_.push_back(node);
  return static_cast<int16_t>(nodes_.size() - 1);
}

const Endpoint* SlotMap::OwnerOf(uint16_t slot) const {
  const int16_t index = owner_[slot & (kSlotCount - 1)];
  return index == kNone ? nullptr : &nodes_[index];
}

void SlotMap::SetOwner(uint16_t slot, const Endpoint& node) {
  owner_[slot & (kSlotCount - 1)] = IndexOf(node);
}

std::vector<Endpoint> SlotMap::primaries() const {
  std::vector<bool> seen(nodes_.size());
  std::vector<Endpoint> out;
  for (int16_t index : owner_) {
    if (index == kNone || seen[index]) continue;
    seen[index] = true;
    out.push_back(nodes_[index]);
  }
  return out;
}

size_t SlotMap::covered_slots() const {
  size_t n = 0;
  for (int16_t index : owner_) n += index != kNone;
  return n;
}

}  // namespace stalk::redis
