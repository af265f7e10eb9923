// The scheduler's decisions on given measurements: link estimates, slow
// start and back-off of the concurrency, the coalescing gap and the split of
// the last pieces. Time is passed in, so every case is deterministic.
#include "engine/scheduler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

using sparseio::ConcurrencyControl;
using sparseio::FetchScheduler;
using sparseio::LinkEstimate;
using sparseio::LinkMeter;
using sparseio::RecentMedian;
using sparseio::SchedulerOptions;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;

// Drives `c` through windows of `window` seconds in which `rate(limit)`
// bytes/s arrive with every slot in use; returns the limit after `n` windows.
// `peak`, when given, keeps the highest limit seen.
template <class Rate>
unsigned run_windows(ConcurrencyControl& c, int n, double window, Rate rate, double& t, uint64_t& bytes,
                     unsigned* peak = nullptr) {
  for (int i = 0; i < n; ++i) {
    if (peak) *peak = std::max(*peak, c.limit());
    // TTFB window/4: the window (2 x TTFB) closes at `window` whatever the rounding.
    c.tick(t, bytes, c.limit(), window / 4);
    const double r = rate(c.limit());
    t += window;
    bytes += static_cast<uint64_t>(r * window);
    c.tick(t, bytes, c.limit(), window / 4);
    if (peak) *peak = std::max(*peak, c.limit());
  }
  return c.limit();
}
}  // namespace

TEST_CASE("RecentMedian keeps the median of the last samples") {
  RecentMedian m(3);
  CHECK(m.empty());
  CHECK(m.median() == 0);
  m.add(5);
  m.add(1);
  m.add(100);
  CHECK(m.median() == 5);
  m.add(2);  // replaces 5: {2, 1, 100}
  m.add(3);  // replaces 1: {2, 3, 100}
  CHECK(m.median() == 3);
  CHECK(m.min() == 2);
}

TEST_CASE("LinkMeter: TTFB from every response, bandwidth only from big ones") {
  LinkMeter meter;
  CHECK(meter.estimate().ttfb_s == 0);
  meter.add(0.022, 64 * KiB, 0.0001);  // too small to time its body
  meter.add(0.020, 64 * KiB, 0.0001);
  meter.add(0.300, 64 * KiB, 0.0001);  // queued behind our own load: not the link's latency
  CHECK(meter.estimate().ttfb_s == doctest::Approx(0.020));
  CHECK(meter.ttfb_s() == meter.estimate().ttfb_s);
  CHECK(meter.estimate().conn_bandwidth == 0);
  meter.add(-1, 8 * MiB, 0.16);  // no first byte seen: not a TTFB sample
  CHECK(meter.estimate().ttfb_s == doctest::Approx(0.020));
  CHECK(meter.estimate().conn_bandwidth == doctest::Approx(8.0 * MiB / 0.16));
}

TEST_CASE("concurrency grows while throughput grows, up to the cap") {
  ConcurrencyControl c(0, 8, 64);
  double t = 0;
  uint64_t bytes = 0;
  // Latency-bound: throughput proportional to requests in flight. Every
  // step takes two windows: one for the new requests to settle, one to judge.
  auto linear = [](unsigned limit) { return limit * 1e6; };
  CHECK(run_windows(c, 1, 0.04, linear, t, bytes) == 8);  // the start settles
  CHECK(run_windows(c, 1, 0.04, linear, t, bytes) == 16);
  CHECK(run_windows(c, 2, 0.04, linear, t, bytes) == 32);
  unsigned peak = 0;
  CHECK(run_windows(c, 10, 0.04, linear, t, bytes, &peak) == 64);
  CHECK(peak == 64);  // never above the cap
}

