// The library handle (<sparseio/object.h>) from many threads at once, over a
// local file and over the in-process HTTP test server (which counts what it
// serves): overlapping reads fetch each byte once and return the exact
// bytes, short only at the end; a sequential reader gets a growing
// readahead and a random one none; a changed source fails reads of missing
// bytes while present ones still read; punch is safe during reads; a second
// handle on the same DST is refused as another process would be.
#include "sparseio/object.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <latch>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sparseio/error.h"
#include "test_http_server.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::Object;
using sparseio::Options;
using sparseio::RangeSpec;
using sparseio::test::pattern_bytes;
using sparseio::test::TempDir;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;
using sparseio::test::TestHttpServer;

namespace {

constexpr uint64_t K = 1024;

// An object served with ranges and an ETag, that a test can change, and
// the ranges of the GETs it answered.
class RangeServer {
 public:
  // `ranges` false: a server that ignores Range (200, the whole body).
  explicit RangeServer(std::vector<std::byte> data, bool ranges = true)
      : data_(std::move(data)),
        ranges_(ranges),
        server_([this](const TestHttpRequest& req) { return answer(req); }) {}

  std::string url() const { return server_.url("/obj.bin"); }
  // New content and ETag, as a re-upload would make.
  void change(std::vector<std::byte> data) {
    std::lock_guard lock(mu_);
    data_ = std::move(data);
    etag_ = "\"v2\"";
  }
  // Every answer waits this long first: a reader that finds its bytes
  // missing waits, as over any real link, so a readahead thread starved by
  // a loaded machine still gets to start ahead of it.
  void set_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
  }
  // Each GET is held until `n` GETs are being answered at once (or, when
  // that never happens, `timeout` passed): a test of requests that should
  // run together sees how many did (most_at_once) without timing them.
  void hold_until(unsigned n, std::chrono::milliseconds timeout) {
    std::lock_guard lock(mu_);
    hold_n_ = n;
    hold_timeout_ = timeout;
  }
  unsigned most_at_once() const {
    std::lock_guard lock(mu_);
    return most_at_once_;
  }
  std::vector<ByteRange> gets() const {
    std::lock_guard lock(mu_);
    return gets_;
  }

 private:
  TestHttpResponse answer(const TestHttpRequest& req) {
    std::unique_lock lock(mu_);
    TestHttpResponse r = respond(req);
    if (req.method == "GET" && hold_n_ > 0) {
      ++at_once_;
      most_at_once_ = std::max(most_at_once_, at_once_);
      held_.notify_all();
      held_.wait_for(lock, hold_timeout_, [&] { return most_at_once_ >= hold_n_; });
      --at_once_;
    }
    return r;
  }

  TestHttpResponse respond(const TestHttpRequest& req) {
    TestHttpResponse r;
    if (ranges_) r.headers.emplace_back("Accept-Ranges", "bytes");
    r.headers.emplace_back("ETag", etag_);
    ByteRange want{0, data_.size()};
    const auto range = req.header("Range");
    const auto if_range = req.header("If-Range");
    if (ranges_ && range && (!if_range || *if_range == etag_)) {
      unsigned long long a = 0, b = 0;
      REQUIRE(std::sscanf(range->c_str(), "bytes=%llu-%llu", &a, &b) == 2);
      want = {a, std::min<uint64_t>(b + 1, data_.size())};
      r.status = 206;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(a) + "-" +
                                                  std::to_string(want.end - 1) + "/" +
                                                  std::to_string(data_.size()));
    }
    if (req.method == "GET") gets_.push_back(want);
    r.delay = delay_;
    r.body.assign(reinterpret_cast<const char*>(data_.data()) + want.begin, want.size());
    return r;
  }

  mutable std::mutex mu_;
  std::condition_variable held_;
  unsigned hold_n_ = 0, at_once_ = 0, most_at_once_ = 0;
  std::chrono::milliseconds hold_timeout_{0};
  std::vector<std::byte> data_;
  bool ranges_;
  std::chrono::milliseconds delay_{0};
  std::string etag_ = "\"v1\"";
  std::vector<ByteRange> gets_;
  TestHttpServer server_;  // last: answers only once the rest exists
};

