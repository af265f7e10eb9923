// Whole-buffer positional I/O and extent scanning: short reads at the end of
// a file, data runs of a sparse file, a file that shrank under the scan,
// allocation, parent directories and the shared zero buffer.
#include "core/file_io.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::UniqueFd;
using sparseio::test::open_rw;
using sparseio::test::pattern_bytes;
using sparseio::test::TempDir;
using Bytes = std::vector<std::byte>;

TEST_CASE("pwrite_full then pread_full round-trip; a read past the end is short") {
  TempDir dir;
  UniqueFd fd = open_rw(dir.file("f"));
  Bytes data = pattern_bytes(0, 300000);
  sparseio::pwrite_full(fd.get(), data, 1000, "f");
  Bytes back(data.size());
  CHECK(sparseio::pread_full(fd.get(), back, 1000, "f") == data.size());
  CHECK(back == data);
  Bytes tail(100);
  CHECK(sparseio::pread_full(fd.get(), tail, 1000 + data.size() - 40, "f") == 40);
  CHECK(sparseio::file_size(fd.get(), "f") == 1000 + data.size());
}

TEST_CASE("errors name the path and the offset") {
  Bytes buf(10);
  try {
    sparseio::pread_full(-1, buf, 77, "/a/file");
    FAIL("no error");
  } catch (const sparseio::Error& e) {
    std::string msg = e.what();
    CHECK(msg.find("/a/file") != std::string::npos);
    CHECK(msg.find("77") != std::string::npos);
  }
  CHECK_THROWS_AS(sparseio::pwrite_full(-1, buf, 0, "/a/file"), sparseio::Error);
}

TEST_CASE("data_extents reports the data runs of a sparse file, clipped to the range") {
  TempDir dir;
  UniqueFd fd = open_rw(dir.file("f"));
  const uint64_t M = 1 << 20;
  REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(8 * M)) == 0);
  sparseio::pwrite_full(fd.get(), pattern_bytes(0, M), 2 * M, "f");
  sparseio::pwrite_full(fd.get(), pattern_bytes(0, M), 5 * M, "f");
  CHECK(sparseio::data_extents(fd.get(), {0, 8 * M}, "f") ==
        std::vector<ByteRange>{{2 * M, 3 * M}, {5 * M, 6 * M}});
  CHECK(sparseio::data_extents(fd.get(), {2 * M + 10, 5 * M + 20}, "f") ==
        std::vector<ByteRange>{{2 * M + 10, 3 * M}, {5 * M, 5 * M + 20}});
  CHECK(sparseio::data_extents(fd.get(), {6 * M, 8 * M}, "f").empty());  // a trailing hole
  CHECK(sparseio::count_data_segments(fd.get(), "f") == 2);
  CHECK(sparseio::allocated_bytes(fd.get(), "f") >= 2 * M);
  CHECK(sparseio::allocated_bytes(fd.get(), "f") < 3 * M);
}

TEST_CASE("data_extents of a file that now ends before the range is a changed source, not a hole") {
  TempDir dir;
  UniqueFd fd = open_rw(dir.file("f"));
  sparseio::pwrite_full(fd.get(), pattern_bytes(0, 100000), 0, "f");
  REQUIRE(::ftruncate(fd.get(), 40000) == 0);  // shrank under a caller that knew 100000
  CHECK_THROWS_AS(sparseio::data_extents(fd.get(), {50000, 100000}, "f"), sparseio::SourceChangedError);
  CHECK_THROWS_WITH_AS(sparseio::data_extents(fd.get(), {0, 100000}, "f"),
                       doctest::Contains("shrank during the run"), sparseio::SourceChangedError);
}

TEST_CASE("parent_dir") {
  CHECK(sparseio::parent_dir("a") == ".");
  CHECK(sparseio::parent_dir("/a") == "/");
  CHECK(sparseio::parent_dir("/x/y/a") == "/x/y");
  CHECK(sparseio::parent_dir("y/a") == "y");
}

TEST_CASE("for_each_zero_span hands out exactly n zero bytes") {
  for (uint64_t n : {0ull, 1ull, 65536ull, 65537ull, 1000000ull}) {
    uint64_t total = 0;
    bool all_zero = true;
    sparseio::for_each_zero_span(n, [&](std::span<const std::byte> z) {
      total += z.size();
      for (std::byte b : z) all_zero = all_zero && b == std::byte{0};
    });
    CHECK(total == n);
    CHECK(all_zero);
  }
}
