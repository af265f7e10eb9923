// Content-Range parsing and the checks a 206 must pass before its body is
// kept; response header collection; Retry-After; status texts.
#include "source/http/http_response.h"

#include <doctest/doctest.h>

#include <string>

using sparseio::ByteRange;
using sparseio::check_partial_response;
using sparseio::ContentRange;
using sparseio::HttpResponse;
using sparseio::parse_content_range;
using sparseio::parse_decimal;
using sparseio::parse_retry_after;
using sparseio::RangeVerdict;

TEST_CASE("parse_content_range accepts the three forms") {
  CHECK(parse_content_range("bytes 0-99/1000") == ContentRange{true, 0, 99, 1000});
  CHECK(parse_content_range("bytes 5-5/*") == ContentRange{true, 5, 5, std::nullopt});
  CHECK(parse_content_range("bytes */1000") == ContentRange{false, 0, 0, 1000});
  CHECK(parse_content_range("  Bytes 1-2/3 \r\n") == ContentRange{true, 1, 2, 3});
  CHECK(parse_content_range("bytes 18446744073709551614-18446744073709551614/18446744073709551615") ==
        ContentRange{true, 18446744073709551614ull, 18446744073709551614ull, 18446744073709551615ull});
}

TEST_CASE("parse_content_range rejects malformed values") {
  for (const char* bad :
       {"", "bytes", "bytes ", "bytes 0-99", "items 0-99/100", "bytes 9-5/100", "bytes 0-100/100",
        "bytes -5/100", "bytes 0-/100", "bytes */*", "bytes 0-99/abc", "bytes 0-99/18446744073709551616",
        "bytes 0x1-2/3", "bytes=0-99/100", "bytes +1-2/3"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_content_range(bad).has_value());
  }
}

TEST_CASE("parse_decimal") {
  CHECK(parse_decimal("0") == 0u);
  CHECK(parse_decimal("18446744073709551615") == 18446744073709551615ull);
  CHECK_FALSE(parse_decimal("18446744073709551616"));
  CHECK_FALSE(parse_decimal(""));
  CHECK_FALSE(parse_decimal("-1"));
  CHECK_FALSE(parse_decimal("1 "));
}

TEST_CASE("check_partial_response: what a 206 must say") {
  const ByteRange asked{100, 200};  // bytes=100-199
  auto check = [&](const char* cr, std::optional<uint64_t> length, std::optional<uint64_t> size = 1000) {
    return check_partial_response(parse_content_range(cr), length, asked, size);
  };
  CHECK(check("bytes 100-199/1000", 100).verdict == RangeVerdict::kOk);
  CHECK(check("bytes 100-199/1000", std::nullopt).verdict == RangeVerdict::kOk);  // chunked
  CHECK(check("bytes 100-199/*", 100).verdict == RangeVerdict::kOk);
  CHECK(check("bytes 100-199/1000", 100, std::nullopt).verdict == RangeVerdict::kOk);

  auto mismatch = check("bytes 101-199/1000", 99);
  CHECK(mismatch.verdict == RangeVerdict::kMismatch);
  CHECK(mismatch.why.find("bytes 101-199/1000") != std::string::npos);
  CHECK(mismatch.why.find("bytes=100-199") != std::string::npos);
  CHECK(check("bytes 99-199/1000", 101).verdict == RangeVerdict::kMismatch);
  CHECK(check("bytes 100-200/1000", 101).verdict == RangeVerdict::kMismatch);  // longer than asked
  CHECK(check("bytes 100-150/1000", 51).verdict == RangeVerdict::kMismatch);   // short, not at the end
  CHECK(check("bytes 100-150/*", 51).verdict == RangeVerdict::kMismatch);
  auto length = check("bytes 100-199/1000", 99);
  CHECK(length.verdict == RangeVerdict::kMismatch);
  CHECK(length.why.find("Content-Length: 99") != std::string::npos);
  CHECK(check("bytes */1000", 0).verdict == RangeVerdict::kMismatch);
  CHECK(check_partial_response(std::nullopt, 100, asked, 1000).verdict == RangeVerdict::kMismatch);

  auto changed = check("bytes 100-199/2000", 100);
  CHECK(changed.verdict == RangeVerdict::kSizeChanged);
  CHECK(changed.why == "size 1000 -> 2000");
  // Short only where the object ends: fine when the size is not known
  // beforehand, a size change otherwise.
  CHECK(check("bytes 100-149/150", 50, std::nullopt).verdict == RangeVerdict::kOk);
  CHECK(check("bytes 100-149/150", 50).verdict == RangeVerdict::kSizeChanged);
}