Options quick() {
  Options o;
  o.retries = 0;
  o.connect_timeout_s = 5;
  return o;
}

std::vector<std::byte> slice(const std::vector<std::byte>& v, uint64_t at, uint64_t n) {
  return {v.begin() + static_cast<ptrdiff_t>(at), v.begin() + static_cast<ptrdiff_t>(at + n)};
}

// `threads` threads released at once by a latch, each running body(i).
template <typename F>
void run_threads(unsigned threads, F body) {
  std::latch go(threads);
  std::vector<std::jthread> pool;
  for (unsigned i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      go.arrive_and_wait();
      body(i);
    });
}

bool pairwise_disjoint(std::vector<ByteRange> rs) {
  std::sort(rs.begin(), rs.end(), [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < rs.size(); ++i)
    if (rs[i].begin < rs[i - 1].end) return false;
  return true;
}

uint64_t total(const std::vector<ByteRange>& rs) {
  uint64_t n = 0;
  for (const ByteRange& r : rs) n += r.size();
  return n;
}

// 8 threads x 200 reads of 4 KiB at random offsets (some unaligned, some
// overlapping the end): every read returns the exact bytes, short only at
// the end of the object.
void hammer(Object& obj, const std::vector<std::byte>& data, unsigned threads = 8, unsigned reads = 200) {
  std::atomic<unsigned> wrong{0}, bad_length{0};
  run_threads(threads, [&](unsigned t) {
    std::mt19937_64 rng(t + 1);
    std::vector<std::byte> buf(4 * K);
    for (unsigned i = 0; i < reads; ++i) {
      const uint64_t at = rng() % (data.size() + 2 * K);
      const size_t n = obj.read_at(at, buf);
      const uint64_t want = at >= data.size() ? 0 : std::min<uint64_t>(buf.size(), data.size() - at);
      if (n != want) ++bad_length;
      if (n > 0 && !std::equal(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n),
                               data.begin() + static_cast<ptrdiff_t>(at)))
        ++wrong;
    }
  });
  CHECK(wrong == 0);
  CHECK(bad_length == 0);
}

}  // namespace

TEST_CASE("8 threads of overlapping read_at over a local file get the exact bytes, short only at the end") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 3 * 1024 * K + 123, 7);
  sparseio::test::write_file(dir.file("src"), data);
  auto obj = Object::open(dir.file("src"), dir.file("dst"));
  CHECK(obj->size() == data.size());
  CHECK(obj->mtime() > 0);
  hammer(*obj, data);
  std::vector<std::byte> buf(100);
  CHECK(obj->read_at(data.size() - 10, buf) == 10);
  CHECK(obj->read_at(data.size(), buf) == 0);
  // What was read is recorded: a fresh handle finds it present.
  const uint64_t present = obj->stat().present_bytes;
  CHECK(present > 0);
  obj.reset();
  auto again = Object::open(dir.file("src"), dir.file("dst"));
  CHECK(again->stat().present_bytes == present);
}

TEST_CASE("8 threads of overlapping read_at over HTTP fetch each byte once, in aligned blocks") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 2 * 1024 * K + 5, 9);
  RangeServer server(data);
  Options o = quick();
  o.read_block_size = 64 * K;
  auto obj = Object::open(server.url(), dir.file("dst"), o);
  hammer(*obj, data);
  const std::vector<ByteRange> gets = server.gets();
  // No byte was served twice, and what was served is what DST holds.
  CHECK(pairwise_disjoint(gets));
  CHECK(total(gets) == obj->stat().present_bytes);
  // Random reads: no readahead, every request within one or two blocks.
  for (const ByteRange& g : gets) CHECK(g.size() <= 128 * K);
  // Present bytes cost no request.
  const size_t before = server.gets().size();
  std::vector<std::byte> buf(4 * K);
  for (const ByteRange& g : gets) obj->read_at(g.begin, buf);
  CHECK(server.gets().size() == before);
}

