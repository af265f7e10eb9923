#include "mount/block_lru.h"

namespace sparseio::mount {

void BlockLru::erase(std::map<BlockId, Entry>::iterator it) {
  order_.erase({it->second.tick, it->first});
  tracked_bytes_ -= it->second.bytes;
  ticks_.erase(it);
}

void BlockLru::touch(BlockId id, uint64_t bytes) {
  const uint64_t tick = ++clock_;
  auto it = ticks_.find(id);
  if (it != ticks_.end()) {
    order_.erase({it->second.tick, id});
    tracked_bytes_ = tracked_bytes_ - it->second.bytes + bytes;
    it->second = {tick, bytes};
  } else {
    ticks_.emplace(id, Entry{tick, bytes});
    tracked_bytes_ += bytes;
  }
  order_.insert({tick, id});
}

void BlockLru::note_present(BlockId id, uint64_t bytes) {
  if (ticks_.contains(id)) return;
  ticks_.emplace(id, Entry{0, bytes});
  tracked_bytes_ += bytes;
  order_.insert({0, id});
}

std::vector<BlockId> BlockLru::take_oldest(uint64_t bytes) {
  std::vector<BlockId> out;
  uint64_t freed = 0;
  while (freed < bytes && !order_.empty()) {
    const BlockId id = std::get<1>(*order_.begin());
    auto it = ticks_.find(id);
    freed += it->second.bytes;
    erase(it);
    out.push_back(id);
  }
  return out;
}

void BlockLru::forget(BlockId id) {
  auto it = ticks_.find(id);
  if (it != ticks_.end()) erase(it);
}

}  // namespace sparseio::mount
