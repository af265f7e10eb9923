// Filesystem block alignment and hole punching.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_range.h"

namespace sparseio {

inline uint64_t align_down(uint64_t value, uint64_t block) { return value - value % block; }
inline uint64_t align_up(uint64_t value, uint64_t block) {
  uint64_t rem = value % block;
  return rem == 0 ? value : value + (block - rem);
}

// The whole blocks that lie inside `r` (empty when there are none).
ByteRange whole_blocks_inside(ByteRange r, uint64_t block);

// The blocks that `r` touches, rounded outwards.
ByteRange blocks_around(ByteRange r, uint64_t block);

// st_blksize of fd (4096 on ext4); `path` names it in errors.
uint64_t block_size_of(int fd, const std::string& path);

enum class PunchResult { kPunched, kNothingToPunch, kUnsupported };

// Deallocates the whole blocks inside `r` with fallocate(PUNCH_HOLE|KEEP_SIZE).
// The partial blocks at either edge are left alone (the caller zeroes them if
// it must). A filesystem that answers ENOTSUP/EOPNOTSUPP gives kUnsupported;
// other failures throw Error naming `path` and the offsets.
PunchResult punch_hole(int fd, ByteRange r, uint64_t block, const std::string& path);

}  // namespace sparseio
