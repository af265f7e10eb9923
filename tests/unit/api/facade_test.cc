// The public API (<sparseio/sparseio.h>) over real local files: fetch gives
// the exact bytes and holes, the report adds up, stat/punch/verify/read do
// what the header promises, and failures carry machine-readable kinds.
// Only the public header is used here: this is what a program sees.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sparseio/sparseio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"

using sparseio::ByteRange;
using sparseio::RangeSpec;
using sparseio::test::file_data_runs;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using Ranges = std::vector<ByteRange>;

namespace {

// Ranges below are multiples of 64 KiB, a multiple of any filesystem block
// size we run on (4 KiB on ext4 and tmpfs), so holes show exactly.
constexpr uint64_t K = 1024;
constexpr uint64_t kSize = 1024 * K;

struct Fixture {
  TempDir dir;
  std::string src = dir.file("src.bin");
  std::string dst = dir.file("dst.bin");
  std::vector<std::byte> data = pattern_bytes(0, kSize, 3);
  Fixture() { sparseio::test::write_file(src, data); }

  // The four ranges of the first test, as RangeSpecs of all three kinds.
  std::vector<RangeSpec> mixed_specs() const {
    std::vector<RangeSpec> specs = {RangeSpec::last(64 * K), RangeSpec::span(0, 64 * K)};
    for (const RangeSpec& s : sparseio::parse_ranges("256K+64K, 512K-655359")) specs.push_back(s);
    return specs;
  }
};
const Ranges kMixed = {{0, 64 * K}, {256 * K, 320 * K}, {512 * K, 640 * K}, {960 * K, kSize}};

uint64_t total(const Ranges& rs) {
  uint64_t n = 0;
  for (const ByteRange& r : rs) n += r.size();
  return n;
}

// True when `got` equals the source in `present` and is zero elsewhere.
bool matches(const std::vector<std::byte>& got, const std::vector<std::byte>& src, const Ranges& present) {
  if (got.size() != src.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    bool in = std::any_of(present.begin(), present.end(), [&](const ByteRange& r) { return r.contains(i); });
    if (got[i] != (in ? src[i] : std::byte{0})) return false;
  }
  return true;
}

template <typename F>
sparseio::ErrorKind kind_of(F&& f) {
  try {
    f();
  } catch (const sparseio::Error& e) {
    return e.kind();
  }
  FAIL("no sparseio::Error thrown");
  return sparseio::ErrorKind::kFailure;
}

}  // namespace

TEST_CASE("fetch of last, span and parsed items gives the exact bytes and holes") {
  Fixture f;
  sparseio::AllocationReport r = sparseio::fetch(f.src, f.dst, f.mixed_specs());
  CHECK(matches(read_file(f.dst), f.data, kMixed));
  CHECK(file_data_runs(f.dst) == kMixed);

  CHECK(r.path == f.dst);
  CHECK(r.logical_size == kSize);
  CHECK(r.present_bytes == total(kMixed));
  CHECK(r.present_ranges == kMixed.size());
  CHECK(r.data_segments == kMixed.size());
  CHECK(r.allocated_bytes >= total(kMixed));
  CHECK(r.allocated_bytes < kSize);
  CHECK(r.ranges.empty());  // only stat lists them
  REQUIRE(r.transfer.has_value());
  CHECK(r.transfer->requested_bytes == total(kMixed));
  CHECK(r.transfer->fetched_bytes == total(kMixed));
  CHECK(r.transfer->reused_bytes == 0);
  CHECK(r.transfer->requests >= 1);
}

TEST_CASE("a second fetch transfers only what is missing") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, {RangeSpec::span(0, 128 * K)});
  sparseio::AllocationReport r = sparseio::fetch(f.src, f.dst, {RangeSpec::span(64 * K, 128 * K)});
  REQUIRE(r.transfer.has_value());
  CHECK(r.transfer->requested_bytes == 128 * K);
  CHECK(r.transfer->reused_bytes == 64 * K);
  CHECK(r.transfer->fetched_bytes == 64 * K);
  CHECK(file_data_runs(f.dst) == Ranges{{0, 192 * K}});
}

TEST_CASE("fetch without ranges copies the whole object") {
  Fixture f;
  sparseio::AllocationReport r = sparseio::fetch(f.src, f.dst);
  CHECK(read_file(f.dst) == f.data);
  CHECK(r.present_bytes == kSize);
}

