// The fetch coordinator against a real file source and a real destination:
// correctness, deduplication, reuse, chunking, parallelism, concurrent
// callers, failures part-way, and coalescing.
#include "engine/fetch_coordinator.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/block.h"
#include "core/errors.h"
#include "core/unique_fd.h"
#include "source/file_source.h"
#include "store/sidecar.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Destination;
using sparseio::FetchCoordinator;
using sparseio::FetchOptions;
using sparseio::FetchStats;
using sparseio::FileSource;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using Bytes = std::vector<std::byte>;
using Ranges = std::vector<ByteRange>;

namespace {

// A source file of random bytes with a few all-zero stretches.
Bytes make_source(const std::string& path, uint64_t size, uint64_t seed) {
  Bytes b = pattern_bytes(0, size, seed);
  for (uint64_t z = size / 7; z < size / 7 + 3 * 4096 + 11 && z < size; ++z) b[z] = std::byte{0};
  sparseio::test::write_file(path, b);
  return b;
}

// Wraps a FileSource and delivers in small pieces, counting how often each
// byte is delivered; can be slowed down and made to fail at one offset.
class CountingSource : public sparseio::Source {
 public:
  explicit CountingSource(const std::string& path) : inner_(path), counts_(inner_.size(), 0) {}

  const std::string& name() const override { return inner_.name(); }
  uint64_t size() const override { return inner_.size(); }
  sparseio::SourceIdentity identity() const override { return inner_.identity(); }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override { return inner_.read_at(offset, buf); }

  using sparseio::Source::fetch_into;
  void fetch_into(ByteRange r, sparseio::ExtentWriter& out, sparseio::LinkObserver&) override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(r);
    }
    Bytes buf;
    for (uint64_t pos = r.begin; pos < r.end;) {
      uint64_t end = std::min(r.end, pos + piece);
      const bool fail = fail_at && *fail_at >= pos && *fail_at < end;
      if (fail) end = *fail_at;
      if (end > pos) {
        buf.resize(end - pos);
        if (inner_.read_at(pos, buf) != buf.size()) throw sparseio::Error("short read in test source");
        {
          std::lock_guard lock(mu_);
          for (uint64_t i = pos; i < end; ++i) ++counts_[i];
        }
        out.write(pos, buf);
      }
      if (fail && fail_as_changed)
        throw sparseio::SourceChangedError("injected change at " + std::to_string(end));
      if (fail) throw sparseio::Error("injected failure at " + std::to_string(end));
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      pos = end;
    }
  }

  // Bytes delivered at least once, and the most any byte was delivered.
  CoverageMap delivered() const {
    std::lock_guard lock(mu_);
    CoverageMap c;
    for (uint64_t i = 0; i < counts_.size();) {
      uint64_t j = i;
      while (j < counts_.size() && counts_[j] > 0) ++j;
      if (j > i) c.insert({i, j});
      i = j + 1;
    }
    return c;
  }
  unsigned max_count() const {
    std::lock_guard lock(mu_);
    unsigned m = 0;
    for (unsigned c : counts_) m = std::max(m, c);
    return m;
  }
  Ranges calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  uint64_t piece = 4096;
  std::chrono::microseconds delay{0};
  std::optional<uint64_t> fail_at;
  bool fail_as_changed = false;  // the failure is a SourceChangedError

 private:
  FileSource inner_;
  mutable std::mutex mu_;
  std::vector<unsigned> counts_;
  Ranges calls_;
};

// Union size of ranges clipped to [0, size), by brute force.
uint64_t union_size(const Ranges& rs, uint64_t size) {
  std::vector<bool> bits(size);
  for (const ByteRange& r : rs)
    for (uint64_t i = r.begin; i < std::min(r.end, size); ++i) bits[i] = true;
  uint64_t n = 0;
  for (bool b : bits) n += b;
  return n;
}

// DST must hold the source's bytes where present and zeros elsewhere.
void check_dst(const std::string& dst, const Bytes& src, const CoverageMap& present) {
  Bytes got = read_file(dst);
  REQUIRE(got.size() == src.size());
  uint64_t bad = 0;
  for (uint64_t i = 0; i < src.size(); ++i) {
    std::byte want = present.contains({i, i + 1}) ? src[i] : std::byte{0};
    bad += got[i] != want;
  }
  CHECK(bad == 0);
}

