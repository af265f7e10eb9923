// The zip planner against archives written by python's zipfile (plain and
// with every zip64 form forced), compared with the data offsets python reads
// back; round trips counted through RoundReader.
#include "plan/zip.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "plan_test_util.h"

using namespace sparseio;
using namespace sparseio::plan;
using sparseio::test::TempDir;

namespace {

// argv[1]: dir; writes a.zip and expected.txt (name, data offset, stored size).
const char* kWriter = R"(
import os, struct, sys, zipfile
d = sys.argv[1]
zip64 = os.environ.get("ZIP64") == "1"
members = int(os.environ.get("MEMBERS", "30"))
if zip64:
    zipfile.ZIP64_LIMIT = zipfile.ZIP_FILECOUNT_LIMIT = 0
with zipfile.ZipFile(os.path.join(d, "a.zip"), "w") as z:
    for i in range(members):
        name = ("train/" if i % 2 else "val/") + "f%04d.bin" % i
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED if i % 3 == 0 else zipfile.ZIP_STORED
        # Bytes (i * 7 + k) % 251; sizes repeat every 100 members, so that
        # the 3000-member archive (wanted for its directory) stays ~6 MB:
        # sizes growing with i made it 166 MB, 25 s of python.
        size = 100 + (i % 100) * 37
        row = bytes(range(251))
        with z.open(info, "w", force_zip64=zip64) as f:
            f.write((row[i * 7 % 251:] + row * (size // 251 + 1))[:size])
with open(os.path.join(d, "a.zip"), "rb") as f, zipfile.ZipFile(os.path.join(d, "a.zip")) as z, \
     open(os.path.join(d, "expected.txt"), "w") as out:
    for info in z.infolist():
        f.seek(info.header_offset)
        h = f.read(30)
        n, m = struct.unpack("<HH", h[26:30])
        out.write("%s %d %d\n" % (info.filename, info.header_offset + 30 + n + m, info.compress_size))
)";

void check(bool zip64, int members, uint64_t max_rounds) {
  TempDir dir;
  setenv("ZIP64", zip64 ? "1" : "0", 1);
  setenv("MEMBERS", std::to_string(members).c_str(), 1);
  REQUIRE(sparseio::test::run_python(dir, kWriter));
  auto expected = sparseio::test::read_expected(dir.file("expected.txt"));
  REQUIRE(expected.size() == static_cast<size_t>(members));
  Plan p = sparseio::test::plan_file(dir.file("a.zip"), {"zip:train/*"}, true);
  CHECK(p.round_trips <= max_rounds);
  size_t found = 0;
  for (const PlanItem& it : p.items) {
    if (it.payload.empty()) continue;
    std::string name = it.label.substr(std::string("zip member ").size());
    REQUIRE(expected.count(name));
    CHECK(name.rfind("train/", 0) == 0);
    CHECK(it.payload.begin == expected[name].first);
    CHECK(it.payload.size() == expected[name].second);
    CHECK(it.range.begin < it.payload.begin);  // the local header comes too
    CHECK(it.range.end >= it.payload.end);
    ++found;
  }
  CHECK(found == static_cast<size_t>(members / 2));
}

}  // namespace

TEST_CASE("zip: members of a python zipfile archive, one round trip for a small directory") {
  check(false, 30, 2);  // +1: the local headers read for the payloads
}

TEST_CASE("zip64: every field in its zip64 form") { check(true, 30, 2); }

TEST_CASE("zip: a directory larger than the tail read takes a second round trip, no more") {
  // 3000 members of ~60 bytes of directory each: ~180 KiB > kZipTailRead.
  TempDir dir;
  setenv("ZIP64", "0", 1);
  setenv("MEMBERS", "3000", 1);
  REQUIRE(sparseio::test::run_python(dir, kWriter));
  Plan p = sparseio::test::plan_file(dir.file("a.zip"), {"zip:val/f000*"});
  CHECK(p.round_trips == 2);
}

TEST_CASE("zip: not a zip, truncated directory, bad local header: errors name the offset") {
  std::vector<std::byte> junk(1000, std::byte{'x'});
  CHECK_THROWS_WITH_AS(parse_zip_tail(junk, 0, junk.size()),
                       doctest::Contains("at offset 0: expected an end-of-central-directory record"),
                       FormatError);
  // An EOCD claiming a directory that does not fit before it.
  std::vector<std::byte> eocd(22, std::byte{0});
  const uint8_t sig[] = {0x50, 0x4b, 0x05, 0x06};
  for (int i = 0; i < 4; ++i) eocd[i] = std::byte{sig[i]};
  eocd[10] = std::byte{1};   // 1 entry
  eocd[12] = std::byte{46};  // 46-byte directory at 0: ends past the EOCD at 0
  CHECK_THROWS_WITH_AS(parse_zip_tail(eocd, 0, eocd.size()), doctest::Contains("does not end before"),
                       FormatError);
  std::vector<std::byte> local(30, std::byte{0});
  CHECK_THROWS_WITH_AS(zip_member_data(local, 1234, 10, 5000),
                       doctest::Contains("offset 1234: expected a local"), FormatError);
}