TEST_CASE(
    "a read near the end fetches a whole block back from the end, so a footer's directory comes with it") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K + 5000, 3);
  RangeServer server(data);
  Options o = quick();
  o.read_block_size = 256 * K;
  auto obj = Object::open(server.url(), dir.file("dst"), o);
  const uint64_t size = data.size();
  std::vector<std::byte> end(22), dir_bytes(100 * K);
  REQUIRE(obj->read_at(size - 22, end) == 22);  // an end record
  CHECK(end == slice(data, size - 22, 22));
  REQUIRE(server.gets().size() == 1);
  CHECK(server.gets()[0].begin == size - 256 * K);  // not the 5,000 bytes of the cut block
  CHECK(server.gets()[0].end == size);
  // The directory before it: already there, no second round trip.
  REQUIRE(obj->read_at(size - 22 - 100 * K, dir_bytes) == 100 * K);
  CHECK(dir_bytes == slice(data, size - 22 - 100 * K, 100 * K));
  CHECK(server.gets().size() == 1);
}

TEST_CASE("the pieces of one block are requested together, not one round trip after another") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 4096 * K, 8);
  RangeServer server(data);
  // Held until all four are in: a piece that waits for another's answer
  // (libcurl's PIPEWAIT on a plain http:// connection whose protocol it
  // does not know yet) shows as 3 at once after the timeout.
  server.hold_until(4, std::chrono::milliseconds(2000));
  Options o = quick();
  o.read_block_size = 1024 * K;
  auto obj = Object::open(server.url(), dir.file("dst"), o);
  std::vector<std::byte> buf(4 * K);
  REQUIRE(obj->read_at(1024 * K + 100, buf) == buf.size());
  CHECK(buf == slice(data, 1024 * K + 100, 4 * K));
  CHECK(server.gets().size() == 4);  // the 1 MiB block in pieces of 256 KiB
  CHECK(server.most_at_once() == 4);
}

TEST_CASE("a server without ranges: reads from 4 threads stream from offset 0, not one stream per read") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K, 21);
  RangeServer server(data, false);
  Options o = quick();
  o.read_block_size = 64 * K;
  auto obj = Object::open(server.url(), dir.file("dst"), o);
  hammer(*obj, data, 4, 20);
  // Each stream starts at 0 and goes as far as the read that started it
  // needs; a read waiting behind it starts none when that brought its
  // bytes: a new stream only for a read past every earlier one (about
  // ln 80 + 1 of 80 random reads), never one per read.
  CHECK(server.gets().size() <= 12);
  CHECK(obj->stat().present_bytes == data.size());
}

TEST_CASE("a sequential reader gets a readahead that grows; a random reader none") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 8 * 1024 * K, 11);
  Options o = quick();
  o.read_block_size = 64 * K;
  o.readahead_max = 1024 * K;
  SUBCASE("sequential") {
    RangeServer server(data);
    server.set_delay(std::chrono::milliseconds(3));
    {
      auto obj = Object::open(server.url(), dir.file("dst"), o);
      std::vector<std::byte> buf(16 * K);
      for (uint64_t at = 0; at < data.size(); at += buf.size()) {
        REQUIRE(obj->read_at(at, buf) == buf.size());
        REQUIRE(std::equal(buf.begin(), buf.end(), data.begin() + static_cast<ptrdiff_t>(at)));
      }
    }  // joins the readahead still running
    const std::vector<ByteRange> gets = server.gets();
    CHECK(pairwise_disjoint(gets));
    uint64_t largest = 0;
    for (const ByteRange& g : gets) largest = std::max(largest, g.size());
    // 512 reads of 16 KiB: in blocks they would be 128 requests; with the
    // window doubling to 1 MiB, a few more than 8.
    MESSAGE(gets.size(), " requests, the largest ", largest, " bytes");
    CHECK(gets.size() < 64);
    // Bigger than a block: asked for by the readahead (whose window the
    // coordinator cuts into pieces of 256 KiB or more, in parallel).
    CHECK(largest >= 256 * K);
    CHECK(largest <= 1024 * K);
  }
  SUBCASE("random") {
    RangeServer server(data);
    auto obj = Object::open(server.url(), dir.file("dst"), o);
    std::mt19937_64 rng(5);
    std::vector<std::byte> buf(16 * K);
    for (int i = 0; i < 60; ++i) obj->read_at(rng() % (data.size() - buf.size()), buf);
    for (const ByteRange& g : server.gets()) CHECK(g.size() <= 128 * K);
  }
}