// Delivers pieces from a file like an HTTP source: the piece holding
// `lie_at` comes as a response cut short at `lie_at` (its prefix is the
// object's), then a response that writes shifted bytes from there before it
// is found invalid, which discards them and throws.
class LyingSource : public sparseio::Source {
 public:
  LyingSource(const std::string& path, uint64_t lie_at) : inner_(path), lie_at_(lie_at) {}
  const std::string& name() const override { return inner_.name(); }
  uint64_t size() const override { return inner_.size(); }
  sparseio::SourceIdentity identity() const override { return inner_.identity(); }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override { return inner_.read_at(offset, buf); }

  void fetch_into(ByteRange r, sparseio::ExtentWriter& out, sparseio::LinkObserver&) override {
    if (lie_at_ < r.begin || lie_at_ >= r.end) return inner_.fetch_into(r, out);
    Bytes buf(r.end - r.begin);
    inner_.read_at(r.begin, buf);
    out.write(r.begin, std::span(buf).first(lie_at_ - r.begin));
    const uint64_t shifted = std::min<uint64_t>(r.end - lie_at_, 5000);
    inner_.read_at(lie_at_ - 100, std::span(buf).first(shifted));  // 100 bytes early
    out.write(lie_at_, std::span(buf).first(shifted));
    out.discard_from(lie_at_);
    throw sparseio::Error("the server sent more bytes than its Content-Range said");
  }

 private:
  FileSource inner_;
  uint64_t lie_at_;
};

struct Fixture {
  TempDir dir;
  std::string src_path = dir.file("src");
  std::string dst_path = dir.file("dst");
  Bytes src;
  explicit Fixture(uint64_t size, uint64_t seed = 1) : src(make_source(src_path, size, seed)) {}
};

}  // namespace

TEST_CASE("a whole-object fetch copies the source exactly") {
  Fixture f(3 * (1 << 20) + 123);
  FileSource src(f.src_path);
  auto dst = Destination::open_for_source(f.dst_path, src.identity());
  FetchCoordinator fc(src, *dst, {.jobs = 4, .chunk_size = 256 * 1024, .coalesce_gap = 0});
  FetchStats s = fc.fetch({{0, src.size()}});
  CHECK(read_file(f.dst_path) == f.src);
  CHECK(s.requested_bytes == src.size());
  CHECK(s.fetched_bytes == src.size());
  CHECK(s.reused_bytes == 0);
  CHECK(s.requests == (src.size() + 256 * 1024 - 1) / (256 * 1024));
  CHECK(dst->present_ranges() == 1);
  CHECK(s.elapsed_s > 0);
}

TEST_CASE("overlapping and duplicate requests are fetched once; a second fetch reuses") {
  Fixture f(1 << 20);
  CountingSource src(f.src_path);
  auto dst = Destination::open_for_source(f.dst_path, src.identity());
  FetchCoordinator fc(src, *dst, {.jobs = 4, .chunk_size = 16384, .coalesce_gap = 0});
  const Ranges req{{100, 5000}, {3000, 9000}, {100, 5000}, {20000, 20001}, {(1 << 20) - 10, (1 << 20) + 1000},
                   {0, 1}};
  const uint64_t uni = union_size(req, 1 << 20);
  FetchStats s = fc.fetch(req);
  CHECK(s.requested_bytes == uni);
  CHECK(s.fetched_bytes == uni);
  CHECK(s.reused_bytes == 0);
  CHECK(src.max_count() == 1);
  CHECK(src.delivered().total_bytes() == uni);
  CHECK(dst->coverage() == src.delivered());
  check_dst(f.dst_path, f.src, dst->coverage());

  FetchStats again = fc.fetch(req);
  CHECK(again.fetched_bytes == 0);
  CHECK(again.requests == 0);
  CHECK(again.reused_bytes == uni);
  CHECK(again.requested_bytes == uni);

  // A superset: only the new part travels.
  const Ranges more{{0, 30000}};
  FetchStats third = fc.fetch(more);
  const uint64_t old_in_more = union_size({{100, 9000}, {20000, 20001}, {0, 1}}, 1 << 20);
  CHECK(third.reused_bytes == old_in_more);
  CHECK(third.fetched_bytes == 30000 - old_in_more);
  CHECK(src.max_count() == 1);
  check_dst(f.dst_path, f.src, dst->coverage());
}

