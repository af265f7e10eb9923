// The readahead's decisions (engine/readahead.h), driven by offsets alone:
// a sequential reader's window grows and caps, random reads prefetch
// nothing, two interleaved readers keep their own windows, and streams are
// forgotten least recently used first.
#include "engine/readahead.h"

#include <doctest/doctest.h>

#include <vector>

using sparseio::ByteRange;
using sparseio::Readahead;
using sparseio::ReadaheadOptions;

namespace {

constexpr uint64_t K = 1024;

ReadaheadOptions options(size_t streams = 4) {
  ReadaheadOptions o;
  o.initial_window = 64 * K;
  o.max_window = 1024 * K;
  o.max_streams = streams;
  return o;
}

// Reads [from, to) in `step` reads; returns the prefetches, in order.
std::vector<ByteRange> read_sequentially(Readahead& ra, uint64_t from, uint64_t to, uint64_t step) {
  std::vector<ByteRange> out;
  for (uint64_t at = from; at < to; at += step)
    if (ByteRange p = ra.on_read({at, at + step}); !p.empty()) out.push_back(p);
  return out;
}

}  // namespace

TEST_CASE("the first read prefetches nothing; its continuation prefetches the initial window") {
  Readahead ra(options());
  CHECK(ra.on_read({0, 4 * K}).empty());
  CHECK(ra.on_read({4 * K, 8 * K}) == ByteRange{8 * K, 72 * K});
}

TEST_CASE("a sequential reader's window doubles at each prefetch up to the cap, and the prefetches tile") {
  Readahead ra(options());
  std::vector<ByteRange> p = read_sequentially(ra, 0, 16384 * K, 4 * K);
  REQUIRE(p.size() > 6);
  // Each prefetch starts where the one before ended: nothing twice, no gap.
  for (size_t i = 1; i < p.size(); ++i) CHECK(p[i].begin == p[i - 1].end);
  CHECK(p[0].size() == 64 * K);
  // Issued when the reader came within half a window of the prefetched end,
  // to the read's end plus the doubled window: sizes grow, then cap.
  CHECK(p[1].size() > p[0].size());
  CHECK(p[2].size() > p[1].size());
  uint64_t largest = 0;
  for (const ByteRange& r : p) largest = std::max(largest, r.size());
  CHECK(largest <= 1024 * K);
  CHECK(ra.window_at(16384 * K) == 1024 * K);
  // Far fewer prefetches than reads (4,096 reads).
  CHECK(p.size() < 40);
}

TEST_CASE("random reads prefetch nothing") {
  Readahead ra(options());
  const uint64_t offsets[] = {900, 17, 4000, 123, 2222, 3100, 55, 777, 1500, 3999};
  for (uint64_t o : offsets) CHECK(ra.on_read({o * 4 * K, o * 4 * K + 4 * K}).empty());
}

TEST_CASE("re-reading the same bytes, or reading behind a stream, is not progress") {
  Readahead ra(options());
  ra.on_read({0, 4 * K});
  ra.on_read({4 * K, 8 * K});
  CHECK(ra.on_read({4 * K, 8 * K}).empty());
  CHECK(ra.on_read({0, 4 * K}).empty());
}

TEST_CASE("a random read stops the readahead of the pattern it breaks") {
  Readahead ra(options(1));
  read_sequentially(ra, 0, 256 * K, 4 * K);
  CHECK(ra.window_at(256 * K) > 0);
  CHECK(ra.on_read({9000 * K, 9004 * K}).empty());
  // The one slot now follows the random read: continuing the old stream is
  // a new stream, which prefetches nothing at first.
  CHECK(ra.window_at(256 * K) == 0);
  CHECK(ra.on_read({256 * K, 260 * K}).empty());
}

TEST_CASE("two interleaved sequential readers each keep their own window") {
  Readahead ra(options());
  std::vector<ByteRange> a, b;
  const uint64_t b_start = 64 * 1024 * K;
  for (uint64_t i = 0; i < 512; ++i) {
    if (ByteRange p = ra.on_read({i * 4 * K, (i + 1) * 4 * K}); !p.empty()) a.push_back(p);
    if (ByteRange p = ra.on_read({b_start + i * 4 * K, b_start + (i + 1) * 4 * K}); !p.empty())
      b.push_back(p);
  }
  REQUIRE(a.size() > 3);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(b[i].begin - b_start == a[i].begin);
    CHECK(b[i].size() == a[i].size());
  }
  CHECK(ra.streams() == 2);
}

TEST_CASE("streams are forgotten least recently used first") {
  Readahead ra(options(2));
  ra.on_read({0, 4 * K});          // stream A
  ra.on_read({100 * K, 104 * K});  // stream B
  ra.on_read({4 * K, 8 * K});      // A again: B is now the least recent
  ra.on_read({500 * K, 504 * K});  // C replaces B
  CHECK(ra.streams() == 2);
  ra.on_read({8 * K, 12 * K});
  CHECK(ra.window_at(12 * K) == 64 * K);          // A goes on with its window
  CHECK(ra.on_read({104 * K, 108 * K}).empty());  // B was forgotten: a new stream
  CHECK(ra.window_at(108 * K) == 0);
}

TEST_CASE("prefetches end at the end of the object, and a stream there prefetches nothing") {
  ReadaheadOptions o = options();
  o.object_size = 100 * K;
  Readahead ra(o);
  ra.on_read({0, 40 * K});
  CHECK(ra.on_read({40 * K, 60 * K}) == ByteRange{60 * K, 100 * K});
  CHECK(ra.on_read({60 * K, 80 * K}).empty());
  CHECK(ra.on_read({80 * K, 100 * K}).empty());
}