TEST_CASE("the readahead stops when the sequential pattern stops") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 16 * 1024 * K, 12);
  RangeServer server(data);
  server.set_delay(std::chrono::milliseconds(1));
  Options o = quick();
  o.read_block_size = 64 * K;
  o.readahead_max = 1024 * K;
  const uint64_t seq_end = 2048 * K;
  const int random_reads = 40;
  {
    auto obj = Object::open(server.url(), dir.file("dst"), o);
    std::vector<std::byte> buf(16 * K);
    for (uint64_t at = 0; at < seq_end; at += buf.size()) REQUIRE(obj->read_at(at, buf) == buf.size());
    // Then random reads, all past what the stream may still fetch ahead.
    std::mt19937_64 rng(9);
    const uint64_t from = seq_end + o.readahead_max;
    for (int i = 0; i < random_reads; ++i) {
      const uint64_t at = from + rng() % (data.size() - from - buf.size());
      REQUIRE(obj->read_at(at, buf) == buf.size());
      REQUIRE(std::equal(buf.begin(), buf.end(), data.begin() + static_cast<ptrdiff_t>(at)));
    }
  }  // joins what the readahead still had running
  uint64_t past = 0, ahead = 0;
  for (const ByteRange& g : server.gets()) {
    if (g.begin >= seq_end + o.readahead_max) {
      past += g.size();
      CHECK(g.size() <= 128 * K);  // a random read's block (two when it straddles)
    } else if (g.begin >= seq_end) {
      ahead += g.size();
    }
  }
  CHECK(ahead <= o.readahead_max);  // what the stream had asked for before it stopped
  CHECK(past <= random_reads * 128 * K);
}

TEST_CASE("a changed source fails reads of missing bytes; present bytes still read; nothing false claimed") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K, 3);
  Options o = quick();
  o.read_block_size = 64 * K;
  SUBCASE("over HTTP (new ETag)") {
    RangeServer server(data);
    auto obj = Object::open(server.url(), dir.file("dst"), o);
    std::vector<std::byte> buf(4 * K);
    REQUIRE(obj->read_at(0, buf) == buf.size());
    server.change(pattern_bytes(0, 1024 * K, 4));
    // Two threads want the same missing block: both hear the source changed.
    std::atomic<int> changed{0};
    run_threads(2, [&](unsigned) {
      std::vector<std::byte> b(4 * K);
      try {
        obj->read_at(512 * K, b);
      } catch (const sparseio::SourceChangedError&) {
        ++changed;
      }
    });
    CHECK(changed == 2);
    CHECK(obj->read_at(4 * K, buf) == buf.size());
    CHECK(buf == slice(data, 4 * K, 4 * K));
    CHECK(obj->stat().present_bytes == 64 * K);
  }
  SUBCASE("a local file written to") {
    const std::string src = dir.file("src");
    sparseio::test::write_file(src, data);
    auto obj = Object::open(src, dir.file("dst"), o);
    std::vector<std::byte> buf(4 * K);
    REQUIRE(obj->read_at(0, buf) == buf.size());
    {
      sparseio::UniqueFd fd = sparseio::test::open_rw(src);
      const std::vector<std::byte> other = pattern_bytes(0, 1024 * K, 5);
      REQUIRE(::pwrite(fd.get(), other.data(), other.size(), 0) == static_cast<ssize_t>(other.size()));
      // A modification time surely unlike the open's (a write in the same
      // timestamp tick would keep it).
      const timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
      REQUIRE(::futimens(fd.get(), times) == 0);
    }
    CHECK_THROWS_AS(obj->read_at(512 * K, buf), sparseio::SourceChangedError);
    CHECK(obj->read_at(4 * K, buf) == buf.size());
    CHECK(buf == slice(data, 4 * K, 4 * K));
    CHECK(obj->stat().present_bytes == 64 * K);
  }
}

