// Plan manifests (lib/plan/manifest): the JSON `plan --json` writes and
// `fetch --plan` reads. A manifest survives the round trip, carries its
// format version, and a reader refuses what it cannot trust: other versions,
// missing fields, ranges past the object's end. Version 2 holds many objects
// with their names below DIR; version 1 (one object) is still read and
// written for one object.
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
  CHECK(has(error_of(R"({"sparseio_plan": 3, "source": "s"})"),
            "version 3 is not supported (this sparseio reads versions 1 and 2)"));
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

namespace {

PlanFile sample_many() {
  PlanFile f;
  f.version = kManyManifestVersion;
  Manifest a = sample();
  a.name = "train.zip";
  Manifest b;
  b.source = "/data/sub/b.parquet";
  b.name = "sub/b.parquet";
  b.identity.size = 500;
  b.identity.mtime_ns = 77;
  b.select = a.select;
  b.shard = a.shard;
  b.round_trips = 1;
  b.read_bytes = 100;
  b.items.push_back({ByteRange{400, 500}, "parquet footer", {}, false});
  b.items.back().metadata = true;
  b.items.push_back({ByteRange{0, 50}, "parquet column price", {}, false});
  f.objects = {a, b};
  return f;
}

std::string v2_with_object(const std::string& object) {
  return R"({"sparseio_plan": 2, "objects": [)" + object + "]}";
}

}  // namespace

TEST_CASE("manifest: a version 2 plan of many objects survives the round trip") {
  const PlanFile f = sample_many();
  const std::string text = plan_file_to_json(f);
  auto j = nlohmann::json::parse(text);
  CHECK(j["sparseio_plan"] == 2);
  CHECK(j["shard"] == "1/4");
  CHECK(j["select"].size() == 2);
  CHECK(j["round_trips"] == 4);           // the objects' sums
  CHECK(j["total_bytes"] == 1200 + 150);  // each object's coalesced total, added
  CHECK_FALSE(j.contains("source"));      // sources are per object
  REQUIRE(j["objects"].size() == 2);
  CHECK(j["objects"][1]["name"] == "sub/b.parquet");
  CHECK(j["objects"][1]["ranges"][0]["metadata"] == true);
  const PlanFile back = plan_file_from_json(text, "p.json");
  CHECK(back.version == 2);
  REQUIRE(back.objects.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const Manifest &x = back.objects[i], &y = f.objects[i];
    CHECK(x.name == y.name);
    CHECK(x.source == y.source);
    CHECK(x.identity == y.identity);
    CHECK(x.select == y.select);
    REQUIRE(x.shard.has_value());
    CHECK(x.shard->count == 4);
    CHECK(x.round_trips == y.round_trips);
    REQUIRE(x.items.size() == y.items.size());
    for (size_t k = 0; k < x.items.size(); ++k) {
      CHECK(x.items[k].range == y.items[k].range);
      CHECK(x.items[k].label == y.items[k].label);
      CHECK(x.items[k].metadata == y.items[k].metadata);
    }
  }
  CHECK(plan_file_to_json(back) == text);
  // A single-object reader refuses it, saying why.
  CHECK(has(error_of(text), "a plan of 2 objects (version 2): fetch it into a directory DST"));
}

TEST_CASE(
    "manifest: version 1 manifests as earlier sparseio wrote them still read, and write back the same") {
  // Byte for byte what `plan --json` wrote before version 2 existed.
  const std::string v1 =
      "{\n \"sparseio_plan\": 1,\n \"source\": \"/d/a.tar\",\n \"identity\": {\n  \"size\": 3000,\n"
      "  \"mtime_ns\": 5\n },\n \"select\": [\n  \"tar:d/*\"\n ],\n \"shard\": null,\n \"round_trips\": 2,\n"
      " \"read_bytes\": 1024,\n \"total_bytes\": 1024,\n \"ranges\": [\n  {\n   \"offset\": 0,\n"
      "   \"length\": 1024,\n   \"what\": \"tar header of d/x\",\n   \"metadata\": true\n  }\n ]\n}\n";
  const PlanFile f = plan_file_from_json(v1, "old.json");
  CHECK(f.version == 1);
  REQUIRE(f.objects.size() == 1);
  CHECK(f.objects[0].name.empty());
  CHECK(f.objects[0].source == "/d/a.tar");
  CHECK(f.objects[0].items.at(0).metadata);
  CHECK(plan_file_to_json(f) == v1);
  CHECK(manifest_to_json(manifest_from_json(v1, "old.json")) == v1);
  // A version 1 plan holds one object: writing two as version 1 is a bug.
  PlanFile two = sample_many();
  two.version = kManifestVersion;
  CHECK_THROWS_AS(plan_file_to_json(two), Error);
}