TEST_CASE("big ranges are split into chunk-size pieces") {
  Fixture f(1 << 20);
  for (uint64_t chunk : {4096ull, 65536ull, 100000ull}) {
    CAPTURE(chunk);
    TempDir d2;
    CountingSource src(f.src_path);
    auto dst = Destination::open_for_source(d2.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 3, .chunk_size = chunk, .coalesce_gap = 0});
    const ByteRange r{100, 100 + 10 * chunk + 7};
    FetchStats s = fc.fetch({r});
    CHECK(s.requests == 11);
    const Ranges calls = src.calls();
    CHECK(calls.size() == 11);
    for (const ByteRange& c : calls) CHECK(c.size() <= chunk);
    CHECK(src.max_count() == 1);
    CHECK(dst->contains(r));
  }
}

TEST_CASE("jobs=1 and jobs=8 give identical files") {
  Fixture f(2 * (1 << 20) + 5, 4);
  std::mt19937_64 rng(77);
  Ranges req;
  for (int i = 0; i < 60; ++i) {
    uint64_t b = rng() % f.src.size();
    req.push_back({b, b + 1 + rng() % 60000});
  }
  FileSource src(f.src_path);
  std::vector<Bytes> files;
  std::vector<CoverageMap> covs;
  for (unsigned jobs : {1u, 8u}) {
    const std::string dst_path = f.dir.file("dst" + std::to_string(jobs));
    auto dst = Destination::open_for_source(dst_path, src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = jobs, .chunk_size = 32768, .coalesce_gap = 0});
    FetchStats s = fc.fetch(req);
    CHECK(s.fetched_bytes == union_size(req, f.src.size()));
    covs.push_back(dst->coverage());
    check_dst(dst_path, f.src, covs.back());
    files.push_back(read_file(dst_path));
  }
  CHECK(covs[0] == covs[1]);
  CHECK(covs[0].total_bytes() == union_size(req, f.src.size()));
  CHECK(files[0] == files[1]);
}

TEST_CASE("concurrent fetch() calls never transfer a byte twice") {
  Fixture f(1 << 20, 6);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    TempDir d2;
    CountingSource src(f.src_path);
    src.piece = 8192;
    src.delay = std::chrono::microseconds(500);
    auto dst = Destination::open_for_source(d2.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 4, .chunk_size = 32768, .coalesce_gap = 0});
    const uint64_t shift = static_cast<uint64_t>(round) * 50000;
    const std::vector<Ranges> asks{{{0 + shift, 700000}},
                                   {{300000 - shift, 1 << 20}},
                                   {{100000, 200000}, {650000, 800000 + shift}},
                                   {{0, 1 << 20}}};
    std::vector<FetchStats> stats(asks.size());
    std::vector<std::string> errors(asks.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < asks.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          stats[i] = fc.fetch(asks[i]);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    for (std::thread& t : threads) t.join();
    for (const std::string& e : errors) CHECK(e.empty());
    CHECK(src.max_count() == 1);
    uint64_t fetched = 0;
    for (const FetchStats& s : stats) fetched += s.fetched_bytes;
    CHECK(fetched == uint64_t{1} << 20);
    CHECK(dst->contains({0, 1 << 20}));
    CHECK(read_file(d2.file("dst")) == f.src);
  }
}

