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

TEST_CASE("shard: subtract") {
  CHECK(subtract({{0, 100}}, {}) == std::vector<ByteRange>{{0, 100}});
  CHECK(subtract({{0, 100}}, {{10, 20}, {50, 60}}) == std::vector<ByteRange>{{0, 10}, {20, 50}, {60, 100}});
  CHECK(subtract({{0, 100}, {200, 300}}, {{90, 210}}) == std::vector<ByteRange>{{0, 90}, {210, 300}});
  CHECK(subtract({{0, 100}}, {{0, 100}}).empty());
  CHECK(subtract({{10, 20}}, {{0, 5}, {30, 40}}) == std::vector<ByteRange>{{10, 20}});
}

TEST_CASE("shard: every shard carries the metadata whole; the data is split among them") {
  // A zip-like layout: members' data first, the directory and end records last.
  const std::vector<ByteRange> data{{0, 300000}, {400000, 900000}};
  const std::vector<ByteRange> meta{{900000, 950000}, {950000, 950022}};
  const std::vector<ByteRange> meta_c = coalesce(meta);
  const unsigned n = 4;
  std::vector<ByteRange> data_parts;
  uint64_t data_bytes = 0;
  for (unsigned i = 0; i < n; ++i) {
    const std::vector<ByteRange> s = shard_with_metadata(data, meta_c, {i, n}, 1000);
    CHECK(subtract(meta_c, s).empty());  // all the metadata
    for (const ByteRange& r : subtract(s, meta_c)) {
      data_parts.push_back(r);
      data_bytes += r.size();
    }
  }
  CHECK(data_bytes == 800000);          // disjoint data shares...
  CHECK(coalesce(data_parts) == data);  // ...that together are all the data
  // Metadata inside a data range (a tar header between members) is not split.
  const std::vector<ByteRange> s0 = shard_with_metadata({{0, 10000}}, {{4000, 4512}}, {3, 4}, 1);
  CHECK(subtract({{4000, 4512}}, s0).empty());
}
