// HttpClient against the in-process test server: bodies reach the sink,
// HEAD has none, an error status is a result (not an exception), redirects
// are followed by hand, only to http(s), and -H headers never follow a
// redirect to another host:port; and the hooks of HttpOptions that the S3
// source builds on.
#include "source/http/http_client.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_http_server.h"

using sparseio::HttpClient;
using sparseio::HttpOptions;
using sparseio::HttpRequest;
using sparseio::HttpResponse;
using sparseio::HttpResult;
using sparseio::ResponseSink;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;
using sparseio::test::TestHttpServer;

namespace {

// Keeps the status it saw and the body.
class StringSink : public ResponseSink {
 public:
  explicit StringSink(Action action = Action::kBody) : action_(action) {}
  Action on_headers(const HttpResponse& r) override {
    statuses.push_back(r.status());
    return action_;
  }
  bool on_body(std::span<const std::byte> data) override {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  std::vector<long> statuses;
  std::string body;

 private:
  Action action_;
};

HttpOptions options_with_header() {
  HttpOptions o;
  o.headers.push_back({"X-Token", "s3cret", true});
  o.connect_timeout_s = 5;
  o.jobs = 2;
  return o;
}

TestHttpResponse ok(std::string body) {
  TestHttpResponse r;
  r.body = std::move(body);
  return r;
}

TestHttpResponse redirect_to(std::string location) {
  TestHttpResponse r;
  r.status = 302;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

}  // namespace

TEST_CASE("a GET delivers the body to the sink, with the -H headers and the range") {
  TestHttpServer server([](const TestHttpRequest&) { return ok("hello, sparse world"); });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/obj");
  req.range = sparseio::ByteRange{10, 20};
  req.if_range = "\"v1\"";
  HttpResult r = client.perform(req, sink);
  CHECK(r.code == CURLE_OK);
  CHECK(r.response.status() == 200);
  CHECK(sink.body == "hello, sparse world");
  CHECK(sink.statuses == std::vector<long>{200});
  CHECK(r.url == server.url("/obj"));
  std::vector<TestHttpRequest> seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/obj");
  CHECK(seen[0].header("x-token") == "s3cret");
  CHECK(seen[0].header("range") == "bytes=10-19");
  CHECK(seen[0].header("if-range") == "\"v1\"");
}

TEST_CASE("HEAD sends HEAD and delivers no body") {
  TestHttpServer server([](const TestHttpRequest&) {
    TestHttpResponse r = ok("not sent");
    r.headers.emplace_back("ETag", "\"abc\"");
    return r;
  });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/obj");
  req.head = true;
  HttpResult r = client.perform(req, sink);
  CHECK(r.code == CURLE_OK);
  CHECK(r.response.status() == 200);
  CHECK(r.response.header("etag") == "\"abc\"");
  CHECK(sink.body.empty());
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].method == "HEAD");
}

TEST_CASE("a 404 comes back as a status, not as an exception") {
  TestHttpServer server([](const TestHttpRequest&) {
    TestHttpResponse r = ok("no such object");
    r.status = 404;
    return r;
  });
  HttpClient client(options_with_header());
  StringSink sink(ResponseSink::Action::kDiscard);
  HttpRequest req;
  req.url = server.url("/missing");
  HttpResult r;
  CHECK_NOTHROW(r = client.perform(req, sink));
  CHECK(r.code == CURLE_OK);
  CHECK(r.response.status() == 404);
  CHECK(r.cause() == "HTTP " + sparseio::status_text(404));
  CHECK(sink.statuses == std::vector<long>{404});
  CHECK(sink.body.empty());  // kDiscard: read and dropped
}

TEST_CASE("a redirect on the same host keeps the -H headers") {
  TestHttpServer server([&](const TestHttpRequest& req) {
    return req.target == "/old" ? redirect_to("/new") : ok("moved here");
  });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/old");
  HttpResult r = client.perform(req, sink);
  CHECK(r.response.status() == 200);
  CHECK(sink.body == "moved here");
  CHECK(sink.statuses == std::vector<long>{200});  // the sink never sees the 302
  CHECK(r.url == server.url("/new"));
  CHECK(r.custom_headers);
  std::vector<TestHttpRequest> seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].target == "/new");
  CHECK(seen[1].header("x-token") == "s3cret");
}

TEST_CASE("-H headers are not sent to another host:port after a redirect") {
  TestHttpServer other([](const TestHttpRequest&) { return ok("elsewhere"); });
  // Same host (127.0.0.1), another port: another origin.
  TestHttpServer origin([&](const TestHttpRequest&) { return redirect_to(other.url("/there")); });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = origin.url("/here");
  HttpResult r = client.perform(req, sink);
  CHECK(r.response.status() == 200);
  CHECK(sink.body == "elsewhere");
  CHECK(r.url == other.url("/there"));
  CHECK_FALSE(r.custom_headers);
  REQUIRE(origin.requests().size() == 1);
  CHECK(origin.requests()[0].header("x-token") == "s3cret");
  REQUIRE(other.requests().size() == 1);
  CHECK_FALSE(other.requests()[0].header("x-token").has_value());
}

