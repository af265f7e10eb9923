// The source conformance kit run against the S3 source and moto_server.
// tests/e2e/s3_test.py starts moto, uploads the object and runs this binary
// with SPARSEIO_CONFORMANCE_S3_URI (the object), SPARSEIO_CONFORMANCE_FILE
// (the same bytes on disk), SPARSEIO_CONFORMANCE_S3_GONE_URI (a copy) and
// SPARSEIO_CONFORMANCE_SPOIL (a command that deletes the copy), with the
// endpoint and credentials in the usual AWS_* variables. Without them the
// binary fails: it is never passed silently.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "source/s3/s3_source.h"
#include "source_conformance.h"
#include "test_util.h"

namespace {

using sparseio::HttpOptions;
using sparseio::S3Options;
using sparseio::S3Source;
using sparseio::conformance::check_source_conformance;
using sparseio::conformance::SourceFixture;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name, " is not set: run through tests/e2e/s3_test.py");
  return v;
}

TEST_CASE("an S3 source conforms (moto_server)") {
  const std::string uri = env("SPARSEIO_CONFORMANCE_S3_URI");
  const std::string gone = env("SPARSEIO_CONFORMANCE_S3_GONE_URI");
  const std::string spoil = env("SPARSEIO_CONFORMANCE_SPOIL");
  HttpOptions http;
  http.retries = 1;
  http.retry_base_delay_s = 0.01;
  S3Options s3;
  SourceFixture f;
  f.label = uri;
  f.expected = sparseio::test::read_file(env("SPARSEIO_CONFORMANCE_FILE"));
  f.open = [&] { return std::make_unique<S3Source>(uri, s3, http); };
  f.gone = [&] { return std::make_unique<S3Source>(gone, s3, http); };
  f.spoil = [&] { REQUIRE(std::system(spoil.c_str()) == 0); };
  check_source_conformance(f);
}

}  // namespace
