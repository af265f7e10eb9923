// CoverageMap: coalescing, splitting, queries, a randomized comparison with a
// bitmap model, and a scale test with a million ranges.
#include "core/coverage_map.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

using sparseio::ByteRange;
using sparseio::CoverageMap;
using Ranges = std::vector<ByteRange>;

namespace {

CoverageMap make(std::initializer_list<ByteRange> rs) {
  CoverageMap m;
  for (const ByteRange& r : rs) m.insert(r);
  return m;
}

// The runs of true bits in bits[r.begin, r.end).
Ranges runs_of(const std::vector<bool>& bits, ByteRange r, bool value) {
  Ranges out;
  for (uint64_t i = r.begin; i < r.end;) {
    if (bits[i] != value) {
      ++i;
      continue;
    }
    uint64_t j = i;
    while (j < r.end && bits[j] == value) ++j;
    out.push_back({i, j});
    i = j;
  }
  return out;
}

}  // namespace

TEST_CASE("an empty map") {
  CoverageMap m;
  CHECK(m.empty());
  CHECK(m.total_bytes() == 0);
  CHECK(m.range_count() == 0);
  CHECK(m.ranges().empty());
  CHECK(m.missing({10, 20}) == Ranges{{10, 20}});
  CHECK(m.present_within({0, 100}).empty());
  CHECK(!m.contains({0, 1}));
  CHECK(m.contains({5, 5}));  // an empty range is present
  CHECK(m.find(7).empty());
  CHECK(m.present_bytes_within({0, 1000}) == 0);
  m.insert({3, 3});  // empty ranges are ignored
  m.remove({0, 100});
  CHECK(m.empty());
}

TEST_CASE("insert coalesces adjacent and overlapping ranges") {
  CoverageMap m = make({{10, 20}, {20, 30}});
  CHECK(m.ranges() == Ranges{{10, 30}});
  m.insert({40, 50});
  CHECK(m.ranges() == Ranges{{10, 30}, {40, 50}});
  CHECK(m.total_bytes() == 30);
  m.insert({25, 45});  // bridges both
  CHECK(m.ranges() == Ranges{{10, 50}});
  CHECK(m.total_bytes() == 40);
  m.insert({0, 10});   // adjacent on the left
  m.insert({50, 51});  // adjacent on the right
  CHECK(m.ranges() == Ranges{{0, 51}});
  m.insert({5, 6});  // inside: no change
  CHECK(m.ranges() == Ranges{{0, 51}});
  CHECK(m.total_bytes() == 51);

  // One insert swallowing many ranges.
  CoverageMap many;
  for (uint64_t i = 0; i < 100; ++i) many.insert({i * 10, i * 10 + 5});
  CHECK(many.range_count() == 100);
  many.insert({3, 992});
  CHECK(many.ranges() == Ranges{{0, 995}});
  CHECK(many.total_bytes() == 995);
}

TEST_CASE("remove splits and trims ranges") {
  CoverageMap m = make({{0, 100}});
  m.remove({40, 60});
  CHECK(m.ranges() == Ranges{{0, 40}, {60, 100}});
  CHECK(m.total_bytes() == 80);
  m.remove({0, 10});
  m.remove({90, 200});
  CHECK(m.ranges() == Ranges{{10, 40}, {60, 90}});
  m.remove({40, 60});  // exactly the gap: no change
  CHECK(m.ranges() == Ranges{{10, 40}, {60, 90}});
  m.remove({30, 70});  // across the gap
  CHECK(m.ranges() == Ranges{{10, 30}, {70, 90}});
  CHECK(m.total_bytes() == 40);
  m.remove({0, 1000});
  CHECK(m.empty());
  CHECK(m.total_bytes() == 0);

  CoverageMap many;
  for (uint64_t i = 0; i < 100; ++i) many.insert({i * 10, i * 10 + 5});
  many.remove({12, 983});
  CHECK(many.ranges() == Ranges{{0, 5}, {10, 12}, {983, 985}, {990, 995}});
}

TEST_CASE("queries: missing, present_within, contains, find, present_bytes_within") {
  CoverageMap m = make({{10, 20}, {30, 40}, {50, 60}});
  CHECK(m.missing({0, 70}) == Ranges{{0, 10}, {20, 30}, {40, 50}, {60, 70}});
  CHECK(m.missing({15, 35}) == Ranges{{20, 30}});
  CHECK(m.missing({12, 18}).empty());
  CHECK(m.missing({20, 30}) == Ranges{{20, 30}});
  CHECK(m.missing({5, 5}).empty());
  CHECK(m.present_within({15, 55}) == Ranges{{15, 20}, {30, 40}, {50, 55}});
  CHECK(m.present_within({20, 30}).empty());
  CHECK(m.present_within({0, 1000}) == m.ranges());
  CHECK(m.contains({10, 20}));
  CHECK(m.contains({12, 13}));
  CHECK(!m.contains({10, 21}));
  CHECK(!m.contains({9, 20}));
  CHECK(!m.contains({15, 35}));
  CHECK(m.find(10) == ByteRange{10, 20});
  CHECK(m.find(19) == ByteRange{10, 20});
  CHECK(m.find(20).empty());
  CHECK(m.find(9).empty());
  CHECK(m.find(1000).empty());
  CHECK(m.present_bytes_within({0, 70}) == 30);
  CHECK(m.present_bytes_within({15, 55}) == 5 + 10 + 5);
  CHECK(m.present_bytes_within({20, 30}) == 0);
  CHECK(m == make({{30, 40}, {50, 60}, {10, 15}, {15, 20}}));
  CHECK(!(m == make({{10, 20}, {30, 40}})));
}