TEST_CASE("manifest: a bad field is refused naming the file and the field") {
  auto v2_error = [](const std::string& text) {
    try {
      plan_file_from_json(text, "p.json");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string ok = R"({"name": "a", "source": "s", "identity": {"size": 9}, "ranges": []})";
  CHECK(v2_error(v2_with_object(ok)) == "no error");
  CHECK(v2_error(R"({"sparseio_plan": 2})") == "plan p.json: malformed: objects: missing");
  CHECK(v2_error(R"({"sparseio_plan": 2, "objects": {}})") ==
        "plan p.json: malformed: objects: must be a JSON array");
  CHECK(v2_error(v2_with_object(ok + ", 7")) == "plan p.json: malformed: objects[1]: must be a JSON object");
  CHECK(v2_error(v2_with_object(R"({"source": "s", "identity": {"size": 9}, "ranges": []})")) ==
        "plan p.json: malformed: objects[0].name: missing");
  CHECK(v2_error(v2_with_object(R"({"name": "a", "source": "s", "identity": {"size": -1}, "ranges": []})")) ==
        "plan p.json: malformed: objects[0].identity.size: must be a non-negative integer");
  CHECK(v2_error(v2_with_object(
            R"({"name": "a", "source": "s", "identity": {"size": 9}, "ranges": [{"offset": 1}]})")) ==
        "plan p.json: malformed: objects[0].ranges[0].length: missing");
  CHECK(
      v2_error(v2_with_object(
          R"({"name": "a", "source": "s", "identity": {"size": 9}, "ranges": [{"offset": 8, "length": 2}]})")) ==
      "plan p.json: malformed: objects[0].ranges[0]: range 8+2 lies past the end of the object (9 bytes)");
  CHECK(has(v2_error(v2_with_object(
                R"({"name": "a", "source": "s", "identity": {"size": 9, "etag": 5}, "ranges": []})")),
            "objects[0].identity.etag: must be a string"));
  CHECK(has(v2_error(R"({"sparseio_plan": 2, "shard": "4/4", "objects": []})"),
            "malformed: shard: bad --shard"));
  CHECK(
      has(v2_error(R"({"sparseio_plan": 2, "select": [1], "objects": []})"), "select[0]: must be a string"));
  // Version 1 names its fields from the top.
  CHECK(error_of(R"({"sparseio_plan": 1, "source": "s", "identity": {"size": 1}})") ==
        "plan p.json: malformed: ranges: missing");
}

TEST_CASE("manifest: names that would leave DIR, or repeat, are refused") {
  auto named = [](const std::string& a, const std::string& b) {
    return v2_with_object(R"({"name": ")" + a + R"(", "source": "s", "identity": {"size": 1}, "ranges": []},
                             {"name": ")" +
                          b + R"(", "source": "t", "identity": {"size": 1}, "ranges": []})");
  };
  for (const char* hostile : {"../x", "/etc/passwd", "a/../../b", ".sparseio/a.sparseio", ""}) {
    INFO(hostile);
    CHECK_THROWS_WITH_AS(plan_file_from_json(named("ok", hostile), "p.json"),
                         doctest::Contains("plan p.json: malformed: objects[1].name: refusing"), UsageError);
  }
  CHECK_THROWS_WITH_AS(plan_file_from_json(named("a/b", "a/b"), "p.json"),
                       doctest::Contains("objects[1].name: \"a/b\" is named twice"), UsageError);
}
