// DST's data face (lib/store/sparse_file): reset makes a file of holes,
// writes turn whole zero blocks into holes (when asked) while partial edge
// blocks are written, write_zeros and punch deallocate whole blocks and keep
// the bytes around them, reads past the end and a source that shrinks are
// errors. Holes are observed from outside, with SEEK_DATA/SEEK_HOLE and
// st_blocks (test_util.h), on the temporary directory's filesystem.
#include "store/sparse_file.h"

#include <doctest/doctest.h>
#include <fcntl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

using namespace sparseio;
using namespace sparseio::test;

namespace {

struct Fixture {
  TempDir dir;
  std::string path = dir.file("dst");
  SparseFile make(bool zero_runs_as_holes = true) {
    return SparseFile(path, open_rw(path), zero_runs_as_holes);
  }
};

std::vector<std::byte> zeros(size_t n) { return std::vector<std::byte>(n); }

std::vector<std::byte> read_all(const SparseFile& f) {
  std::vector<std::byte> out(f.size());
  f.read(0, out);
  return out;
}

bool all_zero(const std::vector<std::byte>& v, size_t begin, size_t end) {
  return std::all_of(v.begin() + static_cast<ptrdiff_t>(begin), v.begin() + static_cast<ptrdiff_t>(end),
                     [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace

TEST_CASE("sparse file: reset gives a file of holes of the given size") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t B = f.block_size();
  REQUIRE(B >= 512);
  f.write(0, pattern_bytes(0, 2 * B));
  f.reset(8 * B);
  CHECK(f.size() == 8 * B);
  CHECK(f.data_segments() == 0);
  CHECK(file_data_runs(fx.path).empty());
  CHECK(f.allocated_bytes() == 0);
  CHECK(file_allocated(fx.path) == 0);
  const auto bytes = read_all(f);
  CHECK(all_zero(bytes, 0, bytes.size()));
}

TEST_CASE("sparse file: whole zero blocks of a write become holes, the rest is written") {
  Fixture fx;
  SparseFile f = fx.make(true);
  const uint64_t B = f.block_size();
  f.reset(4 * B);
  // data | zeros | zeros | data
  std::vector<std::byte> buf = pattern_bytes(0, 4 * B);
  std::fill(buf.begin() + static_cast<ptrdiff_t>(B), buf.begin() + static_cast<ptrdiff_t>(3 * B),
            std::byte{0});
  f.write(0, buf);
  CHECK(read_all(f) == buf);
  CHECK(f.zero_hole_bytes() == 2 * B);
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, B}, {3 * B, 4 * B}});
  CHECK(f.data_segments() == 2);
  CHECK(f.allocated_bytes() == file_allocated(fx.path));
  CHECK(f.allocated_bytes() <= 2 * B + B);  // the zero blocks take no space
}

TEST_CASE("sparse file: without zero_runs_as_holes, zeros are written as data") {
  Fixture fx;
  SparseFile f = fx.make(false);
  CHECK_FALSE(f.zero_runs_as_holes());
  const uint64_t B = f.block_size();
  f.reset(4 * B);
  f.write(0, zeros(4 * B));
  CHECK(f.zero_hole_bytes() == 0);
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, 4 * B}});
  CHECK(f.allocated_bytes() >= 4 * B);
}

TEST_CASE("sparse file: partial blocks at a write's edges are written even when zero") {
  Fixture fx;
  SparseFile f = fx.make(true);
  const uint64_t B = f.block_size();
  f.reset(4 * B);
  // [B/2, 3B + B/2): partial block 0, whole blocks 1 and 2, partial block 3
  f.write(B / 2, zeros(3 * B));
  CHECK(f.zero_hole_bytes() == 2 * B);
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, B}, {3 * B, 4 * B}});
  // A write shorter than a block is written as it is.
  Fixture small;
  SparseFile g = small.make(true);
  g.reset(4 * B);
  g.write(B, zeros(B / 2));
  CHECK(g.zero_hole_bytes() == 0);
  CHECK(file_data_runs(small.path) == std::vector<ByteRange>{{B, 2 * B}});
}

