// describe_identity_change: the "source changed" explanation names each
// field that differs, and is empty when nothing does.
#include "core/source_identity.h"

#include <doctest/doctest.h>

#include <string>

using sparseio::describe_identity_change;
using sparseio::SourceIdentity;

namespace {
SourceIdentity file_identity() {
  SourceIdentity id;
  id.size = 10;
  id.mtime_ns = 1000;
  id.device = 1;
  id.inode = 2;
  return id;
}
}  // namespace

TEST_CASE("equal identities describe no change") {
  CHECK(describe_identity_change(file_identity(), file_identity()).empty());
  CHECK(file_identity() == file_identity());
}

TEST_CASE("a size change gives both sizes") {
  SourceIdentity now = file_identity();
  now.size = 12;
  CHECK(describe_identity_change(file_identity(), now) == "size 10 -> 12");
}

TEST_CASE("mtime and inode changes are named") {
  SourceIdentity now = file_identity();
  now.mtime_ns = 2000;
  CHECK(describe_identity_change(file_identity(), now) == "modification time changed");
  now = file_identity();
  now.inode = 3;
  CHECK(describe_identity_change(file_identity(), now) == "it is a different file");
  now.device = 9;
  CHECK(describe_identity_change(file_identity(), now) == "it is a different file");
}

TEST_CASE("HTTP validators are shown old and new, several changes joined") {
  SourceIdentity was;
  was.size = 5;
  was.etag = "\"a\"";
  was.last_modified = "Mon, 01 Jan 2024 00:00:00 GMT";
  SourceIdentity now = was;
  now.size = 6;
  now.etag = "\"b\"";
  now.last_modified = "Tue, 02 Jan 2024 00:00:00 GMT";
  CHECK(describe_identity_change(was, now) ==
        "size 5 -> 6, ETag \"a\" -> \"b\", Last-Modified Mon, 01 Jan 2024 00:00:00 GMT -> Tue, 02 Jan 2024 "
        "00:00:00 GMT");
}