TEST_CASE("offsets near the top of the 64-bit space") {
  const uint64_t top = UINT64_MAX;
  CoverageMap m = make({{top - 10, top}, {0, 1}});
  CHECK(m.total_bytes() == 11);
  CHECK(m.contains({top - 5, top}));
  CHECK(m.missing({top - 20, top}) == Ranges{{top - 20, top - 10}});
  m.remove({top - 3, top});
  CHECK(m.ranges() == Ranges{{0, 1}, {top - 10, top - 3}});
}

TEST_CASE("randomized: every operation agrees with a bitmap model") {
  constexpr uint64_t kUniverse = 4096;
  for (uint64_t seed : {1, 2, 3, 4}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto below = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    // Mostly short ranges, sometimes long ones, so that maps stay fragmented.
    auto random_range = [&] {
      uint64_t b = below(kUniverse);
      uint64_t len = below(8) == 0 ? below(kUniverse / 2) : below(40);
      return ByteRange{b, std::min(kUniverse, b + len)};
    };
    std::vector<bool> bits(kUniverse, false);
    CoverageMap m;
    size_t max_ranges = 0;
    for (int op = 0; op < 3000; ++op) {
      ByteRange r = random_range();
      const bool ins = below(100) < 55;
      CAPTURE(op);
      CAPTURE(r.begin);
      CAPTURE(r.end);
      if (ins)
        m.insert(r);
      else
        m.remove(r);
      for (uint64_t i = r.begin; i < r.end; ++i) bits[i] = ins;

      const Ranges model = runs_of(bits, {0, kUniverse}, true);
      REQUIRE(m.ranges() == model);
      REQUIRE(m.range_count() == model.size());
      uint64_t total = 0;
      for (const ByteRange& x : model) total += x.size();
      REQUIRE(m.total_bytes() == total);
      max_ranges = std::max(max_ranges, model.size());

      for (int q = 0; q < 4; ++q) {
        ByteRange qr = random_range();
        CHECK(m.missing(qr) == runs_of(bits, qr, false));
        CHECK(m.present_within(qr) == runs_of(bits, qr, true));
        uint64_t present = 0;
        for (uint64_t i = qr.begin; i < qr.end; ++i) present += bits[i];
        CHECK(m.present_bytes_within(qr) == present);
        CHECK(m.contains(qr) == (present == qr.size()));
        uint64_t off = below(kUniverse);
        ByteRange f = m.find(off);
        if (!bits[off]) {
          CHECK(f.empty());
        } else {
          uint64_t b = off, e = off;
          while (b > 0 && bits[b - 1]) --b;
          while (e < kUniverse && bits[e]) ++e;
          CHECK(f == ByteRange{b, e});
        }
      }
    }
    CHECK(max_ranges > 25);  // the model really was fragmented
  }
}

TEST_CASE("scale: a million disjoint ranges (10^5 under sanitizers)") {
  // Every operation is O(log n): this takes well under a second in order. An
  // O(n) operation would make it take hours. (Random order is slower only by
  // cache misses, so the random parts use fewer operations.)
  // Under a sanitizer each operation costs ~10x (49 s of the ASan stage for
  // this file): 10^5 ranges there, where an O(n) operation would still take
  // 10^10 steps, so the property still shows.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr uint64_t kN = 100000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  constexpr uint64_t kN = 100000;
#else
  constexpr uint64_t kN = 1000000;
#endif
#else
  constexpr uint64_t kN = 1000000;
#endif
  CoverageMap m;
  for (uint64_t i = 0; i < kN; ++i) m.insert({i * 10, i * 10 + 5});
  REQUIRE(m.range_count() == kN);
  REQUIRE(m.total_bytes() == 5 * kN);

  uint64_t hits = 0, missing_parts = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    hits += m.contains({i * 10 + 1, i * 10 + 4});
    hits += m.find(i * 10 + 7).empty();
    hits += m.present_bytes_within({i * 10 + 3, i * 10 + 8}) == 2;
    missing_parts += m.missing({i * 10, i * 10 + 10}).size();
  }
  CHECK(hits == 3 * kN);
  CHECK(missing_parts == kN);

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, kN - 1);
  CoverageMap scattered;  // random insertion order
  uint64_t random_hits = 0;
  for (int k = 0; k < 50000; ++k) {
    uint64_t i = pick(rng);
    scattered.insert({i * 10, i * 10 + 5});
    random_hits += m.contains({i * 10, i * 10 + 5});
    random_hits += m.find(i * 10 + 2) == ByteRange{i * 10, i * 10 + 5};
  }
  CHECK(random_hits == 100000);
  uint64_t contained = 0;
  for (const ByteRange& r : scattered.ranges()) contained += m.contains(r);
  CHECK(contained == scattered.range_count());

  // Fill every other gap (pairs merge), then cut a hole into every range.
  CoverageMap filled = m;
  for (uint64_t i = 0; i < kN; i += 2) filled.insert({i * 10 + 5, i * 10 + 10});
  CHECK(filled.range_count() == kN / 2);
  CHECK(filled.total_bytes() == 5 * kN + 5 * (kN / 2));
  for (uint64_t i = 0; i < kN; ++i) m.remove({i * 10 + 2, i * 10 + 3});
  CHECK(m.range_count() == 2 * kN);
  CHECK(m.total_bytes() == 4 * kN);
  for (uint64_t i = 0; i < kN; ++i) m.remove({i * 10, i * 10 + 5});
  CHECK(m.empty());
  CHECK(m.total_bytes() == 0);
  filled.remove({0, 10 * kN});
  CHECK(filled.empty());
}
