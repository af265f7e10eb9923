// The URL part of an HTTP source's identity: what names the object is kept,
// credentials, fragments, default ports and signature/expiry parameters go.
#include "source/http/url_identity.h"

#include <doctest/doctest.h>

#include <string>

using sparseio::is_signature_parameter;
using sparseio::url_identity;

TEST_CASE("scheme and host in lower case; default port, user-info and fragment dropped") {
  CHECK(url_identity("HTTPS://Example.COM/Path/File.BIN") == "https://example.com/Path/File.BIN");
  CHECK(url_identity("http://host:80/a") == "http://host/a");
  CHECK(url_identity("https://host:443/a") == "https://host/a");
  CHECK(url_identity("http://host:443/a") == "http://host:443/a");
  CHECK(url_identity("https://host:8443/a") == "https://host:8443/a");
  CHECK(url_identity("https://user:secret@host/a") == "https://host/a");
  CHECK(url_identity("https://user@host:8080/a#part") == "https://host:8080/a");
  CHECK(url_identity("http://[::1]:8080/a") == "http://[::1]:8080/a");
  CHECK(url_identity("http://[::1]/a") == "http://[::1]/a");
  CHECK(url_identity("http://host") == "http://host");
  CHECK(url_identity("http://host?x=1") == "http://host?x=1");
  CHECK(url_identity("not a url") == "not a url");
}

TEST_CASE("the path and other parameters are kept exactly, in order") {
  CHECK(url_identity("https://h/a%20b/c?z=1&a=2") == "https://h/a%20b/c?z=1&a=2");
  CHECK(url_identity("https://h/a?a=2&z=1") != url_identity("https://h/a?z=1&a=2"));
  CHECK(url_identity("https://h/partA.bin") != url_identity("https://h/partB.bin"));
  CHECK(url_identity("https://h/a?versionId=3") != url_identity("https://h/a?versionId=4"));
}

TEST_CASE("a freshly presigned S3 URL is the same object") {
  const std::string one =
      "https://bucket.s3.amazonaws.com/"
      "key.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101"
      "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
      "&X-Amz-Security-Token=tok";
  const std::string two =
      "https://bucket.s3.amazonaws.com/"
      "key.bin?x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-credential=AK%2F20260102"
      "&x-amz-date=20260102T000000Z&x-amz-expires=60&x-amz-signedheaders=host&x-amz-signature=def";
  CHECK(url_identity(one) == "https://bucket.s3.amazonaws.com/key.bin");
  CHECK(url_identity(one) == url_identity(two));
  CHECK(url_identity("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AK&Expires=1&Signature=x%3D") ==
        "https://b.s3.amazonaws.com/k");
  CHECK(url_identity("https://b.s3.amazonaws.com/k?versionId=7&X-Amz-Signature=x") ==
        "https://b.s3.amazonaws.com/k?versionId=7");
}

TEST_CASE("GCS, CloudFront and token parameters are dropped") {
  CHECK(url_identity("https://storage.googleapis.com/b/o?GoogleAccessId=a&Expires=1&Signature=s") ==
        "https://storage.googleapis.com/b/o");
  CHECK(url_identity("https://storage.googleapis.com/b/o?X-Goog-Algorithm=x&X-Goog-Signature=s&alt=media") ==
        "https://storage.googleapis.com/b/o?alt=media");
  CHECK(url_identity("https://d.cloudfront.net/o?Policy=p&Signature=s&Key-Pair-Id=k") ==
        "https://d.cloudfront.net/o");
  CHECK(url_identity("https://h/o?token=t&access_token=u&id=9") == "https://h/o?id=9");
}

TEST_CASE("Azure SAS fields are dropped only in a query that carries sig") {
  CHECK(url_identity("https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sr=b&sp=r&sig=abc") ==
        "https://a.blob.core.windows.net/c/b");
  CHECK(url_identity("https://a.blob.core.windows.net/c/b?snapshot=1&st=x&se=y&sp=r&sv=1&sig=z") ==
        "https://a.blob.core.windows.net/c/b?snapshot=1");
  // Without sig, "sp" and "st" are ordinary parameters.
  CHECK(url_identity("https://h/o?sp=1&st=2") == "https://h/o?sp=1&st=2");
  CHECK(is_signature_parameter("SE", true));
  CHECK_FALSE(is_signature_parameter("se", false));
  CHECK(is_signature_parameter("X-Amz-Anything", false));
  CHECK_FALSE(is_signature_parameter("X-Am", false));
  CHECK_FALSE(is_signature_parameter("versionId", true));
}

TEST_CASE("empty parameters and a query left empty disappear") {
  CHECK(url_identity("https://h/o?&X-Amz-Signature=1&") == "https://h/o");
  CHECK(url_identity("https://h/o?") == "https://h/o");
}
