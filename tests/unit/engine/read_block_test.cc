// The on-demand read block's decisions (engine/read_block.h), driven by
// offsets alone: isolated misses shrink the block to the minimum, clustered
// ones grow it back, the ends of the object get the whole large block and
// leave the pattern alone, blocks are aligned and cover the read.
#include "engine/read_block.h"

#include <doctest/doctest.h>

#include <random>

using sparseio::ByteRange;
using sparseio::ReadBlockOptions;
using sparseio::ReadBlocks;

namespace {

constexpr uint64_t K = 1024, M = 1024 * K;
constexpr uint64_t kMax = 1 * M;

ReadBlocks blocks(uint64_t size = 1024 * M) {
  ReadBlockOptions o;
  o.min_block = 64 * K;
  o.object_size = size;
  return ReadBlocks(o);
}

ByteRange read4k(ReadBlocks& b, uint64_t at) { return b.on_miss({at, at + 4 * K}, kMax); }

}  // namespace

TEST_CASE("isolated random misses shrink the block to the minimum in a few misses") {
  ReadBlocks b = blocks();
  // Far from each other (and from the ends): 1 MiB, then halving.
  CHECK(read4k(b, 100 * M + 5).size() == 1 * M);
  CHECK(read4k(b, 300 * M).size() == 512 * K);
  CHECK(read4k(b, 500 * M).size() == 256 * K);
  CHECK(read4k(b, 700 * M).size() == 128 * K);
  CHECK(read4k(b, 900 * M).size() == 64 * K);
  CHECK(read4k(b, 200 * M).size() == 64 * K);  // and stays there
  // 1,000 random 4 KiB reads of 1 GiB (the bench's): about 64 KiB each, not 1 MiB.
  ReadBlocks r = blocks();
  std::mt19937_64 rng(20);
  uint64_t fetched = 0;
  for (int i = 0; i < 1000; ++i) fetched += read4k(r, 2 * M + rng() % (1020 * M)).size();
  MESSAGE("1,000 random misses fetch ", fetched / M, " MiB");
  CHECK(fetched < 100 * M);  // a 1 MiB block: 1,000 MiB
}

TEST_CASE("misses that cluster grow the block back, this miss's included") {
  ReadBlocks b = blocks();
  for (uint64_t at : {100 * M, 300 * M, 500 * M, 700 * M, 900 * M}) read4k(b, at);
  REQUIRE(b.block(kMax) == 64 * K);
  // A reader walking one region with gaps (a tar's headers, a B-tree's
  // neighbouring pages): 128 KiB, 256 KiB, ... up to the maximum.
  CHECK(read4k(b, 400 * M).size() == 64 * K);  // isolated: far from every earlier miss
  CHECK(read4k(b, 400 * M + 200 * K).size() == 128 * K);
  CHECK(read4k(b, 400 * M + 500 * K).size() == 256 * K);
  CHECK(read4k(b, 400 * M + 900 * K).size() == 512 * K);
  CHECK(read4k(b, 401 * M + 600 * K).size() == 1 * M);
  CHECK(read4k(b, 402 * M + 300 * K).size() == 1 * M);
}

TEST_CASE("sqlite's point query: page 1 and the root in the head block, the leaf in the interior page's") {
  // The bench's 50 MB database (strace of sqlite3): pages at 0, 4096, then
  // an interior page at 32006144 and its leaf at 32174080.
  ReadBlocks b = blocks(48934912);
  const ByteRange head = read4k(b, 0);
  CHECK(head == ByteRange{0, kMax});
  const ByteRange interior = read4k(b, 32006144);
  CHECK(interior.intersect({32174080, 32174080 + 4 * K}).size() == 4 * K);
}

TEST_CASE("a miss near either end gets the whole large block there and leaves the pattern alone") {
  const uint64_t size = 8424118;  // the bench's zip
  ReadBlocks b = blocks(size);
  // unzip's end record: the last 1 MiB, the central directory before it included.
  CHECK(b.on_miss({size - 22, size}, kMax) == ByteRange{size - kMax, size});
  CHECK(b.on_miss({size - kMax + 10, size - kMax + 20}, kMax) == ByteRange{size - kMax, size});
  CHECK(b.on_miss({5, 100}, kMax) == ByteRange{0, kMax});
  CHECK(b.block(kMax) == kMax);  // no miss between the ends counted as isolated
  // An object smaller than the block: all of it.
  ReadBlocks small = blocks(300 * K);
  CHECK(small.on_miss({200 * K, 204 * K}, kMax) == ByteRange{0, 300 * K});
}

TEST_CASE("blocks are aligned to their size and cover the whole read, within the object") {
  ReadBlocks b = blocks(100 * M + 123);
  const ByteRange r{10 * M + 1000, 10 * M + 1000 + 3 * M};  // a read longer than a block
  const ByteRange got = b.on_miss(r, kMax);
  CHECK(got.begin == 10 * M);
  CHECK(got.end == 14 * M);
  CHECK(got.intersect(r) == r);
  // Past the end: nothing.
  CHECK(b.on_miss({200 * M, 200 * M + 10}, kMax).empty());
}

TEST_CASE("a maximum at or below the minimum fixes the block (Options::read_block_size, local files)") {
  ReadBlocks b = blocks();
  for (uint64_t at : {100 * M, 300 * M, 500 * M, 700 * M})
    CHECK(b.on_miss({at, at + 10}, 64 * K).size() == 64 * K);
  ReadBlockOptions o;
  o.min_block = 256 * K;
  o.object_size = 1024 * M;
  ReadBlocks fixed(o);
  for (uint64_t at : {100 * M, 300 * M, 500 * M, 700 * M})
    CHECK(fixed.on_miss({at, at + 10}, 256 * K).size() == 256 * K);
}
