// The retry policy: exponential backoff with jitter, Retry-After honoured
// up to a cap; which statuses and libcurl results are worth a retry.
#include "source/http/http_retry.h"

#include <curl/curl.h>
#include <doctest/doctest.h>

using sparseio::RetryPolicy;

TEST_CASE("backoff doubles, is jittered into [d/2, d) and capped") {
  RetryPolicy p{5, 0.25, 2.0, 300};
  CHECK(p.delay(1, 0.0) == doctest::Approx(0.125));
  CHECK(p.delay(1, 0.999999) == doctest::Approx(0.25).epsilon(1e-5));
  CHECK(p.delay(2, 0.0) == doctest::Approx(0.25));
  CHECK(p.delay(3, 0.5) == doctest::Approx(0.75));
  CHECK(p.delay(4, 0.0) == doctest::Approx(1.0));   // d = 2 (capped)
  CHECK(p.delay(50, 1.0) == doctest::Approx(2.0));  // stays capped, no overflow
  CHECK(p.delay(1000, 0.0) == doctest::Approx(1.0));
  for (int i = 0; i < 1000; ++i) {
    double u = sparseio::jitter_draw();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    double d = p.delay(3, u);
    REQUIRE(d >= 0.5);
    REQUIRE(d <= 1.0);
  }
}

TEST_CASE("Retry-After wins when longer, and is capped") {
  RetryPolicy p{5, 0.25, 30, 60};
  CHECK(p.delay(1, 0.0, 1.0) == doctest::Approx(1.0));
  CHECK(p.delay(1, 0.0, 0.0) == doctest::Approx(0.125));  // shorter than the backoff
  CHECK(p.delay(1, 0.0, 3600.0) == doctest::Approx(60.0));
  CHECK(p.delay(1, 0.0, -5.0) == doctest::Approx(0.125));
}

TEST_CASE("RetryPolicy::from takes the options") {
  sparseio::HttpOptions o;
  o.retries = 7;
  o.retry_base_delay_s = 0.5;
  RetryPolicy p = RetryPolicy::from(o);
  CHECK(p.retries == 7);
  CHECK(p.base_s == 0.5);
}

TEST_CASE("what is worth a retry") {
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) CHECK(sparseio::is_retryable_status(s));
  for (long s : {200L, 206L, 301L, 400L, 401L, 403L, 404L, 412L, 416L, 501L, 505L})
    CHECK_FALSE(sparseio::is_retryable_status(s));
  for (CURLcode c : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE, CURLE_RECV_ERROR,
                     CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2_STREAM})
    CHECK(sparseio::is_retryable_curl(c));
  for (CURLcode c : {CURLE_OK, CURLE_PEER_FAILED_VERIFICATION, CURLE_COULDNT_RESOLVE_HOST, CURLE_WRITE_ERROR,
                     CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_ABORTED_BY_CALLBACK})
    CHECK_FALSE(sparseio::is_retryable_curl(c));
}

TEST_CASE("RetryBudget: --retries in a row without progress") {
  sparseio::RetryBudget b(3);
  CHECK(b.allow_retry(false));
  CHECK(b.backoff_step() == 1);
  CHECK(b.allow_retry(false));
  CHECK(b.allow_retry(false));
  CHECK(b.backoff_step() == 3);
  CHECK(!b.allow_retry(false));
  CHECK(b.made() == 3);
  CHECK(!b.total_spent());
}

TEST_CASE("RetryBudget: an attempt that made progress restores the budget and the backoff") {
  sparseio::RetryBudget b(2);
  CHECK(b.allow_retry(false));
  CHECK(b.allow_retry(false));
  CHECK(b.backoff_step() == 2);
  CHECK(b.allow_retry(true));  // the third retry: the failed attempt delivered bytes
  CHECK(b.backoff_step() == 1);
  CHECK(b.allow_retry(false));
  CHECK(!b.allow_retry(false));
  CHECK(b.made() == 4);
}

TEST_CASE("RetryBudget: progress on every attempt is bounded in total") {
  for (unsigned retries : {1u, 5u}) {
    CAPTURE(retries);
    sparseio::RetryBudget b(retries);
    unsigned allowed = 0;
    while (b.allow_retry(true)) ++allowed;
    CHECK(allowed == retries * sparseio::RetryBudget::kTotalFactor);
    CHECK(b.made() == allowed);
    CHECK(b.total_spent());
  }
  sparseio::RetryBudget none(0);
  CHECK(!none.allow_retry(true));
  CHECK(none.made() == 0);
}

TEST_CASE("an HTTP/0.9 answer wants a fresh connection; other refusals do not") {
  CHECK(sparseio::needs_fresh_connection(CURLE_UNSUPPORTED_PROTOCOL, "Received HTTP/0.9 when not allowed"));
  CHECK(!sparseio::needs_fresh_connection(CURLE_UNSUPPORTED_PROTOCOL, "Protocol \"ftp\" not supported"));
  CHECK(!sparseio::needs_fresh_connection(CURLE_RECV_ERROR, "HTTP/0.9"));
  CHECK(!sparseio::is_retryable_curl(CURLE_UNSUPPORTED_PROTOCOL));
}
