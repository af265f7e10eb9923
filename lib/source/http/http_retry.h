// When and how long to wait before retrying a failed HTTP request:
// exponential backoff with jitter, Retry-After honoured (up to a cap).
#pragma once

#include <optional>

#include "source/http/http_options.h"

namespace sparseio {

struct RetryPolicy {
  unsigned retries = 5;  // retries after the first attempt
  double base_s = 0.25;  // delay before the first retry (before jitter)
  double max_s = 30;     // cap of the exponential delay
  double retry_after_max_s = 300;

  static RetryPolicy from(const HttpOptions& o) {
    return {o.retries, o.retry_base_delay_s, o.retry_max_delay_s, o.retry_after_max_s};
  }

  // Seconds to wait before retry number `retry` (1 for the first). `u` in
  // [0, 1) is the jitter draw: the delay is uniform in [d/2, d) where d =
  // min(max, base * 2^(retry-1)). A server's Retry-After (capped) wins when
  // it is longer.
  double delay(unsigned retry, double u, std::optional<double> retry_after = std::nullopt) const;
};

// A uniform draw in [0, 1) from a per-thread generator.
double jitter_draw();

// Statuses worth retrying: 408, 429 and 5xx except 501 and 505.
bool is_retryable_status(long status);

// libcurl results worth retrying: connection failures, timeouts, stalls,
// bodies cut short, HTTP/2 stream errors.
bool is_retryable_curl(int curl_code);

}  // namespace sparseio
