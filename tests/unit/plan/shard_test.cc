// Property test of --shard: for N in 1..16 and random range lists, the shards
// are disjoint, cover the list exactly, and each is within one grain of
// total/N; and the split is a pure function of its inputs. The same across
// objects (shard_objects), where each shard also carries the metadata of
// every object it holds any of.
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

namespace {

// A random plan over 1..8 objects: each with random ranges, some of them
// metadata; one in five objects is all metadata, one in seven has nothing.
std::vector<ObjectRanges> random_plan(std::mt19937_64& rng) {
  std::vector<ObjectRanges> plan(1 + rng() % 8);
  for (ObjectRanges& o : plan) {
    if (rng() % 7 == 0) continue;
    const uint64_t span = 1 + rng() % (rng() % 2 ? (1u << 18) : (1ull << 34));
    std::vector<ByteRange> raw, meta;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 12); i < n; ++i) {
      const uint64_t a = rng() % span, len = 1 + rng() % (span / 3 + 1);
      raw.push_back({a, a + len});
      if (rng() % 4 == 0) meta.push_back({a, a + std::min<uint64_t>(len, 1 + rng() % 5000)});
    }
    if (rng() % 5 == 0) meta = raw;
    o.ranges = coalesce(raw);
    o.metadata = coalesce(meta);
  }
  return plan;
}

uint64_t bytes_of(const std::vector<ByteRange>& v) {
  uint64_t n = 0;
  for (const ByteRange& r : v) n += r.size();
  return n;
}

}  // namespace

TEST_CASE("shard: across objects, disjoint data, the whole plan, deterministic, balanced within one grain") {
  std::mt19937_64 rng(2026);
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<ObjectRanges> plan = random_plan(rng);
    // What each object's data is: its ranges outside metadata, or all of it when it is all metadata.
    std::vector<std::vector<ByteRange>> data;
    uint64_t total = 0;
    for (const ObjectRanges& o : plan) {
      std::vector<ByteRange> d = subtract(o.ranges, o.metadata);
      data.push_back(d.empty() ? o.ranges : d);
      total += bytes_of(data.back());
    }
    const uint64_t grain = trial % 2 ? kShardGrain : 1 + rng() % 5000;
    for (unsigned n = 1; n <= 12; ++n) {
      std::vector<std::vector<ByteRange>> all(plan.size());
      uint64_t data_sum = 0;
      for (unsigned i = 0; i < n; ++i) {
        const auto s = shard_objects(plan, {i, n}, grain);
        REQUIRE(s.size() == plan.size());
        CHECK(s == shard_objects(plan, {i, n}, grain));  // deterministic
        uint64_t shard_data = 0;
        for (size_t j = 0; j < plan.size(); ++j) {
          const std::vector<ByteRange> own = subtract(s[j], subtract(plan[j].ranges, data[j]));
          shard_data += bytes_of(own);
          all[j].insert(all[j].end(), s[j].begin(), s[j].end());
          CHECK(subtract(s[j], plan[j].ranges).empty());  // nothing outside the plan
          // An object it holds anything of comes with all its metadata (unless all metadata: split).
          if (!s[j].empty() && data[j] != plan[j].ranges) CHECK(subtract(plan[j].metadata, s[j]).empty());
        }
        data_sum += shard_data;
        const double ideal = static_cast<double>(total) / n;
        CHECK(std::abs(static_cast<double>(shard_data) - ideal) <= static_cast<double>(grain) + 1);
      }
      CHECK(data_sum == total);  // the data shares are disjoint...
      for (size_t j = 0; j < plan.size(); ++j) CHECK(coalesce(all[j]) == plan[j].ranges);  // ...and whole
    }
  }
}

TEST_CASE("shard: across objects, one object is cut between shards and its metadata goes to both") {
  // Two objects of 1000 data bytes each and a 10-byte footer on the second; 4 shards of 500.
  const std::vector<ObjectRanges> plan{{{{0, 1000}}, {}}, {{{0, 1010}}, {{1000, 1010}}}};
  using V = std::vector<ByteRange>;
  CHECK(shard_objects(plan, {0, 4}, 1) == std::vector<V>{{{0, 500}}, {}});
  CHECK(shard_objects(plan, {1, 4}, 1) == std::vector<V>{{{500, 1000}}, {}});
  CHECK(shard_objects(plan, {2, 4}, 1) == std::vector<V>{{}, {{0, 500}, {1000, 1010}}});
  CHECK(shard_objects(plan, {3, 4}, 1) == std::vector<V>{{}, {{500, 1010}}});
  // Cuts fall on the grain of the object's own offsets.
  CHECK(shard_objects(plan, {0, 3}, 256) == std::vector<V>{{{0, 512}}, {}});
  CHECK(shard_objects({}, {0, 3}) == std::vector<V>{});
}
