// How the commands get their ranges (lib/api/plan_ranges): -r items alone
// (or the whole object), a --select on a small zip written by python's
// zipfile (payload offsets compared with what python reads back), a plan
// manifest (refused for another version of the object), a shard, and the
// text form of a plan.
#include "api/plan_ranges.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "plan/plan_test_util.h"
#include "source/file_source.h"
#include "test_util.h"

using namespace sparseio;
using namespace sparseio::test;

namespace {

// argv[1]: dir; writes s.zip (stored members) and expected.txt (name, data offset, size).
const char* kZipWriter = R"(
import os, struct, sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(os.path.join(d, "s.zip"), "w", zipfile.ZIP_STORED) as z:
    for i, name in enumerate(["keep/a.txt", "skip/b.txt", "keep/c.bin"]):
        z.writestr(name, bytes((i * 11 + k) % 251 for k in range(300 + 100 * i)))
with open(os.path.join(d, "s.zip"), "rb") as f, zipfile.ZipFile(os.path.join(d, "s.zip")) as z, \
     open(os.path.join(d, "expected.txt"), "w") as out:
    for info in z.infolist():
        f.seek(info.header_offset)
        h = f.read(30)
        n, m = struct.unpack("<HH", h[26:30])
        out.write("%s %d %d\n" % (info.filename, info.header_offset + 30 + n + m, info.compress_size))
)";

bool covered(const std::vector<ByteRange>& by, ByteRange r) {
  return std::any_of(by.begin(), by.end(),
                     [&](const ByteRange& b) { return b.begin <= r.begin && r.end <= b.end; });
}

}  // namespace

TEST_CASE("plan ranges: -r items alone are labelled, resolved and coalesced") {
  TempDir dir;
  write_file(dir.file("obj"), pattern_bytes(0, 10000));
  FileSource src(dir.file("obj"));
  CommandRanges r = resolve_command_ranges(parse_range_list("0-99,50-199,-100"), {}, src);
  CHECK(r.fetch == std::vector<ByteRange>{{0, 200}, {9900, 10000}});
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].label == "-r 0-99");
  CHECK(r.items[1].range == ByteRange{50, 200});
  CHECK(r.items[2].label == "-r -100");
  CHECK(r.items[2].range == ByteRange{9900, 10000});
  CHECK(r.round_trips == 0);
  CHECK(r.planning_reads.empty());
  CHECK(r.output.empty());  // only cat has an output order
}

TEST_CASE("plan ranges: no items, selection or plan means the whole object") {
  TempDir dir;
  write_file(dir.file("obj"), pattern_bytes(0, 5000));
  FileSource src(dir.file("obj"));
  CommandRanges r = resolve_command_ranges({}, {}, src);
  CHECK(r.fetch == std::vector<ByteRange>{{0, 5000}});
  REQUIRE(r.items.size() == 1);
  CHECK(r.items[0].label == "the whole object");
  CommandRanges c = resolve_command_ranges({}, {}, src, true);
  CHECK(c.output == std::vector<ByteRange>{{0, 5000}});
  CHECK(c.fetch == c.output);
  // An item starting past the end is refused.
  CHECK_THROWS_AS(resolve_command_ranges(parse_range_list("6000-"), {}, src), UsageError);
}

TEST_CASE("plan ranges: --select on a zip gives the members' bytes and the reads made to plan") {
  TempDir dir;
  REQUIRE(run_python(dir, kZipWriter));
  auto expected = read_expected(dir.file("expected.txt"));
  REQUIRE(expected.size() == 3);
  const std::vector<std::byte> file = read_file(dir.file("s.zip"));
  FileSource src(dir.file("s.zip"));
  PlanRequest req;
  req.select = {"zip:keep/*"};
  CHECK(req.any());

  CommandRanges cat = resolve_command_ranges({}, req, src, true);
  // cat's output: the selected members' data, in the archive's order.
  std::vector<ByteRange> want;
  for (const char* name : {"keep/a.txt", "keep/c.bin"})
    want.push_back({expected[name].first, expected[name].first + expected[name].second});
  CHECK(cat.output == want);
  for (const ByteRange& o : cat.output) CHECK(covered(cat.fetch, o));
  const ByteRange skipped{expected["skip/b.txt"].first, expected["skip/b.txt"].first + 1};
  CHECK_FALSE(covered(cat.fetch, skipped));
  CHECK(cat.round_trips >= 1);
  CHECK(cat.read_bytes > 0);
  REQUIRE_FALSE(cat.planning_reads.empty());
  for (const auto& read : cat.planning_reads) {
    REQUIRE(read.range.end <= file.size());
    CHECK(std::equal(read.bytes.begin(), read.bytes.end(),
                     file.begin() + static_cast<ptrdiff_t>(read.range.begin)));
  }

  // fetch: no output; with -r items too, both are fetched.
  CommandRanges fetch = resolve_command_ranges(parse_range_list("0-9"), req, src);
  CHECK(fetch.output.empty());
  CHECK(covered(fetch.fetch, {0, 10}));
  for (const ByteRange& o : want) CHECK(covered(fetch.fetch, o));
  CHECK(fetch.items.front().label == "-r 0-9");
}

