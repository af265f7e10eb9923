// Block alignment helpers and hole punching on a real file.
#include "core/block.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::align_down;
using sparseio::align_up;
using sparseio::blocks_around;
using sparseio::ByteRange;
using sparseio::punch_hole;
using sparseio::PunchResult;
using sparseio::UniqueFd;
using sparseio::whole_blocks_inside;
using sparseio::test::file_allocated;
using sparseio::test::file_data_runs;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using Ranges = std::vector<ByteRange>;

namespace sparseio {
static std::ostream& operator<<(std::ostream& os, const ByteRange& r) {
  return os << "[" << r.begin << ", " << r.end << ")";
}
}  // namespace sparseio

TEST_CASE("align_up and align_down") {
  for (uint64_t block : {1ull, 512ull, 4096ull, 65536ull, 1000ull}) {
    CAPTURE(block);
    CHECK(align_down(0, block) == 0);
    CHECK(align_up(0, block) == 0);
    CHECK(align_down(block, block) == block);
    CHECK(align_up(block, block) == block);
    CHECK(align_down(block - 1, block) == 0);
    CHECK(align_up(1, block) == (block == 1 ? 1 : block));
    CHECK(align_up(block + 1, block) == (block == 1 ? 2 : 2 * block));
    CHECK(align_down(3 * block + block / 2, block) == 3 * block);
    // Large offsets (files up to 2^63 bytes) do not overflow.
    const uint64_t big = (uint64_t{1} << 62) / block * block;
    CHECK(align_down(big + block - 1, block) == big);
    CHECK(align_up(big + 1, block) == (block == 1 ? big + 1 : big + block));
  }
  // Brute force over a small domain.
  for (uint64_t block : {3ull, 8ull, 4096ull})
    for (uint64_t v = 0; v < 3 * block + 5; ++v) {
      uint64_t down = v, up = v;
      while (down % block != 0) --down;
      while (up % block != 0) ++up;
      CHECK(align_down(v, block) == down);
      CHECK(align_up(v, block) == up);
    }
}

TEST_CASE("whole_blocks_inside and blocks_around") {
  const uint64_t B = 4096;
  CHECK(whole_blocks_inside({0, B}, B) == ByteRange{0, B});
  CHECK(whole_blocks_inside({0, 4 * B}, B) == ByteRange{0, 4 * B});
  CHECK(whole_blocks_inside({1, 4 * B}, B) == ByteRange{B, 4 * B});
  CHECK(whole_blocks_inside({1, 4 * B - 1}, B) == ByteRange{B, 3 * B});
  CHECK(whole_blocks_inside({5000, 30000}, B) == ByteRange{2 * B, 7 * B});
  CHECK(whole_blocks_inside({0, B - 1}, B).empty());
  CHECK(whole_blocks_inside({1, B + 1}, B).empty());  // spans two blocks, covers neither
  CHECK(whole_blocks_inside({B + 1, 2 * B - 1}, B).empty());
  CHECK(whole_blocks_inside({B, B}, B).empty());
  CHECK(blocks_around({0, 1}, B) == ByteRange{0, B});
  CHECK(blocks_around({B - 1, B + 1}, B) == ByteRange{0, 2 * B});
  CHECK(blocks_around({B, 2 * B}, B) == ByteRange{B, 2 * B});
  CHECK(blocks_around({5000, 30000}, B) == ByteRange{B, 8 * B});
  CHECK(blocks_around({7, 7}, B).empty());
  // Brute force: a block is inside iff all its bytes are in r, around iff any is.
  for (uint64_t b = 0; b < 40; ++b)
    for (uint64_t e = b; e < 40; ++e) {
      uint64_t in_first = UINT64_MAX, in_last = 0, ar_first = UINT64_MAX, ar_last = 0;
      for (uint64_t blk = 0; blk < 6; ++blk) {
        bool all = blk * 8 >= b && blk * 8 + 8 <= e;
        bool any = b < e && blk * 8 < e && b < blk * 8 + 8;
        if (all) in_first = std::min(in_first, blk), in_last = blk + 1;
        if (any) ar_first = std::min(ar_first, blk), ar_last = blk + 1;
      }
      CAPTURE(b);
      CAPTURE(e);
      ByteRange in = whole_blocks_inside({b, e}, 8), ar = blocks_around({b, e}, 8);
      if (in_last == 0)
        CHECK(in.empty());
      else
        CHECK(in == ByteRange{in_first * 8, in_last * 8});
      if (ar_last == 0)
        CHECK(ar.empty());
      else
        CHECK(ar == ByteRange{ar_first * 8, ar_last * 8});
    }
}