TEST_CASE("stat lists the present ranges without the source; punch evicts") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, f.mixed_specs());
  REQUIRE(::unlink(f.src.c_str()) == 0);  // stat and punch never read the source
  sparseio::AllocationReport s = sparseio::stat(f.dst, true);
  CHECK(s.ranges == kMixed);
  CHECK_FALSE(s.transfer.has_value());
  CHECK(sparseio::stat(f.dst).ranges.empty());

  sparseio::AllocationReport p = sparseio::punch(f.dst, {RangeSpec::span(256 * K, 64 * K)});
  const Ranges left = {{0, 64 * K}, {512 * K, 640 * K}, {960 * K, kSize}};
  CHECK(p.present_bytes == total(left));
  CHECK(p.present_ranges == 3);
  CHECK(sparseio::stat(f.dst, true).ranges == left);
  CHECK(file_data_runs(f.dst) == left);
  CHECK(matches(read_file(f.dst), f.data, left));
}

TEST_CASE("verify finds a destination identical, then a byte changed behind its back") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, f.mixed_specs());
  sparseio::VerifySummary same = sparseio::verify(f.src, f.dst);
  CHECK(same.identical());
  CHECK(same.compared_bytes == total(kMixed));
  CHECK(same.missing_bytes == 0);
  CHECK_FALSE(same.source_changed);

  sparseio::VerifySummary asked = sparseio::verify(f.src, f.dst, {RangeSpec::span(0, 128 * K)});
  CHECK(asked.compared_bytes == 64 * K);
  CHECK(asked.missing_bytes == 64 * K);

  {  // corrupt one byte of DST, bypassing the library
    int fd = ::open(f.dst.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    const std::byte bad = ~f.data[300 * K];
    CHECK(::pwrite(fd, &bad, 1, 300 * K) == 1);
    ::close(fd);
  }
  sparseio::VerifySummary diff = sparseio::verify(f.src, f.dst);
  CHECK(diff.differing_bytes == 1);
  CHECK_FALSE(diff.identical());
  CHECK(diff.first_differences == Ranges{{300 * K, 300 * K + 1}});
}

TEST_CASE("verify reports a source changed since DST was started, and needs an existing DST") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, {RangeSpec::span(0, 64 * K)});
  // A new version of the source (other bytes, another mtime): reported, not refused.
  sparseio::test::write_file(f.src, pattern_bytes(0, kSize, 4));
  const struct timespec times[2] = {{1, 0}, {1, 0}};
  REQUIRE(::utimensat(AT_FDCWD, f.src.c_str(), times, 0) == 0);
  sparseio::VerifySummary v = sparseio::verify(f.src, f.dst);
  CHECK(v.source_changed);
  CHECK(v.compared_bytes == 64 * K);
  CHECK(v.differing_bytes > 0);

  const std::string none = f.dir.file("none.bin");
  CHECK_THROWS_AS(sparseio::verify(f.src, none), sparseio::Error);
  struct stat st {};
  CHECK(::stat(none.c_str(), &st) != 0);  // verify creates nothing
}

TEST_CASE("read of bytes all present and verify need no lock; a read that must fetch does") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, {RangeSpec::span(0, 64 * K)});
  int fd = ::open(f.dst.c_str(), O_RDONLY | O_CLOEXEC);  // another process's lock, as above
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  sparseio::Options o;
  o.wait_for_lock = false;
  std::vector<std::byte> got;
  const auto keep = [&](std::span<const std::byte> b) { got.insert(got.end(), b.begin(), b.end()); };
  const sparseio::TransferStats t = sparseio::read(f.src, f.dst, {RangeSpec::span(100, 50)}, keep, o);
  CHECK(got == std::vector<std::byte>(f.data.begin() + 100, f.data.begin() + 150));
  CHECK(t.fetched_bytes == 0);
  CHECK(sparseio::verify(f.src, f.dst, {}, o).identical());
  CHECK(sparseio::fetch(f.src, f.dst, {RangeSpec::span(0, 64 * K)}, o).present_bytes == 64 * K);
  CHECK(kind_of([&] { sparseio::read(f.src, f.dst, {RangeSpec::span(64 * K, 1)}, keep, o); }) ==
        sparseio::ErrorKind::kBusy);
  ::close(fd);
}