TEST_CASE("sparse file: write_zeros punches whole blocks and zeroes the partial ones") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t B = f.block_size();
  const std::vector<std::byte> data = pattern_bytes(0, 4 * B);
  f.write(0, data);
  const uint64_t before = f.allocated_bytes();
  f.write_zeros({B / 2, 3 * B + B / 2});
  const auto bytes = read_all(f);
  CHECK(std::equal(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(B / 2), data.begin()));
  CHECK(all_zero(bytes, B / 2, 3 * B + B / 2));
  CHECK(std::equal(bytes.begin() + static_cast<ptrdiff_t>(3 * B + B / 2), bytes.end(),
                   data.begin() + static_cast<ptrdiff_t>(3 * B + B / 2)));
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, B}, {3 * B, 4 * B}});
  CHECK(f.allocated_bytes() < before);
  CHECK(f.size() == 4 * B);  // punching keeps the size

  // Inside one block: written as zeros, nothing punched.
  f.write(0, data);
  f.write_zeros({10, 20});
  const auto again = read_all(f);
  CHECK(all_zero(again, 10, 20));
  CHECK(again[9] == data[9]);
  CHECK(again[20] == data[20]);
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, 4 * B}});
  f.write_zeros({5, 5});  // empty: nothing happens
  CHECK(read_all(f)[5] == data[5]);
}

TEST_CASE("sparse file: punch deallocates whole blocks and leaves partial ones alone") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t B = f.block_size();
  const std::vector<std::byte> data = pattern_bytes(0, 4 * B);
  f.write(0, data);
  f.punch({B / 2, 3 * B + B / 2});
  const auto bytes = read_all(f);
  // The partial blocks keep their bytes (punch, unlike write_zeros, does not zero them).
  CHECK(std::equal(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(B), data.begin()));
  CHECK(all_zero(bytes, B, 3 * B));
  CHECK(std::equal(bytes.begin() + static_cast<ptrdiff_t>(3 * B), bytes.end(),
                   data.begin() + static_cast<ptrdiff_t>(3 * B)));
  CHECK(file_data_runs(fx.path) == std::vector<ByteRange>{{0, B}, {3 * B, 4 * B}});
  CHECK(f.data_segments() == 2);
  f.punch({0, 4 * B});
  CHECK(file_data_runs(fx.path).empty());
  CHECK(f.size() == 4 * B);
}

TEST_CASE("sparse file: a read past the end is an error naming the file and offset") {
  Fixture fx;
  SparseFile f = fx.make();
  f.reset(100);
  std::vector<std::byte> out(50);
  CHECK_NOTHROW(f.read(50, out));
  try {
    f.read(60, out);
    FAIL("no error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find(fx.path) != std::string::npos);
    CHECK(msg.find("offset 100") != std::string::npos);
  }
}

TEST_CASE("sparse file: copy_in_kernel copies ranges at the same offsets; a short source has changed") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t B = f.block_size();
  f.reset(4 * B);
  const std::string src = fx.dir.file("src");
  const std::vector<std::byte> data = pattern_bytes(0, 4 * B, 7);
  write_file(src, data);
  UniqueFd in = open_rw(src);
  const uint64_t stop = f.copy_in_kernel(in.get(), src, {B, 3 * B});
  if (stop == B) {
    MESSAGE("copy_file_range unsupported here: only the short-source case is meaningful");
  } else {
    CHECK(stop == 3 * B);
    const auto bytes = read_all(f);
    CHECK(all_zero(bytes, 0, B));
    CHECK(std::equal(bytes.begin() + static_cast<ptrdiff_t>(B), bytes.begin() + static_cast<ptrdiff_t>(3 * B),
                     data.begin() + static_cast<ptrdiff_t>(B)));
    CHECK(all_zero(bytes, 3 * B, 4 * B));
    // The source shrank: it ends before the range does.
    write_file(src, pattern_bytes(0, B, 7));
    UniqueFd shrunk = open_rw(src);
    CHECK_THROWS_AS(f.copy_in_kernel(shrunk.get(), src, {0, 2 * B}), SourceChangedError);
  }
  CHECK(f.copy_in_kernel(in.get(), src, {5, 5}) == 5);  // empty: nothing to do
  CHECK_NOTHROW(f.sync_data());
}

