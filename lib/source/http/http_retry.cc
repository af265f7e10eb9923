#include "source/http/http_retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace sparseio {

double RetryPolicy::delay(unsigned retry, double u, std::optional<double> retry_after) const {
  double d = base_s * std::ldexp(1.0, static_cast<int>(std::min(retry, 60u)) - 1);
  d = std::min(d, max_s);
  double jittered = d / 2 + std::clamp(u, 0.0, 1.0) * d / 2;
  if (retry_after) jittered = std::max(jittered, std::min(std::max(*retry_after, 0.0), retry_after_max_s));
  return jittered;
}

bool RetryBudget::allow_retry(bool progressed) {
  streak_ = progressed ? 1 : streak_ + 1;
  if (streak_ > retries_ || made_ >= retries_ * kTotalFactor) return false;
  ++made_;
  return true;
}

double jitter_draw() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

bool is_retryable_status(long status) {
  if (status == 408 || status == 429) return true;
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}

bool is_retryable_curl(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_AGAIN:
      return true;
    default:
      return false;
  }
}

}  // namespace sparseio

namespace sparseio {

bool needs_fresh_connection(int curl_code, std::string_view curl_error) {
  return curl_code == CURLE_UNSUPPORTED_PROTOCOL && curl_error.find("HTTP/0.9") != std::string_view::npos;
}

}  // namespace sparseio
