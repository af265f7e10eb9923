// open_source: picks the Source implementation for what the user wrote as
// SRC; a path is a FileSource, an http(s) URL an HttpSource, s3://BUCKET/KEY
// an S3Source, and any other scheme is a UsageError naming it.
#include "api/open_source.h"

#include <doctest/doctest.h>

#include <string>

#include "core/errors.h"
#include "source/file_source.h"
#include "source/http/http_source.h"
#include "test_http_server.h"
#include "test_util.h"

using sparseio::is_remote;
using sparseio::is_url;
using sparseio::open_source;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;

TEST_CASE("is_url is true for http:// and https:// only, the scheme in any case") {
  CHECK(is_url("http://example.com/a"));
  CHECK(is_url("https://example.com/a"));
  CHECK(is_url("HTTP://example.com/a"));
  CHECK(is_url("HttpS://example.com/a"));
  CHECK_FALSE(is_url("http:/example.com/a"));
  CHECK_FALSE(is_url("/tmp/http://x"));
  CHECK_FALSE(is_url("s3://bucket/key"));
  CHECK_FALSE(is_url("data.bin"));
}

TEST_CASE("is_remote is true for URLs and s3:// URIs, the scheme in any case") {
  CHECK(is_remote("https://example.com/a"));
  CHECK(is_remote("s3://bucket/key"));
  CHECK(is_remote("S3://bucket/key"));
  CHECK_FALSE(is_remote("s3:/bucket/key"));
  CHECK_FALSE(is_remote("data.bin"));
}

TEST_CASE("s3:// goes to the S3 source: its own checks of the URI come first, before any request") {
  // A URI without a key is refused by the S3 source's parser (not as an
  // unknown scheme), so nothing needs a server or credentials.
  CHECK_THROWS_WITH_AS(open_source("s3://bucket"), doctest::Contains("no object key"), sparseio::UsageError);
  CHECK_THROWS_WITH_AS(open_source("s3:///key"), doctest::Contains("no bucket name"), sparseio::UsageError);
}

TEST_CASE("a path opens a FileSource of that file") {
  sparseio::test::TempDir dir;
  const std::string path = dir.file("a.bin");
  sparseio::test::write_file(path, sparseio::test::pattern_bytes(0, 1234));
  auto src = open_source(path);
  REQUIRE(dynamic_cast<sparseio::FileSource*>(src.get()) != nullptr);
  CHECK(src->name() == path);
  CHECK(src->size() == 1234);
}

TEST_CASE("a missing path is an error of kind source_missing naming it") {
  sparseio::test::TempDir dir;
  CHECK_THROWS_WITH_AS(open_source(dir.file("nope")), doctest::Contains(dir.file("nope").c_str()),
                       sparseio::Error);
  try {
    open_source(dir.file("nope"));
  } catch (const sparseio::Error& e) {
    CHECK(e.kind() == sparseio::ErrorKind::kSourceMissing);
  }
}

TEST_CASE("an unknown scheme is a UsageError naming the scheme and the spec") {
  for (const std::string spec : {"gs://bucket/key", "ftp://host/file", "file:///etc/passwd"}) {
    CAPTURE(spec);
    const std::string scheme = spec.substr(0, spec.find("://"));
    try {
      open_source(spec);
      FAIL("no UsageError");
    } catch (const sparseio::UsageError& e) {
      const std::string msg = e.what();
      CHECK_MESSAGE(msg.find("\"" + scheme + "\"") != std::string::npos, msg);
      CHECK_MESSAGE(msg.find(spec) != std::string::npos, msg);
      CHECK(e.kind() == sparseio::ErrorKind::kUsage);
    }
  }
}

TEST_CASE("an http URL opens an HttpSource that learns the size from the server") {
  const std::string body(4321, 'x');
  sparseio::test::TestHttpServer server([&](const TestHttpRequest&) {
    TestHttpResponse r;
    r.body = body;
    r.headers.emplace_back("ETag", "\"e1\"");
    return r;
  });
  auto src = open_source(server.url("/obj"));
  REQUIRE(dynamic_cast<sparseio::HttpSource*>(src.get()) != nullptr);
  CHECK(src->size() == body.size());
  CHECK(src->identity().etag == "\"e1\"");
  REQUIRE_FALSE(server.requests().empty());
  CHECK(server.requests()[0].target == "/obj");

  // A scheme pasted in upper case reaches the same server.
  std::string upper = server.url("/upper");
  upper.replace(0, 4, "HTTP");
  auto again = open_source(upper);
  CHECK(again->size() == body.size());
  CHECK(server.requests().back().target == "/upper");
}
