// Names in `sparseio mount`: the file a SRC appears as, its cache file, the
// duplicate check, and the throttle of read-failure lines.
#include "mount/mount_names.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/errors.h"

using namespace sparseio::mount;

TEST_CASE("a source appears under its last path segment") {
  CHECK(entry_name("/data/big.zip") == "big.zip");
  CHECK(entry_name("big.zip") == "big.zip");
  CHECK(entry_name("https://host:8443/a/b/app.db?X-Amz-Signature=abc#frag") == "app.db");
  CHECK(entry_name("http://host/a%20b.tar") == "a%20b.tar");
  CHECK(entry_name("s3://bucket/dir/x.parquet") == "x.parquet");
  CHECK(entry_name("s3://bucket/odd?key") == "odd?key");  // S3 keys have no query
}

TEST_CASE("a source without a usable name is a usage error naming it") {
  for (const char* bad : {"https://host/", "https://host", "s3://bucket", "s3://bucket/dir/", "/data/", "..",
                          "dir/.", "http://host/a/..?x"}) {
    CAPTURE(bad);
    try {
      entry_name(bad);
      FAIL("accepted");
    } catch (const sparseio::UsageError& e) {
      CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
  }
}

TEST_CASE("cache files are NAME-HASH: stable, distinct per source, within NAME_MAX, inside the directory") {
  const std::string a = cache_file_name("big.zip", "https://a/big.zip");
  CHECK(a == cache_file_name("big.zip", "https://a/big.zip"));
  CHECK(a != cache_file_name("big.zip", "https://b/big.zip"));
  CHECK(a.starts_with("big.zip-"));
  CHECK(a.size() == std::string("big.zip-").size() + 12);
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);   // the published FNV-1a offset basis
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);  // and its published test vector
  const std::string longest = cache_file_name(std::string(300, 'x'), "/p");
  CHECK(longest.size() + std::string(".sparseio").size() <= 255);
  CHECK(longest.find('/') == std::string::npos);
}

TEST_CASE("two sources under one name are named, both of them") {
  const std::vector<std::string> srcs{"http://a/x.zip", "/tmp/y.zip", "s3://b/x.zip"};
  const auto dup = duplicate_names(srcs, {"x.zip", "y.zip", "x.zip"});
  REQUIRE(dup);
  CHECK(*dup == "SRC http://a/x.zip and SRC s3://b/x.zip would both appear as x.zip");
  CHECK_FALSE(duplicate_names({"a", "b"}, {"a", "b"}));
}

TEST_CASE("read failures: the first is logged, a burst is one line saying how many it stood for") {
  ErrorThrottle t(10);
  uint64_t suppressed = 99;
  CHECK(t.allow(100.0, suppressed));
  CHECK(suppressed == 0);
  CHECK_FALSE(t.allow(100.5, suppressed));
  CHECK_FALSE(t.allow(109.9, suppressed));
  CHECK(t.allow(110.0, suppressed));
  CHECK(suppressed == 2);
  CHECK(t.allow(500.0, suppressed));
  CHECK(suppressed == 0);
}
