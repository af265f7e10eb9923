// -H parsing (command line and @FILE) and keeping secrets out of logs and
// messages.
#include "source/http/http_headers.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "core/errors.h"
#include "test_util.h"

using sparseio::HttpHeader;
using sparseio::parse_header_file_text;
using sparseio::parse_header_line;
using sparseio::parse_header_option;
using sparseio::UsageError;

namespace {
std::string usage_error(auto&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("parse_header_line") {
  CHECK(parse_header_line("X-A: b c ", false, "x") == HttpHeader{"X-A", "b c", false});
  CHECK(parse_header_line("X-A:b", false, "x") == HttpHeader{"X-A", "b", false});
  CHECK(parse_header_line("Accept:", false, "x") == HttpHeader{"Accept", "", false});
  CHECK(parse_header_line("authorization: Bearer t", false, "x").secret);  // sensitive by name
  CHECK(parse_header_line("X-Key: v", true, "x").secret);
  for (const char* bad : {"NoColon", ": v", "Bad Name: v", "X\x01: v", "X-A: a\rb", "Range: bytes=0-1",
                          "if-range: x", "Accept-Encoding: gzip"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_header_line(bad, false, "x"), UsageError);
  }
}

TEST_CASE("a bad -H quotes the name, never the value") {
  std::string msg = usage_error([] { parse_header_option("Bad Name: hunter2"); });
  CHECK(msg.find("hunter2") == std::string::npos);
  CHECK(msg.find("-H") != std::string::npos);
  msg = usage_error([] { parse_header_option("X-A: a\rhunter2"); });
  CHECK(msg.find("hunter2") == std::string::npos);
}

TEST_CASE("header files: one header a line, comments and blank lines skipped, all secret") {
  auto h = parse_header_file_text("# creds\n\nAuthorization: Bearer s\r\n  X-Key: k  \n", "f.txt");
  REQUIRE(h.size() == 2);
  CHECK(h[0] == HttpHeader{"Authorization", "Bearer s", true});
  CHECK(h[1] == HttpHeader{"X-Key", "k", true});
  std::string msg = usage_error([] { parse_header_file_text("X-Ok: 1\nAuthorization hunter2\n", "f.txt"); });
  CHECK(msg.find("line 2 of f.txt") != std::string::npos);
  CHECK(msg.find("hunter2") == std::string::npos);
}

TEST_CASE("-H @FILE reads the file; a missing file is a usage error") {
  sparseio::test::TempDir dir;
  std::ofstream(dir.file("h")) << "X-Key: from-file\n";
  auto h = parse_header_option("@" + dir.file("h"));
  REQUIRE(h.size() == 1);
  CHECK(h[0] == HttpHeader{"X-Key", "from-file", true});
  CHECK_THROWS_AS(parse_header_option("@" + dir.file("missing")), UsageError);
  CHECK_THROWS_AS(parse_header_option("@"), UsageError);
}

TEST_CASE("redaction for logs") {
  CHECK(sparseio::header_for_log({"X-A", "b", false}) == "X-A: b");
  CHECK(sparseio::header_for_log({"X-A", "b", true}) == "X-A: <redacted>");
  CHECK(sparseio::header_for_log({"Cookie", "c=1", false}) == "Cookie: <redacted>");
  CHECK(sparseio::header_for_log({"PROXY-AUTHORIZATION", "x", false}) == "PROXY-AUTHORIZATION: <redacted>");
  CHECK(sparseio::is_sensitive_header("authorization"));
  CHECK_FALSE(sparseio::is_sensitive_header("X-Authorization-Hint"));
}

TEST_CASE("redact_url hides the password only") {
  using sparseio::redact_url;
  CHECK(redact_url("https://u:p@h/x") == "https://u:***@h/x");
  CHECK(redact_url("https://u:p@h:8443/x?y=@z") == "https://u:***@h:8443/x?y=@z");
  CHECK(redact_url("http://u@h/") == "http://u@h/");
  CHECK(redact_url("http://h/p?a=b:c@d") == "http://h/p?a=b:c@d");
  CHECK(redact_url("http://h") == "http://h");
  CHECK(redact_url("not a url") == "not a url");
}

TEST_CASE("redact_url hides the credentials of presigned URLs") {
  using sparseio::redact_url;
  CHECK(
      redact_url("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F2025"
                 "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature=abc123") ==
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
      "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=***");
  CHECK(redact_url("http://h/k?x-amz-security-token=T&a=1#f") == "http://h/k?x-amz-security-token=***&a=1#f");
  CHECK(redact_url("http://u:p@h/k?Signature=s&AWSAccessKeyId=A") ==
        "http://u:***@h/k?Signature=***&AWSAccessKeyId=A");
  CHECK(redact_url("http://h/k?versionId=v&signatures=1") == "http://h/k?versionId=v&signatures=1");
}