TEST_CASE("a raise that does not pay is taken back, and raising stops") {
  double t = 0;
  uint64_t bytes = 0;
  SUBCASE("a link that saturates at 16 requests in flight") {
    ConcurrencyControl c(0, 8, 64);
    auto saturating = [](unsigned limit) { return std::min(limit, 16u) * 1e8; };
    unsigned peak = 0;
    CHECK(run_windows(c, 4, 0.04, saturating, t, bytes, &peak) == 32);   // 8 -> 16 doubled throughput
    CHECK(run_windows(c, 2, 0.04, saturating, t, bytes, &peak) == 16);   // 16 -> 32 did not: back to 16
    CHECK(run_windows(c, 20, 0.04, saturating, t, bytes, &peak) == 16);  // and no more trials
    CHECK(peak == 32);
  }
  SUBCASE("CPU-bound: more requests make it slower (loopback on 2 cores)") {
    ConcurrencyControl c(0, 8, 64);
    auto cpu_bound = [](unsigned limit) { return limit <= 8 ? 8e8 : 6e8; };
    CHECK(run_windows(c, 2, 0.04, cpu_bound, t, bytes) == 16);  // tried
    CHECK(run_windows(c, 2, 0.04, cpu_bound, t, bytes) == 8);   // and taken back
    CHECK(run_windows(c, 20, 0.04, cpu_bound, t, bytes) == 8);
  }
  SUBCASE("a gain within noise does not keep a doubling") {
    ConcurrencyControl c(0, 8, 64);
    auto flat = [](unsigned limit) { return limit <= 8 ? 8e8 : 8e8 * 1.15; };
    CHECK(run_windows(c, 4, 0.04, flat, t, bytes) == 8);
  }
}

TEST_CASE("no raise is tried while the process keeps half the cores busy") {
  ConcurrencyControl c(0, 8, 64, 2);
  double t = 0, cpu = 0;
  uint64_t bytes = 0;
  // One 40 ms window in which the process used `share` of the 2 cores.
  auto window = [&](double share) {
    c.tick(t, bytes, c.limit(), 0.01, cpu);
    t += 0.04;
    bytes += 1000000ull * c.limit();
    cpu += 0.04 * 2 * share;
    c.tick(t, bytes, c.limit(), 0.01, cpu);
    return c.limit();
  };
  CHECK(window(0.6) == 8);  // the start settles
  CHECK(window(0.6) == 8);  // CPU-bound: more requests would only compete for it
  CHECK(window(0.6) == 8);
  CHECK(window(0.2) == 16);                // the CPU is free: the raise is tried
  ConcurrencyControl unwatched(0, 8, 64);  // no cores given: CPU not watched
  t = cpu = 0;
  bytes = 0;
  unwatched.tick(0, 0, 8, 0.01, 0);
  unwatched.tick(0.04, 320000, 8, 0.01, 10);  // settles
  CHECK(unwatched.tick(0.08, 640000, 8, 0.01, 20));
  CHECK(unwatched.limit() == 16);
}

TEST_CASE("the CPU clock is read only when the CPU is watched and a window opens or closes") {
  ConcurrencyControl c(0, 8, 64, 2);
  CHECK(c.wants_cpu(0, 0.005));  // the first window opens
  c.tick(0, 0, 8, 0.005, 1.0);
  CHECK_FALSE(c.wants_cpu(0.010, 0.005));                            // inside the 20 ms window: no
  CHECK(c.wants_cpu(0.020, 0.005));                                  // it closes
  CHECK_FALSE(ConcurrencyControl(0, 8, 64).wants_cpu(0, 0.005));     // not watched
  CHECK_FALSE(ConcurrencyControl(4, 8, 64, 2).wants_cpu(0, 0.005));  // -j: nothing to decide
}

TEST_CASE("a new batch drops a raise on trial instead of judging it by the idle time between") {
  double t = 0;
  uint64_t bytes = 0;
  auto flat = [](unsigned) { return 8e8; };
  ConcurrencyControl c(0, 8, 64);
  REQUIRE(run_windows(c, 2, 0.04, flat, t, bytes) == 16);  // a raise on trial
  c.new_batch();
  t += 5;  // the caller's pause: no bytes
  // The next batch settles, then measures 16 afresh and tries 32; without
  // the hook the pause would have judged (and reverted) the raise to 16.
  CHECK(run_windows(c, 2, 0.04, flat, t, bytes) == 32);
}

