// The source conformance kit run against the HTTP source and a real nginx.
// tests/e2e/conformance_http_test.py starts nginx and runs this binary once
// per protocol with SPARSEIO_CONFORMANCE_URL (the object's URL),
// SPARSEIO_CONFORMANCE_FILE (the same object on disk, the expected bytes),
// SPARSEIO_CONFORMANCE_CACERT and SPARSEIO_CONFORMANCE_GONE_URL (a URL of a
// copy the test may delete). Without them, the case is skipped by the driver,
// never passed silently: the binary fails when the variables are missing.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "source/http/http_source.h"
#include "source_conformance.h"
#include "test_util.h"

namespace {

using sparseio::HttpOptions;
using sparseio::HttpSource;
using sparseio::conformance::check_source_conformance;
using sparseio::conformance::SourceFixture;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name, " is not set: run through tests/e2e/conformance_http_test.py");
  return v;
}

TEST_CASE("an HTTP source conforms (nginx)") {
  const std::string url = env("SPARSEIO_CONFORMANCE_URL");
  const std::string file = env("SPARSEIO_CONFORMANCE_FILE");
  const std::string gone_url = env("SPARSEIO_CONFORMANCE_GONE_URL");
  const std::string gone_file = env("SPARSEIO_CONFORMANCE_GONE_FILE");
  HttpOptions options;
  options.cacert = env("SPARSEIO_CONFORMANCE_CACERT");
  options.retries = 1;  // a vanished object is a 404: not retried anyway
  options.retry_base_delay_s = 0.01;
  SourceFixture f;
  f.label = url;
  f.expected = sparseio::test::read_file(file);
  f.open = [&] { return std::make_unique<HttpSource>(url, options); };
  f.gone = [&] { return std::make_unique<HttpSource>(gone_url, options); };
  f.spoil = [&] { REQUIRE(::unlink(gone_file.c_str()) == 0); };
  check_source_conformance(f);
}

}  // namespace
