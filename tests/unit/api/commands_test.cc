// The commands as library calls (api/commands.h) on local files: run_fetch,
// run_stat, run_punch and load_range_file. (cat and verify have modules of
// their own: cat_test.cc, verify_command_test.cc.)
#include "api/commands.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::FetchCommand;
using sparseio::parse_range_list;
using sparseio::Report;
using sparseio::test::file_data_runs;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using Ranges = std::vector<ByteRange>;

namespace {

constexpr uint64_t K = 1024;
constexpr uint64_t kSize = 512 * K;

struct Fixture {
  sparseio::test::TempDir dir;
  std::string src = dir.file("src");
  std::string dst = dir.file("dst");
  std::vector<std::byte> data = pattern_bytes(0, kSize, 11);
  Fixture() { sparseio::test::write_file(src, data); }

  FetchCommand command(std::string_view ranges) const {
    FetchCommand cmd;
    cmd.source = src;
    cmd.destination = dst;
    if (!ranges.empty()) cmd.ranges = parse_range_list(ranges);  // none: the whole object
    return cmd;
  }
};

void write_text(const std::string& path, std::string_view text) {
  const auto* b = reinterpret_cast<const std::byte*>(text.data());
  sparseio::test::write_file(path, std::vector<std::byte>(b, b + text.size()));
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("run_fetch makes the ranges present and reports the transfer") {
  Fixture f;
  Report r = sparseio::run_fetch(f.command("0-65535, 256K+64K"));
  const Ranges want = {{0, 64 * K}, {256 * K, 320 * K}};
  CHECK(file_data_runs(f.dst) == want);
  CHECK(r.logical_size == kSize);
  CHECK(r.present_bytes == 128 * K);
  CHECK(r.present_ranges == 2);
  REQUIRE(r.fetch.has_value());
  CHECK(r.fetch->fetched_bytes == 128 * K);
  std::vector<std::byte> got = read_file(f.dst);
  CHECK(std::equal(got.begin(), got.begin() + 64 * K, f.data.begin()));
  CHECK(std::equal(got.begin() + 256 * K, got.begin() + 320 * K, f.data.begin() + 256 * K));
  CHECK(exists(f.dst + ".sparseio"));
}

TEST_CASE("run_fetch without ranges copies the whole object") {
  Fixture f;
  Report r = sparseio::run_fetch(f.command(""));
  CHECK(read_file(f.dst) == f.data);
  CHECK(r.present_bytes == kSize);
}

TEST_CASE("run_fetch refuses a range past the end before creating DST") {
  Fixture f;
  CHECK_THROWS_AS(sparseio::run_fetch(f.command("0-9, 600K+1")), sparseio::UsageError);
  CHECK_FALSE(exists(f.dst));
  CHECK_FALSE(exists(f.dst + ".sparseio"));
}

TEST_CASE("run_stat reports without the source; run_punch evicts whole blocks") {
  Fixture f;
  sparseio::run_fetch(f.command("0-192K"));  // through byte 196608 inclusive
  REQUIRE(::unlink(f.src.c_str()) == 0);
  Report s = sparseio::run_stat(f.dst, true);
  CHECK(s.ranges == Ranges{{0, 192 * K + 1}});
  CHECK(s.present_bytes == 192 * K + 1);
  CHECK_FALSE(s.fetch.has_value());

  Report p = sparseio::run_punch(f.dst, parse_range_list("64K+64K"), true);
  CHECK(p.present_bytes == 128 * K + 1);
  CHECK(sparseio::run_stat(f.dst, true).ranges == Ranges{{0, 64 * K}, {128 * K, 192 * K + 1}});
  CHECK(file_data_runs(f.dst).front() == ByteRange{0, 64 * K});
  CHECK(file_data_runs(f.dst).size() == 2);
}

TEST_CASE("load_range_file parses items and comments; errors name the file and line") {
  sparseio::test::TempDir dir;
  const std::string good = dir.file("ranges.txt");
  write_text(good, "# footer and header\n0-9\n-64K  # the footer\n\n100+5\n");
  auto items = sparseio::load_range_file(good);
  CHECK(sparseio::resolve_ranges(items, 1 << 20) ==
        Ranges{{0, 10}, {(1 << 20) - 64 * K, 1 << 20}, {100, 105}});

  CHECK_THROWS_WITH_AS(sparseio::load_range_file(dir.file("missing.txt")),
                       doctest::Contains(dir.file("missing.txt").c_str()), sparseio::UsageError);
  const std::string bad = dir.file("bad.txt");
  write_text(bad, "0-9\nnot-a-range\n");
  // The message names the file and the line, then the item.
  CHECK_THROWS_WITH_AS(sparseio::load_range_file(bad),
                       doctest::Contains((bad + ":2: bad range item \"not-a-range\"").c_str()),
                       sparseio::UsageError);
}
