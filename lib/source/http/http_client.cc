#include "source/http/http_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <thread>

#include "core/ascii.h"
#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_headers.h"
#include "version.h"

namespace sparseio {
namespace {

constexpr long kBufferSize = 512 * 1024;     // libcurl 7.88's largest
constexpr size_t kErrorBodyMax = 64 * 1024;  // S3's XML errors are < 1 KiB

// Error answers whose body an on_response hook gets to read.
bool explainable_error(long status) {
  return status >= 400 && status < 500 && status != 408 && status != 412 && status != 416 && status != 429;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string describe(const HttpRequest& req) {
  std::string s = fmt::format("{} {}", req.head ? "HEAD" : "GET", redact_url(req.url));
  if (req.range) s += fmt::format(" bytes={}-{}", req.range->begin, req.range->end - 1);
  return s;
}

// scheme://host:port of a URL ("" when it does not parse).
std::string origin_of(const std::string& url) {
  CurlUrl u;
  if (u.set_url(url) != CURLUE_OK) return {};
  return u.part(CURLUPART_SCHEME) + "://" + u.part(CURLUPART_HOST) + ":" +
         u.part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

// libcurl calls this at least once a second per transfer: a nonzero answer
// ends the transfer (CURLE_ABORTED_BY_CALLBACK) when a stop was requested.
int stop_check(void* control, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const RunControl*>(control)->stop_requested() ? 1 : 0;
}

}  // namespace

struct HttpClient::Exchange {
  ResponseSink* sink = nullptr;
  HttpResponse response;
  ResponseSink::Action action = ResponseSink::Action::kDiscard;
  bool redirect = false;
  bool sink_stopped = false;
  bool head = false;
  bool hooked = false;         // an on_response hook reads error bodies
  bool capture_error = false;  // this answer's body goes to error_body, not the sink
  std::string error_body;
  std::exception_ptr error;
};

std::string HttpResult::cause() const {
  if (code != CURLE_OK) return curl_error.empty() ? curl_easy_strerror(code) : curl_error;
  return fmt::format("HTTP {}", status_text(response.status()));
}

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)),
      connections_(options_.pool ? options_.pool
                                 : std::make_shared<HttpConnectionPool>(std::max(1u, options_.jobs))) {}

HttpClient::~HttpClient() = default;  // the easy handles, then (with its last owner) the pool

CurlEasy HttpClient::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      CurlEasy e = std::move(pool_.back());
      pool_.pop_back();
      return e;
    }
  }
  return make_handle();
}

void HttpClient::release(CurlEasy easy) {
  // No pointers into a finished request's stack frame stay behind.
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy.get(), CURLOPT_HTTPHEADER, nullptr);
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(easy));
}

size_t HttpClient::on_header(char* data, size_t size, size_t n, void* self) {
  auto& ex = *static_cast<Exchange*>(self);
  const size_t len = size * n;
  if (!ex.response.add_line(std::string_view(data, len))) return len;
  const long status = ex.response.status();
  if (status < 200) return len;  // 1xx: the real response follows
  ex.redirect = is_redirect(status) && ex.response.header("location").has_value();
  if (ex.redirect) {
    ex.action = ResponseSink::Action::kDiscard;
    return len;
  }
  if (ex.hooked && !ex.head && explainable_error(status)) {
    ex.capture_error = true;  // the sink sees the headers after the hook (perform_once)
    ex.action = ResponseSink::Action::kBody;
    return len;
  }
  try {
    ex.action = ex.sink->on_headers(ex.response);
  } catch (...) {
    ex.error = std::current_exception();
    ex.action = ResponseSink::Action::kAbort;
  }
  if (ex.action == ResponseSink::Action::kAbort) {
    ex.sink_stopped = true;
    return 0;
  }
  return len;
}

size_t HttpClient::on_write(char* data, size_t size, size_t n, void* self) {
  auto& ex = *static_cast<Exchange*>(self);
  const size_t len = size * n;
  if (ex.action != ResponseSink::Action::kBody) return len;
  if (ex.capture_error) {
    ex.error_body.append(data, std::min(len, kErrorBodyMax - std::min(kErrorBodyMax, ex.error_body.size())));
    return len;
  }
  try {
    if (ex.sink->on_body(std::span(reinterpret_cast<const std::byte*>(data), len))) return len;
  } catch (...) {
    ex.error = std::current_exception();
  }
  ex.sink_stopped = true;
  return 0;  // CURLE_WRITE_ERROR: the transfer stops here
}

