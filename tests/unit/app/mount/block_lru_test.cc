// The LRU of `sparseio mount --cache-max`: the blocks it gives up are the
// least recently read, never-read (present) blocks first, in as few as free
// the bytes asked for; its cost stays logarithmic at 10^5+ blocks.
#include "mount/block_lru.h"

#include <doctest/doctest.h>

#include <vector>

using sparseio::mount::BlockId;
using sparseio::mount::BlockLru;

TEST_CASE("the least recently read blocks are taken first, re-reading makes a block young") {
  BlockLru lru;
  lru.touch({0, 1}, 100);
  lru.touch({0, 2}, 100);
  lru.touch({1, 0}, 100);
  lru.touch({0, 1}, 100);  // read again: now the youngest
  CHECK(lru.size() == 3);
  CHECK(lru.tracked_bytes() == 300);
  CHECK(lru.take_oldest(150) == std::vector<BlockId>{{0, 2}, {1, 0}});
  CHECK(lru.size() == 1);
  CHECK(lru.tracked_bytes() == 100);
  CHECK(lru.take_oldest(1000) == std::vector<BlockId>{{0, 1}});
  CHECK(lru.take_oldest(1).empty());
}

TEST_CASE("present blocks never read go before every block read, and noting does not rejuvenate") {
  BlockLru lru;
  lru.touch({0, 5}, 10);
  lru.note_present({0, 5}, 10);  // already read: keeps its tick
  lru.note_present({2, 9}, 10);
  lru.note_present({0, 7}, 4);  // the short last block of an object
  CHECK(lru.tracked_bytes() == 24);
  const std::vector<BlockId> first = lru.take_oldest(14);
  CHECK(first == std::vector<BlockId>{{0, 7}, {2, 9}});
  CHECK(lru.take_oldest(1) == std::vector<BlockId>{{0, 5}});
}

TEST_CASE("taking stops as soon as the bytes are freed; zero bytes takes nothing") {
  BlockLru lru;
  for (uint64_t i = 0; i < 10; ++i) lru.touch({0, i}, 1 << 20);
  CHECK(lru.take_oldest(0).empty());
  CHECK(lru.take_oldest((2 << 20) + 1).size() == 3);
  CHECK(lru.size() == 7);
  lru.forget({0, 9});
  lru.forget({0, 99});  // untracked: no-op
  CHECK(lru.size() == 6);
  CHECK(lru.tracked_bytes() == 6ull << 20);
}

TEST_CASE("10^5 blocks: touched, noted and taken back in order") {
  BlockLru lru;
  constexpr uint64_t kN = 100'000;
  for (uint64_t i = 0; i < kN; ++i) lru.touch({static_cast<uint32_t>(i % 3), i}, 1);
  for (uint64_t i = 0; i < kN; i += 2) lru.touch({static_cast<uint32_t>(i % 3), i}, 1);  // evens young
  const std::vector<BlockId> taken = lru.take_oldest(kN / 2);
  REQUIRE(taken.size() == kN / 2);
  for (size_t k = 0; k < taken.size(); ++k) CHECK_MESSAGE(taken[k].index == 2 * k + 1, k);
}
