// The reorder window: order of delivery whatever the order of production,
// bytes of a piece handed out before the piece is complete, the window bound,
// errors in order, and cancellation. (The RangeStream built on it:
// range_stream_test.cc.) The window bound is checked from outside: the
// reader publishes how many pieces it has released before each next(), and
// a producer whose claim returns a piece beyond that many + window fails.
#include "engine/ordered_delivery.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "test_util.h"

using sparseio::ByteRange;
using sparseio::DeliveryCancelled;
using sparseio::OrderedDelivery;
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

// What the reader has let go of: before each next() it publishes how many
// pieces it has read entirely (the ones that call may release). A claim
// that returns piece i while fewer than i + 1 - window are released broke
// the window's bound.
struct WindowWatch {
  std::atomic<size_t> released{0};
  std::atomic<size_t> beyond_bound{0};  // claims past the bound (must stay 0)
  std::atomic<size_t> most_ahead{0};    // the furthest a claim ran ahead of the reader
  void claimed(size_t i, size_t window) {
    const size_t r = released.load();
    if (i >= r + window) ++beyond_bound;
    size_t ahead = i - std::min(i, r), m = most_ahead.load();
    while (ahead > m && !most_ahead.compare_exchange_weak(m, ahead)) {
    }
  }
};

// Reads everything, publishing to `watch` what it released.
Bytes drain_watched(OrderedDelivery& d, const std::vector<ByteRange>& pieces, WindowWatch& watch) {
  Bytes out;
  size_t whole = 0;  // pieces read entirely
  uint64_t end_of_next = pieces.empty() ? 0 : pieces[0].size();
  for (;;) {
    while (whole < pieces.size() && out.size() >= end_of_next) {
      ++whole;
      if (whole < pieces.size()) end_of_next += pieces[whole].size();
    }
    watch.released = whole;
    auto s = d.next();
    if (s.empty()) return out;
    out.insert(out.end(), s.begin(), s.end());
  }
}

// Produces every claimed piece in small appends with random pauses.
void produce(OrderedDelivery& d, const Bytes& object, unsigned seed, WindowWatch* watch = nullptr) {
  std::mt19937 rng(seed);
  while (auto i = d.claim()) {
    if (watch) watch->claimed(*i, d.window());
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
  WindowWatch watch;
  std::vector<std::jthread> producers;
  for (unsigned t = 0; t < 4; ++t) producers.emplace_back([&, t] { produce(d, object, t, &watch); });
  CHECK(drain_watched(d, pieces, watch) == expected(object, pieces));
  producers.clear();  // joined: every claim was checked
  CHECK(watch.beyond_bound == 0);
  CHECK(watch.most_ahead >= 1);  // the producers did run ahead of the reader
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
  // Set just before the read that lets piece a go: a third claim that
  // returns before it was seen set did not wait for the window.
  std::atomic<bool> released{false}, claimed_early{false};
  std::jthread t([&] {
    auto c = d.claim();
    if (!released) claimed_early = true;
    d.append(*c, std::span(object).subspan(200, 100));
    d.finish(*c);
    auto e = d.claim();
    d.append(*e, std::span(object).subspan(300, 100));
    d.finish(*e);
  });
  d.append(*a, std::span(object).first(100));
  d.finish(*a);
  d.append(*b, std::span(object).subspan(100, 100));
  d.finish(*b);
  auto first = d.next();  // a's bytes: a stays in the window until the reader asks for more
  Bytes got(first.begin(), first.end());
  CHECK(got.size() == 100);
  released = true;
  Bytes rest = drain(d);
  got.insert(got.end(), rest.begin(), rest.end());
  CHECK(got == object);
  t.join();
  CHECK_FALSE(claimed_early.load());
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
