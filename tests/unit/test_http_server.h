// A tiny in-process HTTP/1.1 server for the unit tests of the HTTP wing
// (http_client, curl_engine): it listens on 127.0.0.1 on a free port,
// answers each request with what a test's handler returns, and records the
// requests it saw, so that a test can check what the client sent without
// nginx. One thread accepts; each connection gets its own thread (keep-alive
// and concurrent clients both work). Not a real server: GET/HEAD without a
// request body, no chunked encoding.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/unique_fd.h"

namespace sparseio::test {

struct TestHttpRequest {
  std::string method;                                        // "GET", "HEAD"
  std::string target;                                        // "/path?query"
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  // The value of the first header named `name` (any case).
  std::optional<std::string> header(std::string_view name) const;
};

struct TestHttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;                                          // not sent for HEAD
  std::chrono::milliseconds delay{0};                        // before answering
};

class TestHttpServer {
 public:
  using Handler = std::function<TestHttpResponse(const TestHttpRequest&)>;
  // The handler runs on connection threads, possibly at once.
  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();  // stops accepting, ends the connection threads
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path.
  std::string url(std::string_view path) const;
  // The requests seen so far, in the order they were read.
  std::vector<TestHttpRequest> requests() const;
  // TCP connections accepted so far (a client that reuses connections opens few).
  size_t connections_accepted() const;

 private:
  void accept_loop(std::stop_token stop);
  void serve(std::stop_token stop, UniqueFd conn);

  Handler handler_;
  UniqueFd listen_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;  // guards requests_ and connections_
  std::vector<TestHttpRequest> requests_;
  std::vector<std::jthread> connections_;  // joined (stop requested) by the destructor
  std::jthread acceptor_;                  // last: starts once the rest is ready
};

// A port on 127.0.0.1 that refuses connections for as long as this lives:
// bound, so that no other process can take it meanwhile, but not listening,
// so that a connect is refused at once. Safer than the port of a server just
// closed, which another test running in parallel may bind in between.
class RefusingPort {
 public:
  RefusingPort();
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path.
  std::string url(std::string_view path) const;

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

}  // namespace sparseio::test
