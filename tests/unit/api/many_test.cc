// Many objects in one run: which objects the sources name, where they land
// (data in DIR, sidecars in DIR/.sparseio/), failures as outcomes, and the
// run's failure kind.
#include "api/many.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/errors.h"
#include "engine/scheduler.h"
#include "source/http/connection_pool.h"
#include "test_http_server.h"
#include "test_util.h"

using namespace sparseio;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;
using sparseio::test::TestHttpServer;
using sparseio::test::write_file;

namespace fs = std::filesystem;

TEST_CASE("plan_objects names files by basename and a directory's files by their path below it") {
  TempDir t;
  fs::create_directories(t.file("tree/sub"));
  fs::create_directories(t.file("tree/.sparseio"));
  write_file(t.file("tree/b.bin"), pattern_bytes(0, 10));
  write_file(t.file("tree/sub/a.bin"), pattern_bytes(0, 10));
  write_file(t.file("tree/.sparseio/x.sparseio"), pattern_bytes(0, 10));  // an earlier DIR's records
  fs::create_symlink("/etc/passwd", t.file("tree/link"));                 // not followed
  write_file(t.file("one.bin"), pattern_bytes(0, 10));
  const std::vector<ObjectJob> jobs =
      plan_objects({t.file("one.bin"), t.file("tree"), "https://h/p/c.bin?x=1"});
  REQUIRE(jobs.size() == 4);
  CHECK(jobs[0].name == "one.bin");
  CHECK(jobs[1].name == "b.bin");
  CHECK(jobs[2].name == "sub/a.bin");
  CHECK(jobs[3].name == "c.bin");
}

TEST_CASE("two sources mapping to one name are a usage error naming both") {
  TempDir t;
  fs::create_directories(t.file("d"));
  write_file(t.file("a.bin"), pattern_bytes(0, 10));
  write_file(t.file("d/a.bin"), pattern_bytes(0, 10));
  try {
    plan_objects({t.file("a.bin"), t.file("d/a.bin")});
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find(t.file("a.bin")) != std::string::npos);
    CHECK(std::string(e.what()).find(t.file("d/a.bin")) != std::string::npos);
  }
  CHECK_THROWS_AS(plan_objects({"https://host/dir/"}), UsageError);  // no name in it
}

TEST_CASE("run_fetch_many fetches every object, keeps sidecars in .sparseio/ and reports a failure") {
  TempDir t;
  write_file(t.file("a.bin"), pattern_bytes(0, 5000));
  write_file(t.file("b.bin"), pattern_bytes(7, 300));
  ManyCommand cmd;
  cmd.objects = plan_objects({t.file("a.bin"), t.file("missing.bin"), t.file("b.bin")});
  cmd.directory = t.file("out");
  const ManyReport r = run_fetch_many(cmd);
  REQUIRE(r.objects.size() == 3);
  CHECK(r.objects[0].report);
  CHECK(r.objects[1].error_kind == ErrorKind::kSourceMissing);
  CHECK(r.objects[2].report);
  CHECK(read_file(t.file("out/a.bin")) == pattern_bytes(0, 5000));
  CHECK(read_file(t.file("out/b.bin")) == pattern_bytes(7, 300));
  CHECK(fs::exists(t.file("out/.sparseio/a.bin.sparseio")));
  CHECK(!fs::exists(t.file("out/a.bin.sparseio")));
  CHECK(many_failure_kind(r) == ErrorKind::kSourceMissing);

  const ManyReport s = run_stat_many(t.file("out"));
  REQUIRE(s.objects.size() == 2);
  CHECK(s.objects[0].name == "a.bin");
  CHECK(s.objects[0].report->present_bytes == 5000);
}

namespace {

// Every path is the same 1,000 bytes, with ranges.
TestHttpResponse ranged_answer(const TestHttpRequest& req) {
  static const std::vector<std::byte> data = pattern_bytes(3, 1000);
  TestHttpResponse r;
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.headers.emplace_back("ETag", "\"v1\"");
  ByteRange want{0, data.size()};
  if (const auto range = req.header("Range")) {
    unsigned long long a = 0, b = 0;
    REQUIRE(std::sscanf(range->c_str(), "bytes=%llu-%llu", &a, &b) == 2);
    want = {a, std::min<uint64_t>(b + 1, data.size())};
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(a) + "-" +
                                                std::to_string(want.end - 1) + "/" +
                                                std::to_string(data.size()));
  }
  r.body.assign(reinterpret_cast<const char*>(data.data()) + want.begin, want.size());
  return r;
}

}  // namespace

TEST_CASE("objects over one host reuse the run's connections instead of opening their own") {
  TestHttpServer server(ranged_answer);
  std::vector<std::string> urls;
  for (int i = 0; i < 8; ++i) urls.push_back(server.url("/o" + std::to_string(i) + ".bin"));
  TempDir t;
  ManyCommand cmd;
  cmd.objects = plan_objects(urls);
  cmd.directory = t.file("out");
  cmd.each.ranges = parse_range_list("-100");
  cmd.at_once = 1;  // one object after the other: each finds the last one's connection idle
  auto pool = std::make_shared<HttpConnectionPool>(8);
  cmd.each.http.pool = pool;
  const ManyReport r = run_fetch_many(cmd);
  for (const ObjectOutcome& o : r.objects) {
    REQUIRE_MESSAGE(o.report, o.error);
    CHECK(o.report->present_bytes == 100);
  }
  const std::vector<std::byte> got = read_file(t.file("out/o7.bin")), all = pattern_bytes(3, 1000);
  REQUIRE(got.size() == 1000);
  CHECK(std::equal(got.begin() + 900, got.end(), all.begin() + 900));
  // 16 requests (a HEAD and a GET per object) over one connection, or one
  // per engine at most: a connection per object would be 8.
  CHECK(server.requests().size() >= 16);
  CHECK(server.connections_accepted() <= 2);
  CHECK(pool->connects() == static_cast<long>(server.connections_accepted()));
}

