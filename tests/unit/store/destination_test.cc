// The sparse destination: creation, seed semantics, zero blocks as holes,
// persistence, conflicts, changed sources and locking.
#include "store/destination.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/block.h"
#include "core/errors.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Destination;
using sparseio::DestinationConflictError;
using sparseio::DestinationOptions;
using sparseio::SourceChangedError;
using sparseio::SourceIdentity;
using sparseio::test::file_allocated;
using sparseio::test::file_data_runs;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::read_present;
using sparseio::test::TempDir;
using Bytes = std::vector<std::byte>;
using Ranges = std::vector<ByteRange>;

namespace sparseio {
static std::ostream& operator<<(std::ostream& os, const ByteRange& r) {
  return os << "[" << r.begin << ", " << r.end << ")";
}
}  // namespace sparseio

namespace {

constexpr uint64_t B = 4096;  // ext4 block size, checked below

SourceIdentity ident(uint64_t size, int64_t mtime = 1700000000000000000) {
  SourceIdentity id;
  id.size = size;
  id.mtime_ns = mtime;
  id.device = 7;
  id.inode = 42;
  return id;
}

bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

uint64_t size_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

Bytes slice(const Bytes& b, uint64_t from, uint64_t to) {
  return Bytes(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(to));
}

// What the sidecar on disk claims (what would survive a kill now).
CoverageMap durable(const std::string& dst) {
  CoverageMap c;
  sparseio::Sidecar::open(sparseio::Sidecar::path_for(dst), c, false);
  return c;
}

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("open_for_source creates DST with the logical size, all holes, and a sidecar") {
  TempDir dir;
  const std::string dst = dir.file("out.img");
  auto d = Destination::open_for_source(dst, ident(1000000));
  REQUIRE(d->block_size() == B);
  CHECK(d->path() == dst);
  CHECK(d->logical_size() == 1000000);
  CHECK(size_of(dst) == 1000000);
  CHECK(exists(dst + ".sparseio"));
  CHECK(d->header().identity == ident(1000000));
  CHECK(file_data_runs(dst).empty());
  CHECK(file_allocated(dst) == 0);
  CHECK(d->present_bytes() == 0);
  CHECK(d->present_ranges() == 0);
  CHECK(d->missing({0, 1000000}) == Ranges{{0, 1000000}});
  // No temporary files are left beside DST.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 2);
}

TEST_CASE("seed semantics: read back, last write wins, missing reads and deletes") {
  TempDir dir;
  const std::string dst = dir.file("out");
  auto d = Destination::open_for_source(dst, ident(200000));
  const Bytes a = pattern_bytes(1000, 5000, 1), b = pattern_bytes(3000, 4000, 2);
  d->write_extent(1000, a);
  CHECK(read_present(*d, {1000, 6000}) == a);
  CHECK(read_present(*d, {2000, 3000}) == slice(a, 1000, 2000));
  CHECK(read_present(*d, {999, 6000}) == std::nullopt);
  CHECK(read_present(*d, {1000, 6001}) == std::nullopt);
  CHECK(read_present(*d, {50000, 50001}) == std::nullopt);
  CHECK(read_present(*d, {5, 5}) == Bytes{});

  d->write_extent(3000, b);  // overlaps the end of a
  Bytes want = slice(a, 0, 2000);
  want.insert(want.end(), b.begin(), b.end());
  CHECK(read_present(*d, {1000, 7000}) == want);
  CHECK(d->present_bytes() == 6000);
  CHECK(d->present_ranges() == 1);

  // Deleting what is missing changes nothing, not even the sidecar.
  d->commit();
  const uint64_t sidecar_size = size_of(dst + ".sparseio");
  d->evict({{100000, 150000}});
  d->evict({{7000, 8000}});
  d->evict({{300000, 400000}});  // past the end
  CHECK(size_of(dst + ".sparseio") == sidecar_size);
  CHECK(read_present(*d, {1000, 7000}) == want);

  // Writing past the logical size is refused.
  CHECK(!error_of<sparseio::Error>([&] { d->write_extent(199999, pattern_bytes(0, 2)); }).empty());
  CHECK(d->present_bytes() == 6000);
}

TEST_CASE("evict punches whole blocks and evicts exactly the range") {
  TempDir dir;
  const std::string dst = dir.file("out");
  auto d = Destination::open_for_source(dst, ident(16 * B));
  const Bytes data = pattern_bytes(0, 16 * B, 3);
  d->write_extent(0, data);
  d->sync();
  REQUIRE(file_data_runs(dst) == Ranges{{0, 16 * B}});
  const uint64_t alloc = file_allocated(dst);

  const ByteRange r{B + 100, 7 * B + 1};  // whole blocks 2..6 inside
  d->evict({r});
  CHECK(alloc - file_allocated(dst) == 5 * B);
  CHECK(file_data_runs(dst) == Ranges{{0, 2 * B}, {7 * B, 16 * B}});
  CHECK(!d->contains({r.begin, r.begin + 1}));
  CHECK(d->missing({0, 16 * B}) == Ranges{r});
  CHECK(d->present_bytes() == 16 * B - r.size());
  CHECK(read_present(*d, r) == std::nullopt);
  // The bytes around it, including the rest of the edge blocks, are intact.
  CHECK(read_present(*d, {0, r.begin}) == slice(data, 0, r.begin));
  CHECK(read_present(*d, {r.end, 16 * B}) == slice(data, r.end, 16 * B));
  CHECK(durable(dst) == d->coverage());

  // Rewriting the range makes it present again, with the new bytes.
  const Bytes again = pattern_bytes(0, r.size(), 4);
  d->write_extent(r.begin, again);
  CHECK(read_present(*d, r) == again);
  CHECK(d->present_ranges() == 1);
}

TEST_CASE("whole zero blocks in written data become holes, yet are present") {
  TempDir dir;
  const std::string dst = dir.file("out");
  const uint64_t size = 64 * B;
  auto d = Destination::open_for_source(dst, ident(size));
  // Data, a zero run covering blocks 2..5 and part of 1 and 6, data, a zero
  // run too short for a whole block, data, and zeros up to the end.
  const uint64_t off = 100;
  Bytes w = pattern_bytes(off, 30 * B, 5);
  auto zero = [&](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) w[i - off] = std::byte{0};
  };
  zero(B + 17, 6 * B + 300);
  zero(9 * B + 1, 10 * B - 1);
  zero(20 * B - 5, off + 30 * B);
  d->write_extent(off, w);
  d->sync();

