// When and how long to wait before retrying a failed HTTP request:
// exponential backoff with jitter, Retry-After honoured (up to a cap).
#pragma once

#include <optional>
#include <string_view>

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

// The retries one transfer may still make. Failed attempts in a row that
// made no progress are bounded by `retries`; an attempt that advanced the
// transfer (delivered bytes) restores that budget, but retries in all are
// bounded by kTotalFactor x `retries`, so that a server that trickles a few
// bytes per connection cannot hold a run forever.
class RetryBudget {
 public:
  // 10: a connection cut every 1 MiB still completes an 8 MiB piece (the
  // default) with the default 5 retries; a 1-byte trickle gives up after 50.
  static constexpr unsigned kTotalFactor = 10;

  explicit RetryBudget(unsigned retries) : retries_(retries) {}

  // Records a failed attempt (`progressed`: it delivered bytes); true when
  // another retry is allowed, which then counts as made.
  bool allow_retry(bool progressed);
  // Retries allowed so far.
  unsigned made() const { return made_; }
  // The backoff step of the retry just allowed: 1 after progress, growing
  // with each failed attempt in a row that made none.
  unsigned backoff_step() const { return streak_; }
  // Whether the last refusal came from the total bound (not from a streak).
  bool total_spent() const { return made_ >= retries_ * kTotalFactor && streak_ <= retries_; }

 private:
  unsigned retries_;
  unsigned made_ = 0;
  unsigned streak_ = 0;  // failed attempts since the last one that made progress, this one included
};

// A uniform draw in [0, 1) from a per-thread generator.
double jitter_draw();

// Statuses worth retrying: 408, 429 and 5xx except 501 and 505.
bool is_retryable_status(long status);

// libcurl results worth retrying: connection failures, timeouts, stalls,
// bodies cut short, HTTP/2 stream errors.
bool is_retryable_curl(int curl_code);

// An answer that did not start with an HTTP status line ("HTTP/0.9", which
// libcurl refuses): typically stray bytes left on a reused connection, so it
// is retried on a fresh connection. `curl_error` is libcurl's message.
bool needs_fresh_connection(int curl_code, std::string_view curl_error);

}  // namespace sparseio
