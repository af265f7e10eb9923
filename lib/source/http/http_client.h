// One HTTP exchange at a time per caller, many callers at once: configures
// a pooled easy handle for a request, runs it on a CurlEngine of its
// HttpConnectionPool (its own, or the run's: HttpOptions::pool), follows
// redirects by hand (only to http/https; -H headers and credentials stay
// with the origin host) and streams the final response to a ResponseSink.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_range.h"
#include "source/http/connection_pool.h"
#include "source/http/curl_handle.h"
#include "source/http/http_options.h"
#include "source/http/http_response.h"

namespace sparseio {

struct HttpRequest {
  std::string url;
  bool head = false;
  std::optional<ByteRange> range;  // half-open; sent as Range: bytes=begin-(end-1)
  std::string if_range;            // If-Range validator, when not empty
  bool custom_headers = true;      // send the -H headers
  bool fresh_connection = false;   // open a new connection rather than reuse one
};

// Receives the final (non-redirect) response; runs on the engine thread.
class ResponseSink {
 public:
  enum class Action { kBody, kDiscard, kAbort };
  virtual ~ResponseSink() = default;
  // The headers are complete. kBody: deliver the body to on_body; kDiscard:
  // read and drop it (keeps the connection); kAbort: stop the transfer now.
  virtual Action on_headers(const HttpResponse& response) = 0;
  // A piece of the body; false stops the transfer.
  virtual bool on_body(std::span<const std::byte> data) = 0;
};

struct HttpResult {
  CURLcode code = CURLE_OK;
  std::string curl_error;      // libcurl's explanation when code != CURLE_OK
  HttpResponse response;       // the final response (status 0 when none came)
  std::string url;             // the URL that answered (after redirects)
  bool custom_headers = true;  // whether the -H headers went to `url`
  bool sink_stopped = false;   // the sink aborted or stopped the transfer
  std::exception_ptr error;    // what the sink threw, if anything
  // Seconds from the request sent to the first byte of the answer, without
  // DNS, connect or TLS (libcurl's STARTTRANSFER - PRETRANSFER): the
  // server's and the path's latency. 0 when no answer came.
  double wait_s = 0;

  // One-line cause for messages: libcurl's error or the status.
  std::string cause() const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs `req`, following up to max_redirs redirects. Transport failures
  // come back in the result; a refused redirect throws Error.
  HttpResult perform(const HttpRequest& req, ResponseSink& sink);

  const HttpOptions& options() const { return options_; }
  HttpConnectionPool& connections() { return *connections_; }

 private:
  struct Exchange;
  static size_t on_header(char* data, size_t size, size_t n, void* self);
  static size_t on_write(char* data, size_t size, size_t n, void* self);

  CurlEasy make_handle();
  CurlEasy acquire();
  void release(CurlEasy easy);
  HttpResult perform_once(const HttpRequest& req, ResponseSink& sink);
  void configure(CurlEasy& easy, const HttpRequest& req, const CurlSlist& headers, Exchange& ex,
                 char* error_buffer);

  HttpOptions options_;
  // Member order: the easy handles refer to the pool's share handle and go
  // first (declared after it); no transfer of this client runs when it is
  // destroyed (perform blocks until its transfer ended).
  std::shared_ptr<HttpConnectionPool> connections_;
  std::mutex pool_mu_;
  std::vector<CurlEasy> pool_;  // idle easy handles (keep their settings cheap to reuse)
};

}  // namespace sparseio