  // Model: blocks the write touches, minus whole blocks of it that are zero.
  CoverageMap want_data, want_holes;
  for (uint64_t blk = 0; blk * B < off + w.size(); ++blk) {
    ByteRange br{blk * B, blk * B + B};
    if (br.end <= off) continue;
    bool whole = br.begin >= off && br.end <= off + w.size();
    bool all_zero = true;
    for (uint64_t i = br.begin; i < br.end && all_zero; ++i)
      all_zero = i >= off && i < off + w.size() && w[i - off] == std::byte{0};
    if (whole && all_zero)
      want_holes.insert(br);
    else
      want_data.insert(br);
  }
  REQUIRE(want_holes.total_bytes() == 4 * B + 10 * B);  // hand count: blocks 2..5 and 20..29
  CHECK(file_data_runs(dst) == want_data.ranges());
  CHECK(d->zero_hole_bytes() == want_holes.total_bytes());
  CHECK(d->contains({off, off + w.size()}));
  CHECK(read_present(*d, {off, off + w.size()}) == w);
  CHECK(file_allocated(dst) <= want_data.total_bytes());

  // Zeros overwriting data: last write wins, and the blocks become holes.
  d->write_extent(40 * B, pattern_bytes(0, 8 * B, 6));
  d->write_extent(41 * B, Bytes(4 * B, std::byte{0}));
  Bytes expect = pattern_bytes(0, 8 * B, 6);
  std::fill(expect.begin() + B, expect.begin() + 5 * B, std::byte{0});
  CHECK(read_present(*d, {40 * B, 48 * B}) == expect);
  CHECK(file_data_runs(dst).back() == ByteRange{45 * B, 48 * B});

  // Disabled: zeros are written as data.
  DestinationOptions keep;
  keep.zero_runs_as_holes = false;
  auto d2 = Destination::open_for_source(dir.file("dense"), ident(size), keep);
  d2->write_extent(off, w);
  d2->sync();
  CHECK(d2->zero_hole_bytes() == 0);
  CHECK(file_data_runs(dir.file("dense")) == Ranges{{0, sparseio::align_up(off + w.size(), B)}});
}

