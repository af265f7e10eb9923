// content_hash / ContentHasher: whichever code path the CPU gets, the values
// are libxxhash's portable XXH3-64, so claims written by one build or machine
// check out on another.
#include "core/content_hash.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <random>
#include <vector>

#include "test_util.h"

using sparseio::content_hash;
using sparseio::ContentHasher;

TEST_CASE("the empty input has XXH3-64's published value") {
  CHECK(content_hash({}) == 0x2D06800538D394C2ULL);
  ContentHasher h;
  CHECK(h.digest() == 0x2D06800538D394C2ULL);
}

TEST_CASE("one-shot and streamed hashes equal libxxhash's portable XXH3_64bits") {
  std::mt19937_64 rng(7);
  for (size_t size :
       {1ul, 3ul, 16ul, 17ul, 128ul, 129ul, 240ul, 241ul, 1024ul, 4096ul, 65536ul + 13, (1ul << 20) + 777}) {
    const std::vector<std::byte> data = sparseio::test::pattern_bytes(0, size, static_cast<int>(size));
    const uint64_t want = XXH3_64bits(data.data(), data.size());
    CHECK(content_hash(data) == want);
    ContentHasher h;
    size_t fed = 0;
    while (fed < size) {
      const size_t n = std::min<size_t>(size - fed, 1 + rng() % 70000);
      h.update(std::span(data).subspan(fed, n));
      fed += n;
    }
    CHECK(h.digest() == want);
  }
}

TEST_CASE("different bytes hash differently") {
  std::vector<std::byte> a = sparseio::test::pattern_bytes(0, 8192, 1);
  std::vector<std::byte> b = a;
  b[4000] ^= std::byte{1};
  CHECK(content_hash(a) != content_hash(b));
}
