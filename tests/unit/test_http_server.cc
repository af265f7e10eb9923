// The in-process HTTP/1.1 server of the unit tests (test_http_server.h): a
// poll loop per thread so that the destructor can stop every thread within
// kPollMs and join it.
#include "test_http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace sparseio::test {
namespace {

// How often blocked threads look at their stop token: bounds how long the
// destructor waits, at negligible CPU cost.
constexpr int kPollMs = 20;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 307:
      return "Temporary Redirect";
    case 404:
      return "Not Found";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Status";
}

// Waits until fd is readable; false when stop was requested first.
bool wait_readable(int fd, const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, kPollMs);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
  return false;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

TestHttpRequest parse_head(std::string_view head) {
  TestHttpRequest req;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h = head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    req.headers.emplace_back(std::string(trim(h.substr(0, colon))), std::string(trim(h.substr(colon + 1))));
  }
  return req;
}

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; returns it and
// stores the port.
UniqueFd bind_loopback(uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw std::runtime_error(fmt::format("test server: socket: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // ephemeral
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(fmt::format("test server: cannot bind 127.0.0.1: {}", std::strerror(errno)));
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

std::optional<std::string> TestHttpRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (lower(n) == lower(name)) return v;
  return std::nullopt;
}

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_ = bind_loopback(port_);
  if (::listen(listen_.get(), 64) != 0)
    throw std::runtime_error(
        fmt::format("test server: cannot listen on 127.0.0.1:{}: {}", port_, std::strerror(errno)));
  acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(std::move(stop)); });
}

TestHttpServer::~TestHttpServer() {
  acceptor_ = {};  // requests stop and joins: no new connection threads after this
  std::vector<std::jthread> conns;
  {
    std::lock_guard lock(mu_);
    conns.swap(connections_);
  }
  conns.clear();  // each: stop requested, joined; its socket closes as it ends
}  // listen_ closes last

std::string TestHttpServer::url(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}{}", port_, path);
}

// In the body, not the initializer list: port_'s default initializer would
// run after fd_'s and reset the port to 0.
RefusingPort::RefusingPort() { fd_ = bind_loopback(port_); }

std::string RefusingPort::url(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}{}", port_, path);
}

std::vector<TestHttpRequest> TestHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t TestHttpServer::connections_accepted() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

void TestHttpServer::accept_loop(std::stop_token stop) {
  while (wait_readable(listen_.get(), stop)) {
    UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) continue;
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, c = std::make_shared<UniqueFd>(std::move(conn))](
                                  std::stop_token s) mutable { serve(std::move(s), std::move(*c)); });
  }
}

void TestHttpServer::serve(std::stop_token stop, UniqueFd conn) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!wait_readable(conn.get(), stop)) return;
      ssize_t n = ::recv(conn.get(), chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client closed the connection
      buf.append(chunk, static_cast<size_t>(n));
    }
    TestHttpRequest req = parse_head(std::string_view(buf).substr(0, end));
    buf.erase(0, end + 4);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    TestHttpResponse resp = handler_(req);
    if (resp.delay.count() > 0) std::this_thread::sleep_for(resp.delay);
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (const auto& [n, v] : resp.headers) out += fmt::format("{}: {}\r\n", n, v);
    out += fmt::format("Content-Length: {}\r\n\r\n", resp.body.size());
    if (req.method != "HEAD") out += resp.body;
    if (!send_all(conn.get(), out)) return;
  }
}

}  // namespace sparseio::test
