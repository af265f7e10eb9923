// Plan manifests (lib/plan/manifest): the JSON `plan --json` writes and
// `fetch --plan` reads. A manifest survives the round trip, carries its
// format version, and a reader refuses what it cannot trust: other versions,
// missing fields, ranges past the object's end.
#include "plan/manifest.h"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/errors.h"
#include "test_util.h"

using namespace sparseio;
using namespace sparseio::plan;

namespace {

Manifest sample() {
  Manifest m;
  m.source = "https://example.com/data/train.zip";
  m.identity.size = 10000;
  m.identity.etag = "\"abc-123\"";
  m.identity.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  m.select = {"zip:train/*.jpg", "zip:meta.json"};
  m.shard = ShardSpec{1, 4};
  m.round_trips = 3;
  m.read_bytes = 4096;
  m.items.push_back({ByteRange{100, 200}, "zip member train/a.jpg", {}, false});
  m.items.push_back({ByteRange{150, 300}, "zip member train/b.jpg", {}, false});  // overlaps
  m.items.push_back({ByteRange{9000, 10000}, "zip central directory", {}, false});
  return m;
}

std::string error_of(const std::string& text) {
  try {
    manifest_from_json(text, "p.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("manifest: a manifest survives the JSON round trip") {
  const Manifest m = sample();
  const std::string text = manifest_to_json(m);
  CHECK(text.back() == '\n');
  Manifest back = manifest_from_json(text, "p.json");
  CHECK(back.source == m.source);
  CHECK(back.identity == m.identity);
  CHECK(back.select == m.select);
  REQUIRE(back.shard.has_value());
  CHECK(back.shard->index == 1);
  CHECK(back.shard->count == 4);
  CHECK(back.round_trips == 3);
  CHECK(back.read_bytes == 4096);
  REQUIRE(back.items.size() == m.items.size());
  for (size_t i = 0; i < m.items.size(); ++i) {
    CHECK(back.items[i].range == m.items[i].range);
    CHECK(back.items[i].label == m.items[i].label);
  }
  // Writing what was read gives the same text.
  CHECK(manifest_to_json(back) == text);
}

TEST_CASE("manifest: the JSON carries the version, the fields and the coalesced total") {
  Manifest m = sample();
  m.identity.mtime_ns = 1234567890123;
  auto j = nlohmann::json::parse(manifest_to_json(m));
  CHECK(j["sparseio_plan"] == kManifestVersion);
  CHECK(j["source"] == m.source);
  CHECK(j["identity"]["size"] == 10000);
  CHECK(j["identity"]["mtime_ns"] == 1234567890123);
  CHECK(j["identity"]["etag"] == m.identity.etag);
  CHECK(j["shard"] == "1/4");
  // [100,300) after coalescing the overlap, and [9000,10000)
  CHECK(j["total_bytes"] == 200 + 1000);
  REQUIRE(j["ranges"].size() == 3);
  CHECK(j["ranges"][1]["offset"] == 150);
  CHECK(j["ranges"][1]["length"] == 150);
  CHECK(j["ranges"][1]["what"] == "zip member train/b.jpg");
  // Device and inode are not written: another machine sees other numbers.
  m.identity.device = 7;
  m.identity.inode = 8;
  auto k = nlohmann::json::parse(manifest_to_json(m));
  CHECK_FALSE(k["identity"].contains("device"));
  CHECK_FALSE(k["identity"].contains("inode"));
}

TEST_CASE("manifest: no shard is null, empty identity strings are left out") {
  Manifest m;
  m.source = "/data/x.tar";
  m.identity.size = 10;
  auto j = nlohmann::json::parse(manifest_to_json(m));
  CHECK(j["shard"].is_null());
  CHECK_FALSE(j["identity"].contains("etag"));
  CHECK_FALSE(j["identity"].contains("mtime_ns"));
  CHECK(j["ranges"].empty());
  CHECK(j["total_bytes"] == 0);
  Manifest back = manifest_from_json(manifest_to_json(m), "p.json");
  CHECK_FALSE(back.shard.has_value());
  CHECK(back.items.empty());
  CHECK(back.identity == m.identity);
}

TEST_CASE("manifest: unknown keys are ignored, optional ones default") {
  Manifest m = manifest_from_json(
      R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 5, "future": true},
          "ranges": [{"offset": 1, "length": 2}], "later_addition": [1, 2]})",
      "p.json");
  CHECK(m.source == "s");
  CHECK(m.identity.size == 5);
  CHECK(m.select.empty());
  CHECK_FALSE(m.shard.has_value());
  CHECK(m.round_trips == 0);
  REQUIRE(m.items.size() == 1);
  CHECK(m.items[0].range == ByteRange{1, 3});
  CHECK(m.items[0].label.empty());
}

