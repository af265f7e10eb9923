// Options of the HTTP(S) source: what -H, --size, --retries, --cacert...
// turn into. Plain data, so that the CLI and library users can fill it in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/run_control.h"

namespace sparseio {

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
  std::vector<HttpHeader> headers;      // sent with every request to the origin host
  std::optional<uint64_t> size;         // --size: skip size discovery
  unsigned retries = 5;                 // retries of a failed request
  double connect_timeout_s = 30;        // --connect-timeout
  double stall_timeout_s = 30;          // --timeout: below 1 KiB/s for this long; 0: never
  std::string cacert;                   // --cacert FILE
  bool insecure = false;                // --insecure: no TLS verification
  long max_redirs = 10;                 // --max-redirs
  unsigned jobs = 8;                    // connection limit (the most transfers at once)
  double retry_base_delay_s = 0.25;     // first backoff delay (doubles, with jitter)
  double retry_max_delay_s = 30;        // cap of the backoff delay
  double retry_after_max_s = 300;       // cap of an honoured Retry-After
  const RunControl* control = nullptr;  // retries are reported here; a stop ends transfers at once
};

}  // namespace sparseio