TEST_CASE("block_size_of a real file is st_blksize") {
  TempDir dir;
  const std::string path = dir.file("f");
  sparseio::test::write_file(path, pattern_bytes(0, 100));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  struct stat st {};
  REQUIRE(::fstat(fd.get(), &st) == 0);
  const uint64_t block = sparseio::block_size_of(fd.get(), path);
  CHECK(block == static_cast<uint64_t>(st.st_blksize));
  CHECK(block >= 512);
  CHECK((block & (block - 1)) == 0);

  // A closed descriptor: an Error that names the path.
  int raw = fd.release();
  ::close(raw);
  try {
    sparseio::block_size_of(raw, path);
    FAIL("no error for a closed fd");
  } catch (const sparseio::Error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

namespace {

// A file of `size` pattern bytes, flushed so that allocation is settled.
UniqueFd make_data_file(const std::string& path, uint64_t size) {
  sparseio::test::write_file(path, pattern_bytes(0, size, 7));
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  REQUIRE(fd.valid());
  REQUIRE(::fsync(fd.get()) == 0);
  return fd;
}

}  // namespace

TEST_CASE("punch_hole deallocates exactly the whole blocks inside the range") {
  TempDir dir;
  const std::string path = dir.file("data");
  UniqueFd fd = make_data_file(path, 64 * 1024);
  const uint64_t B = sparseio::block_size_of(fd.get(), path);
  REQUIRE(64 * 1024 % B == 0);
  const std::vector<std::byte> before = read_file(path);
  const uint64_t alloc_before = file_allocated(path);
  REQUIRE(file_data_runs(path) == Ranges{{0, 64 * 1024}});

  // A middle range with partial blocks at both edges.
  const ByteRange r{B + 123, 9 * B + 45};
  const ByteRange whole{2 * B, 9 * B};  // computed by hand: blocks 2..8
  CHECK(punch_hole(fd.get(), r, B, path) == PunchResult::kPunched);

  CHECK(file_data_runs(path) == Ranges{{0, whole.begin}, {whole.end, 64 * 1024}});
  CHECK(alloc_before - file_allocated(path) == whole.size());
  const std::vector<std::byte> after = read_file(path);
  REQUIRE(after.size() == before.size());  // KEEP_SIZE
  uint64_t changed_outside = 0, nonzero_inside = 0;
  for (uint64_t i = 0; i < after.size(); ++i) {
    if (whole.contains(i))
      nonzero_inside += after[i] != std::byte{0};
    else
      changed_outside += after[i] != before[i];
  }
  CHECK(nonzero_inside == 0);
  CHECK(changed_outside == 0);  // the partial edge blocks kept their bytes

  // Punching the same range again is harmless; an adjacent one extends the hole.
  CHECK(punch_hole(fd.get(), r, B, path) == PunchResult::kPunched);
  CHECK(punch_hole(fd.get(), {9 * B, 10 * B}, B, path) == PunchResult::kPunched);
  CHECK(file_data_runs(path) == Ranges{{0, 2 * B}, {10 * B, 64 * 1024}});
}

TEST_CASE("punch_hole at the file edges and of the whole file") {
  TempDir dir;
  const std::string path = dir.file("data");
  const uint64_t size = 40000;  // not a multiple of the block size
  UniqueFd fd = make_data_file(path, size);
  const uint64_t B = sparseio::block_size_of(fd.get(), path);
  CHECK(punch_hole(fd.get(), {0, 2 * B}, B, path) == PunchResult::kPunched);
  // The tail block is partial (the file ends inside it): it is not punched.
  CHECK(punch_hole(fd.get(), {align_down(size, B) - B, size}, B, path) == PunchResult::kPunched);
  CHECK(file_data_runs(path) == Ranges{{2 * B, align_down(size, B) - B}, {align_down(size, B), size}});
  const std::vector<std::byte> after = read_file(path);
  const std::vector<std::byte> want = pattern_bytes(0, size, 7);
  CHECK(std::vector<std::byte>(after.begin() + static_cast<long>(align_down(size, B)), after.end()) ==
        std::vector<std::byte>(want.begin() + static_cast<long>(align_down(size, B)), want.end()));
  CHECK(punch_hole(fd.get(), {0, align_up(size, B)}, B, path) == PunchResult::kPunched);
  CHECK(file_data_runs(path).empty());
  CHECK(file_allocated(path) == 0);
  CHECK(sparseio::file_size(fd.get(), path) == size);
}

TEST_CASE("ranges smaller than a block: kNothingToPunch, nothing changes") {
  TempDir dir;
  const std::string path = dir.file("data");
  UniqueFd fd = make_data_file(path, 16 * 1024);
  const uint64_t B = sparseio::block_size_of(fd.get(), path);
  const uint64_t alloc = file_allocated(path);
  const std::vector<std::byte> before = read_file(path);
  for (ByteRange r : {ByteRange{0, B - 1}, ByteRange{1, B}, ByteRange{B - 10, B + 10},
                      ByteRange{B + 1, 3 * B - 1}, ByteRange{100, 100}}) {
    CAPTURE(r.begin);
    CAPTURE(r.end);
    CHECK(punch_hole(fd.get(), r, B, path) == PunchResult::kNothingToPunch);
  }
  CHECK(file_allocated(path) == alloc);
  CHECK(read_file(path) == before);
  CHECK(file_data_runs(path) == Ranges{{0, 16 * 1024}});
}

TEST_CASE("punch_hole errors name the path") {
  TempDir dir;
  const std::string path = dir.file("ro");
  make_data_file(path, 16384);
  UniqueFd ro(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(ro.valid());
  try {
    punch_hole(ro.get(), {0, 8192}, 4096, path);
    FAIL("punching a read-only descriptor succeeded");
  } catch (const sparseio::Error& e) {
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}
