// The source conformance kit: a header-only doctest suite that every Source
// implementation runs (the file source, the HTTP source against nginx, a fake,
// and each new source). A test file fills a SourceFixture and calls
// check_source_conformance() inside a TEST_CASE; each property is a SUBCASE,
// so a failure names the property and the source.
//
// What a Source promises (source/source.h), and what this checks:
//  - size and identity: size() is the object's size, identity().size agrees,
//    and both are stable across calls;
//  - read_at: the exact bytes for random ranges, including the last byte; a
//    read that crosses the end is short by exactly the missing tail, and a
//    read at the end returns 0;
//  - fetch_into: every byte of the range exactly once, in ascending order, as
//    data or as zeros, and equal to the object;
//  - concurrent calls from several threads for different ranges;
//  - cancellation: an exception thrown by the writer stops the transfer and
//    comes out of fetch_into unchanged, and the source stays usable;
//  - error propagation: a source whose object has gone away reports a
//    sparseio::Error that names the source (optional fixture part).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "source/source.h"

namespace sparseio::conformance {

struct SourceFixture {
  std::string label;                              // for messages: "file", "http nginx"...
  std::function<std::unique_ptr<Source>()> open;  // a fresh Source of the object
  std::vector<std::byte> expected;                // every byte of the object
  // Optional: a Source opened before `spoil` takes its object away (a file
  // truncated to nothing, a URL that now answers 404); reading must then fail.
  std::function<std::unique_ptr<Source>()> gone;
  std::function<void()> spoil;
};

// Collects what fetch_into delivers and checks order, coverage and bytes.
class CheckingWriter : public ExtentWriter {
 public:
  CheckingWriter(ByteRange r, const std::vector<std::byte>& expected)
      : r_(r), expected_(expected), next_(r.begin) {}

  void write(uint64_t offset, std::span<const std::byte> data) override {
    take(offset, data.size());
    mismatches_ += !std::equal(data.begin(), data.end(), expected_.begin() + static_cast<ptrdiff_t>(offset));
  }
  void write_zeros(ByteRange z) override {
    take(z.begin, z.size());
    auto first = expected_.begin() + static_cast<ptrdiff_t>(z.begin);
    mismatches_ += !std::all_of(first, first + static_cast<ptrdiff_t>(z.size()),
                                [](std::byte b) { return b == std::byte{0}; });
  }

  // Every byte of r delivered once, in order, equal to the object.
  bool complete() const { return next_ == r_.end && out_of_order_ == 0 && mismatches_ == 0; }
  std::string why() const {
    return "delivered up to " + std::to_string(next_) + " of [" + std::to_string(r_.begin) + ", " +
           std::to_string(r_.end) + "), " + std::to_string(out_of_order_) + " out of order, " +
           std::to_string(mismatches_) + " with wrong bytes";
  }

 private:
  void take(uint64_t offset, uint64_t n) {
    std::lock_guard lock(mu_);
    if (offset != next_ || offset + n > r_.end) ++out_of_order_;
    next_ = std::max(next_, offset + n);
  }

  ByteRange r_;
  const std::vector<std::byte>& expected_;
  std::mutex mu_;  // a source may deliver from another thread
  uint64_t next_;
  unsigned out_of_order_ = 0;
  unsigned mismatches_ = 0;
};

// Throws after `limit` bytes were delivered: a caller that gives up mid-transfer.
class CancellingWriter : public ExtentWriter {
 public:
  explicit CancellingWriter(uint64_t limit) : limit_(limit) {}
  void write(uint64_t, std::span<const std::byte> data) override { take(data.size()); }
  void write_zeros(ByteRange z) override { take(z.size()); }

