// verify_ranges: compares what DST holds with the source byte for byte,
// counts what was asked for but is absent, reports differing runs, and
// counts what DST holds past the end of a source that shrank as differing.
#include "api/verify.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "source/file_source.h"
#include "store/destination.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::Destination;
using sparseio::FileSource;
using sparseio::verify_ranges;
using sparseio::VerifyResult;
using sparseio::test::pattern_bytes;
using Ranges = std::vector<ByteRange>;

namespace {

constexpr uint64_t kSize = 256 * 1024;

struct Fixture {
  sparseio::test::TempDir dir;
  std::string src = dir.file("src");
  std::string dst = dir.file("dst");
  std::vector<std::byte> data = pattern_bytes(0, kSize, 5);
  std::unique_ptr<FileSource> source;
  std::unique_ptr<Destination> dest;

  Fixture() {
    sparseio::test::write_file(src, data);
    source = std::make_unique<FileSource>(src);
    dest = Destination::open_for_source(dst, source->identity());
  }
  // Copies r of the source into DST (and records it present).
  void hold(ByteRange r) { dest->write_extent(r.begin, std::span(data).subspan(r.begin, r.size())); }
  // Overwrites DST's bytes at `at` behind the library's back.
  void corrupt(uint64_t at, size_t n) {
    sparseio::UniqueFd fd(::open(dst.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    for (size_t i = 0; i < n; ++i) {
      const std::byte bad = ~data[at + i];
      REQUIRE(::pwrite(fd.get(), &bad, 1, static_cast<off_t>(at + i)) == 1);
    }
  }
};

}  // namespace

TEST_CASE("a faithful destination is identical over what it holds") {
  Fixture f;
  f.hold({0, 8192});
  f.hold({100000, 150000});
  VerifyResult r = verify_ranges(*f.source, *f.dest, f.dest->coverage().ranges());
  CHECK(r.identical());
  CHECK(r.compared_bytes == 8192 + 50000);
  CHECK(r.missing_bytes == 0);
  CHECK(r.first_differences.empty());
}

TEST_CASE("bytes asked for but absent are counted missing, not compared") {
  Fixture f;
  f.hold({0, 8192});
  VerifyResult r = verify_ranges(*f.source, *f.dest, {{4096, 20000}});
  CHECK(r.compared_bytes == 8192 - 4096);
  CHECK(r.missing_bytes == 20000 - 8192);
  CHECK(r.identical());
}

TEST_CASE("ranges past the end of the object are clipped") {
  Fixture f;
  f.hold({kSize - 100, kSize});
  VerifyResult r = verify_ranges(*f.source, *f.dest, {{kSize - 100, kSize + 5000}});
  CHECK(r.compared_bytes == 100);
  CHECK(r.missing_bytes == 0);
}

TEST_CASE("bytes DST holds past the end of a source that shrank differ and are counted as lacking") {
  Fixture f;
  f.hold({kSize - 8192, kSize});
  // Truncate the source behind the library's back and open it again: its
  // size is now kSize - 3000, DST still holds (and claims) the old tail.
  REQUIRE(::truncate(f.src.c_str(), static_cast<off_t>(kSize - 3000)) == 0);
  FileSource shrunk(f.src);
  REQUIRE(shrunk.size() == kSize - 3000);
  VerifyResult r = verify_ranges(shrunk, *f.dest, f.dest->coverage().ranges());
  CHECK(r.compared_bytes == 8192 - 3000);  // what both still have matches
  CHECK(r.source_lacks_bytes == 3000);
  CHECK(r.differing_bytes == 3000);
  CHECK_FALSE(r.identical());
  CHECK(r.first_differences == Ranges{{kSize - 3000, kSize}});
}

TEST_CASE("changed bytes are counted, adjacent ones reported as one run") {
  Fixture f;
  f.hold({0, kSize});
  f.corrupt(10, 3);
  f.corrupt(5000, 1);
  VerifyResult r = verify_ranges(*f.source, *f.dest, {{0, kSize}});
  CHECK(r.differing_bytes == 4);
  CHECK_FALSE(r.identical());
  CHECK(r.first_differences == Ranges{{10, 13}, {5000, 5001}});
  CHECK(r.compared_bytes == kSize);
}

TEST_CASE("only the first runs are listed, every differing byte is counted") {
  Fixture f;
  f.hold({0, kSize});
  const size_t runs = VerifyResult::kMaxReported + 5;
  for (size_t i = 0; i < runs; ++i) f.corrupt(i * 1000, 1);
  VerifyResult r = verify_ranges(*f.source, *f.dest, {{0, kSize}});
  CHECK(r.differing_bytes == runs);
  REQUIRE(r.first_differences.size() == VerifyResult::kMaxReported);
  CHECK(r.first_differences.front() == ByteRange{0, 1});
  CHECK(r.first_differences.back() == ByteRange{9000, 9001});
}

TEST_CASE("a hole of a sparse source compares as zeros") {
  sparseio::test::TempDir dir;
  const std::string src = dir.file("sparse");
  std::vector<std::byte> data = pattern_bytes(0, 64 * 1024, 9);
  data.resize(512 * 1024);  // [64 KiB, 512 KiB) is zeros: written as a hole below
  {
    sparseio::UniqueFd fd(::open(src.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    REQUIRE(fd.valid());
    REQUIRE(::pwrite(fd.get(), data.data(), 64 * 1024, 0) == 64 * 1024);
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(data.size())) == 0);
  }
  FileSource source(src);
  auto dest = Destination::open_for_source(dir.file("dst"), source.identity());
  dest->write_extent(0, data);
  CHECK(verify_ranges(source, *dest, {{0, data.size()}}).identical());
  // A non-zero byte in DST where the source has a hole is a difference.
  sparseio::UniqueFd fd(::open(dir.file("dst").c_str(), O_WRONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  const std::byte one{1};
  REQUIRE(::pwrite(fd.get(), &one, 1, 300000) == 1);
  VerifyResult r = verify_ranges(source, *dest, {{0, data.size()}});
  CHECK(r.differing_bytes == 1);
  CHECK(r.first_differences == Ranges{{300000, 300001}});
}
