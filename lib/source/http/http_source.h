// An http:// or https:// URL as a Source. Discovery (HEAD, else a bytes=0-0
// probe) finds the size and the validators (ETag, Last-Modified) that make
// up the identity, with the URL (url_identity.h). Every ranged request carries If-Range, and its answer is
// checked (status, Content-Range, Content-Length, validators) before any of
// its body is delivered, so that bytes of two versions never mix.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "source/http/http_options.h"
#include "source/http/http_retry.h"
#include "source/source.h"

namespace sparseio {

class HttpClient;
class HttpResponse;
struct HttpAttempt;
class ResponseSink;
struct HttpRequest;
struct HttpResult;

class HttpSource : public Source {
 public:
  // Discovers size and identity; throws Error naming the URL when the
  // server cannot be reached or gives no usable size (suggesting --size).
  HttpSource(const std::string& url, HttpOptions options);

  // What another protocol's discovery (S3) found: no request is made here.
  struct Discovered {
    std::string target;  // the URL of the ranged GETs
    uint64_t size = 0;
    SourceIdentity identity;  // its ETag is checked on every answer
    std::string validator;    // sent as If-Range (If-Match with HttpOptions::if_match); "" for none
    double latency_s = 0;     // how long discovery's request waited for its answer (HttpResult::wait_s)
  };
  // A source named `name` (messages) whose ranged GETs go through `client`.
  HttpSource(std::string name, std::unique_ptr<HttpClient> client, Discovered found);
  ~HttpSource() override;

  // The URL with any password hidden.
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return size_; }
  SourceIdentity identity() const override { return identity_; }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override;
  // One ranged GET (more after retries: a body cut short keeps its prefix
  // and only the rest is asked for again). Throws SourceChangedError when
  // the object changed, Error otherwise. `link` hears each answer's first
  // byte, and each 429, 503 or failed connection.
  using Source::fetch_into;
  void fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link) override;
  uint64_t default_chunk_size() const override { return kHttpDefaultChunkSize; }
  // False when the server ignores Range (found by discovery): then only
  // ranges from offset 0 can be fetched, in one streaming GET.
  bool supports_ranges() const override { return ranges_; }
  bool remote() const override { return true; }
  double latency_hint_s() const override { return latency_s_; }

 private:
  class RangeSink;
  friend class RangeSink;

  struct Found;                 // what discovery learned
  using Attempt = HttpAttempt;  // the outcome of one try of a request (http_attempt.h)

  void discover();
  Found ask_head();
  void ask_first_byte(Found& found);  // when HEAD was refused or gave no size
  void settle_size(std::optional<uint64_t> length);
  void settle_identity(const HttpResponse& validators);

  // run_retry_loop (http_attempt.h) with this source's name, policy and
  // RunControl: throws Error when the RetryBudget is spent.
  void retry_loop(const std::function<Attempt(bool fresh_connection)>& attempt);
  // `req` until a non-transient answer, which is returned (perform_with_retries).
  HttpResult request_with_retries(const HttpRequest& req, ResponseSink& sink, const std::string& what);
  // Throws SourceChangedError when `r` carries validators unlike ours.
  void check_validators(const HttpResponse& r) const;
  [[noreturn]] void changed(const std::string& how) const;
  // The server gave another size: changed, or --size was wrong.
  [[noreturn]] void size_differs(uint64_t server_size) const;

  std::string name_;
  std::unique_ptr<HttpClient> client_;
  RetryPolicy policy_;
  std::string target_;
  bool target_headers_ = true;  // whether -H headers go to target_
  uint64_t size_ = 0;
  SourceIdentity identity_;
  std::string if_range_;
  double latency_s_ = 0;  // discovery's HEAD, answered or refused: HttpResult::wait_s

  // http_one_stream.cc: servers without range support.
  class StreamSink;
  friend class StreamSink;
  // From HEAD's Accept-Ranges, else the status of a bytes=0-0 probe (made
  // here when discovery made none).
  bool find_range_support(const HttpResponse* head, std::optional<long> probe_status);
  void fetch_in_one_stream(ByteRange r, ExtentWriter& out);
  bool ranges_ = true;
  std::atomic<bool> said_one_stream_{false};
};

}  // namespace sparseio
