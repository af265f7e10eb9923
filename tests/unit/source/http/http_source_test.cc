// HttpSource's discovery against the in-process test server: what it tells
// the scheduler about the link before any piece is fetched (the wait of its
// HEAD, answered or refused). The source's
// transfers are checked by the conformance kit against nginx
// (http_source_conformance_test.cc); here, what a writer that throws
// part-way leaves recorded.
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

namespace {

// Serves kLarge, answering any `bytes=A-B` or `bytes=-N` range with a 206.
constexpr size_t kLargeSize = 512 * 1024;
const std::string kLarge = [] {
  std::string s(kLargeSize, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}();

TestHttpResponse ranged(const TestHttpRequest& req) {
  TestHttpResponse r = object(std::chrono::milliseconds(0));
  r.body = kLarge;
  const std::optional<std::string> range = req.header("Range");
  if (!range || !range->starts_with("bytes=")) return r;
  const std::string spec = range->substr(6);
  const size_t dash = spec.find('-');
  size_t first = 0, last = kLargeSize - 1;
  if (dash == 0) {
    first = kLargeSize - std::min(kLargeSize, std::stoul(spec.substr(1)));
  } else {
    first = std::stoul(spec.substr(0, dash));
    if (dash + 1 < spec.size()) last = std::min(last, std::stoul(spec.substr(dash + 1)));
  }
  r.status = 206;
  r.body = kLarge.substr(first, last - first + 1);
  r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                              "/" + std::to_string(kLargeSize));
  return r;
}

// Takes one write, then throws `E` on the next; remembers discards.
template <typename E>
class StopsAfterOneWrite : public sparseio::ExtentWriter {
 public:
  void write(uint64_t, std::span<const std::byte> data) override {
    if (writes_++ > 0) throw E("enough");
    taken_ += data.size();
  }
  void write_zeros(sparseio::ByteRange) override {}
  void discard_from(uint64_t offset) override { discarded_from_ = offset; }
  uint64_t taken_ = 0;
  std::optional<uint64_t> discarded_from_;

 private:
  int writes_ = 0;
};

}  // namespace

TEST_CASE("a writer that stops taking bytes keeps those it took: nothing is discarded") {
  TestHttpServer server(ranged);
  HttpSource src(server.url("/obj"), quick_options());
  StopsAfterOneWrite<sparseio::WriterStopped> out;
  CHECK_THROWS_AS(src.fetch_into({0, kLargeSize}, out), sparseio::WriterStopped);
  CHECK(out.taken_ > 0);
  CHECK_FALSE(out.discarded_from_.has_value());
}

TEST_CASE("a writer that fails otherwise has the response's bytes discarded") {
  TestHttpServer server(ranged);
  HttpSource src(server.url("/obj"), quick_options());
  StopsAfterOneWrite<sparseio::Error> out;
  CHECK_THROWS_AS(src.fetch_into({0, kLargeSize}, out), sparseio::Error);
  CHECK(out.taken_ > 0);
  REQUIRE(out.discarded_from_.has_value());
  CHECK(*out.discarded_from_ == 0);
}