TEST_CASE("a window in which the limit was not in use is not judged") {
  ConcurrencyControl c(0, 8, 64);
  c.tick(0, 0, 2, 0.01);
  CHECK_FALSE(c.tick(1, 1000000, 2, 0.01));  // the start settles
  CHECK_FALSE(c.tick(2, 2000000, 2, 0.01));  // only 2 of 8 in flight
  CHECK(c.limit() == 8);
  CHECK(c.tick(3, 3000000, 8, 0.01));
  CHECK(c.limit() == 16);
}

TEST_CASE("windows last at least twice the TTFB") {
  ConcurrencyControl c(0, 8, 64);
  c.tick(0, 0, 8, 0.1);
  CHECK_FALSE(c.tick(0.21, 1000000, 8, 0.1));  // the start settles
  CHECK_FALSE(c.tick(0.35, 2000000, 8, 0.1));  // < 2 x 100 ms
  CHECK(c.limit() == 8);
  CHECK(c.tick(0.42, 3000000, 8, 0.1));
  CHECK(c.limit() == 16);
}

TEST_CASE("push-back halves the limit once per window, then growth is additive") {
  ConcurrencyControl c(0, 8, 64);
  double t = 0;
  uint64_t bytes = 0;
  auto linear = [](unsigned limit) { return limit * 1e6; };
  REQUIRE(run_windows(c, 8, 0.04, linear, t, bytes) == 64);
  CHECK(c.throttled(t, 0.02));
  CHECK(c.limit() == 32);
  CHECK_FALSE(c.throttled(t + 0.01, 0.02));  // the same overload, reported by another request
  CHECK(c.limit() == 32);
  CHECK(c.throttled(t + 0.05, 0.02));
  CHECK(c.limit() == 16);
  t += 0.05;
  CHECK(run_windows(c, 4, 0.04, linear, t, bytes) == 25);  // +1/4, not x2: 16 -> 20 -> 25
  // Steps to the cap are small (58 -> 64): kept for a share of their gain.
  CHECK(run_windows(c, 20, 0.04, linear, t, bytes) == 64);
  ConcurrencyControl low(0, 1, 64);
  CHECK_FALSE(low.throttled(0, 0.02));  // never below 1
  CHECK(low.limit() == 1);
}

TEST_CASE("-j fixes the concurrency: no growth, no back-off") {
  ConcurrencyControl c(4, 8, 64);
  double t = 0;
  uint64_t bytes = 0;
  CHECK(run_windows(
            c, 5, 0.04, [](unsigned l) { return l * 1e6; }, t, bytes) == 4);
  CHECK_FALSE(c.throttled(10, 0.02));
  CHECK(c.limit() == 4);
  FetchScheduler s({.jobs = 3, .max_connections = 64, .chunk_size = 8 * MiB});
  CHECK(s.max_in_flight() == 3);
  CHECK(s.limit() == 3);
}

