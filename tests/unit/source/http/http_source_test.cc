// HttpSource's discovery against the in-process test server: what it tells
// the scheduler about the link before any piece is fetched (the wait of its
// HEAD, answered or refused). The source's
// transfers are checked by the conformance kit against nginx
// (http_source_conformance_test.cc).
#include "source/http/http_source.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "test_http_server.h"

using sparseio::HttpOptions;
using sparseio::HttpSource;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;
using sparseio::test::TestHttpServer;

namespace {

const std::string kBody(1000, 'x');

HttpOptions quick_options() {
  HttpOptions o;
  o.connect_timeout_s = 5;
  o.retries = 0;
  return o;
}

TestHttpResponse object(std::chrono::milliseconds delay) {
  TestHttpResponse r;
  r.body = kBody;
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.headers.emplace_back("ETag", "\"v1\"");
  r.delay = delay;
  return r;
}

}  // namespace

TEST_CASE("discovery's HEAD measures the link's latency for the scheduler") {
  TestHttpServer server([](const TestHttpRequest&) { return object(std::chrono::milliseconds(40)); });
  HttpSource src(server.url("/obj"), quick_options());
  CHECK(src.size() == kBody.size());
  CHECK(src.remote());
  CHECK(src.latency_hint_s() >= 0.038);
  CHECK(src.latency_hint_s() < 30);
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].method == "HEAD");
}

TEST_CASE("a refused HEAD measures the latency too") {
  TestHttpServer server([](const TestHttpRequest& req) {
    if (req.method == "HEAD") {
      TestHttpResponse refused;
      refused.status = 405;
      refused.delay = std::chrono::milliseconds(40);
      return refused;
    }
    TestHttpResponse r = object(std::chrono::milliseconds(0));
    r.status = 206;
    r.body = "x";
    r.headers.emplace_back("Content-Range", "bytes 0-0/" + std::to_string(kBody.size()));
    return r;
  });
  HttpSource src(server.url("/obj"), quick_options());
  CHECK(src.size() == kBody.size());  // from the probe's Content-Range
  CHECK(src.latency_hint_s() >= 0.038);
  CHECK(server.requests().size() == 2);
}