CurlEasy HttpClient::make_handle() {
  // Settings that never change; per-request ones are set by configure().
  CurlEasy e;
  e.set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR");
  e.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR");
  e.set(CURLOPT_FOLLOWLOCATION, 0L, "FOLLOWLOCATION");
  e.set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  e.set(CURLOPT_SHARE, connections_->share(), "SHARE");
  e.set(CURLOPT_USERAGENT, "sparseio/" SPARSEIO_VERSION, "USERAGENT");
  e.set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS), "HTTP_VERSION");
  e.set(CURLOPT_BUFFERSIZE, kBufferSize, "BUFFERSIZE");
  e.set(CURLOPT_TCP_KEEPALIVE, 1L, "TCP_KEEPALIVE");
  e.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_s * 1000), "CONNECTTIMEOUT");
  if (options_.stall_timeout_s > 0) {
    e.set(CURLOPT_LOW_SPEED_LIMIT, 1024L, "LOW_SPEED_LIMIT");
    e.set(CURLOPT_LOW_SPEED_TIME, std::max(1L, std::lround(options_.stall_timeout_s)), "LOW_SPEED_TIME");
  }
  if (!options_.cacert.empty()) e.set(CURLOPT_CAINFO, options_.cacert.c_str(), "CAINFO");
  if (options_.path_as_is) e.set(CURLOPT_PATH_AS_IS, 1L, "PATH_AS_IS");
  if (options_.insecure) {
    e.set(CURLOPT_SSL_VERIFYPEER, 0L, "SSL_VERIFYPEER");
    e.set(CURLOPT_SSL_VERIFYHOST, 0L, "SSL_VERIFYHOST");
  }
  if (options_.control != nullptr) {
    e.set(CURLOPT_NOPROGRESS, 0L, "NOPROGRESS");
    e.set(CURLOPT_XFERINFOFUNCTION, &stop_check, "XFERINFOFUNCTION");
    e.set(CURLOPT_XFERINFODATA, const_cast<void*>(static_cast<const void*>(options_.control)),
          "XFERINFODATA");
  }
  e.set(CURLOPT_HEADERFUNCTION, &HttpClient::on_header, "HEADERFUNCTION");
  e.set(CURLOPT_WRITEFUNCTION, &HttpClient::on_write, "WRITEFUNCTION");
  return e;
}

void HttpClient::configure(CurlEasy& e, const HttpRequest& req, const CurlSlist& headers, Exchange& ex,
                           char* error_buffer) {
  e.set(CURLOPT_URL, req.url.c_str(), "URL");
  // Waiting for a connection being set up, in case it can carry this request
  // too, pays only where HTTP/2 is possible: https (HTTP_VERSION_2TLS, told
  // by ALPN during the handshake). On http:// libcurl learns that a
  // connection is HTTP/1.1 only from its first response, so a request that
  // waited started a whole round trip late: of the 4 pieces of a 1 MiB
  // block, one started after the others' answers (object_test; unzip -l
  // through the mount paid a round trip for it at 20 and 100 ms).
  e.set(CURLOPT_PIPEWAIT, absl::StartsWithIgnoreCase(req.url, "https://") ? 1L : 0L, "PIPEWAIT");
  if (req.head)
    e.set(CURLOPT_NOBODY, 1L, "NOBODY");
  else
    e.set(CURLOPT_HTTPGET, 1L, "HTTPGET");
  e.set(CURLOPT_FRESH_CONNECT, req.fresh_connection ? 1L : 0L, "FRESH_CONNECT");
  e.set(CURLOPT_HTTPHEADER, headers.get(), "HTTPHEADER");
  e.set(CURLOPT_ERRORBUFFER, error_buffer, "ERRORBUFFER");
  e.set(CURLOPT_HEADERDATA, static_cast<void*>(&ex), "HEADERDATA");
  e.set(CURLOPT_WRITEDATA, static_cast<void*>(&ex), "WRITEDATA");
}