TEST_CASE("plan ranges: a selection that matches nothing is a usage error") {
  TempDir dir;
  REQUIRE(run_python(dir, kZipWriter));
  FileSource src(dir.file("s.zip"));
  PlanRequest req;
  req.select = {"zip:nothing/*"};
  try {
    resolve_command_ranges({}, req, src);
    FAIL("no error");
  } catch (const UsageError& e) {
    // The file, the selector and the pattern that matched nothing.
    CHECK(std::string(e.what()).find("s.zip: --select 'zip:nothing/*': no member matches 'nothing/*'") !=
          std::string::npos);
  }
}

TEST_CASE("plan ranges: the shards are disjoint and together make the unsharded fetch") {
  TempDir dir;
  const uint64_t size = 1 << 20;
  write_file(dir.file("obj"), pattern_bytes(0, size));
  FileSource src(dir.file("obj"));
  const auto items = parse_range_list("0-99999,200000-699999,900000-");
  const std::vector<ByteRange> all = resolve_command_ranges(items, {}, src).fetch;
  std::vector<ByteRange> together;
  uint64_t total = 0;
  for (unsigned i = 0; i < 3; ++i) {
    PlanRequest req;
    req.shard = plan::ShardSpec{i, 3};
    CommandRanges r = resolve_command_ranges(items, req, src);
    CHECK_FALSE(r.fetch.empty());
    for (const ByteRange& f : r.fetch) {
      CHECK(covered(all, f));
      total += f.size();
    }
    together.insert(together.end(), r.fetch.begin(), r.fetch.end());
  }
  uint64_t all_bytes = 0;
  for (const ByteRange& a : all) all_bytes += a.size();
  CHECK(total == all_bytes);  // covered and adding up: disjoint
  CHECK(plan::coalesce(together) == all);
}

TEST_CASE("plan ranges: a manifest's ranges are fetched, unless the object changed") {
  TempDir dir;
  write_file(dir.file("obj"), pattern_bytes(0, 10000));
  FileSource src(dir.file("obj"));
  plan::Manifest m;
  m.source = dir.file("obj");
  m.identity = src.identity();
  m.items.push_back({{100, 200}, "planned", {}, false});
  std::ofstream(dir.file("plan.json")) << plan::manifest_to_json(m);
  PlanRequest req;
  req.manifest = dir.file("plan.json");
  CommandRanges r = resolve_command_ranges({}, req, src);
  CHECK(r.fetch == std::vector<ByteRange>{{100, 200}});
  REQUIRE(r.items.size() == 1);
  CHECK(r.items[0].payload == ByteRange{100, 200});

  m.identity.mtime_ns += 1;  // planned against another version
  std::ofstream(dir.file("stale.json")) << plan::manifest_to_json(m);
  req.manifest = dir.file("stale.json");
  CHECK_THROWS_AS(resolve_command_ranges({}, req, src), SourceChangedError);
}

TEST_CASE("plan ranges: the text form is a range list with comments, one item a line") {
  plan::Manifest m;
  m.source = "https://h/a.zip";
  m.identity.size = 1000;
  m.select = {"zip:a/*"};
  m.shard = plan::ShardSpec{0, 2};
  m.round_trips = 2;
  m.read_bytes = 300;
  m.items.push_back({{0, 100}, "first", {}, false});
  m.items.push_back({{50, 150}, "bad\nname", {}, false});
  const std::string text = format_plan_text(m);
  CHECK(text.find("# sparseio plan of https://h/a.zip (1000 bytes): --select zip:a/* --shard 0/2\n") == 0);
  CHECK(text.find("# 2 ranges, 150 bytes to fetch; planned in 2 round trips (300 bytes read)\n") !=
        std::string::npos);
  CHECK(text.find("0-99") != std::string::npos);
  CHECK(text.find("50-149") != std::string::npos);
  CHECK(text.find("# bad name\n") != std::string::npos);  // a newline in a label stays on its line
  CHECK(std::count(text.begin(), text.end(), '\n') == 4);
  // And it parses back as a range file.
  auto items = parse_range_file(text);
  REQUIRE(items.size() == 2);
  CHECK(resolve_ranges(items, 1000) == std::vector<ByteRange>{{0, 100}, {50, 150}});
}