TEST_CASE("the coalescing gap is TTFB x per-connection bandwidth, within bounds") {
  using sparseio::link_coalesce_gap;
  // 62.5 ms at 16 MiB/s: 1 MiB (numbers exact in binary).
  CHECK(link_coalesce_gap({0.0625, 16.0 * MiB}, 8 * MiB, 1e12, 1) == MiB);
  // Unknown link: the floor.
  CHECK(link_coalesce_gap({0, 0}, 8 * MiB, 1e12, 1) == sparseio::kMinCoalesceGap);
  // Loopback (50 us at 1000 MiB/s: 51 KiB): the floor.
  CHECK(link_coalesce_gap({0.00005, 1000.0 * MiB}, 8 * MiB, 1e12, 1) == sparseio::kMinCoalesceGap);
  // 100 ms: capped at a quarter of the largest piece.
  CHECK(link_coalesce_gap({0.100, 50.0 * MiB}, 8 * MiB, 1e12, 1) == 2 * MiB);
  // 64 connections that together received 640 MiB/s at best: 10 MiB/s each.
  CHECK(link_coalesce_gap({0.0625, 50.0 * MiB}, 8 * MiB, 640.0 * MiB, 64) == 640 * KiB);
  // A latency-bound fetch that measured only 64 MiB/s in all: the assumed
  // aggregate (512 MiB/s) is shared instead, 8 MiB/s each.
  CHECK(link_coalesce_gap({0.0625, 50.0 * MiB}, 8 * MiB, 64.0 * MiB, 64) ==
        static_cast<uint64_t>(0.0625 * sparseio::kAssumedAggregateBandwidth / 64));
  // ... but never more than one connection measured alone.
  CHECK(link_coalesce_gap({0.0625, 16.0 * MiB}, 8 * MiB, 6400.0 * MiB, 64) == MiB);
  // No throughput measured yet: the floor, whatever the TTFB.
  CHECK(link_coalesce_gap({0.100, 50.0 * MiB}, 8 * MiB, 0, 1) == sparseio::kMinCoalesceGap);
  // No big transfer timed yet: the assumed per-connection bandwidth.
  CHECK(link_coalesce_gap({0.010, 0}, 8 * MiB, 1e12, 1) ==
        static_cast<uint64_t>(0.010 * sparseio::kAssumedConnBandwidth));
}

TEST_CASE("the last pieces are split over the connections") {
  using sparseio::split_piece_size;
  CHECK(split_piece_size(8 * MiB, 1024 * MiB, 0, 64) == 8 * MiB);  // plenty left
  CHECK(split_piece_size(8 * MiB, 128 * MiB, 0, 64) == 2 * MiB);   // the tail: 128 MiB / 64
  CHECK(split_piece_size(8 * MiB, 4 * MiB, 0, 64) == sparseio::kMinSplitPiece);
  CHECK(split_piece_size(8 * MiB, 4 * MiB, 0, 1) == 8 * MiB);  // one connection: no split
  // 21 Parquet-like ranges (60 MiB): the 20 after this one end pieces of
  // their own, the other 44 connections share the bytes: one round in all.
  CHECK(split_piece_size(8 * MiB, 60 * MiB, 20, 64) == 60 * MiB / 44 + 1);
  // As many ranges left as connections (random reads): the ranges are the pieces.
  CHECK(split_piece_size(8 * MiB, 60 * MiB, 63, 64) == 8 * MiB);
  CHECK(split_piece_size(8 * MiB, 60 * MiB, 999, 64) == 8 * MiB);
  FetchScheduler local({.jobs = 4, .chunk_size = 4 * MiB, .split_tail = false});
  CHECK(local.piece_size(MiB, 0) == 4 * MiB);
}

TEST_CASE("FetchScheduler follows the link it measures and reports it") {
  FetchScheduler s({.max_connections = 64, .chunk_size = 8 * MiB, .split_tail = true});
  CHECK(s.max_in_flight() == 64);
  CHECK(s.limit() == sparseio::kStartConnections);
  CHECK(s.coalesce_gap() == sparseio::kMinCoalesceGap);
  double t = 0;
  uint64_t bytes = 0;
  for (int i = 0; i < 40; ++i) {
    s.on_start(t, s.limit(), bytes);
    t += 0.021;
    bytes += 2 * MiB;
    s.on_finish(t, s.limit() - 1, bytes, 0.020, 2 * MiB, 0.04);  // 50 MiB/s
  }
  // The throughput stayed 2 MiB every 21 ms: 16 was tried and taken back.
  CHECK(s.limit() == sparseio::kStartConnections);
  // 95 MiB/s in all is less than the assumed aggregate, whose share over 8
  // connections (64 MiB/s) is more than one connection's 50 MiB/s: the gap
  // is 20 ms x 50 MiB/s.
  CHECK(s.coalesce_gap() == doctest::Approx(0.020 * 50 * MiB).epsilon(0.02));
  s.add_piece(1000, 123);
  sparseio::SchedulerSummary sum = s.summary();
  CHECK(sum.adaptive_concurrency);
  CHECK(sum.adaptive_coalescing);
  CHECK(sum.overfetched_bytes == 123);
  CHECK(sum.peak_in_flight == 2 * sparseio::kStartConnections);
  CHECK(sum.final_limit == sparseio::kStartConnections);
  CHECK(sum.link.ttfb_s == doctest::Approx(0.020));
  FetchScheduler fixed({.coalesce_fixed = true, .coalesce_gap = 0, .chunk_size = 8 * MiB});
  CHECK(fixed.coalesce_gap() == 0);
  CHECK_FALSE(fixed.summary().adaptive_coalescing);
}

