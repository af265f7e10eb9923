// CurlEngine: one thread drives many transfers; callers on several threads
// block in perform() until their own transfer is done.
#include "source/http/curl_engine.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "source/http/curl_handle.h"
#include "test_http_server.h"

using sparseio::CurlEasy;
using sparseio::CurlEngine;
using sparseio::test::TestHttpRequest;
using sparseio::test::TestHttpResponse;
using sparseio::test::TestHttpServer;

namespace {

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// An easy handle that GETs `url` into `body`.
CurlEasy get_into(const std::string& url, std::string& body) {
  sparseio::curl_global_once();
  CurlEasy e;
  e.set(CURLOPT_URL, url.c_str(), "URL");
  e.set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  e.set(CURLOPT_WRITEFUNCTION, &append_body, "WRITEFUNCTION");
  e.set(CURLOPT_WRITEDATA, static_cast<void*>(&body), "WRITEDATA");
  return e;
}

// The body the server sends for a target: its own path, so that a mixed-up
// transfer shows.
TestHttpResponse echo_path(const TestHttpRequest& req) {
  TestHttpResponse r;
  r.body = "body of " + req.target;
  return r;
}

}  // namespace

TEST_CASE("perform runs one transfer to completion") {
  TestHttpServer server(echo_path);
  CurlEngine engine(2);
  CHECK(engine.free_slots() == 2);
  std::string body;
  CurlEasy e = get_into(server.url("/one"), body);
  CHECK(engine.perform(e.get()) == CURLE_OK);
  CHECK(body == "body of /one");
  CHECK(engine.free_slots() == 2);  // nothing left in flight
}

TEST_CASE("several concurrent performs on one engine all complete with their own bodies") {
  // Each response waits 200 ms: run one after another, 8 of them would take
  // 1.6 s; on one engine with 8 connections they overlap.
  TestHttpServer server([](const TestHttpRequest& req) {
    TestHttpResponse r = echo_path(req);
    r.delay = std::chrono::milliseconds(200);
    return r;
  });
  constexpr int kCallers = 8;
  CurlEngine engine(kCallers);
  std::vector<std::string> bodies(kCallers);
  std::vector<CURLcode> codes(kCallers, CURLE_FAILED_INIT);
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> callers;
    for (int i = 0; i < kCallers; ++i)
      callers.emplace_back([&, i] {
        CurlEasy e = get_into(server.url("/t" + std::to_string(i)), bodies[static_cast<size_t>(i)]);
        codes[static_cast<size_t>(i)] = engine.perform(e.get());
      });
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int i = 0; i < kCallers; ++i) {
    CAPTURE(i);
    CHECK(codes[static_cast<size_t>(i)] == CURLE_OK);
    CHECK(bodies[static_cast<size_t>(i)] == "body of /t" + std::to_string(i));
  }
  CHECK(server.requests().size() == kCallers);
  CHECK_MESSAGE(elapsed < 1.2, "transfers did not overlap: " << elapsed << " s");
  CHECK(engine.free_slots() == kCallers);
}

TEST_CASE("a failed transfer reports its libcurl code") {
  sparseio::test::RefusingPort refusing;
  REQUIRE(refusing.port() != 0);
  CurlEngine engine(1);
  std::string body;
  CurlEasy e = get_into(refusing.url("/x"), body);
  CHECK(engine.perform(e.get()) == CURLE_COULDNT_CONNECT);
  CHECK(body.empty());
  CHECK(engine.free_slots() == 1);  // a failed transfer gives its slot back
}