TEST_CASE("a call that waited for another call's piece which failed throws that piece's error") {
  Fixture f(256 << 10, 8);
  CountingSource src(f.src_path);
  src.piece = 4096;
  src.delay = std::chrono::milliseconds(2);
  src.fail_at = 40000;  // after ten pieces' delays: the second call is waiting by then
  src.fail_as_changed = true;
  auto dst = Destination::open_for_source(f.dst_path, src.identity());
  FetchCoordinator fc(src, *dst, {.jobs = 4, .chunk_size = 1 << 20, .coalesce_gap = 0});
  std::atomic<int> changed{0};
  auto call = [&] {
    try {
      fc.fetch({{0, 65536}});
    } catch (const sparseio::SourceChangedError&) {
      ++changed;
    } catch (const std::exception&) {
      // any other error: counted by its absence from `changed`
    }
  };
  std::thread first(call);
  while (src.calls().empty()) std::this_thread::yield();  // its piece is in flight
  call();  // finds the bytes in flight, waits for them, and hears why they did not come
  first.join();
  CHECK(changed == 2);
  // One transfer (when the second call came in time, as it does but on a
  // machine that stalls it for the 20 ms the first piece takes).
  CHECK(src.calls().size() <= 2);
}

TEST_CASE("an error part-way: thrown, finished pieces and the valid prefix stay recorded") {
  Fixture f(1 << 20, 8);
  for (unsigned jobs : {1u, 4u}) {
    CAPTURE(jobs);
    TempDir d2;
    const std::string dst_path = d2.file("dst");
    CountingSource src(f.src_path);
    src.fail_at = 5 * 65536 + 10000 + 5;  // inside the sixth chunk, not on a piece edge
    CoverageMap before_error;
    {
      auto dst = Destination::open_for_source(dst_path, src.identity());
      FetchCoordinator fc(src, *dst, {.jobs = jobs, .chunk_size = 65536, .coalesce_gap = 0});
      std::string msg;
      try {
        fc.fetch({{0, 1 << 20}});
      } catch (const sparseio::Error& e) {
        msg = e.what();
      }
      CHECK(msg == "injected failure at " + std::to_string(*src.fail_at));
      // Exactly what was delivered is recorded: whole pieces and the prefix.
      CHECK(dst->coverage() == src.delivered());
      CHECK(dst->contains({5 * 65536, *src.fail_at}));
      CHECK(!dst->contains({*src.fail_at, *src.fail_at + 1}));
      if (jobs == 1) CHECK(dst->coverage().ranges() == Ranges{{0, *src.fail_at}});
      check_dst(dst_path, f.src, dst->coverage());
      before_error = dst->coverage();
    }
    // It was made durable, and a retry fetches only the rest.
    src.fail_at.reset();
    auto dst = Destination::open_for_source(dst_path, src.identity());
    CHECK(dst->coverage() == before_error);
    FetchCoordinator fc(src, *dst, {.jobs = jobs, .chunk_size = 65536, .coalesce_gap = 0});
    FetchStats s = fc.fetch({{0, 1 << 20}});
    CHECK(s.fetched_bytes == (1 << 20) - before_error.total_bytes());
    CHECK(s.reused_bytes == before_error.total_bytes());
    CHECK(src.max_count() == 1);
    CHECK(read_file(dst_path) == f.src);
  }
}

TEST_CASE("coalesce_gap fetches nearby ranges as one request, gap included") {
  Fixture f(1 << 20, 9);
  for (uint64_t gap : {0ull, 500ull, 501ull, 5000ull}) {
    CAPTURE(gap);
    TempDir d2;
    CountingSource src(f.src_path);
    auto dst = Destination::open_for_source(d2.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 2, .chunk_size = 1 << 20, .coalesce_gap = gap});
    // Gaps between the ranges: 500 bytes, then 3000 bytes.
    FetchStats s = fc.fetch({{0, 1000}, {1500, 2500}, {5500, 6000}});
    const bool first_merged = gap > 500, second_merged = gap > 3000;
    CHECK(s.requests == 3 - first_merged - second_merged);
    CHECK(src.calls().size() == s.requests);
    CHECK(dst->contains({1000, 1500}) == first_merged);
    CHECK(dst->contains({2500, 5500}) == second_merged);
    CHECK(s.fetched_bytes == 2000 + (first_merged ? 500 : 0) + (second_merged ? 3000 : 0) + 500);
    CHECK(s.schedule.overfetched_bytes == (first_merged ? 500 : 0) + (second_merged ? 3000 : 0));
    CHECK_FALSE(s.schedule.adaptive_coalescing);
    CHECK(dst->coverage() == src.delivered());
    check_dst(d2.file("dst"), f.src, dst->coverage());
  }
}

