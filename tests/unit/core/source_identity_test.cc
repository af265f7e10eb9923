// Source identities: when a recorded identity matches a source's, and how a
// change is explained (each field that differs is named; nothing when equal).
#include "core/source_identity.h"

#include <doctest/doctest.h>

#include <string>

using sparseio::describe_identity_change;
using sparseio::identity_matches;
using sparseio::SourceIdentity;

namespace {

SourceIdentity http(std::string url) {
  SourceIdentity id;
  id.size = 1000;
  id.etag = "\"v1-1000\"";
  id.last_modified = "Wed, 01 Jan 2025 00:00:00 GMT";
  id.url = std::move(url);
  return id;
}

SourceIdentity file_identity() {
  SourceIdentity id;
  id.size = 10;
  id.mtime_ns = 1000;
  id.device = 1;
  id.inode = 2;
  return id;
}

}  // namespace

TEST_CASE("equal identities match and describe no change") {
  CHECK(describe_identity_change(file_identity(), file_identity()).empty());
  CHECK(identity_matches(file_identity(), file_identity()));
}

TEST_CASE("a size change gives both sizes") {
  SourceIdentity now = file_identity();
  now.size = 12;
  CHECK_FALSE(identity_matches(file_identity(), now));
  CHECK(describe_identity_change(file_identity(), now) == "size 10 -> 12");
}

TEST_CASE("mtime and inode changes are named") {
  SourceIdentity now = file_identity();
  now.mtime_ns = 2000;
  CHECK_FALSE(identity_matches(file_identity(), now));
  CHECK(describe_identity_change(file_identity(), now) == "modification time changed");
  now = file_identity();
  now.inode = 3;
  CHECK_FALSE(identity_matches(file_identity(), now));
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

TEST_CASE("another URL with the same size and validators is another source") {
  const SourceIdentity a = http("http://h/partA.bin"), b = http("http://h/partB.bin");
  CHECK(identity_matches(a, a));
  CHECK_FALSE(identity_matches(a, b));
  CHECK(describe_identity_change(a, b) == "URL http://h/partA.bin -> http://h/partB.bin");
}

TEST_CASE("a recorded identity without a URL (an older sidecar) matches any URL, nothing else") {
  const SourceIdentity old = http("");
  CHECK(identity_matches(old, http("http://h/partA.bin")));
  SourceIdentity bigger = http("http://h/partA.bin");
  bigger.size = 1001;
  CHECK_FALSE(identity_matches(old, bigger));
  CHECK(describe_identity_change(old, bigger) == "size 1000 -> 1001");
  // A URL is never dropped the other way: recorded, then none offered.
  CHECK_FALSE(identity_matches(http("http://h/partA.bin"), old));
}
