// Verdicts on one HTTP answer, shared by HttpSource's two read paths.
#include "source/http/http_attempt.h"

#include <fmt/format.h>

#include <ctime>

#include "source/http/http_headers.h"
#include "source/http/http_retry.h"

namespace sparseio {

bool is_success(long status) { return status >= 200 && status < 300; }

ErrorKind status_kind(long status) {
  if (status == 404 || status == 410) return ErrorKind::kSourceMissing;
  if (status == 401 || status == 403) return ErrorKind::kAccessDenied;
  return ErrorKind::kFailure;
}

ErrorKind curl_kind(CURLcode code) {
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY || is_retryable_curl(code))
    return ErrorKind::kNetwork;
  return ErrorKind::kFailure;
}

std::optional<double> retry_after_of(const HttpResponse& r) {
  auto v = r.header("retry-after");
  return v ? parse_retry_after(*v, std::time(nullptr)) : std::nullopt;
}

std::optional<std::string> transport_failure(const HttpResult& r) {
  if (r.code == CURLE_OK) return std::nullopt;
  if (is_retryable_curl(r.code) || needs_fresh_connection(r.code, r.curl_error)) return r.cause();
  return std::nullopt;
}

void check_identity_encoding(const std::string& name, const HttpResponse& r) {
  if (auto enc = r.header("content-encoding"); enc && !enc->empty() && *enc != "identity")
    throw Error(fmt::format("{}: the server sent Content-Encoding: {}, so its bytes are not the object's",
                            name, *enc));
}

}  // namespace sparseio