// Issue 22: the local copy with one copy of each byte. copy_in_kernel_seen
// copies in the kernel, then reads the bytes back where they were written.
TEST_CASE("sparse file: copy_in_kernel_seen shows the bytes it copied and punches their zero blocks") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t B = f.block_size();
  const uint64_t M = 1 << 20;
  const uint64_t size = 3 * M + 5 * B;
  f.reset(size);
  const std::string src = fx.dir.file("src");
  std::vector<std::byte> data = pattern_bytes(0, size, 11);
  // Zero blocks: 4 whole blocks across the first 1 MiB step's end, and a zero
  // stretch at the copy's start that is not a whole block there.
  const uint64_t zb = M - 2 * B, ze = M + 2 * B;
  std::fill(data.begin() + static_cast<ptrdiff_t>(zb), data.begin() + static_cast<ptrdiff_t>(ze),
            std::byte{0});
  std::fill(data.begin() + 7, data.begin() + static_cast<ptrdiff_t>(B + 7), std::byte{0});
  write_file(src, data);
  UniqueFd in = open_rw(src);
  std::vector<std::byte> seen;
  const ByteRange r{7, size - 3};  // unaligned edges: partial blocks
  const uint64_t stop = f.copy_in_kernel_seen(
      in.get(), src, r, [&](std::span<const std::byte> b) { seen.insert(seen.end(), b.begin(), b.end()); });
  if (stop == r.begin) {
    MESSAGE("copy_file_range unsupported here: the caller copies through a buffer");
    return;
  }
  CHECK(stop == r.end);
  REQUIRE(seen.size() == r.size());
  CHECK(std::equal(seen.begin(), seen.end(), data.begin() + 7));  // in order, every byte once
  const auto bytes = read_all(f);
  CHECK(std::equal(bytes.begin() + 7, bytes.begin() + static_cast<ptrdiff_t>(size - 3), data.begin() + 7));
  CHECK(all_zero(bytes, 0, 7));
  CHECK(all_zero(bytes, size - 3, size));
  // The whole zero blocks are holes (SEEK_HOLE sees them); the zeros at the
  // start share their last block with data, so stay written.
  const std::vector<ByteRange> runs = file_data_runs(fx.path);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0] == ByteRange{0, zb});
  CHECK(runs[1] == ByteRange{ze, size});
  CHECK(f.zero_hole_bytes() == ze - zb);
}

TEST_CASE(
    "sparse file: copy_in_kernel_seen of a source that ends early throws, having shown only real bytes") {
  Fixture fx;
  SparseFile f = fx.make();
  const uint64_t M = 1 << 20;
  f.reset(3 * M);
  const std::string src = fx.dir.file("src");
  const std::vector<std::byte> data = pattern_bytes(0, 2 * M + 100, 12);
  write_file(src, data);  // the copy wants 3 MiB: the source was cut after it was opened
  UniqueFd in = open_rw(src);
  std::vector<std::byte> seen;
  auto copy = [&] {
    return f.copy_in_kernel_seen(in.get(), src, {0, 3 * M}, [&](std::span<const std::byte> b) {
      seen.insert(seen.end(), b.begin(), b.end());
    });
  };
  uint64_t stop = 0;
  try {
    stop = copy();
  } catch (const SourceChangedError& e) {
    CHECK(std::string(e.what()).find("shrank during the run") != std::string::npos);
    stop = 3 * M;
  }
  if (stop == 0) {
    MESSAGE("copy_file_range unsupported here");
    return;
  }
  CHECK(stop == 3 * M);  // it threw
  // What was shown is the source's: the whole 1 MiB steps before its end (the
  // step it ended in is not shown, so it is never claimed).
  CHECK(seen.size() == 2 * M);
  CHECK(std::equal(seen.begin(), seen.end(), data.begin()));
}