TEST_CASE("claims reach the sidecar only after their data, and survive reopening") {
  TempDir dir;
  const std::string dst = dir.file("out");
  const Bytes data = pattern_bytes(0, 100000, 7);
  CoverageMap want;
  {
    DestinationOptions batch;
    batch.sync = sparseio::SyncMode::kBatch;
    batch.batch_bytes = 1 << 30;
    batch.batch_ms = 3600 * 1000;  // group commit only when asked to
    auto d = Destination::open_for_source(dst, ident(100000), batch);
    d->write_extent(10, slice(data, 10, 5000));
    d->write_extent(60000, slice(data, 60000, 100000));
    want.insert({10, 5000});
    want.insert({60000, 100000});
    CHECK(d->coverage() == want);
    CHECK(durable(dst).empty());  // pending: not claimed on disk yet
    d->commit();
    CHECK(durable(dst) == want);
    d->evict({{70000, 80000}});
    want.remove({70000, 80000});
    CHECK(durable(dst) == want);  // evictions are recorded at once
    d->write_extent(20000, slice(data, 20000, 30000));
    want.insert({20000, 30000});
  }  // closing commits what is pending
  CHECK(durable(dst) == want);

  auto d = Destination::open_for_source(dst, ident(100000));
  CHECK(d->coverage() == want);
  for (const ByteRange& r : want.ranges()) CHECK(read_present(*d, r) == slice(data, r.begin, r.end));
  d.reset();
  auto ro = Destination::open_existing(dst, false);
  CHECK(ro->coverage() == want);
  CHECK(ro->logical_size() == 100000);

  // SyncMode::kNone appends each claim at once.
  DestinationOptions none;
  none.sync = sparseio::SyncMode::kNone;
  auto n = Destination::open_for_source(dir.file("none"), ident(5000), none);
  n->write_extent(0, slice(data, 0, 100));
  CoverageMap first;
  first.insert({0, 100});
  CHECK(durable(dir.file("none")) == first);
}

TEST_CASE("a DST that is not sparseio's is refused unless overwrite") {
  TempDir dir;
  const std::string dst = dir.file("precious");
  const Bytes mine = pattern_bytes(0, 3 * B, 8);
  sparseio::test::write_file(dst, mine);
  std::string msg =
      error_of<DestinationConflictError>([&] { Destination::open_for_source(dst, ident(10 * B)); });
  CHECK(msg.find(dst) != std::string::npos);
  CHECK(msg.find("--overwrite") != std::string::npos);
  CHECK(read_file(dst) == mine);
  CHECK(!exists(dst + ".sparseio"));
  CHECK(!error_of<DestinationConflictError>([&] { Destination::open_existing(dst, false); }).empty());

  DestinationOptions ow;
  ow.overwrite = true;
  auto d = Destination::open_for_source(dst, ident(10 * B), ow);
  CHECK(size_of(dst) == 10 * B);
  CHECK(file_data_runs(dst).empty());
  CHECK(read_file(dst) == Bytes(10 * B, std::byte{0}));
  CHECK(d->present_bytes() == 0);
  CHECK(exists(dst + ".sparseio"));

  // A directory in the way is a conflict too.
  REQUIRE(::mkdir(dir.file("adir").c_str(), 0755) == 0);
  CHECK(!error_of<sparseio::Error>([&] {
           Destination::open_for_source(dir.file("adir"), ident(10), ow);
         }).empty());
}

TEST_CASE("a changed source is refused unless restart, which starts over") {
  TempDir dir;
  const std::string dst = dir.file("out");
  const Bytes data = pattern_bytes(0, 8 * B, 9);
  Destination::open_for_source(dst, ident(8 * B))->write_extent(0, data);
  const Bytes sidecar_before = read_file(dst + ".sparseio");

  for (SourceIdentity changed : {ident(8 * B, 5), ident(9 * B)}) {
    CAPTURE(changed.size);
    std::string msg = error_of<SourceChangedError>([&] { Destination::open_for_source(dst, changed); });
    CHECK(msg.find(dst) != std::string::npos);
    CHECK(msg.find("changed") != std::string::npos);
    CHECK(msg.find("--restart") != std::string::npos);
    CHECK(read_file(dst) == data);
    CHECK(read_file(dst + ".sparseio") == sidecar_before);
  }
  SourceIdentity etag = ident(8 * B);
  etag.etag = "\"v2\"";
  CHECK(!error_of<SourceChangedError>([&] { Destination::open_for_source(dst, etag); }).empty());

  DestinationOptions restart;
  restart.restart = true;
  {
    auto d = Destination::open_for_source(dst, ident(9 * B), restart);
    CHECK(d->present_bytes() == 0);
    CHECK(d->logical_size() == 9 * B);
    CHECK(d->header().identity == ident(9 * B));
    CHECK(size_of(dst) == 9 * B);
    CHECK(file_data_runs(dst).empty());
  }
  CHECK(Destination::open_for_source(dst, ident(9 * B))->present_bytes() == 0);

  // A garbled sidecar names itself; restart recovers from it too.
  sparseio::test::write_file(dst + ".sparseio", pattern_bytes(0, 200, 1));
  CHECK(error_of<sparseio::Error>([&] {
          Destination::open_for_source(dst, ident(9 * B));
        }).find(dst + ".sparseio") != std::string::npos);
  CHECK(Destination::open_for_source(dst, ident(9 * B), restart)->present_bytes() == 0);
}

TEST_CASE("DST size disagreeing with the sidecar is a conflict") {
  TempDir dir;
  const std::string dst = dir.file("out");
  Destination::open_for_source(dst, ident(8 * B));
  REQUIRE(::truncate(dst.c_str(), 4 * B) == 0);
  CHECK(error_of<DestinationConflictError>([&] {
          Destination::open_for_source(dst, ident(8 * B));
        }).find(dst) != std::string::npos);
}

