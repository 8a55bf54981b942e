#include "local/tube_registry.h"

namespace stalk::local {

Tube* TubeRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

Tube* TubeRegistry::FindOrCreate(std::string_view name) {
  if (Tube* t = Find(name)) return t;
  auto tube = std::make_unique<Tube>(name, timer_rank_);
  Tube* t = tube.get();
  t->set_registry_pos(list_.size());
  list_.push_back(t);
  by_name_.emplace(t->name(), std::move(tube));
  return t;
}

void TubeRegistry::Erase(Tube* t) {
  const size_t pos = t->registry_pos();
  Tube* last = list_.back();
  list_[pos] = last;
  last->set_registry_pos(pos);
  list_.pop_back();
  auto it = by_name_.find(std::string_view(t->name()));
  by_name_.erase(it);  // destroys t, whose name is the key: look up first
}

}  // namespace stalk::local
