// The verdicts HttpSource's two read paths share (lib/source/http/
// http_attempt): which statuses succeed, which error kind a status or a
// libcurl result maps to, the Retry-After of a response, which transport
// failures are worth another try, and the refusal of encoded bodies.
#include "source/http/http_attempt.h"

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <ctime>
#include <initializer_list>
#include <string>

#include "source/http/http_response.h"

using namespace sparseio;

namespace {

// A complete response from header lines (CRLFs added).
HttpResponse response(std::initializer_list<std::string> lines) {
  HttpResponse r;
  for (const std::string& l : lines) r.add_line(l + "\r\n");
  r.add_line("\r\n");
  return r;
}

std::string encoding_error(const HttpResponse& r) {
  try {
    check_identity_encoding("https://h/obj", r);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("http attempt: only 2xx statuses are successes") {
  for (long s : {200L, 204L, 206L, 299L}) CHECK(is_success(s));
  for (long s : {0L, 100L, 199L, 300L, 304L, 404L, 416L, 500L}) CHECK_FALSE(is_success(s));
}

TEST_CASE("http attempt: status kinds — missing, denied, or a plain failure") {
  CHECK(status_kind(404) == ErrorKind::kSourceMissing);
  CHECK(status_kind(410) == ErrorKind::kSourceMissing);
  CHECK(status_kind(401) == ErrorKind::kAccessDenied);
  CHECK(status_kind(403) == ErrorKind::kAccessDenied);
  for (long s : {400L, 405L, 416L, 500L, 503L, 0L}) CHECK(status_kind(s) == ErrorKind::kFailure);
}

TEST_CASE("http attempt: curl kinds — resolution and connection trouble is the network's") {
  for (CURLcode c : {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
                     CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE}) {
    CAPTURE(c);
    CHECK(curl_kind(c) == ErrorKind::kNetwork);
  }
  for (CURLcode c : {CURLE_PEER_FAILED_VERIFICATION, CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL,
                     CURLE_URL_MALFORMAT, CURLE_TOO_MANY_REDIRECTS}) {
    CAPTURE(c);
    CHECK(curl_kind(c) == ErrorKind::kFailure);
  }
}

TEST_CASE("http attempt: Retry-After in seconds or as a date, absent or malformed is nullopt") {
  CHECK_FALSE(retry_after_of(response({"HTTP/1.1 503 Service Unavailable"})).has_value());
  auto secs = retry_after_of(response({"HTTP/1.1 503 Service Unavailable", "Retry-After: 7"}));
  REQUIRE(secs.has_value());
  CHECK(*secs == doctest::Approx(7.0));
  CHECK(retry_after_of(response({"HTTP/1.1 429 Too Many Requests", "retry-after:  120 "})).value_or(-1) ==
        doctest::Approx(120.0));
  CHECK_FALSE(retry_after_of(response({"HTTP/1.1 503 x", "Retry-After: soon"})).has_value());
  // A date in the past means now.
  auto past = retry_after_of(response({"HTTP/1.1 503 x", "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"}));
  REQUIRE(past.has_value());
  CHECK(*past == 0.0);
  // A date about a minute ahead (format it from the clock).
  std::time_t later = std::time(nullptr) + 60;
  char buf[64];
  std::tm tm{};
  gmtime_r(&later, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  auto ahead = retry_after_of(response({"HTTP/1.1 503 x", std::string("Retry-After: ") + buf}));
  REQUIRE(ahead.has_value());
  CHECK(*ahead > 50.0);
  CHECK(*ahead <= 60.0);
}

TEST_CASE("http attempt: transport failures worth a retry carry their cause") {
  HttpResult ok;
  CHECK_FALSE(transport_failure(ok).has_value());

  HttpResult reset;
  reset.code = CURLE_RECV_ERROR;
  reset.curl_error = "Connection reset by peer";
  CHECK(transport_failure(reset) == std::optional<std::string>("Connection reset by peer"));

  HttpResult timeout;  // no message of libcurl's: its generic one
  timeout.code = CURLE_OPERATION_TIMEDOUT;
  CHECK(transport_failure(timeout) ==
        std::optional<std::string>(curl_easy_strerror(CURLE_OPERATION_TIMEDOUT)));

  // Stray bytes on a reused connection: retried on a fresh one.
  HttpResult stray;
  stray.code = CURLE_UNSUPPORTED_PROTOCOL;
  stray.curl_error = "Received HTTP/0.9 when not allowed";
  CHECK(transport_failure(stray).has_value());

  // Not worth a retry: the same code without the HTTP/0.9 message, TLS
  // verification, a malformed URL.
  HttpResult scheme;
  scheme.code = CURLE_UNSUPPORTED_PROTOCOL;
  scheme.curl_error = "Protocol \"gopher\" not supported";
  CHECK_FALSE(transport_failure(scheme).has_value());
  HttpResult tls;
  tls.code = CURLE_PEER_FAILED_VERIFICATION;
  CHECK_FALSE(transport_failure(tls).has_value());
  HttpResult url;
  url.code = CURLE_URL_MALFORMAT;
  CHECK_FALSE(transport_failure(url).has_value());
}

TEST_CASE("http attempt: only identity bodies are the object's bytes") {
  CHECK(encoding_error(response({"HTTP/1.1 200 OK"})) == "no error");
  CHECK(encoding_error(response({"HTTP/1.1 200 OK", "Content-Encoding: identity"})) == "no error");
  CHECK(encoding_error(response({"HTTP/1.1 200 OK", "Content-Encoding:"})) == "no error");
  const std::string gzip =
      encoding_error(response({"HTTP/1.1 206 Partial Content", "content-encoding: gzip"}));
  CHECK(gzip.find("https://h/obj: the server sent Content-Encoding: gzip") == 0);
  CHECK(encoding_error(response({"HTTP/1.1 200 OK", "Content-Encoding: br"})).find("br") !=
        std::string::npos);
  // Like every header, the last Content-Encoding is the one that counts.
  CHECK(encoding_error(response(
            {"HTTP/1.1 200 OK", "Content-Encoding: gzip", "Content-Encoding: identity"})) == "no error");
}