TEST_CASE("bytes a source discards are not recorded; the prefix before them is, with its hash") {
  Fixture f(4 * 65536);
  const uint64_t lie_at = 2 * 65536 + 20000;
  {
    LyingSource src(f.src_path, lie_at);
    auto dst = Destination::open_for_source(f.dst_path, src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 1, .chunk_size = 65536, .coalesce_gap = 0});
    CHECK_THROWS_AS(fc.fetch({{0, 4 * 65536}}), sparseio::Error);
    CHECK(dst->coverage().ranges() == Ranges{{0, lie_at}});
  }
  // After a reboot each claim is checked against its hash: the prefix's hash
  // was taken again without the discarded bytes, so the claim survives.
  REQUIRE(sparseio::test::simulate_reboot(sparseio::Sidecar::path_for(f.dst_path)) > 0);
  auto dst = Destination::open_existing(f.dst_path, false);
  CHECK(dst->coverage().ranges() == Ranges{{0, lie_at}});
  Bytes got = read_file(f.dst_path);
  CHECK(std::equal(got.begin(), got.begin() + lie_at, f.src.begin()));
}

// A remote source with latency: each transfer waits `ttfb` before its first
// byte and counts how many run at once; `push_back_below` makes transfers
// that start below that offset report a 503 first.
class LatencySource : public CountingSource {
 public:
  using CountingSource::CountingSource;
  bool remote() const override { return true; }
  double latency_hint_s() const override { return hint_s; }
  void fetch_into(ByteRange r, sparseio::ExtentWriter& out, sparseio::LinkObserver& link) override {
    {
      std::lock_guard lock(m_);
      most_ = std::max(most_, ++now_);
    }
    std::this_thread::sleep_for(ttfb);
    if (r.begin < push_back_below) link.throttled();
    link.response_started();
    CountingSource::fetch_into(r, out, link);
    std::lock_guard lock(m_);
    --now_;
  }
  unsigned most() const {
    std::lock_guard lock(m_);
    return most_;
  }
  std::chrono::milliseconds ttfb{5};
  double hint_s = 0;  // what discovery would have measured
  uint64_t push_back_below = 0;

 private:
  mutable std::mutex m_;
  unsigned now_ = 0, most_ = 0;
};

namespace {
// A CPU clock that stays at 0: the scheduler judges growth by throughput alone.
double no_cpu_used() { return 0; }
}  // namespace

