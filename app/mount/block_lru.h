// The least-recently-read bookkeeping of `sparseio mount --cache-max`: which
// blocks of the cache to evict, oldest read first, to free a given number of
// bytes. Pure: no clock (a monotonic counter orders the reads), no lock (the
// caller serializes), no I/O (the caller punches what it is told).
//
// A block is (object, index): bytes [index * block_size, +block_size) of one
// cached object. Blocks present in the cache but never read during this
// mount (a warm cache, or bytes the readahead brought) are noted as present
// and count as older than every block read: they go first.
//
// Cost: touch and note_present are O(log n); take_oldest is O(k log n) for k
// blocks taken. A cache of 10^5 blocks costs a few MiB of memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace sparseio::mount {

struct BlockId {
  uint32_t object = 0;
  uint64_t index = 0;
  friend auto operator<=>(const BlockId&, const BlockId&) = default;
};

class BlockLru {
 public:
  // A read touched `id`, which holds `bytes` (less than the block size only
  // at the end of an object): it becomes the most recently read.
  void touch(BlockId id, uint64_t bytes);

  // `id` is present in the cache; tracked as never read unless it already is.
  void note_present(BlockId id, uint64_t bytes);

  // Removes and returns the least recently read blocks whose bytes add up to
  // at least `bytes` (all of them when they hold less), oldest first.
  std::vector<BlockId> take_oldest(uint64_t bytes);

  // Forgets `id` (evicted by someone else); no-op when untracked.
  void forget(BlockId id);

  size_t size() const { return ticks_.size(); }
  uint64_t tracked_bytes() const { return tracked_bytes_; }

 private:
  struct Entry {
    uint64_t tick;  // 0: never read during this mount
    uint64_t bytes;
  };
  void erase(std::map<BlockId, Entry>::iterator it);

  uint64_t clock_ = 0;  // ticks of reads start at 1
  uint64_t tracked_bytes_ = 0;
  std::map<BlockId, Entry> ticks_;
  std::set<std::tuple<uint64_t, BlockId>> order_;  // (tick, id): oldest first
};

}  // namespace sparseio::mount
