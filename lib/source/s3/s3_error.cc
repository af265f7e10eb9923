// Mapping of S3 error codes to messages and error classes.
#include "source/s3/s3_error.h"

#include <fmt/format.h>

#include "source/http/http_response.h"

namespace sparseio::s3 {
namespace {

std::string unescape_xml(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    std::string_view ent = semi == std::string_view::npos ? "" : s.substr(i + 1, semi - i - 1);
    const char* rep = ent == "amp"    ? "&"
                      : ent == "lt"   ? "<"
                      : ent == "gt"   ? ">"
                      : ent == "quot" ? "\""
                      : ent == "apos" ? "'"
                                      : nullptr;
    if (rep == nullptr) {
      out += '&';
      continue;
    }
    out += rep;
    i = semi;
  }
  return out;
}

std::string element(std::string_view xml, std::string_view name) {
  const std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
  size_t b = xml.find(open);
  if (b == std::string_view::npos) return {};
  b += open.size();
  size_t e = xml.find(close, b);
  if (e == std::string_view::npos) return {};
  return unescape_xml(xml.substr(b, e - b));
}

// One line: newlines in a server's message must not break it.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

}  // namespace

std::optional<S3ErrorBody> parse_s3_error(std::string_view xml) {
  if (xml.find("<Error>") == std::string_view::npos) return std::nullopt;
  // Every field goes into a one-line message: a server's newline must not
  // break it (tests/fuzz/s3_fuzzer.cc found a Code with a newline).
  S3ErrorBody b{one_line(element(xml, "Code")), one_line(element(xml, "Message")),
                one_line(element(xml, "Region"))};
  if (b.code.empty()) return std::nullopt;
  return b;
}

std::exception_ptr s3_error(const std::string& name, const std::string& what, long status,
                            const std::optional<S3ErrorBody>& body, const std::string& credentials,
                            const std::string& secret_from) {
  const std::string code = body ? body->code : "";
  const std::string said = body && !body->message.empty() ? fmt::format(": \"{}\"", body->message) : "";
  const std::string tag = code.empty() ? fmt::format("HTTP {}", status_text(status))
                                       : fmt::format("S3 {}, HTTP {}", code, status);
  auto access = [&](const std::string& why, ErrorKind kind = ErrorKind::kAccessDenied) {
    return std::make_exception_ptr(Error(fmt::format("{}: {} ({}; {})", name, why, tag, what), kind));
  };
  if (code == "NoSuchKey" || (code.empty() && status == 404))
    return access("no such object", ErrorKind::kSourceMissing);
  if (code == "NoSuchBucket") return access("no such bucket", ErrorKind::kSourceMissing);
  if (code == "NoSuchVersion")
    return access("that version of the object no longer exists", ErrorKind::kSourceMissing);
  if (code == "AccessDenied" || code == "AllAccessDisabled" ||
      (code.empty() && (status == 401 || status == 403)))
    return access(fmt::format("access denied to the credentials from {}", credentials));
  if (code == "SignatureDoesNotMatch")
    return access(fmt::format("the server refused the request signature: check the secret access key from {}",
                              secret_from));
  if (code == "InvalidAccessKeyId")
    return access(fmt::format("the server does not know the access key id from {}", credentials));
  if (code == "ExpiredToken" || code == "TokenRefreshRequired" || code == "InvalidToken")
    return access(fmt::format("the session token from {} has expired or is invalid", credentials));
  if (code == "RequestTimeTooSkewed")
    return std::make_exception_ptr(Error(fmt::format(
        "{}: the server refused the request time: this machine's clock differs from the server's by more "
        "than 15 minutes; fix the clock (e.g. enable NTP) and retry ({}; {})",
        name, tag, what)));
  if ((code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
       code == "IllegalLocationConstraintException") &&
      body && !body->region.empty())
    return std::make_exception_ptr(
        Error(fmt::format("{}: the bucket is in region {}: use --region {} ({}; {})", name, body->region,
                          body->region, tag, what)));
  return std::make_exception_ptr(Error(fmt::format("{}: {}{} ({})", name, tag, said, what)));
}

}  // namespace sparseio::s3