TEST_CASE("manifest: other versions and non-manifests are refused") {
  CHECK(has(error_of("not json"), "plan p.json: not a JSON object"));
  CHECK(has(error_of("[1, 2]"), "not a JSON object"));
  CHECK(has(error_of(R"({"source": "s"})"), "no \"sparseio_plan\" version"));
  CHECK(has(error_of(R"({"sparseio_plan": "1"})"), "no \"sparseio_plan\" version"));
  CHECK(has(error_of(R"({"sparseio_plan": 2, "source": "s"})"),
            "version 2 is not supported (this sparseio reads version 1)"));
  CHECK(has(error_of(R"({"sparseio_plan": 0})"), "version 0 is not supported"));
}

TEST_CASE("manifest: missing or mistyped fields are refused as malformed") {
  CHECK(has(error_of(R"({"sparseio_plan": 1, "identity": {"size": 1}, "ranges": []})"), "malformed"));
  CHECK(has(error_of(R"({"sparseio_plan": 1, "source": "s", "ranges": []})"), "malformed"));
  CHECK(has(error_of(R"({"sparseio_plan": 1, "source": "s", "identity": {}, "ranges": []})"), "malformed"));
  CHECK(has(error_of(R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 1}})"), "malformed"));
  CHECK(has(error_of(R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 9},
                         "ranges": [{"offset": 1}]})"),
            "malformed"));
  CHECK(has(error_of(R"({"sparseio_plan": 1, "source": 5, "identity": {"size": 9}, "ranges": []})"),
            "malformed"));
  CHECK_THROWS_AS(manifest_from_json(R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 9},
                                          "shard": "4/4", "ranges": []})",
                                     "p.json"),
                  UsageError);
}

TEST_CASE("manifest: a range past the object's end is refused") {
  auto with_range = [](const std::string& range) {
    return R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 100}, "ranges": [)" + range + "]}";
  };
  CHECK(error_of(with_range(R"({"offset": 0, "length": 100})")) == "no error");
  CHECK(error_of(with_range(R"({"offset": 100, "length": 0})")) == "no error");
  CHECK(has(error_of(with_range(R"({"offset": 90, "length": 11})")),
            "range 90+11 lies past the end of the object (100 bytes)"));
  CHECK(has(error_of(with_range(R"({"offset": 0, "length": 101})")), "past the end"));
  // no wrap-around: offset + length overflowing 64 bits
  CHECK(has(error_of(with_range(R"({"offset": 18446744073709551615, "length": 2})")), "past the end"));
}

TEST_CASE("manifest: load_manifest reads a file and names it in errors") {
  test::TempDir dir;
  const std::string path = dir.file("plan.json");
  std::ofstream(path) << manifest_to_json(sample());
  Manifest m = load_manifest(path);
  CHECK(m.source == sample().source);
  CHECK(m.items.size() == 3);

  std::ofstream(dir.file("bad.json")) << R"({"sparseio_plan": 9})";
  try {
    load_manifest(dir.file("bad.json"));
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(has(e.what(), "plan " + dir.file("bad.json") + ": version 9"));
  }
  CHECK_THROWS_AS(load_manifest(dir.file("missing.json")), UsageError);
}

TEST_CASE("manifest: same_object compares size, mtime, ETag and Last-Modified only") {
  SourceIdentity a;
  a.size = 10;
  a.mtime_ns = 5;
  a.etag = "e";
  a.last_modified = "lm";
  a.device = 1;
  a.inode = 2;
  SourceIdentity b = a;
  b.device = 3;  // another machine
  b.inode = 4;
  CHECK(same_object(a, b));
  for (auto change :
       {+[](SourceIdentity& i) { i.size++; }, +[](SourceIdentity& i) { i.mtime_ns++; },
        +[](SourceIdentity& i) { i.etag = "f"; }, +[](SourceIdentity& i) { i.last_modified = "x"; }}) {
    SourceIdentity c = a;
    change(c);
    CHECK_FALSE(same_object(a, c));
  }
}