 private:
  void take(uint64_t n) {
    seen_ += n;
    if (seen_ >= limit_) throw std::runtime_error("cancelled by the writer");
  }
  uint64_t limit_;
  uint64_t seen_ = 0;
};

// Random ranges of an object of `size` bytes, always including the first
// byte, the last byte and the whole object.
inline std::vector<ByteRange> sample_ranges(uint64_t size, unsigned count, uint64_t seed) {
  std::vector<ByteRange> out{{0, std::min<uint64_t>(size, 1)}, {size - 1, size}, {0, size}};
  std::mt19937_64 rng(seed);
  for (unsigned i = 0; i < count; ++i) {
    uint64_t a = rng() % size;
    uint64_t len = 1 + rng() % std::min<uint64_t>(size - a, 3u << 20);
    out.push_back({a, a + len});
  }
  return out;
}

inline void check_source_conformance(const SourceFixture& f) {
  const uint64_t size = f.expected.size();
  REQUIRE_MESSAGE(size >= 2, "the fixture's object must have at least 2 bytes");
  INFO("source: ", f.label);

  SUBCASE("size and identity are the object's and stable") {
    std::unique_ptr<Source> s = f.open();
    CHECK(s->size() == size);
    CHECK(s->identity().size == size);
    CHECK(s->identity() == s->identity());
    CHECK_FALSE(s->name().empty());
    CHECK(f.open()->identity() == s->identity());  // a second open of the same object
  }

  SUBCASE("read_at returns the exact bytes, short only at the end") {
    std::unique_ptr<Source> s = f.open();
    for (ByteRange r : sample_ranges(size, 24, 7)) {
      std::vector<std::byte> buf(r.size());
      REQUIRE(s->read_at(r.begin, buf) == r.size());
      CHECK_MESSAGE(std::equal(buf.begin(), buf.end(), f.expected.begin() + static_cast<ptrdiff_t>(r.begin)),
                    "read_at(", r.begin, ", ", r.size(), ")");
    }
    std::vector<std::byte> tail(100);
    CHECK(s->read_at(size - 10, tail) == 10);  // crosses the end: short by the missing tail
    CHECK(std::equal(tail.begin(), tail.begin() + 10, f.expected.end() - 10));
    CHECK(s->read_at(size, tail) == 0);  // at the end: nothing
  }

  SUBCASE("fetch_into delivers each byte once, in order, equal to the object") {
    std::unique_ptr<Source> s = f.open();
    for (ByteRange r : sample_ranges(size, 16, 11)) {
      CheckingWriter w(r, f.expected);
      s->fetch_into(r, w);
      CHECK_MESSAGE(w.complete(), "fetch_into [", r.begin, ", ", r.end, "): ", w.why());
    }
  }

  SUBCASE("concurrent fetch_into calls for different ranges") {
    std::unique_ptr<Source> s = f.open();
    std::vector<ByteRange> ranges = sample_ranges(size, 12, 13);
    std::vector<std::string> failures(ranges.size());
    {
      std::vector<std::jthread> threads;
      for (size_t i = 0; i < ranges.size(); ++i)
        threads.emplace_back([&, i] {
          try {
            CheckingWriter w(ranges[i], f.expected);
            s->fetch_into(ranges[i], w);
            if (!w.complete()) failures[i] = w.why();
          } catch (const std::exception& e) {
            failures[i] = e.what();
          }
        });
    }
    for (size_t i = 0; i < ranges.size(); ++i) CHECK_MESSAGE(failures[i].empty(), failures[i]);
  }

  SUBCASE("a writer's exception cancels the transfer and the source stays usable") {
    std::unique_ptr<Source> s = f.open();
    CancellingWriter cancel(std::min<uint64_t>(size / 2, 1u << 20) + 1);
    CHECK_THROWS_WITH_AS(s->fetch_into({0, size}, cancel), "cancelled by the writer", std::runtime_error);
    CheckingWriter again({0, size}, f.expected);
    s->fetch_into({0, size}, again);
    CHECK_MESSAGE(again.complete(), again.why());
  }

  if (f.gone) {
    SUBCASE("a vanished object is a sparseio::Error naming the source") {
      std::unique_ptr<Source> s = f.gone();
      std::string name = s->name();
      f.spoil();
      CheckingWriter w({0, size}, f.expected);
      bool threw = false;
      try {
        s->fetch_into({0, size}, w);
      } catch (const Error& e) {
        threw = true;
        CHECK_MESSAGE(std::string(e.what()).find(name) != std::string::npos, e.what());
      }
      CHECK_MESSAGE(threw, "no error after the object went away");
    }
  }
}

}  // namespace sparseio::conformance
