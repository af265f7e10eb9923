#include "engine/read_block.h"

#include <algorithm>
#include <bit>

namespace sparseio {
namespace {

uint64_t align_down(uint64_t v, uint64_t a) { return v / a * a; }
uint64_t align_up(uint64_t v, uint64_t a, uint64_t limit) {
  const uint64_t up = v % a == 0 ? v : (v / a + 1) * a;
  return up < v ? limit : std::min(up, limit);  // no wrap past 2^64
}

}  // namespace

ReadBlocks::ReadBlocks(ReadBlockOptions options) : options_(options) {
  options_.min_block = std::bit_floor(std::max<uint64_t>(options_.min_block, 1));
  options_.remembered = std::max<size_t>(options_.remembered, 1);
}

uint64_t ReadBlocks::block(uint64_t max_block) const {
  max_block = std::bit_floor(std::max<uint64_t>(max_block, 1));
  if (max_block <= options_.min_block) return max_block;
  const unsigned shift = std::min<unsigned>(level_, std::countr_zero(max_block));
  return std::max(options_.min_block, max_block >> shift);
}

bool ReadBlocks::clustered(uint64_t offset) const {
  return std::any_of(recent_.begin(), recent_.end(), [&](uint64_t seen) {
    return (offset > seen ? offset - seen : seen - offset) < options_.near;
  });
}

void ReadBlocks::remember(uint64_t offset) {
  if (recent_.size() < options_.remembered) {
    recent_.push_back(offset);
    return;
  }
  recent_[next_] = offset;
  next_ = (next_ + 1) % recent_.size();
}

ByteRange ReadBlocks::on_miss(ByteRange r, uint64_t max_block) {
  const uint64_t size = options_.object_size;
  r = r.intersect({0, size});
  if (r.empty()) return {0, 0};
  max_block = std::bit_floor(std::max<uint64_t>(max_block, 1));
  // The ends of the object: the whole max_block there, the level untouched.
  if (r.begin < max_block) return {0, align_up(r.end, max_block, size)};
  if (size - r.end < max_block) return {std::min(r.begin, size - max_block), size};
  // The pattern: a miss close to a recent one doubles the block, this miss's
  // included (the cluster is there now); one far from all uses the block the
  // pattern had earned and halves it for the next (it may still be the first
  // of a cluster: sqlite's interior page, then its leaf).
  uint64_t block = this->block(max_block);
  if (clustered(r.begin)) {
    if (level_ > 0) --level_;
    block = this->block(max_block);
  } else if (block > options_.min_block) {
    ++level_;
  }
  remember(r.begin);
  return {align_down(r.begin, block), align_up(r.end, block, size)};
}

}  // namespace sparseio
