// prepare_under: the parents of DIR/NAME are made inside DIR, and a symlink
// on the way (or as the leaf) is refused, never followed.
#include "store/under_dir.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/errors.h"
#include "test_util.h"

using sparseio::DestinationConflictError;
using sparseio::prepare_under;
using sparseio::UsageError;
using sparseio::test::TempDir;

namespace fs = std::filesystem;

TEST_CASE("prepare_under makes the missing parents and returns DIR/NAME") {
  TempDir t;
  CHECK(prepare_under(t.path(), "x/y/z.bin") == t.file("x/y/z.bin"));
  CHECK(fs::is_directory(t.file("x/y")));
  CHECK(!fs::exists(t.file("x/y/z.bin")));  // the leaf is the destination's to create
  CHECK(prepare_under(t.path(), "top.bin") == t.file("top.bin"));
}

TEST_CASE("a symlinked parent pointing outside DIR is refused and nothing is created outside") {
  TempDir outside, t;
  fs::create_symlink(outside.path(), t.file("sub"));
  CHECK_THROWS_AS(prepare_under(t.path(), "sub/deeper/f.bin"), DestinationConflictError);
  CHECK(!fs::exists(outside.path() + "/deeper"));
  CHECK(fs::is_empty(outside.path()));
}

TEST_CASE("a symlink as the leaf is refused, even a dangling one") {
  TempDir outside, t;
  fs::create_symlink(outside.file("target"), t.file("f.bin"));
  CHECK_THROWS_AS(prepare_under(t.path(), "f.bin"), DestinationConflictError);
  CHECK(!fs::exists(outside.file("target")));
}

TEST_CASE("a file where a parent directory is needed, and hostile names, are refused") {
  TempDir t;
  sparseio::test::write_file(t.file("plain"), sparseio::test::pattern_bytes(0, 1));
  CHECK_THROWS_AS(prepare_under(t.path(), "plain/f.bin"), DestinationConflictError);
  CHECK_THROWS_AS(prepare_under(t.path(), "../escape"), UsageError);
  CHECK_THROWS_AS(prepare_under(t.path(), "/abs"), UsageError);
  CHECK(!fs::exists(fs::path(t.path()).parent_path() / "escape"));
}

TEST_CASE("find_sidecar: beside DST first, else in the nearest DIR/.sparseio/ that has one for it") {
  TempDir t;
  fs::create_directories(t.file("d/.sparseio/sub"));
  fs::create_directories(t.file("d/sub"));
  sparseio::test::write_file(t.file("d/.sparseio/sub/f.bin.sparseio"), sparseio::test::pattern_bytes(0, 1));
  CHECK(sparseio::find_sidecar(t.file("d/sub/f.bin")) == t.file("d/.sparseio/sub/f.bin.sparseio"));
  CHECK(sparseio::find_sidecar(t.file("d/sub/other.bin")) == t.file("d/sub/other.bin.sparseio"));
  sparseio::test::write_file(t.file("d/sub/f.bin.sparseio"), sparseio::test::pattern_bytes(0, 1));
  CHECK(sparseio::find_sidecar(t.file("d/sub/f.bin")) == t.file("d/sub/f.bin.sparseio"));
}
