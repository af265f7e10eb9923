// CatStream (api/cat.h): the bytes of the ranges in the order given, kept in
// DST when there is one, and nothing on disk when there is none or when
// storing is off.
#include "api/cat.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

using sparseio::CatStream;
using sparseio::FetchCommand;
using sparseio::test::pattern_bytes;
using Bytes = std::vector<std::byte>;

namespace {

constexpr uint64_t kSize = 512 * 1024;

struct Fixture {
  sparseio::test::TempDir dir;
  std::string src = dir.file("src");
  std::string dst = dir.file("dst");
  Bytes data = pattern_bytes(0, kSize, 11);
  Fixture() { sparseio::test::write_file(src, data); }

  FetchCommand command(std::string_view ranges, std::string destination) const {
    FetchCommand cmd;
    cmd.source = src;
    cmd.destination = std::move(destination);
    cmd.ranges = sparseio::parse_range_list(ranges);
    return cmd;
  }
  // "-4, 100+3, 1000-1001" in that order: the last 4 bytes first.
  Bytes expected() const {
    Bytes want(data.end() - 4, data.end());
    want.insert(want.end(), data.begin() + 100, data.begin() + 103);
    want.insert(want.end(), data.begin() + 1000, data.begin() + 1002);
    return want;
  }
};

Bytes read_all(CatStream& cat) {
  Bytes out;
  for (auto bytes = cat.next(); !bytes.empty(); bytes = cat.next())
    out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("cat hands the ranges' bytes in the order given and keeps them in DST") {
  Fixture f;
  auto cat = CatStream::open(f.command("-4, 100+3, 1000-1001", f.dst));
  CHECK(read_all(*cat) == f.expected());
  cat->close();
  CHECK(cat->stats().requested_bytes == 9);
  REQUIRE(cat->destination() != nullptr);
  const sparseio::Report r = sparseio::run_stat(f.dst, true);
  CHECK(r.present_bytes == 9);
  CHECK(r.ranges == std::vector<sparseio::ByteRange>{{100, 103}, {1000, 1002}, {kSize - 4, kSize}});

  // A second cat of bytes DST holds reads them from DST: nothing fetched.
  auto again = CatStream::open(f.command("1000-1001, -4", f.dst));
  Bytes want(f.data.begin() + 1000, f.data.begin() + 1002);
  want.insert(want.end(), f.data.end() - 4, f.data.end());
  CHECK(read_all(*again) == want);
  again->close();
  CHECK(again->stats().fetched_bytes == 0);
}

TEST_CASE("cat without DST, or without storing, leaves nothing on disk") {
  Fixture f;
  auto no_dst = CatStream::open(f.command("-4, 100+3, 1000-1001", ""));
  CHECK(no_dst->destination() == nullptr);
  CHECK(read_all(*no_dst) == f.expected());
  no_dst->close();

  auto no_store = CatStream::open(f.command("-4, 100+3, 1000-1001", f.dst), false);
  CHECK(read_all(*no_store) == f.expected());
  no_store->close();
  CHECK_FALSE(exists(f.dst));
  CHECK_FALSE(exists(f.dst + ".sparseio"));
}

TEST_CASE("a range past the end of the source is a usage error before anything is read") {
  Fixture f;
  CHECK_THROWS_AS(CatStream::open(f.command("0-9, 600K+1", f.dst)), sparseio::UsageError);
  CHECK_FALSE(exists(f.dst));
}