TEST_CASE("a redirect to a scheme other than http(s) is refused") {
  TestHttpServer server([](const TestHttpRequest&) { return redirect_to("file:///etc/passwd"); });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/evil");
  CHECK_THROWS_WITH_AS(client.perform(req, sink), doctest::Contains("only http and https are allowed"),
                       sparseio::Error);
  CHECK(sink.statuses.empty());
}

TEST_CASE("more redirects than max_redirs is an error naming the URL") {
  TestHttpServer server([](const TestHttpRequest&) { return redirect_to("/again"); });
  HttpOptions o = options_with_header();
  o.max_redirs = 3;
  HttpClient client(o);
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/loop");
  CHECK_THROWS_WITH_AS(client.perform(req, sink), doctest::Contains("too many redirects"), sparseio::Error);
  CHECK(server.requests().size() == 4);  // the first request and 3 redirects
}

TEST_CASE("a refused connection is a transport error in the result") {
  sparseio::test::RefusingPort refusing;
  REQUIRE(refusing.port() != 0);
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = refusing.url("/x");
  HttpResult r = client.perform(req, sink);
  CHECK(r.code != CURLE_OK);
  CHECK(r.response.status() == 0);
  CHECK_FALSE(r.cause().empty());
  CHECK(sink.statuses.empty());
  CHECK(r.wait_s == 0);  // no answer, no wait measured
}

TEST_CASE("the wait for the answer is measured from the request sent to its first byte") {
  TestHttpServer server([](const TestHttpRequest&) {
    TestHttpResponse r = ok("late");
    r.delay = std::chrono::milliseconds(40);
    return r;
  });
  HttpClient client(options_with_header());
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/obj");
  req.head = true;
  HttpResult r = client.perform(req, sink);
  CHECK(r.response.status() == 200);
  // The server's 40 ms, whatever the connection's set-up took.
  CHECK(r.wait_s >= 0.038);
  CHECK(r.wait_s < 30);
}

// The hooks a protocol on top of HTTP uses (the S3 source): decorate,
// on_response, if_match, path_as_is.

TEST_CASE("decorate adds its headers to every request, computed for its method and URL") {
  TestHttpServer server([](const TestHttpRequest&) { return ok("x"); });
  HttpOptions o = options_with_header();
  std::vector<std::string> calls;
  o.decorate = [&](std::string_view method, const std::string& url) {
    calls.push_back(std::string(method) + " " + url);
    return std::vector<sparseio::HttpHeader>{
        {"X-Signed", std::string(method) + std::to_string(calls.size()), true}};
  };
  HttpClient client(o);
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/k");
  req.head = true;
  client.perform(req, sink);
  req.head = false;
  client.perform(req, sink);
  CHECK(calls == std::vector<std::string>{"HEAD " + server.url("/k"), "GET " + server.url("/k")});
  std::vector<TestHttpRequest> seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].header("x-signed") == "HEAD1");
  CHECK(seen[1].header("x-signed") == "GET2");
}

TEST_CASE("if_match sends the validator as If-Match instead of If-Range; path_as_is keeps /../") {
  TestHttpServer server([](const TestHttpRequest&) { return ok("x"); });
  HttpOptions o = options_with_header();
  o.if_match = true;
  o.path_as_is = true;
  HttpClient client(o);
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/a/../b");
  req.range = sparseio::ByteRange{0, 1};
  req.if_range = "\"etag\"";
  client.perform(req, sink);
  std::vector<TestHttpRequest> seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/a/../b");
  CHECK(seen[0].header("if-match") == "\"etag\"");
  CHECK_FALSE(seen[0].header("if-range"));
}

TEST_CASE("on_response reads the body of a 4xx to a GET, may throw, and the sink still sees the status") {
  TestHttpServer server([](const TestHttpRequest& r) {
    TestHttpResponse resp;
    resp.status = r.target == "/gone" ? 404 : 403;
    resp.body = "<Error><Code>AccessDenied</Code></Error>";
    return resp;
  });
  HttpOptions o = options_with_header();
  std::vector<std::string> bodies;
  o.on_response = [&](bool head, const HttpResponse& r, std::string_view body) {
    bodies.push_back(std::string(head ? "HEAD " : "GET ") + std::to_string(r.status()) + " " +
                     std::string(body));
    if (r.status() == 404) throw sparseio::Error("explained", sparseio::ErrorKind::kSourceMissing);
  };
  HttpClient client(o);
  StringSink sink;
  HttpRequest req;
  req.url = server.url("/denied");
  HttpResult r = client.perform(req, sink);
  CHECK(r.response.status() == 403);
  CHECK(sink.statuses == std::vector<long>{403});
  CHECK(sink.body.empty());  // the error body went to the hook, not the sink
  req.head = true;
  client.perform(req, sink);  // HEAD answers carry no body
  req.head = false;
  req.url = server.url("/gone");
  CHECK_THROWS_WITH_AS(client.perform(req, sink), "explained", sparseio::Error);
  CHECK(bodies == std::vector<std::string>{"GET 403 <Error><Code>AccessDenied</Code></Error>", "HEAD 403 ",
                                           "GET 404 <Error><Code>AccessDenied</Code></Error>"});
}
