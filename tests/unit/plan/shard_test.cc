// Property test of --shard: for N in 1..16 and random range lists, the shards
// are disjoint, cover the list exactly, and each is within one grain of
// total/N; and the split is a pure function of its inputs.
#include "plan/shard.h"

#include <doctest/doctest.h>

#include <random>

#include "core/errors.h"

using namespace sparseio;
using namespace sparseio::plan;

TEST_CASE("shard: disjoint, covering, balanced, for N in 1..16 and random lists") {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<ByteRange> raw;
    const int n_ranges = 1 + static_cast<int>(rng() % 40);
    const uint64_t span = 1 + rng() % (trial % 3 == 0 ? (1u << 16) : (1ull << 32));
    for (int i = 0; i < n_ranges; ++i) {
      uint64_t a = rng() % span, len = 1 + rng() % (span / 4 + 1);
      raw.push_back({a, a + len});
    }
    const std::vector<ByteRange> list = coalesce(raw);
    uint64_t total = 0;
    for (const ByteRange& r : list) total += r.size();
    const uint64_t grain = trial % 2 ? kShardGrain : 1 + rng() % 5000;
    for (unsigned n = 1; n <= 16; ++n) {
      std::vector<ByteRange> all;
      for (unsigned i = 0; i < n; ++i) {
        std::vector<ByteRange> s = shard_ranges(list, {i, n}, grain);
        CHECK(s == shard_ranges(list, {i, n}, grain));  // deterministic
        uint64_t bytes = 0;
        for (const ByteRange& r : s) {
          bytes += r.size();
          all.push_back(r);
        }
        const double ideal = static_cast<double>(total) / n;
        CHECK(std::abs(static_cast<double>(bytes) - ideal) <= static_cast<double>(grain) + 1);
      }
      // Disjoint: the pieces add up to the merged size; covering: merged == list.
      uint64_t sum = 0;
      for (const ByteRange& r : all) sum += r.size();
      CHECK(sum == total);
      CHECK(coalesce(all) == list);
    }
  }
}

TEST_CASE("shard: the spec syntax") {
  CHECK(parse_shard("3/8").index == 3);
  CHECK(parse_shard("0/1").count == 1);
  CHECK_THROWS_WITH_AS(parse_shard("8/8"), doctest::Contains("counts from 0"), UsageError);
  CHECK_THROWS_AS(parse_shard("1"), UsageError);
  CHECK_THROWS_AS(parse_shard("a/2"), UsageError);
  CHECK_THROWS_AS(parse_shard("0/0"), UsageError);
  CHECK(shard_ranges({}, {0, 3}).empty());
}