TEST_CASE("punch during reads: no read returns a byte that is not the object's") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K, 13);
  sparseio::test::write_file(dir.file("src"), data);
  Options o;
  o.read_block_size = 64 * K;
  auto obj = Object::open(dir.file("src"), dir.file("dst"), o);
  obj->fetch();
  std::atomic<bool> done{false};
  std::atomic<unsigned> wrong{0};
  std::latch readers_started(4);
  std::jthread puncher([&] {
    readers_started.wait();
    for (int i = 0; i < 50; ++i)
      obj->punch({RangeSpec::span(static_cast<uint64_t>(i % 16) * 64 * K, 64 * K)});
    done = true;
  });
  run_threads(4, [&](unsigned t) {
    readers_started.count_down();
    std::mt19937_64 rng(t + 100);
    std::vector<std::byte> buf(8 * K);
    while (!done) {
      const uint64_t at = rng() % (data.size() - buf.size());
      obj->read_at(at, buf);
      if (!std::equal(buf.begin(), buf.end(), data.begin() + static_cast<ptrdiff_t>(at))) ++wrong;
    }
  });
  CHECK(wrong == 0);
  // What DST claims is the source's.
  obj.reset();
  auto ro = Object::open(dir.file("src"), dir.file("dst"));
  for (const ByteRange& r : ro->stat(true).ranges) {
    std::vector<std::byte> buf(static_cast<size_t>(r.size()));
    ro->read_at(r.begin, buf);
    CHECK(buf == slice(data, r.begin, r.size()));
  }
}

TEST_CASE("fetch, read in the order given, punch and stat through one handle") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K, 17);
  sparseio::test::write_file(dir.file("src"), data);
  auto obj = Object::open(dir.file("src"), dir.file("dst"));
  sparseio::TransferStats f = obj->fetch({RangeSpec::span(0, 128 * K)});
  CHECK(f.fetched_bytes == 128 * K);
  CHECK(obj->fetch({RangeSpec::span(0, 128 * K)}).fetched_bytes == 0);
  std::vector<std::byte> got;
  sparseio::TransferStats r =
      obj->read({RangeSpec::span(512 * K, 10), RangeSpec::span(100, 20)},
                [&](std::span<const std::byte> b) { got.insert(got.end(), b.begin(), b.end()); });
  std::vector<std::byte> want = slice(data, 512 * K, 10);
  const std::vector<std::byte> second = slice(data, 100, 20);
  want.insert(want.end(), second.begin(), second.end());
  CHECK(got == want);
  CHECK(r.requested_bytes == 30);
  CHECK(r.reused_bytes == 20);
  obj->punch({RangeSpec::span(0, 64 * K)});
  sparseio::AllocationReport s = obj->stat(true);
  REQUIRE(!s.ranges.empty());
  CHECK(s.ranges.front().begin == 64 * K);
}

TEST_CASE("a handle's verify compares what DST holds with the source while reads go on") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1024 * K, 23);
  sparseio::test::write_file(dir.file("src"), data);
  auto obj = Object::open(dir.file("src"), dir.file("dst"));
  obj->fetch({RangeSpec::span(0, 256 * K)});
  std::atomic<bool> reading{true};
  std::thread reader([&] {  // reads the other half meanwhile: fetched through the same handle
    std::vector<std::byte> buf(4 * K);
    for (uint64_t at = 512 * K; reading && at < 1024 * K; at += buf.size()) obj->read_at(at, buf);
  });
  const sparseio::VerifySummary same = obj->verify({RangeSpec::span(0, 256 * K)});
  CHECK(same.identical());
  CHECK(same.compared_bytes == 256 * K);
  const sparseio::VerifySummary half = obj->verify({RangeSpec::span(128 * K, 256 * K)});
  CHECK(half.compared_bytes == 128 * K);
  CHECK(half.missing_bytes == 128 * K);
  reading = false;
  reader.join();
  {  // one byte of DST changed behind the library's back
    std::vector<std::byte> bad = {~data[200 * K]};
    std::FILE* out = std::fopen(dir.file("dst").c_str(), "r+b");
    REQUIRE(out != nullptr);
    std::fseek(out, 200 * K, SEEK_SET);
    std::fwrite(bad.data(), 1, 1, out);
    std::fclose(out);
  }
  const sparseio::VerifySummary diff = obj->verify();
  CHECK(diff.differing_bytes == 1);
  CHECK(diff.first_differences == std::vector<ByteRange>{{200 * K, 200 * K + 1}});
  CHECK_FALSE(diff.source_changed);
}