TEST_CASE("a second writer fails at once with no-wait, or waits for the first") {
  TempDir dir;
  const std::string dst = dir.file("out");
  auto first = Destination::open_for_source(dst, ident(10000));
  DestinationOptions nowait;
  nowait.wait_for_lock = false;
  std::string msg =
      error_of<DestinationConflictError>([&] { Destination::open_for_source(dst, ident(10000), nowait); });
  CHECK(msg.find(dst) != std::string::npos);
  CHECK(msg.find("in use") != std::string::npos);
  CHECK(!error_of<DestinationConflictError>([&] { Destination::open_existing(dst, true, false); }).empty());
  // Readers do not take the lock.
  CHECK(Destination::open_existing(dst, false)->logical_size() == 10000);

  // With waiting, the second open completes only after the first closes.
  first->write_extent(0, pattern_bytes(0, 100, 1));
  std::atomic<bool> released{false};
  auto second = std::async(std::launch::async, [&] {
    auto d = Destination::open_for_source(dst, ident(10000));
    return std::make_pair(released.load(), d->present_bytes());
  });
  CHECK(second.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  released = true;
  first.reset();
  auto [was_released, present] = second.get();
  CHECK(was_released);
  CHECK(present == 100);  // and it sees what the first one wrote
  CHECK(Destination::open_for_source(dst, ident(10000), nowait)->present_bytes() == 100);
}

TEST_CASE("building blocks: copy_from_fd in both modes, write_zeros") {
  TempDir dir;
  const std::string src_path = dir.file("src");
  Bytes src = pattern_bytes(0, 20 * B + 300, 12);
  std::fill(src.begin() + 5 * B - 7, src.begin() + 9 * B + 7, std::byte{0});  // whole zero blocks 5..8
  sparseio::test::write_file(src_path, src);
  sparseio::UniqueFd fd(::open(src_path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  const ByteRange r{100, src.size()};
  for (bool holes : {true, false}) {
    CAPTURE(holes);
    DestinationOptions o;
    o.zero_runs_as_holes = holes;
    const std::string dst = dir.file(holes ? "holes" : "dense");
    auto d = Destination::open_for_source(dst, ident(src.size()), o);
    d->copy_from_fd(fd.get(), src_path, r);
    Bytes got(r.size());
    d->read_raw(r.begin, got);
    CHECK(got == slice(src, r.begin, r.end));
    CHECK(d->present_bytes() == 0);  // copying does not claim
    if (holes) CHECK(file_data_runs(dst) == Ranges{{0, 5 * B}, {9 * B, src.size()}});
    // A source shorter than the range is an error naming it.
    std::string msg = error_of<sparseio::Error>([&] {
      d->copy_from_fd(fd.get(), src_path, {r.begin, r.end + 10});
    });
    CHECK(msg.find(src_path) != std::string::npos);

    // write_zeros: zeros everywhere in the range, whole blocks become holes.
    d->write_zeros({B + 10, 4 * B + 20});
    d->read_raw(0, got);
    Bytes want = slice(src, 0, r.size());
    std::fill(want.begin() + B + 10, want.begin() + 4 * B + 20, std::byte{0});
    std::fill(want.begin(), want.begin() + 100, std::byte{0});  // never written
    CHECK(got == want);
    CHECK(file_data_runs(dst).front() == ByteRange{0, 2 * B});
  }
}

TEST_CASE("a long log is compacted and still replays to the same coverage") {
  TempDir dir;
  for (sparseio::SyncMode mode :
       {sparseio::SyncMode::kNone, sparseio::SyncMode::kBatch, DestinationOptions{}.sync}) {
    const std::string dst = dir.file("out" + std::to_string(static_cast<int>(mode)));
    DestinationOptions o;
    o.sync = mode;
    o.batch_bytes = 512 * 1024;
    CoverageMap want;
    {
      auto d = Destination::open_for_source(dst, ident(1 << 20), o);
      for (int round = 0; round < 60; ++round)
        for (uint64_t i = 0; i < 100; ++i) {
          ByteRange r{i * 8000 + static_cast<uint64_t>(round), i * 8000 + 1000};
          d->write_extent(r.begin, Bytes(r.size(), std::byte{0x33}));
          want.insert(r);
        }
      d->evict({{0, 8000}});
      want.remove({0, 8000});
      CHECK(d->coverage() == want);
    }
    CHECK(durable(dst) == want);
    // 6000 claims for 99 ranges: the log must have been compacted on the way.
    CHECK(size_of(dst + ".sparseio") < 4096 * sparseio::Sidecar::kRecordSize);
    CHECK(Destination::open_for_source(dst, ident(1 << 20))->coverage() == want);
  }
}
