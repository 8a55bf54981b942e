#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "local/tube.h"

namespace stalk::local {

// Every existing tube: found by name in O(1) through a hash map, and listed in
// beanstalkd's list-tubes order, which is creation order except that removing a
// tube moves the last one into its place (beanstalkd ms.c ms_delete).
//
// The registry owns the tubes but not their lifetime rules: LocalQueue counts
// references and calls Erase(). Not thread-safe.
class TubeRegistry {
 public:
  // `timer_rank` is given to every tube's Timer.
  explicit TubeRegistry(uint8_t timer_rank) : timer_rank_(timer_rank) {}
  TubeRegistry(const TubeRegistry&) = delete;
  TubeRegistry& operator=(const TubeRegistry&) = delete;

  // The tube named `name`, or nullptr.
  Tube* Find(std::string_view name) const;
  // The tube named `name`, created (with no references, at the end of the list)
  // if it does not exist.
  Tube* FindOrCreate(std::string_view name);
  // Destroys `t`. REQUIRES: t belongs to this registry and nothing refers to it.
  void Erase(Tube* t);

  // All tubes in list-tubes order. Invalidated by FindOrCreate() and Erase().
  const std::vector<Tube*>& list() const { return list_; }
  size_t size() const { return list_.size(); }

 private:
  const uint8_t timer_rank_;
  // Keys are views of the tubes' own names, which never move.
  std::unordered_map<std::string_view, std::unique_ptr<Tube>> by_name_;
  std::vector<Tube*> list_;
};

}  // namespace stalk::local
