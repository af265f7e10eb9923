// libFuzzer target for what a server (or a header file) can make sparseio
// parse: Content-Range values and the checks of a 206, response header
// lines, Retry-After, -H header files, and URL redaction.
//
// Input: the first line is a Content-Range value, the second a Retry-After
// value, the rest is fed as response header lines and as a header file;
// the whole input is also redacted as a URL.
//
// Bugs: any exception other than sparseio::UsageError (header files); a
// parsed Content-Range that breaks its invariants (first <= last < total);
// a 206 check that accepts a range other than the one asked for (or one
// past the object); a negative Retry-After; redact_url that is not
// idempotent or leaves the password of "u:pass@host" in place.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "source/http/http_headers.h"
#include "source/http/http_response.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "http_response_fuzzer: BUG: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::string_view next_line(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

void check_content_range(std::string_view value) {
  auto cr = sparseio::parse_content_range(value);
  if (!cr) return;
  if (cr->satisfied && cr->first > cr->last) fail("first > last", value);
  if (cr->satisfied && cr->total && cr->last >= *cr->total) fail("last >= total", value);
  if (!cr->satisfied && !cr->total) fail("unsatisfied without total", value);
  if (!cr->satisfied) return;
  // Ask for what it says, and for a neighbour; only exact matches pass.
  const uint64_t size = cr->total.value_or(cr->last + 1);
  const sparseio::ByteRange exact{cr->first, cr->last + 1};
  auto ok = sparseio::check_partial_response(cr, cr->last - cr->first + 1, exact, size);
  if (ok.verdict != sparseio::RangeVerdict::kOk) fail("exact range rejected", value);
  if (cr->first > 0) {
    const sparseio::ByteRange shifted{cr->first - 1, cr->last + 1};
    auto bad = sparseio::check_partial_response(cr, std::nullopt, shifted, size);
    if (bad.verdict == sparseio::RangeVerdict::kOk) fail("wrong start accepted", value);
  }
  if (cr->total && *cr->total > 0) {
    auto other = sparseio::check_partial_response(cr, std::nullopt, exact, *cr->total - 1);
    if (other.verdict == sparseio::RangeVerdict::kOk) fail("other total accepted", value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string_view rest = input;
  check_content_range(next_line(rest));
  if (auto after = sparseio::parse_retry_after(next_line(rest), 1735689600); after && *after < 0)
    fail("negative Retry-After");

  sparseio::HttpResponse response;
  std::string_view lines = rest;
  while (!lines.empty()) response.add_line(next_line(lines));
  (void)response.header("content-range");
  try {
    for (const sparseio::HttpHeader& h : sparseio::parse_header_file_text(rest, "fuzz")) {
      if (h.name.empty() || !h.secret) fail("header file header not secret or nameless", h.name);
      if (sparseio::header_for_log(h) != h.name + ": <redacted>") fail("secret value logged", h.name);
    }
  } catch (const sparseio::UsageError&) {
  } catch (const std::exception& e) {
    fail("unexpected exception", e.what());
  }

  const std::string once = sparseio::redact_url(input);
  if (sparseio::redact_url(once) != once) fail("redact_url not idempotent", input);
  std::string password;
  for (char c : next_line(rest))
    if (std::string_view("/?#@").find(c) == std::string_view::npos) password += c;
  const std::string url = "https://u:" + password + "@h/";
  if (sparseio::redact_url(url) != "https://u:***@h/") fail("password not redacted", url);
  return 0;
}