TEST_CASE("a read with a range past the end is a usage error and leaves no destination") {
  Fixture f;
  CHECK(kind_of([&] { sparseio::read(f.src, f.dst, {RangeSpec::from(kSize)}, [](auto) {}); }) ==
        sparseio::ErrorKind::kUsage);
  struct stat st {};
  CHECK(::stat(f.dst.c_str(), &st) != 0);
}

TEST_CASE("read hands the bytes of the ranges in the order given") {
  Fixture f;
  std::vector<std::byte> got;
  sparseio::TransferStats t =
      sparseio::read(f.src, f.dst, {RangeSpec::span(500 * K, 10), RangeSpec::last(7), RangeSpec::span(3, 5)},
                     [&](std::span<const std::byte> b) { got.insert(got.end(), b.begin(), b.end()); });
  std::vector<std::byte> want(f.data.begin() + 500 * K, f.data.begin() + 500 * K + 10);
  want.insert(want.end(), f.data.end() - 7, f.data.end());
  want.insert(want.end(), f.data.begin() + 3, f.data.begin() + 8);
  CHECK(got == want);
  CHECK(t.requested_bytes == 22);
  // The ranges are now present in DST too.
  CHECK(sparseio::stat(f.dst).present_bytes >= 22);
}

TEST_CASE("parse_ranges turns each item of the CLI's grammar into its RangeSpec") {
  const std::vector<RangeSpec> specs = sparseio::parse_ranges("10-19, 100-, -64, 1K+5");
  REQUIRE(specs.size() == 4);
  CHECK(specs[0].kind() == RangeSpec::Kind::kSpan);
  CHECK(specs[0].offset() == 10);
  CHECK(specs[0].length() == 10);  // inclusive 10-19
  CHECK(specs[1].kind() == RangeSpec::Kind::kFrom);
  CHECK(specs[1].offset() == 100);
  CHECK(specs[2].kind() == RangeSpec::Kind::kLast);
  CHECK(specs[2].length() == 64);
  CHECK(specs[3].kind() == RangeSpec::Kind::kSpan);
  CHECK(specs[3].offset() == 1024);
  CHECK(specs[3].length() == 5);
}

TEST_CASE("a bad range is a UsageError of kind usage and leaves no destination") {
  Fixture f;
  CHECK(kind_of([&] { sparseio::fetch(f.src, f.dst, {RangeSpec::span(10, 0)}); }) ==
        sparseio::ErrorKind::kUsage);
  CHECK(kind_of([&] { sparseio::fetch(f.src, f.dst, {RangeSpec::from(kSize)}); }) ==
        sparseio::ErrorKind::kUsage);
  CHECK_THROWS_AS(sparseio::parse_ranges("12-3"), sparseio::UsageError);
  CHECK_THROWS_WITH(sparseio::parse_ranges("0-9, bogus"), doctest::Contains("\"bogus\""));
  struct stat st {};
  CHECK(::stat(f.dst.c_str(), &st) != 0);
}

TEST_CASE("a destination locked by another process fails at once with kind busy") {
  Fixture f;
  sparseio::fetch(f.src, f.dst, {RangeSpec::span(0, 64 * K)});
  // flock locks belong to the open file description: a second open() of DST
  // conflicts with the library's own open() as another process would.
  int fd = ::open(f.dst.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  sparseio::Options o;
  o.wait_for_lock = false;
  CHECK(kind_of([&] { sparseio::fetch(f.src, f.dst, {RangeSpec::span(64 * K, 64 * K)}, o); }) ==
        sparseio::ErrorKind::kBusy);
  CHECK(kind_of([&] { sparseio::punch(f.dst, {RangeSpec::span(0, 64 * K)}, o); }) ==
        sparseio::ErrorKind::kBusy);
  ::close(fd);  // the lock goes with it
  CHECK(sparseio::fetch(f.src, f.dst, {RangeSpec::span(64 * K, 64 * K)}, o).present_bytes == 128 * K);
}

TEST_CASE("a missing source is kind source_missing and the version is set") {
  TempDir dir;
  CHECK(kind_of([&] { sparseio::fetch(dir.file("nope"), dir.file("dst")); }) ==
        sparseio::ErrorKind::kSourceMissing);
  CHECK(std::string(sparseio::version()).find('.') != std::string::npos);
}