TEST_CASE("objects_in_flight: 4 until the link is known to be far, then enough to cover the round trips") {
  // Local objects, an unknown latency, loopback: the CPU is the limit.
  CHECK(objects_in_flight(false, 0.1, 64, 2) == kObjectsAtOnce);
  CHECK(objects_in_flight(true, 0, 64, 2) == kObjectsAtOnce);
  CHECK(objects_in_flight(true, 0.0005, 64, 2) == kObjectsAtOnce);
  // 20 ms: 2 cores x (1 + 3 x 20 ms / 4 ms) = 32 objects.
  CHECK(objects_in_flight(true, 0.020, 64, 2) == 32);
  // Farther: the connections cap it (an object in flight holds one).
  CHECK(objects_in_flight(true, 0.100, 64, 2) == 64);
  CHECK(objects_in_flight(true, 0.100, 16, 2) == 16);
  // Fewer connections than the floor: never more objects than connections.
  CHECK(objects_in_flight(true, 0, 2, 2) == 2);
  CHECK(objects_in_flight(true, 0.1, 1, 8) == 1);
  // More cores: more objects at a given latency.
  CHECK(objects_in_flight(true, 0.004, 64, 4) > objects_in_flight(true, 0.004, 64, 2));
}

TEST_CASE("fail_fast starts no object after the first failure") {
  TempDir t;
  write_file(t.file("b.bin"), pattern_bytes(0, 10));
  ManyCommand cmd;
  cmd.objects = plan_objects({t.file("a-missing"), t.file("b.bin")});
  cmd.directory = t.file("out");
  cmd.fail_fast = true;
  cmd.at_once = 1;
  const ManyReport r = run_fetch_many(cmd);
  CHECK(r.objects[0].error_kind);
  CHECK(!r.objects[1].attempted);
  CHECK(!fs::exists(t.file("out/b.bin")));
}

TEST_CASE("a DIR that exists and is not a directory is a usage error") {
  TempDir t;
  write_file(t.file("a.bin"), pattern_bytes(0, 10));
  write_file(t.file("file"), pattern_bytes(0, 10));
  ManyCommand cmd;
  cmd.objects = plan_objects({t.file("a.bin")});
  cmd.directory = t.file("file");
  CHECK_THROWS_AS(run_fetch_many(cmd), UsageError);
}

TEST_CASE("many_failure_kind: none, the shared kind, or a plain failure when kinds differ") {
  ManyReport r;
  r.objects.resize(3);
  CHECK(!many_failure_kind(r));
  r.objects[0].error_kind = ErrorKind::kNetwork;
  r.objects[2].error_kind = ErrorKind::kNetwork;
  CHECK(many_failure_kind(r) == ErrorKind::kNetwork);
  r.objects[1].error_kind = ErrorKind::kSourceMissing;
  CHECK(many_failure_kind(r) == ErrorKind::kFailure);
}

TEST_CASE("parse_object_list: SRC [NAME] [RANGES...] a line, comments and blank lines skipped") {
  const std::vector<ObjectJob> jobs = parse_object_list(
      "# header\n"
      "https://h/d/a.bin  sub/a.bin  0-99 -10\n"
      "\n"
      "  /data/b.bin   # whole\n"
      "s3://bkt/k/c.bin 5+5\r\n",
      "list.txt");
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0].name == "sub/a.bin");
  CHECK(jobs[0].ranges.size() == 2);
  CHECK(jobs[1].source == "/data/b.bin");
  CHECK(jobs[1].name == "b.bin");
  CHECK(jobs[1].ranges.empty());
  CHECK(jobs[2].name == "c.bin");
  CHECK(jobs[2].ranges.size() == 1);
}

TEST_CASE("parse_object_list refuses hostile names and bad ranges, naming the line") {
  for (const char* bad : {"a.bin ../x\n", "a.bin /abs\n", "a.bin x//y\n", "a.bin x 9-1\n"}) {
    try {
      parse_object_list(std::string("# c\n") + bad, "l.txt");
      FAIL("accepted: " << bad);
    } catch (const UsageError& e) {
      CHECK_MESSAGE(std::string(e.what()).starts_with("l.txt:2: "), e.what());
    }
  }
}

TEST_CASE("the caller's progress monitor sums every object and counts them done") {
  TempDir t;
  write_file(t.file("a.bin"), pattern_bytes(0, 5000));
  write_file(t.file("b.bin"), pattern_bytes(1, 3000));
  ProgressMonitor monitor;
  ManyCommand cmd;
  cmd.objects = plan_objects({t.file("a.bin"), t.file("b.bin")});
  cmd.directory = t.file("out");
  cmd.each.fetch.progress = &monitor;
  run_fetch_many(cmd);
  const std::optional<ProgressSnapshot> s = monitor.snapshot(10);
  REQUIRE(s);
  CHECK(s->objects_done == 2);
  CHECK(s->objects_total == 2);
  CHECK(s->wanted_bytes == 8000);
  CHECK(s->done_bytes == 8000);
  CHECK(s->cells.empty());  // no fill map over several objects
}
