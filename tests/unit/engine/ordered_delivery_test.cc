// The reorder window: order of delivery whatever the order of production,
// bytes of a piece handed out before the piece is complete, the window bound,
// errors in order, and cancellation. Also the RangeStream built on it, over
// an in-memory source, with and without a destination, and over a source
// that can only stream from offset 0.
#include "engine/ordered_delivery.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "engine/range_stream.h"
#include "store/destination.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::DeliveryCancelled;
using sparseio::OrderedDelivery;
using sparseio::RangeStream;
using sparseio::StreamOptions;
using sparseio::test::pattern_bytes;
using Bytes = std::vector<std::byte>;

namespace {

Bytes drain(OrderedDelivery& d) {
  Bytes out;
  for (auto s = d.next(); !s.empty(); s = d.next()) out.insert(out.end(), s.begin(), s.end());
  return out;
}

Bytes expected(const Bytes& object, const std::vector<ByteRange>& pieces) {
  Bytes out;
  for (const ByteRange& p : pieces) out.insert(out.end(), object.begin() + p.begin, object.begin() + p.end);
  return out;
}

// Produces every claimed piece in small appends with random pauses.
void produce(OrderedDelivery& d, const Bytes& object, unsigned seed) {
  std::mt19937 rng(seed);
  while (auto i = d.claim()) {
    const ByteRange p = d.piece(*i);
    for (uint64_t pos = p.begin; pos < p.end;) {
      const uint64_t n = std::min<uint64_t>(p.end - pos, 1 + rng() % 5000);
      d.append(*i, std::span(object).subspan(pos, n));
      pos += n;
      if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
    }
    d.finish(*i);
  }
}

// An object in memory; `ranged` false makes it a server without range
// support (fetch_into only from offset 0).
class MemorySource : public sparseio::Source {
 public:
  MemorySource(Bytes data, bool ranged) : data_(std::move(data)), ranged_(ranged) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return data_.size(); }
  sparseio::SourceIdentity identity() const override {
    sparseio::SourceIdentity id;
    id.size = data_.size();
    id.etag = "\"x\"";
    return id;
  }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), data_.size() - offset));
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(offset), n, buf.begin());
    return n;
  }
  void fetch_into(ByteRange r, sparseio::ExtentWriter& out) override {
    if (!ranged_ && r.begin != 0) throw sparseio::Error("ranges not supported");
    ++calls;
    for (uint64_t pos = r.begin; pos < r.end;) {
      const uint64_t n = std::min<uint64_t>(r.end - pos, 10000);
      out.write(pos, std::span(data_).subspan(pos, n));
      pos += n;
    }
  }
  bool supports_ranges() const override { return ranged_; }
  std::atomic<int> calls{0};

 private:
  Bytes data_;
  bool ranged_;
  std::string name_ = "memory";
};

StreamOptions opts(unsigned jobs, uint64_t chunk) {
  StreamOptions o;
  o.jobs = jobs;
  o.chunk_size = chunk;
  return o;
}