TEST_CASE("the link's coalescing gap over-fetches at most the wanted bytes; a fixed gap is not bounded") {
  CHECK(sparseio::overfetch_within_bound(0, 0));
  CHECK(sparseio::overfetch_within_bound(4096, 4096));
  CHECK_FALSE(sparseio::overfetch_within_bound(4097, 4096));
  FetchScheduler s({.chunk_size = 8 * MiB});
  // A 4 KiB range next to a 60 KiB gap: the gap is more than the range.
  CHECK_FALSE(s.may_overfetch(8192, 60 * 1024));
  CHECK(s.may_overfetch(8192, 8192));
  // The budget is the whole fetch's: unmerged pieces leave room for a later merge.
  for (int i = 0; i < 15; ++i) s.add_piece(4096, 0);
  CHECK(s.may_overfetch(8192, 60 * 1024));  // 61,440 + 8,192 wanted, 61,440 over
  s.add_piece(8192, 60 * 1024);
  CHECK(s.may_overfetch(0, 8192));  // 69,632 wanted, 61,440 over: 8,192 left
  CHECK_FALSE(s.may_overfetch(0, 8193));
  CHECK(s.summary().overfetched_bytes == 60 * 1024);
  FetchScheduler fixed({.coalesce_fixed = true, .coalesce_gap = 1 << 20, .chunk_size = 8 * MiB});
  CHECK(fixed.may_overfetch(1, 1 << 20));
}

TEST_CASE("discovery's latency: the first TTFB, and a start at the cap from 2 ms") {
  FetchScheduler far(
      {.max_connections = 64, .chunk_size = 8 * MiB, .split_tail = true, .latency_hint_s = 0.020});
  CHECK(far.limit() == 64);
  CHECK(far.summary().link.ttfb_s == doctest::Approx(0.020));
  CHECK(far.summary().start_limit == 64);  // -v says where it started, and why
  CHECK(far.summary().latency_hint_s == doctest::Approx(0.020));
  FetchScheduler near({.max_connections = 64, .chunk_size = 8 * MiB, .latency_hint_s = 0.0003});  // loopback
  CHECK(near.limit() == sparseio::kStartConnections);
  CHECK(near.summary().start_limit == sparseio::kStartConnections);
  CHECK(near.summary().link.ttfb_s == doctest::Approx(0.0003));
  FetchScheduler unknown({.max_connections = 64, .chunk_size = 8 * MiB});
  CHECK(unknown.limit() == sparseio::kStartConnections);
  CHECK(unknown.summary().link.ttfb_s == 0);
  FetchScheduler fixed({.jobs = 3, .chunk_size = 8 * MiB, .latency_hint_s = 0.1});
  CHECK(fixed.limit() == 3);
  FetchScheduler small_cap({.max_connections = 4, .chunk_size = 8 * MiB});
  CHECK(small_cap.limit() == 4);
  CHECK(FetchScheduler::start_limit(0, 64, sparseio::kLatencyStartAtCap) == 64);
  CHECK(FetchScheduler::start_limit(0, 64, sparseio::kLatencyStartAtCap * 0.99) == 8);
}