TEST_CASE("a remote source: requests in flight follow the link, within the cap") {
  Fixture f(32 << 20, 21);
  Ranges want;  // 400 requests: 76 KB apart, more than the least coalescing gap
  for (uint64_t i = 0; i < 400; ++i) want.push_back({i * 80000, i * 80000 + 4096});
  SUBCASE("latency-bound: grows from the start value") {
    LatencySource src(f.src_path);
    // 2 ms: 10 round trips in a 20 ms window, so that the windows judge
    // throughput, not which round trips happened to end inside them.
    src.ttfb = std::chrono::milliseconds(2);
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    // CPU not watched: 400 pieces of 4 KiB every 2 ms cost this fake source
    // more CPU per byte than a network would (under TSan, most of a core).
    // 64 KiB pieces: the coalescing gap stays at its 64 KiB floor (a quarter
    // of a piece, at least the floor), below the 76 KB between the ranges,
    // so all 400 are requests of their own.
    FetchCoordinator fc(src, *dst, {.max_connections = 32, .chunk_size = 64 << 10}, no_cpu_used);
    FetchStats s = fc.fetch(want);
    CHECK(s.schedule.adaptive_concurrency);
    CHECK(src.most() <= 32);
    CHECK(src.most() > sparseio::kStartConnections);
    // A piece counts as in flight from when it is taken to when it is recorded.
    CHECK(s.schedule.peak_in_flight >= src.most());
    CHECK(s.schedule.link.ttfb_s >= 0.002);
    CHECK(s.schedule.coalesce_gap >= sparseio::kMinCoalesceGap);
    CHECK(s.requests == want.size());
    CHECK(dst->coverage() == src.delivered());
  }
  SUBCASE("a latency measured by discovery: the cap from the start") {
    LatencySource src(f.src_path);
    src.ttfb = std::chrono::milliseconds(20);
    src.hint_s = 0.020;
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.max_connections = 32, .chunk_size = 1 << 20});
    FetchStats s = fc.fetch(want);
    // 400 requests of 20 ms in flight 32 at a time: 13 rounds. From 8 by
    // trial, each step would take 2 windows of 40 ms.
    CHECK(s.schedule.peak_in_flight > sparseio::kStartConnections);
    CHECK(src.most() <= 32);
    CHECK(s.schedule.link.ttfb_s >= 0.019);
    CHECK(dst->coverage() == src.delivered());
  }
  SUBCASE("coalescing by the link over-fetches at most the wanted bytes") {
    LatencySource src(f.src_path);
    src.ttfb = std::chrono::milliseconds(1);
    src.hint_s = 0.040;  // a 40 ms link: a gap of MiBs pays off in time alone
    Ranges small;        // 300 ranges of 4 KiB, 16 KiB apart (within the 64 KiB least gap)
    for (uint64_t i = 0; i < 300; ++i) small.push_back({i * 20480, i * 20480 + 4096});
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.max_connections = 8, .chunk_size = 1 << 20}, no_cpu_used);
    FetchStats s = fc.fetch(small);
    const uint64_t wanted = 300 * 4096;
    CHECK(s.schedule.adaptive_coalescing);
    CHECK(s.schedule.overfetched_bytes > 0);  // it still merges, within the bound
    CHECK(s.schedule.overfetched_bytes <= wanted);
    CHECK(s.fetched_bytes <= 2 * wanted);
    CHECK(s.requests < small.size());
    for (const ByteRange& r : small) CHECK(dst->missing(r).empty());
  }
  SUBCASE("an explicit --coalesce-gap is not bounded") {
    LatencySource src(f.src_path);
    src.ttfb = std::chrono::milliseconds(1);
    Ranges small;
    for (uint64_t i = 0; i < 50; ++i) small.push_back({i * 20480, i * 20480 + 4096});
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 2, .chunk_size = 1 << 20, .coalesce_gap = 64 << 10});
    FetchStats s = fc.fetch(small);
    CHECK(s.schedule.overfetched_bytes == 49 * 16384);
  }
  SUBCASE("a few big ranges are split to fill every connection once, not more") {
    LatencySource src(f.src_path);
    src.hint_s = 0.050;  // starts at the cap
    // Every piece is taken before any byte arrives, even when starting 16
    // threads is slow (TSan on a loaded machine).
    src.ttfb = std::chrono::milliseconds(300);
    Ranges few;  // 4 ranges of 2 MiB, 4 MiB apart: 8 MiB on 16 connections
    for (uint64_t i = 0; i < 4; ++i) few.push_back({i * (6 << 20), i * (6 << 20) + (2 << 20)});
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.max_connections = 16, .chunk_size = 8 << 20, .coalesce_gap = 0});
    FetchStats s = fc.fetch(few);
    CHECK(s.requests > few.size());  // split: whole ranges would leave 12 connections idle
    CHECK(s.requests <= 16);         // and in one round
    CHECK(dst->coverage() == src.delivered());
  }
  SUBCASE("-j fixes it") {
    LatencySource src(f.src_path);
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 3, .chunk_size = 1 << 20, .coalesce_gap = 0});
    FetchStats s = fc.fetch(want);
    CHECK(src.most() <= 3);
    CHECK(s.requests == want.size());
    CHECK_FALSE(s.schedule.adaptive_concurrency);
  }
  SUBCASE("push-back halves the limit") {
    LatencySource src(f.src_path);
    src.push_back_below = 16 << 20;  // every request
    want.resize(60);
    auto dst = Destination::open_for_source(f.dir.file("dst"), src.identity());
    FetchCoordinator fc(src, *dst, {.max_connections = 32, .chunk_size = 1 << 20});
    FetchStats s = fc.fetch(want);
    CHECK(s.schedule.throttles > 0);
    CHECK(s.schedule.final_limit < sparseio::kStartConnections);
    CHECK(src.most() <= sparseio::kStartConnections);
    CHECK(dst->coverage() == src.delivered());
  }
}