TEST_CASE("HttpResponse collects the final response's headers") {
  HttpResponse r;
  CHECK_FALSE(r.add_line("HTTP/1.1 100 Continue\r\n"));
  CHECK(r.add_line("\r\n"));
  CHECK(r.status() == 100);
  CHECK_FALSE(r.add_line("HTTP/1.1 206 Partial Content\r\n"));
  CHECK(r.status() == 206);
  CHECK_FALSE(r.complete());
  r.add_line("Content-Range: bytes 0-9/10\r\n");
  r.add_line("etag:   \"abc\"  \r\n");
  r.add_line("X-Dup: 1\r\n");
  r.add_line("x-dup: 2\r\n");
  CHECK(r.add_line("\r\n"));
  CHECK(r.complete());
  CHECK(r.header("content-range") == "bytes 0-9/10");
  CHECK(r.header("ETag") == "\"abc\"");
  CHECK(r.header("X-DUP") == "2");
  CHECK_FALSE(r.header("Location"));
  r.add_line("HTTP/2 404\r\n");
  CHECK(r.status() == 404);
  CHECK_FALSE(r.header("etag"));
}

TEST_CASE("parse_retry_after: seconds or a date") {
  const std::time_t now = 1735689600;  // Wed, 01 Jan 2025 00:00:00 GMT
  CHECK(parse_retry_after("1", now) == 1.0);
  CHECK(parse_retry_after(" 120 ", now) == 120.0);
  CHECK(parse_retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now) == 30.0);
  CHECK(parse_retry_after("Tue, 31 Dec 2024 23:00:00 GMT", now) == 0.0);
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
}

TEST_CASE("status_text and is_strong_etag") {
  CHECK(sparseio::status_text(503) == "503 Service Unavailable");
  CHECK(sparseio::status_text(299) == "299");
  CHECK(sparseio::is_strong_etag("\"x\""));
  CHECK_FALSE(sparseio::is_strong_etag("W/\"x\""));
  CHECK_FALSE(sparseio::is_strong_etag(""));
}

TEST_CASE("content_range_of and content_length_of read a response's headers") {
  auto response = [](std::initializer_list<const char*> lines) {
    HttpResponse r;
    r.add_line("HTTP/1.1 206 Partial Content\r\n");
    for (const char* l : lines) r.add_line(l);
    r.add_line("\r\n");
    return r;
  };
  HttpResponse ok = response({"Content-Range: bytes 5-9/10\r\n", "Content-Length: 5\r\n"});
  CHECK(sparseio::content_range_of(ok) == ContentRange{true, 5, 9, 10});
  CHECK(sparseio::content_length_of(ok) == 5u);
  HttpResponse unsatisfied = response({"content-range: bytes */100000000000000000\r\n"});
  CHECK(sparseio::content_range_of(unsatisfied) == ContentRange{false, 0, 0, 100000000000000000u});
  HttpResponse none = response({});
  CHECK_FALSE(sparseio::content_range_of(none));
  CHECK_FALSE(sparseio::content_length_of(none));
  HttpResponse bad = response({"Content-Range: bytes 9-5/10\r\n", "Content-Length: -1\r\n"});
  CHECK_FALSE(sparseio::content_range_of(bad));
  CHECK_FALSE(sparseio::content_length_of(bad));
}