TEST_CASE("a second handle on the same DST in one process is refused like another process") {
  TempDir dir;
  sparseio::test::write_file(dir.file("src"), pattern_bytes(0, 64 * K, 1));
  auto first = Object::open(dir.file("src"), dir.file("dst"));
  Options o;
  o.wait_for_lock = false;
  try {
    Object::open(dir.file("src"), dir.file("dst"), o);
    FAIL("a second handle opened");
  } catch (const sparseio::Error& e) {
    CHECK(e.kind() == sparseio::ErrorKind::kBusy);
    CHECK(std::string(e.what()).find("another handle in this process") != std::string::npos);
  }
}

TEST_CASE("Options::on_progress is called for a handle's fetch and read, and its false stops that call") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 4096 * K, 19);
  RangeServer server(data);
  server.set_delay(std::chrono::milliseconds(20));
  Options o = quick();
  o.jobs = 1;  // one 256 KiB piece at a time: 16 round trips for the whole object
  o.chunk_size = 256 * K;
  o.progress_interval_s = 0.005;
  std::mutex mu;
  std::vector<sparseio::Progress> seen;
  bool go_on = true;
  o.on_progress = [&](const sparseio::Progress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
    return go_on;
  };
  auto obj = Object::open(server.url(), dir.file("dst"), o);
  SUBCASE("fetch: calls while it runs, the last one with every byte done") {
    const sparseio::TransferStats f = obj->fetch({RangeSpec::span(0, 1024 * K)});
    CHECK_FALSE(f.interrupted);
    std::lock_guard lock(mu);
    REQUIRE(seen.size() >= 2);
    CHECK(seen.back().wanted_bytes == 1024 * K);
    CHECK(seen.back().done_bytes == 1024 * K);
    CHECK(seen.back().object_size == data.size());
  }
  SUBCASE("fetch stopped by the handler: interrupted, what arrived kept") {
    go_on = false;
    const sparseio::TransferStats f = obj->fetch();
    CHECK(f.interrupted);
    CHECK(f.missing_bytes > 0);
    CHECK(obj->stat().present_bytes < data.size());
    CHECK(obj->stat().present_bytes == data.size() - f.missing_bytes);
  }
  SUBCASE("read: one progress over all its pieces; stopped, it hands out no more") {
    uint64_t got = 0;
    const sparseio::TransferStats r =
        obj->read({RangeSpec::span(0, 2048 * K)}, [&](std::span<const std::byte> b) { got += b.size(); });
    CHECK_FALSE(r.interrupted);
    CHECK(got == 2048 * K);
    {
      std::lock_guard lock(mu);
      REQUIRE(!seen.empty());
      CHECK(seen.back().wanted_bytes == 2048 * K);
      CHECK(seen.back().done_bytes == 2048 * K);
      go_on = false;
    }
    got = 0;
    const sparseio::TransferStats stopped = obj->read({RangeSpec::span(2048 * K, 2048 * K)},
                                                      [&](std::span<const std::byte> b) { got += b.size(); });
    CHECK(stopped.interrupted);
    CHECK(got < 2048 * K);
  }
  SUBCASE("read_at calls nothing") {
    std::vector<std::byte> buf(4 * K);
    REQUIRE(obj->read_at(100 * K, buf) == buf.size());
    std::lock_guard lock(mu);
    CHECK(seen.empty());
  }
}