HttpResult HttpClient::perform_once(const HttpRequest& req, ResponseSink& sink) {
  CurlSlist headers;
  if (req.custom_headers)
    for (const HttpHeader& h : options_.headers)
      headers.append(h.value.empty() ? h.name + ":" : h.name + ": " + h.value);
  if (req.range) headers.append(fmt::format("Range: bytes={}-{}", req.range->begin, req.range->end - 1));
  if (!req.if_range.empty()) headers.append((options_.if_match ? "If-Match: " : "If-Range: ") + req.if_range);
  std::vector<HttpHeader> decorated;
  if (req.custom_headers && options_.decorate)
    decorated = options_.decorate(req.head ? "HEAD" : "GET", req.url);
  for (const HttpHeader& h : decorated) headers.append(h.name + ": " + h.value);
  if (log::enabled(LogLevel::kTrace)) {
    for (const HttpHeader& h : options_.headers)
      if (req.custom_headers) log::trace("  {}", header_for_log(h));
    for (const HttpHeader& h : decorated) log::trace("  {}", header_for_log(h));
  }

  Exchange ex;
  ex.sink = &sink;
  ex.head = req.head;
  ex.hooked = static_cast<bool>(options_.on_response);
  char error_buffer[CURL_ERROR_SIZE] = {};
  CurlEasy easy = acquire();
  HttpResult result;
  try {
    configure(easy, req, headers, ex, error_buffer);
    result.code = connections_->perform(easy.get());
  } catch (...) {
    release(std::move(easy));
    throw;
  }
  long version = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_HTTP_VERSION, &version);
  curl_off_t pretransfer_us = 0, first_byte_us = 0;
  if (curl_easy_getinfo(easy.get(), CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us) == CURLE_OK &&
      curl_easy_getinfo(easy.get(), CURLINFO_STARTTRANSFER_TIME_T, &first_byte_us) == CURLE_OK &&
      first_byte_us > pretransfer_us)
    result.wait_s = static_cast<double>(first_byte_us - pretransfer_us) / 1e6;
  long connects = 0;
  if (curl_easy_getinfo(easy.get(), CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
    connections_->add_connects(connects);
  connections_->note_wait(result.wait_s);
  release(std::move(easy));
  result.curl_error = error_buffer;
  result.response = std::move(ex.response);
  result.url = req.url;
  result.custom_headers = req.custom_headers;
  result.sink_stopped = ex.sink_stopped;
  result.error = ex.error;
  if (ex.redirect) result.sink_stopped = false;
  log::debug("{} -> {}", describe(req),
             result.code == CURLE_OK || result.sink_stopped
                 ? fmt::format("HTTP/{} {}", version == CURL_HTTP_VERSION_2_0 ? "2" : "1.1",
                               status_text(result.response.status()))
                 : result.cause());
  if (ex.hooked && !ex.redirect && result.response.status() != 0 && !ex.error) {
    options_.on_response(req.head, result.response, ex.error_body);  // may throw the explanation
    if (ex.capture_error) {
      try {
        if (sink.on_headers(result.response) == ResponseSink::Action::kAbort) result.sink_stopped = true;
      } catch (...) {
        result.error = std::current_exception();
        result.sink_stopped = true;
      }
    }
  }
  return result;
}

HttpResult HttpClient::perform(const HttpRequest& first, ResponseSink& sink) {
  HttpRequest req = first;
  for (long hops = 0;; ++hops) {
    HttpResult r = perform_once(req, sink);
    const long status = r.response.status();
    if (r.code != CURLE_OK || !is_redirect(status) || !r.response.header("location")) return r;
    const std::string location = *r.response.header("location");
    if (hops >= options_.max_redirs)
      throw Error(fmt::format("{}: too many redirects (more than --max-redirs {})", redact_url(first.url),
                              options_.max_redirs));
    CurlUrl next;
    next.set_url(req.url);
    CURLUcode uc = next.set_url(location);
    std::string scheme = uc == CURLUE_OK ? next.part(CURLUPART_SCHEME) : std::string();
    if (uc == CURLUE_UNSUPPORTED_SCHEME || (uc == CURLUE_OK && scheme != "http" && scheme != "https"))
      throw Error(fmt::format("{} redirects to {}: refused, only http and https are allowed",
                              redact_url(req.url), redact_url(location)));
    if (uc != CURLUE_OK)
      throw Error(fmt::format("{} redirects to a bad URL {}: {}", redact_url(req.url), redact_url(location),
                              curl_url_strerror(uc)));
    std::string next_url = next.part(CURLUPART_URL);
    if (origin_of(next_url) != origin_of(req.url)) {
      // Another host: -H headers and credentials stay behind (for good).
      req.custom_headers = false;
      next.clear(CURLUPART_USER);
      next.clear(CURLUPART_PASSWORD);
      next_url = next.part(CURLUPART_URL);
    }
    log::info("{} redirects ({}) to {}", redact_url(req.url), status, redact_url(next_url));
    req.url = next_url;
  }
}

}  // namespace sparseio
