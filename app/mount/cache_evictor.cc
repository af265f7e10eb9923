#include "mount/cache_evictor.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>

namespace sparseio::mount {
namespace {

uint64_t allocated(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace

CacheEvictor::CacheEvictor(std::vector<Object*> objects, uint64_t cap)
    : objects_(std::move(objects)), cap_(cap), thread_([this] { run(); }) {}

CacheEvictor::~CacheEvictor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CacheEvictor::on_read(uint32_t object, uint64_t offset, uint64_t bytes) {
  const uint64_t size = objects_[object]->size();
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    for (uint64_t b = offset / kBlock; b * kBlock < offset + bytes; ++b)
      lru_.touch({object, b}, std::min(kBlock, size - b * kBlock));
    read_since_check_ += bytes;
    wake = read_since_check_ >= cap_ / 16;
  }
  if (wake) wake_.notify_one();
}

uint64_t CacheEvictor::allocated_bytes() const {
  uint64_t total = 0;
  for (const Object* o : objects_)
    total += allocated(o->destination()) + allocated(o->destination() + ".sparseio");
  return total;
}

void CacheEvictor::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(250),
                   [&] { return stopping_ || read_since_check_ >= cap_ / 16; });
    if (stopping_) break;
    read_since_check_ = 0;
    lock.unlock();
    try {
      enforce();
    } catch (const std::exception& e) {
      spdlog::warn("cache eviction failed (will try again): {}", e.what());
    }
    lock.lock();
  }
}

void CacheEvictor::note_present_blocks(const std::vector<std::vector<ByteRange>>& present) {
  // Blocks present but never read in this mount (a warm cache, readahead
  // nobody read yet) are what the LRU does not know: they go first.
  for (uint32_t i = 0; i < present.size(); ++i) {
    const uint64_t size = objects_[i]->size();
    for (const ByteRange& r : present[i]) {
      for (uint64_t b = r.begin / kBlock; b * kBlock < r.end; ++b)
        lru_.note_present({i, b}, std::min(kBlock, size - b * kBlock));
    }
  }
}

void CacheEvictor::enforce() {
  // A few rounds at most: each one frees what the LRU believes it holds,
  // and the next measures what the filesystem says.
  for (int round = 0; round < 4; ++round) {
    const uint64_t now = allocated_bytes();
    if (now <= cap_) return;
    const uint64_t target = cap_ / 10 * 9;
    // The present ranges are listed outside the lock: reads touch the LRU
    // under it and must not wait for a walk of 10^5 ranges.
    std::vector<std::vector<ByteRange>> present;
    for (const Object* o : objects_) present.push_back(o->stat(true).ranges);
    std::vector<BlockId> victims;
    {
      std::lock_guard lock(mu_);
      note_present_blocks(present);
      victims = lru_.take_oldest(now - target);
    }
    if (victims.empty()) return;
    // One punch per object, adjacent blocks as one range.
    std::sort(victims.begin(), victims.end());
    std::map<uint32_t, std::vector<RangeSpec>> ranges;
    for (size_t i = 0; i < victims.size();) {
      size_t j = i + 1;
      while (j < victims.size() && victims[j].object == victims[i].object &&
             victims[j].index == victims[j - 1].index + 1)
        ++j;
      ranges[victims[i].object].push_back(
          RangeSpec::span(victims[i].index * kBlock, (victims[j - 1].index - victims[i].index + 1) * kBlock));
      i = j;
    }
    for (const auto& [object, specs] : ranges) objects_[object]->punch(specs);
    spdlog::info("cache over --cache-max ({} > {} bytes): evicted {} blocks of {} files", now, cap_,
                 victims.size(), ranges.size());
  }
}

}  // namespace sparseio::mount
