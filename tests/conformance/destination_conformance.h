// The destination conformance kit: a header-only doctest suite that checks
// what the store promises to whoever writes into it (the fetch coordinator,
// the range stream, a program using the seed calls), for one configuration of
// Destination: a filesystem (a directory on it) and a durability mode. A test
// file fills a DestinationFixture and calls check_destination_conformance()
// inside a TEST_CASE; each property is a SUBCASE.
//
// What a Destination promises (store/destination.h), and what this checks:
//  - size: the file has the source's size; what was never written is a hole
//    and reads as zeros; writes past the end are refused;
//  - exact bytes: write_extent then read_present returns them, for ranges that
//    start and end inside blocks and at the last byte; read_present of a range
//    not all present is nullopt;
//  - claims only follow bytes: write_data alone claims nothing, mark_present
//    makes a range present, and the claims survive closing and reopening;
//  - zero blocks written are kept as holes (and counted);
//  - eviction: evict makes bytes absent, returns their whole blocks to
//    the filesystem, and survives reopening;
//  - concurrency: threads writing and claiming disjoint ranges at once.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "core/source_identity.h"
#include "store/destination.h"
#include "test_util.h"

namespace sparseio::conformance {

struct DestinationFixture {
  std::string label;  // for messages: "ext4 hash", "tmpfs none"...
  std::string dir;    // an empty directory on the filesystem under test
  DestinationOptions options;
};

inline void check_destination_conformance(const DestinationFixture& fx) {
  INFO("destination: " << fx.label);
  const uint64_t size = 3 * 1024 * 1024 + 1234;  // not a multiple of any block size
  SourceIdentity id;
  id.size = size;
  id.etag = "\"conformance\"";
  const std::vector<std::byte> object = test::pattern_bytes(0, size, 7);
  auto bytes = [&](ByteRange r) {
    return std::vector<std::byte>(object.begin() + static_cast<ptrdiff_t>(r.begin),
                                  object.begin() + static_cast<ptrdiff_t>(r.end));
  };
  const std::string path = fx.dir + "/dst";
  auto open = [&] { return Destination::open_for_source(path, id, fx.options); };

  SUBCASE("a fresh destination has the source's size and holds nothing") {
    auto d = open();
    CHECK(d->logical_size() == size);
    CHECK(d->present_bytes() == 0);
    CHECK(d->allocated_bytes() == 0);
    CHECK_FALSE(sparseio::test::read_present(*d, {0, 1}).has_value());
    std::vector<std::byte> buf(4096, std::byte{1});
    d->read_raw(size - buf.size(), buf);
    CHECK(buf == std::vector<std::byte>(buf.size()));  // a hole reads as zeros
  }

  SUBCASE("written extents read back exactly, at odd offsets and the last byte") {
    auto d = open();
    const std::vector<ByteRange> ranges = {
        {1, 5000}, {65536 - 3, 65536 + 70000}, {size - 1, size}, {size - 777, size - 1}};
    for (const ByteRange& r : ranges) d->write_extent(r.begin, bytes(r));
    for (const ByteRange& r : ranges) {
      auto got = sparseio::test::read_present(*d, r);
      REQUIRE(got.has_value());
      CHECK(*got == bytes(r));
    }
    CHECK_FALSE(sparseio::test::read_present(*d, {0, 2}).has_value());  // byte 0 was never written
    CHECK(d->present_bytes() == 4999 + 70003 + 777);
  }

  SUBCASE("writes past the end are refused and change nothing") {
    auto d = open();
    std::vector<std::byte> two(2, std::byte{9});
    CHECK_THROWS_AS(d->write_extent(size - 1, two), sparseio::Error);
    CHECK(d->present_bytes() == 0);
  }

  SUBCASE("bytes are present only once claimed, and claims survive reopening") {
    {
      auto d = open();
      const ByteRange r{100000, 300000};
      d->write_data(r.begin, bytes(r));
      CHECK_FALSE(d->contains(r));  // written, not claimed: a kill here leaves it missing
      d->mark_present(r);
      CHECK(d->contains(r));
      d->sync();
    }
    auto d = Destination::open_existing(path, false);
    CHECK(d->contains({100000, 300000}));
    CHECK(d->present_bytes() == 200000);
    CHECK(*sparseio::test::read_present(*d, {100000, 300000}) == bytes({100000, 300000}));
  }

  SUBCASE("whole zero blocks written are kept as holes") {
    auto d = open();
    const uint64_t b = d->block_size();
    std::vector<std::byte> data(8 * b);                         // zeros...
    std::fill(data.begin(), data.begin() + 100, std::byte{5});  // ...but for the first 100 bytes
    d->write_extent(0, data);
    CHECK(d->contains({0, 8 * b}));
    CHECK(d->zero_hole_bytes() == 7 * b);
    CHECK(d->allocated_bytes() <= b);
    CHECK(*sparseio::test::read_present(*d, {0, 8 * b}) == data);
  }

  SUBCASE("evicted bytes are absent, their whole blocks returned, also after reopening") {
    {
      auto d = open();
      d->write_extent(0, bytes({0, 1 << 20}));
      const uint64_t before = d->allocated_bytes();
      CHECK(before >= (1u << 20));
      d->evict({{4096, (1 << 20) - 4096}});
      CHECK_FALSE(sparseio::test::read_present(*d, {4096, 8192}).has_value());
      CHECK(d->contains({0, 4096}));
      CHECK(d->allocated_bytes() <= before - ((1u << 20) - 2 * 4096 - 2 * d->block_size()));
      d->sync();
    }
    auto d = Destination::open_existing(path, false);
    CHECK(d->coverage().ranges() == std::vector<ByteRange>{{0, 4096}, {(1 << 20) - 4096, 1 << 20}});
  }

  SUBCASE("threads write and claim disjoint ranges at once") {
    auto d = open();
    const unsigned threads = 8;
    const uint64_t step = size / threads;
    {
      std::vector<std::jthread> pool;
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          const ByteRange r{t * step, t + 1 == threads ? size : (t + 1) * step};
          for (uint64_t pos = r.begin; pos < r.end; pos += 65536) {
            const ByteRange piece{pos, std::min(r.end, pos + 65536)};
            d->write_data(piece.begin, bytes(piece));
            d->mark_present(piece);
          }
        });
    }
    d->sync();
    CHECK(d->present_bytes() == size);
    CHECK(*sparseio::test::read_present(*d, {0, size}) == object);
  }
}

}  // namespace sparseio::conformance
