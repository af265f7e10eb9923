// The conversions between the public types and the command layer's
// (api/public_types.h): the HTTP and S3 options a client of the handle
// parsed (sparseio mount) survive the trip into Options and back to the
// command (to_command) field by field, so that a field added to one
// direction and not the other shows here; range items and specs map both
// ways.
#include "api/public_types.h"

#include <doctest/doctest.h>

using sparseio::HttpOptions;
using sparseio::Options;
using sparseio::RangeSpec;
using sparseio::S3Options;

TEST_CASE("set_source_options then to_command gives back every HTTP and S3 option") {
  HttpOptions http;
  http.headers = {{"X-A", "1", false}, {"Authorization", "Bearer t", true}};
  http.size = 12345;
  http.retries = 2;
  http.connect_timeout_s = 3.5;
  http.stall_timeout_s = 7;
  http.cacert = "/etc/ca.pem";
  http.insecure = true;
  http.max_redirs = 4;
  S3Options s3;
  s3.profile = "data";
  s3.region = "eu-west-3";
  s3.endpoint_url = "http://127.0.0.1:9000";
  s3.no_sign_request = true;
  s3.path_style = true;
  Options o;
  sparseio::set_source_options(o, http, s3);
  const sparseio::FetchCommand cmd = sparseio::to_command("s3://b/k", "dst", {}, o);
  CHECK(cmd.http.headers == http.headers);
  CHECK(cmd.http.size == http.size);
  CHECK(cmd.http.retries == http.retries);
  CHECK(cmd.http.connect_timeout_s == http.connect_timeout_s);
  CHECK(cmd.http.stall_timeout_s == http.stall_timeout_s);
  CHECK(cmd.http.cacert == http.cacert);
  CHECK(cmd.http.insecure == http.insecure);
  CHECK(cmd.http.max_redirs == http.max_redirs);
  CHECK(cmd.s3.profile == s3.profile);
  CHECK(cmd.s3.region == s3.region);
  CHECK(cmd.s3.endpoint_url == s3.endpoint_url);
  CHECK(cmd.s3.no_sign_request == s3.no_sign_request);
  CHECK(cmd.s3.path_style == s3.path_style);
}

TEST_CASE("range specs become items and back unchanged") {
  const std::vector<RangeSpec> specs = {RangeSpec::span(10, 5), RangeSpec::from(100), RangeSpec::last(64)};
  const std::vector<RangeSpec> back = sparseio::to_specs(sparseio::to_items(specs));
  REQUIRE(back.size() == specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    CHECK(back[i].kind() == specs[i].kind());
    CHECK(back[i].offset() == specs[i].offset());
    CHECK(back[i].length() == specs[i].length());
  }
  CHECK_THROWS_AS(sparseio::to_items({RangeSpec::span(3, 0)}), sparseio::UsageError);
}
