#include "source/http/http_response.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <limits>

#include "core/ascii.h"
#include "source/http/http_headers.h"

namespace sparseio {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool HttpResponse::add_line(std::string_view line) {
  std::string_view t = trim(line);
  if (t.starts_with("HTTP/")) {
    clear();
    size_t sp = t.find(' ');
    if (sp != std::string_view::npos) {
      std::string_view code = t.substr(sp + 1, 3);
      if (auto v = parse_decimal(code)) status_ = static_cast<long>(*v);
    }
    return false;
  }
  if (t.empty()) {
    complete_ = status_ != 0;
    return complete_;
  }
  size_t colon = t.find(':');
  if (colon == std::string_view::npos) return false;  // obsolete line folding: ignored
  headers_.emplace_back(absl::AsciiStrToLower(absl_view(trim(t.substr(0, colon)))),
                        std::string(trim(t.substr(colon + 1))));
  return false;
}

void HttpResponse::clear() {
  status_ = 0;
  complete_ = false;
  headers_.clear();
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it)
    if (header_name_equals(it->first, name)) return it->second;
  return std::nullopt;
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  std::string_view v = trim(value);
  if (v.size() < 6 || absl::AsciiStrToLower(absl_view(v.substr(0, 5))) != "bytes" ||
      (v[5] != ' ' && v[5] != '\t'))
    return std::nullopt;
  v = trim(v.substr(6));
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view span = trim(v.substr(0, slash)), total = trim(v.substr(slash + 1));
  ContentRange cr;
  if (total != "*") {
    cr.total = parse_decimal(total);
    if (!cr.total) return std::nullopt;
  }
  if (span == "*") {
    if (!cr.total) return std::nullopt;  // "bytes */*" says nothing
    cr.satisfied = false;
    return cr;
  }
  size_t dash = span.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto first = parse_decimal(span.substr(0, dash)), last = parse_decimal(span.substr(dash + 1));
  if (!first || !last || *first > *last) return std::nullopt;
  if (cr.total && *last >= *cr.total) return std::nullopt;
  cr.first = *first;
  cr.last = *last;
  return cr;
}

std::optional<ContentRange> content_range_of(const HttpResponse& r) {
  auto v = r.header("content-range");
  return v ? parse_content_range(*v) : std::nullopt;
}

std::optional<uint64_t> content_length_of(const HttpResponse& r) {
  auto v = r.header("content-length");
  return v ? parse_decimal(*v) : std::nullopt;
}

RangeCheck check_partial_response(std::optional<ContentRange> cr, std::optional<uint64_t> content_length,
                                  ByteRange asked, std::optional<uint64_t> size) {
  auto mismatch = [](std::string why) { return RangeCheck{RangeVerdict::kMismatch, std::move(why)}; };
  const uint64_t want_last = asked.end - 1;
  if (!cr || !cr->satisfied)
    return mismatch(fmt::format("the server answered 206 to bytes={}-{} without a valid Content-Range",
                                asked.begin, want_last));
  if (cr->total && size && *cr->total != *size)
    return {RangeVerdict::kSizeChanged, fmt::format("size {} -> {}", *size, *cr->total)};
  const std::string got = fmt::format("bytes {}-{}/{}", cr->first, cr->last,
                                      cr->total ? fmt::format("{}", *cr->total) : std::string("*"));
  if (cr->first != asked.begin || cr->last > want_last)
    return mismatch(
        fmt::format("the server answered Content-Range: {} to bytes={}-{}", got, asked.begin, want_last));
  if (cr->last < want_last) {
    bool at_end = cr->total && cr->last + 1 == *cr->total;
    if (!at_end)
      return mismatch(
          fmt::format("the server answered Content-Range: {} to bytes={}-{} (short, and not at "
                      "the end of the object)",
                      got, asked.begin, want_last));
  }
  const uint64_t length = cr->last - cr->first + 1;
  if (content_length && *content_length != length)
    return mismatch(fmt::format("the server sent Content-Length: {} with Content-Range: {} ({} bytes)",
                                *content_length, got, length));
  return {};
}

std::string status_text(long status) {
  const char* reason = "";
  switch (status) {
    case 200:
      reason = "OK";
      break;
    case 206:
      reason = "Partial Content";
      break;
    case 301:
      reason = "Moved Permanently";
      break;
    case 302:
      reason = "Found";
      break;
    case 303:
      reason = "See Other";
      break;
    case 307:
      reason = "Temporary Redirect";
      break;
    case 308:
      reason = "Permanent Redirect";
      break;
    case 400:
      reason = "Bad Request";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 405:
      reason = "Method Not Allowed";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 410:
      reason = "Gone";
      break;
    case 412:
      reason = "Precondition Failed";
      break;
    case 416:
      reason = "Range Not Satisfiable";
      break;
    case 429:
      reason = "Too Many Requests";
      break;
    case 500:
      reason = "Internal Server Error";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 504:
      reason = "Gateway Timeout";
      break;
    default:
      break;
  }
  return *reason ? fmt::format("{} {}", status, reason) : fmt::format("{}", status);
}

std::optional<double> parse_retry_after(std::string_view value, std::time_t now) {
  std::string_view v = trim(value);
  if (v.empty()) return std::nullopt;
  if (auto secs = parse_decimal(v)) return static_cast<double>(*secs);
  std::string date(v);
  std::time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return when > now ? static_cast<double>(when - now) : 0.0;
}

bool is_strong_etag(std::string_view etag) {
  return etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
}

}  // namespace sparseio
