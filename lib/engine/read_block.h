// The block an on-demand read fetches (Object::read_at of missing bytes):
// small for a reader whose reads are isolated, growing while its reads
// cluster, and whole blocks at the ends of the object. Pure decisions on
// offsets, like engine/readahead.h: no clock, no lock, no I/O; the handle
// calls it under its own mutex.
//
// Why not one size: a fixed block of TTFB x bandwidth (1 MiB at 20 ms)
// made 1,000 random 4 KiB preads of a 1 GiB object fetch 654 MiB for 4 MB
// read (bench --only mount), while a small one costs the clustered readers
// a round trip: sqlite's point query on the bench's 50 MB database reads
// page 1, page 2, then an interior page at 30.52 MB and its leaf 168 KB
// further (strace), which one 1 MiB block brings together and a 64 KiB one
// does not. So the block follows the reader, as readahead follows a
// sequential one:
//  - the size is max_block >> level; a miss within `near` bytes of one of
//    the last `remembered` misses is clustered and lowers the level (its
//    block and the next double, up to max_block), a miss near none is
//    isolated: it gets the block as it was and raises the level (the next
//    block halves, down to min_block). A reader starts at
//    max_block (level 0): nothing is known yet, and the first reads of a
//    format (a header, its directory) are the ones most likely followed by
//    reads close by. Four isolated misses bring it from 1 MiB to 64 KiB.
//  - a miss within max_block of either end of the object fetches the whole
//    max_block there, whatever the level: formats keep their directory at
//    the ends (zip's central directory before its end record, Parquet's
//    footer, sqlite's page 1 and schema, a tar's first headers). The last
//    1 MiB block of an 8.4 MB zip was its last 35 KB, and `unzip -l` needed
//    a second round trip for the directory before it. Such a miss says
//    nothing of the reader's pattern: it leaves the level as it is.
//  - the block is aligned to its size (so that blocks of different sizes
//    still tile the object) and stretched to cover the whole read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

struct ReadBlockOptions {
  uint64_t min_block = 64u << 10;  // an isolated reader's block (a power of two)
  size_t remembered = 32;          // recent misses a new one is compared with
  uint64_t near = 1u << 20;        // a miss this close to a remembered one is clustered
  uint64_t object_size = UINT64_MAX;
};

class ReadBlocks {
 public:
  explicit ReadBlocks(ReadBlockOptions options = {});

  // The read `r` found bytes missing: the block to fetch for it, at most
  // `max_block` (a power of two, the link's: TTFB x bandwidth), within the
  // object. A max_block at or below min_block fixes the block.
  ByteRange on_miss(ByteRange r, uint64_t max_block);

  // The block an isolated or clustered miss would get now (for tests and logs).
  uint64_t block(uint64_t max_block) const;

 private:
  bool clustered(uint64_t offset) const;
  void remember(uint64_t offset);

  ReadBlockOptions options_;
  unsigned level_ = 0;            // the block is max_block >> level_ (not below min_block)
  std::vector<uint64_t> recent_;  // offsets of the last misses, a ring of `remembered`
  size_t next_ = 0;               // where the next miss goes in recent_
};

}  // namespace sparseio
