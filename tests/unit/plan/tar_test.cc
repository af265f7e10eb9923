// The tar walker against archives written by python's tarfile in ustar, pax
// and GNU formats (long names each format's way), compared with the data
// offsets tarfile reads back.
#include "plan/tar.h"

#include <doctest/doctest.h>

#include "plan_test_util.h"

using namespace sparseio;
using namespace sparseio::plan;
using sparseio::test::TempDir;

namespace {

const char* kWriter = R"(
import io, os, sys, tarfile
d = sys.argv[1]
fmt = {"ustar": tarfile.USTAR_FORMAT, "pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT}[os.environ["FMT"]]
big = int(os.environ.get("BIG", "0"))
with tarfile.open(os.path.join(d, "a.tar"), "w", format=fmt) as t:
    for i in range(40):
        name = "docs/%02d.md" % i if i % 2 else "src/%02d.c" % i
        if i == 5:
            name = ("docs/" + "p" * 120 + "/x.md") if fmt == tarfile.USTAR_FORMAT else ("docs/" + "q/" * 80 + "long.md")
        data = bytes((i + k) % 256 for k in range(7 + i * 300 + big))
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
with tarfile.open(os.path.join(d, "a.tar")) as t, open(os.path.join(d, "expected.txt"), "w") as out:
    for m in t.getmembers():
        out.write("%s %d %d\n" % (m.name, m.offset_data, m.size))
)";

void check(const char* fmt, uint64_t big, uint64_t max_rounds) {
  TempDir dir;
  setenv("FMT", fmt, 1);
  setenv("BIG", std::to_string(big).c_str(), 1);
  REQUIRE(sparseio::test::run_python(dir, kWriter));
  auto expected = sparseio::test::read_expected(dir.file("expected.txt"));
  REQUIRE(expected.size() == 40);
  Plan p = sparseio::test::plan_file(dir.file("a.tar"), {"tar:docs/**.md"});
  CHECK(p.round_trips <= max_rounds);
  size_t members = 0, headers = 0;
  for (const PlanItem& it : p.items) {
    if (it.payload.empty()) {
      headers += it.label.rfind("tar header of ", 0) == 0;
      continue;
    }
    std::string name = it.label.substr(std::string("tar member ").size());
    REQUIRE(expected.count(name));
    CHECK(it.payload.begin == expected[name].first);
    CHECK(it.payload.size() == expected[name].second);
    CHECK(it.range.end >= it.payload.end);
    ++members;
  }
  CHECK(members == 20);
  CHECK(headers == 40);  // every member's header (metadata), for tar -x to walk
}

}  // namespace

TEST_CASE("tar: ustar with a prefix-split long name") { check("ustar", 0, 4); }
TEST_CASE("tar: pax extended headers") { check("pax", 0, 4); }
TEST_CASE("tar: GNU long names") { check("gnu", 0, 4); }

TEST_CASE("tar: large members: one window per header, not per byte of data") {
  // 40 members of ~1 MiB: each header needs its own round trip.
  TempDir dir;
  setenv("FMT", "gnu", 1);
  setenv("BIG", std::to_string(1 << 20).c_str(), 1);
  REQUIRE(sparseio::test::run_python(dir, kWriter));
  Plan p = sparseio::test::plan_file(dir.file("a.tar"), {"tar:src/*"});
  CHECK(p.round_trips <= 42);
  CHECK(p.read_bytes < 42 * 64 * 1024 + 4 * 1024 * 1024);
}

TEST_CASE("tar: compressed and corrupt archives are clear errors") {
  std::vector<std::byte> gz(600, std::byte{0});
  gz[0] = std::byte{0x1f};
  gz[1] = std::byte{0x8b};
  TarWalker w(gz.size());
  CHECK_THROWS_WITH_AS(w.feed(0, gz), doctest::Contains("gzip-compressed tarball"), FormatError);
  std::vector<std::byte> bad(1024, std::byte{'a'});
  TarWalker w2(bad.size());
  CHECK_THROWS_WITH_AS(w2.feed(0, bad), doctest::Contains("at offset 0: expected a tar header"), FormatError);
}