// Issue 22: a local source in whole 4 MiB chunks takes one copy of each byte
// (copy_file_range, then the hash and the zero scan read DST in place).
TEST_CASE(
    "a local copy in whole chunks: zero blocks become holes, a sparse source stays sparse, claims keep their "
    "hashes") {
  const uint64_t M = 1 << 20;
  const uint64_t size = 12 * M + 5000;
  TempDir dir;
  const std::string src_path = dir.file("src"), dst_path = dir.file("dst");
  Bytes data = pattern_bytes(0, size, 21);
  std::fill(data.begin() + static_cast<ptrdiff_t>(5 * M),
            data.begin() + static_cast<ptrdiff_t>(5 * M + 64 * 1024), std::byte{0});  // zero blocks
  std::fill(data.begin() + static_cast<ptrdiff_t>(9 * M), data.begin() + static_cast<ptrdiff_t>(10 * M),
            std::byte{0});
  sparseio::test::write_file(src_path, data);
  {
    sparseio::UniqueFd fd = sparseio::test::open_rw(src_path);
    REQUIRE(sparseio::punch_hole(fd.get(), {9 * M, 10 * M}, 4096, src_path) !=
            sparseio::PunchResult::kUnsupported);
  }
  {
    FileSource src(src_path);
    auto dst = Destination::open_for_source(dst_path, src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 2, .chunk_size = 4 * M, .coalesce_gap = 0});
    fc.fetch({{0, size}});
    CHECK(read_file(dst_path) == data);
    CHECK(dst->zero_hole_bytes() >= 64 * 1024);
  }
  const Ranges runs = sparseio::test::file_data_runs(dst_path);
  CHECK(runs == Ranges{{0, 5 * M}, {5 * M + 64 * 1024, 9 * M}, {10 * M, size}});
  // After a reboot every claim is checked against its hash: all survive.
  REQUIRE(sparseio::test::simulate_reboot(sparseio::Sidecar::path_for(dst_path)) > 0);
  auto dst = Destination::open_existing(dst_path, false);
  CHECK(dst->coverage().ranges() == Ranges{{0, size}});
}

namespace {
// Cuts its file to `cut` bytes just before the transfer of the first piece
// that starts at or past `cut`: with one job, between two pieces.
class ShrinkingSource : public FileSource {
 public:
  ShrinkingSource(const std::string& path, uint64_t cut) : FileSource(path), path_(path), cut_(cut) {}
  void fetch_into(ByteRange r, sparseio::ExtentWriter& out, sparseio::LinkObserver& link) override {
    if (r.begin >= cut_) REQUIRE(::truncate(path_.c_str(), static_cast<off_t>(cut_)) == 0);
    FileSource::fetch_into(r, out, link);
  }

 private:
  std::string path_;
  uint64_t cut_;
};
}  // namespace

TEST_CASE(
    "a local source that shrinks between whole-chunk pieces is caught; the pieces before stay claimed") {
  const uint64_t M = 1 << 20;
  TempDir dir;
  const std::string src_path = dir.file("src"), dst_path = dir.file("dst");
  const Bytes data = pattern_bytes(0, 12 * M, 22);
  sparseio::test::write_file(src_path, data);
  {
    ShrinkingSource src(src_path, 8 * M);
    auto dst = Destination::open_for_source(dst_path, src.identity());
    FetchCoordinator fc(src, *dst, {.jobs = 1, .chunk_size = 4 * M, .coalesce_gap = 0});
    CHECK_THROWS_AS(fc.fetch({{0, 12 * M}}), sparseio::SourceChangedError);
    CHECK(dst->coverage().ranges() == Ranges{{0, 8 * M}});
  }
  REQUIRE(sparseio::test::simulate_reboot(sparseio::Sidecar::path_for(dst_path)) > 0);
  auto dst = Destination::open_existing(dst_path, false);
  CHECK(dst->coverage().ranges() == Ranges{{0, 8 * M}});
  const Bytes got = read_file(dst_path);
  CHECK(std::equal(got.begin(), got.begin() + static_cast<ptrdiff_t>(8 * M), data.begin()));
}
