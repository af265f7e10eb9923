// HTTP response headers and the rules a ranged response must pass before a
// single byte of its body is kept: Content-Range parsing and validation,
// Content-Length, validators (ETag, Last-Modified) and Retry-After.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

// The status line and headers of one response, as libcurl's header
// callback delivers them line by line.
class HttpResponse {
 public:
  // Feeds one raw header line (with its CRLF). A status line starts a new
  // response (after a 1xx or a redirect); returns true at the blank line
  // that ends the headers.
  bool add_line(std::string_view line);
  void clear();

  long status() const { return status_; }
  // The value of the last header named `name` (any case), trimmed.
  std::optional<std::string> header(std::string_view name) const;
  bool complete() const { return complete_; }

 private:
  long status_ = 0;
  bool complete_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;  // lower-case name, value
};

// "bytes 0-99/1000", "bytes 0-99/*" or "bytes */1000" (first/last inclusive).
struct ContentRange {
  bool satisfied = true;          // false for "bytes */N"
  uint64_t first = 0, last = 0;   // inclusive
  std::optional<uint64_t> total;  // nullopt for "*"

  friend bool operator==(const ContentRange&, const ContentRange&) = default;
};

// nullopt when the value is malformed.
std::optional<ContentRange> parse_content_range(std::string_view value);

// Digits only, no sign, fits in 64 bits; nullopt otherwise.
std::optional<uint64_t> parse_decimal(std::string_view text);

// The Content-Range of `r`; nullopt when it has none or it is malformed.
std::optional<ContentRange> content_range_of(const HttpResponse& r);
// The Content-Length of `r`; nullopt when it has none or it is malformed.
std::optional<uint64_t> content_length_of(const HttpResponse& r);

enum class RangeVerdict { kOk, kMismatch, kSizeChanged };

struct RangeCheck {
  RangeVerdict verdict = RangeVerdict::kOk;
  std::string why;  // for kMismatch and kSizeChanged
};

// Checks a 206 answer to a request for `asked` (half-open) of an object of
// `size` bytes (nullopt: unknown). Its start must be asked.begin and its end
// asked.end - 1, or shorter only where the object ends; its total must equal
// the size. `content_length` (when sent) must equal the range's length.
RangeCheck check_partial_response(std::optional<ContentRange> cr, std::optional<uint64_t> content_length,
                                  ByteRange asked, std::optional<uint64_t> size);

// "503 Service Unavailable" (just "599" for unknown codes).
std::string status_text(long status);

// Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date
// relative to `now`. nullopt when malformed; 0 for dates in the past.
std::optional<double> parse_retry_after(std::string_view value, std::time_t now);

// A strong ETag is quoted and has no W/ prefix.
bool is_strong_etag(std::string_view etag);

}  // namespace sparseio
