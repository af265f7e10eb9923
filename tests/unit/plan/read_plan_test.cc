// RoundReader and plan_source's guard (lib/plan/read_plan): a round is one
// read() call however many ranges it holds; ranges are clipped to the
// object; rounds and bytes are counted; keep_reads keeps a copy of what is
// read from then on, and take_reads hands it over once. (Per-format round
// counts are checked by the format tests, e.g. zip_test.cc.)
#include "plan/read_plan.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "source/file_source.h"
#include "test_util.h"

using namespace sparseio;
using namespace sparseio::plan;
using namespace sparseio::test;

namespace {

std::vector<std::byte> slice(const std::vector<std::byte>& v, uint64_t b, uint64_t e) {
  return {v.begin() + static_cast<ptrdiff_t>(b), v.begin() + static_cast<ptrdiff_t>(e)};
}

}  // namespace

TEST_CASE("read plan: each read() is one round; bytes count what was read") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 100000, 3);
  write_file(dir.file("obj"), data);
  FileSource src(dir.file("obj"));
  RoundReader rd(src);
  CHECK(rd.rounds() == 0);
  CHECK(rd.bytes() == 0);
  CHECK(&rd.source() == &src);

  CHECK(rd.read(ByteRange{10, 110}) == slice(data, 10, 110));
  CHECK(rd.rounds() == 1);
  CHECK(rd.bytes() == 100);

  // 20 ranges in one round (more than the 16 read at a time).
  std::vector<ByteRange> many;
  for (uint64_t i = 0; i < 20; ++i) many.push_back({i * 1000, i * 1000 + 10 + i});
  auto got = rd.read(many);
  REQUIRE(got.size() == many.size());
  uint64_t total = 0;
  for (size_t i = 0; i < many.size(); ++i) {
    CHECK(got[i] == slice(data, many[i].begin, many[i].end));
    total += many[i].size();
  }
  CHECK(rd.rounds() == 2);
  CHECK(rd.bytes() == 100 + total);
}

TEST_CASE("read plan: ranges are clipped to the object's size") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 1000, 4);
  write_file(dir.file("obj"), data);
  FileSource src(dir.file("obj"));
  RoundReader rd(src);
  auto got = rd.read(std::vector<ByteRange>{{900, 5000}, {2000, 3000}, {0, 0}});
  REQUIRE(got.size() == 3);
  CHECK(got[0] == slice(data, 900, 1000));
  CHECK(got[1].empty());  // wholly past the end
  CHECK(got[2].empty());
  CHECK(rd.rounds() == 1);
  CHECK(rd.bytes() == 100);
}

TEST_CASE("read plan: keep_reads keeps what is read from then on; take_reads hands it over") {
  TempDir dir;
  const std::vector<std::byte> data = pattern_bytes(0, 4096, 5);
  write_file(dir.file("obj"), data);
  FileSource src(dir.file("obj"));
  RoundReader rd(src);
  rd.read(ByteRange{0, 10});  // before keep_reads: not kept
  CHECK(rd.take_reads().empty());
  rd.keep_reads();
  rd.read(std::vector<ByteRange>{{100, 200}, {4000, 9000}, {5000, 6000}});
  rd.read(ByteRange{300, 301});
  auto kept = rd.take_reads();
  REQUIRE(kept.size() == 3);  // the empty read (past the end) is not kept
  CHECK(kept[0].range == ByteRange{100, 200});
  CHECK(kept[0].bytes == slice(data, 100, 200));
  CHECK(kept[1].range == ByteRange{4000, 4096});  // clipped like the read
  CHECK(kept[1].bytes == slice(data, 4000, 4096));
  CHECK(kept[2].range == ByteRange{300, 301});
  CHECK(rd.take_reads().empty());  // handed over once
}

TEST_CASE("read plan: a source shorter than its size is a short-read error") {
  TempDir dir;
  write_file(dir.file("obj"), pattern_bytes(0, 1000));
  FileSource src(dir.file("obj"));
  (void)src.size();
  RoundReader rd(src);
  write_file(dir.file("obj"), pattern_bytes(0, 500));  // shrinks after the size was taken
  CHECK_THROWS_AS(rd.read(ByteRange{400, 900}), Error);
}

TEST_CASE("read plan: plan_source wants at least one selector") {
  TempDir dir;
  write_file(dir.file("obj"), pattern_bytes(0, 10));
  FileSource src(dir.file("obj"));
  RoundReader rd(src);
  CHECK_THROWS_AS(plan_source(rd, {}), UsageError);
  CHECK(rd.rounds() == 0);  // refused before reading anything
}