Bytes read_stream(RangeStream& s) {
  Bytes out;
  for (auto b = s.next(); !b.empty(); b = s.next()) out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("pieces come out in order whatever order they are produced in, within the window") {
  const Bytes object = pattern_bytes(0, 300000, 7);
  std::vector<ByteRange> pieces;
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {  // repeats and overlaps allowed
    uint64_t b = rng() % 290000;
    pieces.push_back({b, b + 1 + rng() % 9000});
  }
  OrderedDelivery d(pieces, 5);
  std::vector<std::jthread> producers;
  for (unsigned t = 0; t < 4; ++t) producers.emplace_back([&, t] { produce(d, object, t); });
  CHECK(drain(d) == expected(object, pieces));
  CHECK(d.peak_in_window() <= 5);
  CHECK(d.peak_in_window() >= 2);  // the producers did run ahead
}

TEST_CASE("the head piece's bytes are handed out before it is complete") {
  const Bytes object = pattern_bytes(0, 1000, 1);
  OrderedDelivery d({{0, 1000}}, 2);
  auto i = d.claim();
  REQUIRE(i);
  d.append(*i, std::span(object).first(100));
  auto s = d.next();  // would block forever if it waited for finish()
  CHECK(s.size() == 100);
  CHECK(std::equal(s.begin(), s.end(), object.begin()));
  d.append(*i, std::span(object).subspan(100));
  d.finish(*i);
  CHECK(d.next().size() == 900);
  CHECK(d.next().empty());
}

TEST_CASE("a producer waits while the window is full and goes on when the reader consumes") {
  const Bytes object = pattern_bytes(0, 400, 2);
  OrderedDelivery d({{0, 100}, {100, 200}, {200, 300}, {300, 400}}, 2);
  auto a = d.claim(), b = d.claim();
  REQUIRE(a);
  REQUIRE(b);
  std::atomic<bool> third{false};
  std::jthread t([&] {
    auto c = d.claim();
    third = true;
    d.append(*c, std::span(object).subspan(200, 100));
    d.finish(*c);
    auto e = d.claim();
    d.append(*e, std::span(object).subspan(300, 100));
    d.finish(*e);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(third.load());  // two pieces claimed, none consumed: full
  d.append(*a, std::span(object).first(100));
  d.finish(*a);
  d.append(*b, std::span(object).subspan(100, 100));
  d.finish(*b);
  CHECK(drain(d) == object);
  CHECK(d.peak_in_window() == 2);
}

TEST_CASE("a failed piece: the bytes before it, its prefix, then its error") {
  const Bytes object = pattern_bytes(0, 300, 3);
  OrderedDelivery d({{0, 100}, {100, 200}, {200, 300}}, 3);
  auto a = d.claim(), b = d.claim(), c = d.claim();
  d.append(*c, std::span(object).subspan(200, 100));
  d.finish(*c);
  d.append(*b, std::span(object).subspan(100, 40));
  d.finish(*b, std::make_exception_ptr(sparseio::Error("piece two broke")));
  d.append(*a, std::span(object).first(100));
  d.finish(*a);
  Bytes got;
  CHECK_THROWS_WITH(
      [&] {
        for (auto s = d.next(); !s.empty(); s = d.next()) got.insert(got.end(), s.begin(), s.end());
      }(),
      "piece two broke");
  CHECK(got == Bytes(object.begin(), object.begin() + 140));
}

TEST_CASE("a piece finished short without an error is reported, not delivered as complete") {
  OrderedDelivery d({{0, 10}}, 1);
  auto a = d.claim();
  d.append_zeros(*a, 4);
  d.finish(*a);
  CHECK(d.next().size() == 4);
  CHECK_THROWS_WITH(d.next(), doctest::Contains("ended after 4 bytes"));
}

TEST_CASE("cancel wakes waiting producers and makes appends throw") {
  OrderedDelivery d({{0, 10}, {10, 20}, {20, 30}}, 1);
  auto a = d.claim();
  std::optional<size_t> waited = 42;
  std::jthread t([&] { waited = d.claim(); });  // blocks: window of 1 is full
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  d.cancel();
  t.join();
  CHECK_FALSE(waited.has_value());
  const Bytes ten(10);
  CHECK_THROWS_AS(d.append(*a, ten), DeliveryCancelled);
  CHECK(d.next().empty());
}

TEST_CASE("RangeStream: ranges in the order given, over several workers, without a destination") {
  const Bytes object = pattern_bytes(0, 1 << 20, 9);
  MemorySource src(object, true);
  std::vector<ByteRange> ranges = {{900000, 1 << 20}, {0, 10}, {5, 300000}, {0, 10}};
  RangeStream s(src, nullptr, ranges, opts(3, 64 * 1024));
  CHECK(read_stream(s) == expected(object, ranges));
  CHECK(s.peak_in_window() <= 6);
  CHECK(s.stats().fetched_bytes == s.stats().requested_bytes);
}

TEST_CASE("RangeStream: with a destination, missing bytes are stored and present ones read from it") {
  sparseio::test::TempDir dir;
  const Bytes object = pattern_bytes(0, 1 << 20, 10);
  MemorySource src(object, true);
  auto dest = sparseio::Destination::open_for_source(dir.file("dst"), src.identity());
  {
    RangeStream s(src, dest.get(), {{1000, 200000}}, opts(2, 50000));
    CHECK(read_stream(s) == expected(object, {{1000, 200000}}));
    CHECK(s.stats().fetched_bytes == 199000);
  }
  CHECK(dest->contains({1000, 200000}));
  const int calls = src.calls;
  RangeStream again(src, dest.get(), {{150000, 160000}, {0, 2000}}, opts(2, 0));
  CHECK(read_stream(again) == expected(object, {{150000, 160000}, {0, 2000}}));
  CHECK(again.stats().fetched_bytes == 1000);  // only 0-999 was missing
  CHECK(again.stats().reused_bytes == 11000);
  CHECK(src.calls == calls + 1);
}

TEST_CASE("RangeStream: a source without ranges is read once from 0, spread over ascending ranges") {
  const Bytes object = pattern_bytes(0, 500000, 11);
  MemorySource src(object, false);
  std::vector<ByteRange> ranges = {{0, 100}, {1000, 300000}, {400000, 450000}};
  RangeStream s(src, nullptr, ranges, opts(4, 32768));
  CHECK(read_stream(s) == expected(object, ranges));
  CHECK(src.calls == 1);
  CHECK(s.peak_in_window() <= 8);
  CHECK_THROWS_WITH(RangeStream(src, nullptr, {{1000, 2000}, {0, 10}}), doctest::Contains("ascending order"));
}
