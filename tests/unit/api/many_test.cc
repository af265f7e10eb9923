// Many objects in one run: which objects the sources name, where they land
// (data in DIR, sidecars in DIR/.sparseio/), failures as outcomes, and the
// run's failure kind.
#include "api/many.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "core/errors.h"
#include "test_util.h"

using namespace sparseio;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
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
