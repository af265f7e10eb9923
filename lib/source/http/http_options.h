// Options of the HTTP(S) source: what -H, --size, --retries, --cacert...
// turn into. Plain data, so that the CLI and library users can fill it in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/run_control.h"

namespace sparseio {

class HttpResponse;
class HttpConnectionPool;

// One request header given with -H. `secret` headers (read from a file with
// -H @FILE, or named Authorization, Cookie, Proxy-Authorization) never have
// their value logged.
struct HttpHeader {
  std::string name;
  std::string value;
  bool secret = false;

  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

// The largest piece of an http:// or https:// source. (Concurrency and
// coalescing follow the link: engine/scheduler.h.)
inline constexpr uint64_t kHttpDefaultChunkSize = 8u << 20;

struct HttpOptions {
  std::vector<HttpHeader> headers;  // sent with every request to the origin host
  std::optional<uint64_t> size;     // --size: skip size discovery
  unsigned retries = 5;             // retries of a failed request
  double connect_timeout_s = 30;    // --connect-timeout
  double stall_timeout_s = 30;      // --timeout: below 1 KiB/s for this long; 0: never
  std::string cacert;               // --cacert FILE
  bool insecure = false;            // --insecure: no TLS verification
  long max_redirs = 10;             // --max-redirs
  unsigned jobs = 8;                // connection limit (the most transfers at once) of a pool of its own
  // The connections to use, shared with other sources (api/many: one pool
  // for a run of many objects, whose cap then bounds them all, and `jobs`
  // is not used); unset: each HttpClient makes its own of `jobs` connections.
  std::shared_ptr<HttpConnectionPool> pool;
  double retry_base_delay_s = 0.25;     // first backoff delay (doubles, with jitter)
  double retry_max_delay_s = 30;        // cap of the backoff delay
  double retry_after_max_s = 300;       // cap of an honoured Retry-After
  const RunControl* control = nullptr;  // retries are reported here; a stop ends transfers at once

  // Hooks for a protocol on top of HTTP (the S3 source); unset for plain URLs.
  // Headers added to each request to the origin host, computed per attempt
  // (a signature covers the clock of the moment): method "GET"/"HEAD", URL.
  std::function<std::vector<HttpHeader>(std::string_view method, const std::string& url)> decorate;
  // Sees each final answer on the requesting thread; for an error answer to
  // a GET (4xx but 408, 412, 416 and 429) `error_body` holds its first
  // 64 KiB. May throw what explains the answer better than its status.
  std::function<void(bool head, const HttpResponse& response, std::string_view error_body)> on_response;
  bool if_match = false;    // send the validator as If-Match, not If-Range
  bool path_as_is = false;  // send the path as given ("/../" in S3 keys is not squashed)
};

}  // namespace sparseio
