// ListObjectsV2 pages read by the pure parser: several pages and their
// tokens, XML entities and character references in keys, keys with spaces
// and unicode, an empty result, and malformed answers refused with an
// error that names the listing; and the URL of a page.
#include "source/s3/s3_list.h"

#include <doctest/doctest.h>

#include "core/errors.h"

using namespace sparseio;
using namespace sparseio::s3;

namespace {

std::string contents(const std::string& key, const std::string& size,
                     const std::string& etag = "&quot;e&quot;") {
  return "<Contents><Key>" + key + "</Key><LastModified>2026-12-03T10:00:00.000Z</LastModified><ETag>" +
         etag + "</ETag><Size>" + size + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

std::string page(const std::string& body, bool truncated, const std::string& token = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
         "<Prefix>data/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>" +
         std::string(truncated ? "true" : "false") + "</IsTruncated>" + body +
         (token.empty() ? "" : "<NextContinuationToken>" + token + "</NextContinuationToken>") +
         "</ListBucketResult>";
}

std::string error_of(const std::string& xml) {
  try {
    parse_list_page(xml, "s3://b/data/ (LIST page 1)");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("accepted: " << xml);
  return {};
}

}  // namespace

TEST_CASE("pages give their keys, sizes, ETags and the token of the next page") {
  ListPage first = parse_list_page(
      page(contents("data/a.bin", "10") + contents("data/b.bin", "0"), true, "1ueGcxL/=+"), "s3://b/data/");
  CHECK(first.truncated);
  CHECK(first.next_token == "1ueGcxL/=+");
  REQUIRE(first.keys.size() == 2);
  CHECK(first.keys[0] == ListedKey{"data/a.bin", 10, "\"e\""});
  CHECK(first.keys[1] == ListedKey{"data/b.bin", 0, "\"e\""});
  ListPage last =
      parse_list_page(page(contents("data/c.bin", "18446744073709551615"), false), "s3://b/data/");
  CHECK_FALSE(last.truncated);
  CHECK(last.next_token.empty());
  REQUIRE(last.keys.size() == 1);
  CHECK(last.keys[0].size == 18446744073709551615u);
}

TEST_CASE("entities, character references, spaces and unicode in keys are decoded") {
  ListPage p = parse_list_page(
      page(contents("data/a &amp; b&lt;&gt;&apos;&quot;.bin", "1") +
               contents("data/&#233;t&#xE9; &#x1F600;", "2") + contents("data/ünï cødé.bin", "3"),
           false),
      "s3://b/data/");
  REQUIRE(p.keys.size() == 3);
  CHECK(p.keys[0].key == "data/a & b<>'\".bin");
  CHECK(p.keys[1].key == "data/\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(p.keys[2].key == "data/ünï cødé.bin");
}

TEST_CASE("an empty result has no keys; an empty element and a comment are fine") {
  CHECK(parse_list_page(page("", false), "s3://b/x/").keys.empty());
  ListPage p = parse_list_page(
      page("<!-- note --><Contents><Key>k</Key><ETag/><Size>5</Size></Contents>", false), "s3://b/");
  REQUIRE(p.keys.size() == 1);
  CHECK(p.keys[0] == ListedKey{"k", 5, ""});
}

TEST_CASE("malformed answers are refused naming the listing and why") {
  CHECK(error_of("").find("s3://b/data/ (LIST page 1): the listing's answer (ListObjectsV2) is malformed") ==
        0);
  CHECK(error_of("").find("not a <ListBucketResult>") != std::string::npos);
  CHECK(error_of("garbage").find("text before the document") != std::string::npos);
  CHECK(error_of("<Error><Code>AccessDenied</Code></Error>").find("<Error>, not <ListBucketResult>") !=
        std::string::npos);
  CHECK(error_of(page(contents("k", "1"), false).substr(0, 200)).find("ends inside") != std::string::npos);
  CHECK(error_of(page("<Contents><Key>k</Key></Contents>", false)).find("has no <Size>") !=
        std::string::npos);
  CHECK(error_of(page("<Contents><Size>1</Size></Contents>", false)).find("without a <Key>") !=
        std::string::npos);
  CHECK(error_of(page(contents("k", "-1"), false)).find("not a byte count") != std::string::npos);
  CHECK(error_of(page(contents("k", "18446744073709551616"), false)).find("not a byte count") !=
        std::string::npos);
  CHECK(error_of(page(contents("a &nbsp; b", "1"), false)).find("unknown entity &nbsp;") !=
        std::string::npos);
  CHECK(error_of(page(contents("a & b", "1"), false)).find("bare '&'") != std::string::npos);
  CHECK(error_of(page(contents("a&#0;", "1"), false)).find("U+0") != std::string::npos);
  // A raw NUL byte in a key (found by the fuzzer): refused, never a key with a NUL.
  CHECK(error_of(page(contents(std::string("a\0b", 3), "1"), false)).find("a NUL byte") != std::string::npos);
  CHECK(error_of(page(contents("a&#xD800;", "1"), false)).find("cannot carry") != std::string::npos);
  CHECK(error_of(page("", true)).find("no NextContinuationToken") != std::string::npos);
  CHECK(error_of("<ListBucketResult><Contents></Key></Contents></ListBucketResult>")
            .find("</Key> closes <Contents>") != std::string::npos);
  CHECK(error_of("<ListBucketResult></ListBucketResult>").find("no <IsTruncated>") != std::string::npos);
  CHECK(error_of("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>")
            .find("not true or false") != std::string::npos);
  CHECK(error_of(page("", false) + "<ListBucketResult>").find("a second document element") !=
        std::string::npos);
  CHECK(error_of("<ListBucketResult><!DOCTYPE x></ListBucketResult>").find("DTD") != std::string::npos);
  CHECK(error_of("<ListBucketResult").find("not closed") != std::string::npos);
}

TEST_CASE("the URL of a page encodes the prefix and the token") {
  S3Endpoint path_style{"http://127.0.0.1:9000", "--endpoint-url", true, true, "us-east-1", ""};
  CHECK(list_url(path_style, "b", "data/a b&", "") ==
        "http://127.0.0.1:9000/b?list-type=2&prefix=data%2Fa%20b%26");
  CHECK(list_url(path_style, "b", "", "t/=+") ==
        "http://127.0.0.1:9000/b?list-type=2&prefix=&continuation-token=t%2F%3D%2B");
  S3Endpoint aws{"https://s3.eu-west-3.amazonaws.com", "AWS default", false, false, "eu-west-3", ""};
  CHECK(list_url(aws, "bkt", "x/", "") == "https://bkt.s3.eu-west-3.amazonaws.com/?list-type=2&prefix=x%2F");
}
