// `sparseio mount --cache-max SIZE`: keeps the allocated bytes of the cache
// (its data files and sidecars, as st_blocks counts them) at or below SIZE
// while reads go on, by evicting the least recently read blocks through
// Object::punch (the crash-safe path: claims retired durably, then holes).
//
// A thread of its own measures the cache every 250 ms, and at once when
// reads have brought in a sixteenth of the cap since it last looked. When
// the cache is over the cap it evicts down to 90% of it, so the sidecar
// rewrite each punch does (ClaimLog::evict compacts the whole log: O(ranges)
// and an fsync + rename) is paid once per tenth of the cap evicted, with all
// of an object's blocks in one punch call, never once per block.
//
// The choice of blocks is BlockLru's (pure, unit-tested); this class owns
// the lock, the clock and the I/O around it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mount/block_lru.h"
#include "sparseio/object.h"

namespace sparseio::mount {

class CacheEvictor {
 public:
  // 1 MiB blocks: a cache of 100 GiB is 10^5 of them (a few MiB of
  // bookkeeping), and a block is larger than any filesystem block, so each
  // punch returns whole blocks to the filesystem.
  static constexpr uint64_t kBlock = 1 << 20;

  // Starts the thread. `objects` must outlive the evictor.
  CacheEvictor(std::vector<Object*> objects, uint64_t cap);
  ~CacheEvictor();  // stops the thread (an eviction in progress completes)
  CacheEvictor(const CacheEvictor&) = delete;
  CacheEvictor& operator=(const CacheEvictor&) = delete;

  // A read of `bytes` at `offset` of object `object` succeeded. Thread-safe.
  void on_read(uint32_t object, uint64_t offset, uint64_t bytes);

  // The cache's allocated bytes now (data files and sidecars).
  uint64_t allocated_bytes() const;

 private:
  void run();
  void enforce();
  void note_present_blocks(const std::vector<std::vector<ByteRange>>& present);  // requires mu_

  const std::vector<Object*> objects_;
  const uint64_t cap_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  BlockLru lru_;
  uint64_t read_since_check_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace sparseio::mount
