// Servers that ignore Range (python's http.server, nginx with max_ranges 0,
// many simple servers): finding out whether ranges work, and reading the
// object from offset 0 in one streaming GET when they do not.
//
// Kept apart from http_source.cc: the ranged path stays as it is, and a
// server with range support never comes here.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_body.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/http_source.h"

namespace sparseio {
namespace {

// Keeps the headers of a bytes=0-0 probe; a 200 (the whole object) is
// stopped at once rather than downloaded.
class ProbeSink : public ResponseSink {
 public:
  Action on_headers(const HttpResponse& r) override {
    return r.status() == 200 ? Action::kAbort : Action::kDiscard;
  }
  bool on_body(std::span<const std::byte>) override { return true; }
};

bool advertises_bytes(const HttpResponse& r) {
  std::optional<std::string> v = r.header("accept-ranges");
  return v && v->find("bytes") != std::string::npos;
}

}  // namespace

// The answer to a plain GET: the whole object. Delivers bytes [from, end)
// of it to `out` (the bytes before `from` arrived in an earlier attempt and
// are skipped) and stops the transfer at `end`.
class HttpSource::StreamSink : public ResponseSink {
 public:
  StreamSink(const HttpSource& src, uint64_t from, uint64_t end, ExtentWriter& out)
      : src_(src), from_(from), end_(end), body_(out, from, end - from) {}

  Action on_headers(const HttpResponse& r) override {
    status_ = r.status();
    if (status_ == 200) {
      src_.check_validators(r);
      if (auto enc = r.header("content-encoding"); enc && !enc->empty() && *enc != "identity")
        throw Error(fmt::format("{}: the server sent Content-Encoding: {}, so its bytes are not the object's",
                                src_.name_, *enc));
      if (auto v = r.header("content-length")) {
        auto length = parse_decimal(*v);
        if (length && *length != src_.size_) src_.size_differs(*length);
      }
      return Action::kBody;
    }
    if (is_retryable_status(status_)) {
      if (auto v = r.header("retry-after")) retry_after_ = parse_retry_after(*v, std::time(nullptr));
      return Action::kDiscard;
    }
    throw Error(fmt::format("{}: HTTP {} for the whole object", src_.name_, status_text(status_)));
  }

  bool on_body(std::span<const std::byte> data) override {
    const uint64_t at = received_;
    received_ += data.size();
    if (received_ > from_) {
      const uint64_t skip = at < from_ ? from_ - at : 0;
      const uint64_t stop = std::min(received_, end_);
      if (at + skip < stop)
        body_.write(data.subspan(static_cast<size_t>(skip), static_cast<size_t>(stop - at - skip)));
    }
    return received_ < end_;
  }

  uint64_t flush() {
    body_.flush();
    return body_.delivered();
  }
  long status() const { return status_; }
  std::optional<double> retry_after() const { return retry_after_; }

 private:
  const HttpSource& src_;
  uint64_t from_, end_;
  AlignedForwarder body_;
  uint64_t received_ = 0;
  long status_ = 0;
  std::optional<double> retry_after_;
};

bool HttpSource::find_range_support(const HttpResponse* head, std::optional<long> probe_status) {
  if (size_ == 0) return true;
  if (head && advertises_bytes(*head)) return true;
  if (probe_status) return *probe_status != 200;
  if (head) {
    if (auto v = head->header("accept-ranges"); v && *v == "none") return false;
  }
  // Not advertised: many servers support ranges without saying so. Ask.
  ProbeSink sink;
  HttpRequest probe;
  probe.url = target_;
  probe.range = ByteRange{0, 1};
  probe.custom_headers = target_headers_;
  HttpResult got = request_with_retries(probe, sink, "GET bytes=0-0");
  if (got.code != CURLE_OK && !got.sink_stopped) throw Error(fmt::format("{}: {}", name_, got.cause()));
  return got.response.status() != 200;
}

void HttpSource::fetch_in_one_stream(ByteRange r, ExtentWriter& out) {
  if (r.begin != 0)
    throw Error(fmt::format(
        "{}: the server does not support range requests, so bytes {}-{} cannot be fetched alone: fetch from "
        "offset 0 (-r 0-{}), which reads the object in one stream",
        name_, r.begin, r.end - 1, r.end - 1));
  if (!said_one_stream_.exchange(true))
    log::warn("{}: the server does not support ranges: fetching in one stream", name_);
  uint64_t pos = 0;
  unsigned failures = 0, backoff = 0;
  while (pos < r.end) {
    StreamSink sink(*this, pos, r.end, out);
    HttpRequest req;
    req.url = target_;
    req.custom_headers = target_headers_;
    const uint64_t before = pos;
    HttpResult res = client_->perform(req, sink);
    if (res.error) std::rethrow_exception(res.error);
    pos = sink.flush();  // a cut-short body keeps its valid prefix
    if (pos == r.end) return;
    std::string cause;
    if (res.code == CURLE_OK && sink.status() == 200) {
      cause = fmt::format("the body ended at offset {}, before {}", pos, r.end);
    } else if (res.code == CURLE_OK && is_retryable_status(sink.status())) {
      cause = fmt::format("HTTP {}", status_text(sink.status()));
    } else if (res.code != CURLE_OK && is_retryable_curl(res.code)) {
      cause = res.cause();
    } else {
      throw Error(fmt::format("{}: bytes 0-{}: {}", name_, r.end - 1, res.cause()));
    }
    if (pos > before) backoff = 0;
    if (++failures > policy_.retries)
      throw Error(fmt::format("{}: bytes 0-{}: giving up{}: {}", name_, r.end - 1, retries_note(), cause));
    double d = policy_.delay(++backoff, jitter_draw(), sink.retry_after());
    log::info("{}: bytes 0-{}: {}; reading again from offset 0 (kept up to {}) in {:.2f}s", name_, r.end - 1,
              cause, pos, d);
    std::this_thread::sleep_for(std::chrono::duration<double>(d));
  }
}

}  // namespace sparseio
