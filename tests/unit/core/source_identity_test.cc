// Source identities: when a recorded identity matches a source's, and how a
// change is explained.
#include "core/source_identity.h"

#include <doctest/doctest.h>

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

}  // namespace

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
