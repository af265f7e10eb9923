#include "source/http/http_headers.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/ascii.h"
#include "core/errors.h"

namespace sparseio {
namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Headers sparseio sets itself to make range requests safe.
constexpr std::array<std::string_view, 7> kReserved{
    "Range",          "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
    "Accept-Encoding"};

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl_view(a), absl_view(b));
}

bool is_sensitive_header(std::string_view name) {
  return header_name_equals(name, "Authorization") || header_name_equals(name, "Cookie") ||
         header_name_equals(name, "Proxy-Authorization");
}

HttpHeader parse_header_line(std::string_view line, bool secret, std::string_view what) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos)
    throw UsageError(fmt::format("bad header {}: expected \"Name: value\"", what));
  std::string_view name = line.substr(0, colon);
  if (name.empty()) throw UsageError(fmt::format("bad header {}: the name is empty", what));
  for (char c : name)
    if (!is_tchar(c))
      throw UsageError(fmt::format("bad header {}: the name may not contain {}", what,
                                   c == ' ' ? std::string("spaces") : fmt::format("0x{:02x}", c)));
  std::string_view value = trim(line.substr(colon + 1));
  for (char c : value)
    if (c == '\n' || c == '\r' || c == '\0')
      throw UsageError(fmt::format("bad header {}: the value contains a line break or NUL", what));
  for (std::string_view reserved : kReserved)
    if (header_name_equals(name, reserved))
      throw UsageError(fmt::format("bad header {}: sparseio sets {} itself", what, reserved));
  return HttpHeader{std::string(name), std::string(value), secret || is_sensitive_header(name)};
}

std::vector<HttpHeader> parse_header_file_text(std::string_view text, std::string_view file) {
  std::vector<HttpHeader> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    out.push_back(parse_header_line(t, true, fmt::format("on line {} of {}", line_no, file)));
  }
  return out;
}

std::vector<HttpHeader> parse_header_option(const std::string& arg) {
  if (!arg.starts_with("@")) {
    // Quote the name only: the value may be a credential.
    std::string_view name = std::string_view(arg).substr(0, arg.find(':'));
    return {parse_header_line(arg, false, fmt::format("-H \"{}: ...\"", name))};
  }
  std::string file = arg.substr(1);
  if (file.empty()) throw UsageError("bad -H @FILE: the file name is empty");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError(errno_message(fmt::format("-H @{}: cannot read the header file", file), errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_header_file_text(text.str(), file);
}

std::string header_for_log(const HttpHeader& h) {
  if (h.secret || is_sensitive_header(h.name)) return h.name + ": <redacted>";
  return h.name + ": " + h.value;
}

namespace {

// Query parameters of presigned URLs whose values are credentials: SigV4's
// X-Amz-Signature, X-Amz-Credential (names the access key) and
// X-Amz-Security-Token, and SigV2's Signature (any case).
bool secret_query_param(std::string_view name) {
  for (std::string_view s : {"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature"})
    if (header_name_equals(name, s)) return true;
  return false;
}

std::string redact_query(std::string_view url) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  size_t frag = url.find('#', q);
  std::string_view query =
      url.substr(q + 1, frag == std::string_view::npos ? std::string_view::npos : frag - q - 1);
  std::string out(url.substr(0, q + 1));
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    size_t eq = item.find('=');
    if (!first) out += '&';
    first = false;
    if (eq != std::string_view::npos && secret_query_param(item.substr(0, eq))) {
      out += item.substr(0, eq + 1);
      out += "***";
    } else {
      out += item;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (frag != std::string_view::npos) out += url.substr(frag);
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t auth_begin = scheme + 3;
  size_t auth_end = url.find_first_of("/?#", auth_begin);
  std::string_view authority = url.substr(
      auth_begin, auth_end == std::string_view::npos ? std::string_view::npos : auth_end - auth_begin);
  size_t at = authority.rfind('@');
  size_t colon = authority.find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) return redact_query(url);
  std::string out(url.substr(0, auth_begin + colon + 1));
  out += "***";
  out += url.substr(auth_begin + at);
  return redact_query(out);
}

}  // namespace sparseio
