#include "source/http/http_source.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_body.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"

namespace sparseio {
namespace {

bool same_validator(std::string_view a, std::string_view b) {
  if (a.starts_with("W/")) a.remove_prefix(2);
  if (b.starts_with("W/")) b.remove_prefix(2);
  return a == b;
}

// Keeps the final response's headers; drops a short body and stops a
// 200 (the whole object, from a server that ignored Range).
class HeadersOnly : public ResponseSink {
 public:
  explicit HeadersOnly(bool head) : head_(head) {}
  Action on_headers(const HttpResponse& r) override {
    return !head_ && r.status() == 200 ? Action::kAbort : Action::kDiscard;
  }
  bool on_body(std::span<const std::byte>) override { return true; }

 private:
  bool head_;
};

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

// Validates the answer to one ranged GET and delivers its body to `out`
// (block-aligned). Runs on the engine thread; flush() after the transfer.
class HttpSource::RangeSink : public ResponseSink {
 public:
  RangeSink(const HttpSource& src, ByteRange want, ExtentWriter& out)
      : src_(src), want_(want), out_(out), body_(out, want.begin, want.size()) {}

  Action on_headers(const HttpResponse& r) override {
    out_.response_started();  // the scheduler's time to first byte
    status_ = r.status();
    if (status_ == 412) src_.changed("the server answered 412 Precondition Failed to If-Range");
    if (status_ >= 200 && status_ < 300) {
      src_.check_validators(r);
      if (auto enc = r.header("content-encoding"); enc && !enc->empty() && *enc != "identity")
        throw Error(fmt::format("{}: the server sent Content-Encoding: {}, so its bytes are not the object's",
                                src_.name_, *enc));
    }
    if (status_ == 206) {
      std::optional<ContentRange> cr;
      if (auto v = r.header("content-range")) cr = parse_content_range(*v);
      std::optional<uint64_t> length;
      if (auto v = r.header("content-length")) length = parse_decimal(*v);
      RangeCheck check = check_partial_response(cr, length, want_, src_.size_);
      if (check.verdict == RangeVerdict::kSizeChanged) src_.size_differs(*cr->total);
      if (check.verdict == RangeVerdict::kMismatch) throw Error(fmt::format("{}: {}", src_.name_, check.why));
      body_end_ = cr->last + 1;
      return Action::kBody;
    }
    if (status_ == 200) {
      if (auto v = r.header("content-length")) {
        auto length = parse_decimal(*v);
        if (length && *length != src_.size_) src_.size_differs(*length);
      }
      if (want_.begin != 0)
        throw Error(
            fmt::format("{}: the server does not support range requests (it answered 200 with the "
                        "whole object to bytes={}-{})",
                        src_.name_, want_.begin, want_.end - 1));
      body_end_ = want_.end;  // the object's first bytes are what we want: keep them, stop after
      whole_ = true;
      return Action::kBody;
    }
    if (status_ == 416) {
      std::optional<ContentRange> cr;
      if (auto v = r.header("content-range")) cr = parse_content_range(*v);
      if (cr && cr->total && *cr->total != src_.size_) src_.size_differs(*cr->total);
      throw Error(
          fmt::format("{}: bytes {}-{} are out of range: the server answered 416 Range Not Satisfiable "
                      "(object size {})",
                      src_.name_, want_.begin, want_.end - 1, src_.size_));
    }
    if (is_retryable_status(status_)) {
      if (auto v = r.header("retry-after")) retry_after_ = parse_retry_after(*v, std::time(nullptr));
      return Action::kDiscard;
    }
    throw Error(fmt::format("{}: HTTP {} for bytes {}-{}", src_.name_, status_text(status_), want_.begin,
                            want_.end - 1));
  }

  bool on_body(std::span<const std::byte> data) override {
    const uint64_t pos = body_.received();
    if (pos + data.size() > body_end_) {
      if (!whole_)
        throw Error(fmt::format("{}: the server sent more bytes than its Content-Range said ({}-{})",
                                src_.name_, want_.begin, body_end_ - 1));
      data = data.first(static_cast<size_t>(body_end_ - pos));
    }
    body_.write(data);
    return !(whole_ && body_.received() == body_end_);
  }

  // Delivers what is held back; returns the offset `out` has bytes up to.
  uint64_t flush() {
    body_.flush();
    return body_.delivered();
  }

  long status() const { return status_; }
  uint64_t body_end() const { return body_end_; }
  std::optional<double> retry_after() const { return retry_after_; }

 private:
  const HttpSource& src_;
  ByteRange want_;
  ExtentWriter& out_;
  AlignedForwarder body_;
  long status_ = 0;
  uint64_t body_end_ = 0;
  bool whole_ = false;
  std::optional<double> retry_after_;
};

HttpSource::HttpSource(const std::string& url, HttpOptions options)
    : name_(redact_url(url)),
      client_(std::make_unique<HttpClient>(std::move(options))),
      policy_(RetryPolicy::from(client_->options())),
      target_(url) {
  discover();
}

HttpSource::~HttpSource() = default;

std::string HttpSource::retries_note() const {
  if (policy_.retries == 0) return "";
  return fmt::format(" after {} {}", policy_.retries, policy_.retries == 1 ? "retry" : "retries");
}

void HttpSource::changed(const std::string& how) const {
  throw SourceChangedError(
      fmt::format("{} changed while it was being fetched ({}); what was fetched before stays recorded for "
                  "the old version: "
                  "rerun with --restart to start over",
                  name_, how));
}

void HttpSource::size_differs(uint64_t server_size) const {
  if (client_->options().size)
    throw Error(
        fmt::format("{}: the server says the object has {} bytes, not --size {}", name_, server_size, size_));
  changed(fmt::format("size {} -> {}", size_, server_size));
}

void HttpSource::check_validators(const HttpResponse& r) const {
  if (!identity_.etag.empty())
    if (auto e = r.header("etag"); e && !same_validator(*e, identity_.etag))
      changed(fmt::format("ETag {} -> {}", identity_.etag, *e));
  if (!identity_.last_modified.empty())
    if (auto lm = r.header("last-modified"); lm && *lm != identity_.last_modified)
      changed(fmt::format("Last-Modified {} -> {}", identity_.last_modified, *lm));
}

HttpResult HttpSource::request_with_retries(const HttpRequest& req, ResponseSink& sink,
                                            const std::string& what) {
  for (unsigned retry = 1;; ++retry) {
    HttpResult r = client_->perform(req, sink);
    if (r.error) std::rethrow_exception(r.error);
    bool transient =
        r.code != CURLE_OK ? is_retryable_curl(r.code) : is_retryable_status(r.response.status());
    if (!transient) return r;
    std::optional<double> after;
    if (auto v = r.response.header("retry-after")) after = parse_retry_after(*v, std::time(nullptr));
    if (retry > policy_.retries)
      throw Error(fmt::format("{}: {} failed{}: {}", name_, what, retries_note(), r.cause()));
    double d = policy_.delay(retry, jitter_draw(), after);
    log::info("{}: {}: {}; retry {} of {} in {:.2f}s", name_, what, r.cause(), retry, policy_.retries, d);
    sleep_s(d);
  }
}

void HttpSource::discover() {
  const HttpOptions& o = client_->options();
  HeadersOnly drop_head(true), drop_body(false);
  HttpRequest head_req;
  head_req.url = target_;
  head_req.head = true;
  HttpResult head = request_with_retries(head_req, drop_head, "HEAD");
  if (head.code != CURLE_OK) throw Error(fmt::format("{}: {}", name_, head.cause()));
  std::optional<uint64_t> length;
  HttpResponse validators;
  const bool head_ok = head.response.status() >= 200 && head.response.status() < 300;
  if (head_ok) {
    target_ = head.url;
    target_headers_ = head.custom_headers;
    validators = head.response;
    if (auto v = head.response.header("content-length")) length = parse_decimal(*v);
  }
  if (!head_ok || (!o.size && length.value_or(0) == 0)) {
    // HEAD refused, or no usable Content-Length: ask for the first byte;
    // Content-Range tells the total.
    HttpRequest probe;
    probe.url = target_;
    probe.range = ByteRange{0, 1};
    probe.custom_headers = target_headers_;
    HttpResult got = request_with_retries(probe, drop_body, "GET bytes=0-0");
    if (got.code != CURLE_OK && !got.sink_stopped) throw Error(fmt::format("{}: {}", name_, got.cause()));
    const long status = got.response.status();
    std::optional<ContentRange> cr;
    if (auto v = got.response.header("content-range")) cr = parse_content_range(*v);
    length.reset();
    if ((status == 206 || status == 416) && cr && cr->total)
      length = *cr->total;
    else if (status == 200 && got.response.header("content-length"))
      length = parse_decimal(*got.response.header("content-length"));
    else if (status >= 300 && status != 416)
      throw Error(fmt::format("{}: HTTP {}", name_, status_text(status)));
    if (status >= 200 && status < 300) {
      target_ = got.url;
      target_headers_ = got.custom_headers;
      if (!validators.header("etag") && !validators.header("last-modified")) validators = got.response;
    }
    if (!length && !o.size)
      throw Error(
          fmt::format("{}: cannot find the size of the object (no Content-Length on HEAD, no total in "
                      "Content-Range of a bytes=0-0 request); give it with --size N",
                      name_));
  }
  // value_or, not *length: g++ 12 -fPIC -O2 takes *length for maybe-uninitialized.
  size_ = o.size ? *o.size : length.value_or(0);
  const uint64_t server_size = length.value_or(0);
  if (o.size && server_size != 0 && server_size != *o.size)
    log::warn("{}: the server says the size is {}, --size says {}; using --size", name_, server_size, *o.size);

  identity_.size = size_;
  std::string etag = validators.header("etag").value_or("");
  std::string lm = validators.header("last-modified").value_or("");
  if (is_strong_etag(etag)) {
    identity_.etag = etag;
    if_range_ = etag;
  } else {
    identity_.etag = etag;
    identity_.last_modified = lm;
    if_range_ = lm;
  }
  if (if_range_.empty())
    log::warn(
        "{}: the server sends neither a strong ETag nor Last-Modified: a change of the object that "
        "keeps its size cannot be detected",
        name_);
  log::info("{}: {} bytes, ETag {}, Last-Modified {}{}", name_, size_, etag.empty() ? "-" : etag,
            lm.empty() ? "-" : lm,
            redact_url(target_) == name_ ? "" : fmt::format(", at {}", redact_url(target_)));
}

void HttpSource::fetch_into(ByteRange r, ExtentWriter& out) {
  if (r.end > size_)
    throw Error(fmt::format("{}: bytes {}-{} are past the end ({} bytes)", name_, r.begin, r.end - 1, size_));
  uint64_t pos = r.begin;
  unsigned failures = 0, backoff = 0;
  while (pos < r.end) {
    const ByteRange want{pos, r.end};
    RangeSink sink(*this, want, out);
    HttpRequest req;
    req.url = target_;
    req.range = want;
    req.if_range = if_range_;
    req.custom_headers = target_headers_;
    const uint64_t before = pos;
    HttpResult res = client_->perform(req, sink);
    if (res.error) std::rethrow_exception(res.error);
    pos = sink.flush();        // a cut-short body keeps its valid prefix
    if (pos == r.end) return;  // all of it (a 200 at offset 0 stops the transfer on purpose)
    std::string cause;
    if (res.code == CURLE_OK && (sink.status() == 206 || sink.status() == 200)) {
      cause = fmt::format("the body ended at offset {}, before {}", pos, sink.body_end());
    } else if (res.code == CURLE_OK && is_retryable_status(sink.status())) {
      cause = fmt::format("HTTP {}", status_text(sink.status()));
    } else if (res.code != CURLE_OK && is_retryable_curl(res.code)) {
      cause = res.cause();
      if (pos > before) cause += fmt::format(" (after {} bytes, kept)", pos - before);
    } else {
      throw Error(fmt::format("{}: bytes {}-{}: {}", name_, want.begin, want.end - 1, res.cause()));
    }
    if (pos > before) backoff = 0;  // progress: start the backoff over
    if (++failures > policy_.retries)
      throw Error(fmt::format("{}: bytes {}-{}: giving up{}: {}", name_, want.begin, want.end - 1,
                              retries_note(), cause));
    // The scheduler backs off when the server pushes back or a connection fails.
    if (res.code != CURLE_OK || sink.status() == 429 || sink.status() == 503) out.throttled();
    double d = policy_.delay(++backoff, jitter_draw(), sink.retry_after());
    log::info("{}: bytes {}-{}: {}; retry {} of {} in {:.2f}s", name_, want.begin, want.end - 1, cause,
              failures, policy_.retries, d);
    sleep_s(d);
  }
}

size_t HttpSource::read_at(uint64_t offset, std::span<std::byte> buf) {
  if (offset >= size_ || buf.empty()) return 0;
  const ByteRange r{offset, std::min<uint64_t>(size_, offset + buf.size())};
  struct Memory : ExtentWriter {
    std::span<std::byte> buf;
    uint64_t base;
    void write(uint64_t off, std::span<const std::byte> data) override {
      std::copy(data.begin(), data.end(), buf.begin() + static_cast<ptrdiff_t>(off - base));
    }
    void write_zeros(ByteRange z) override {
      std::fill(buf.begin() + static_cast<ptrdiff_t>(z.begin - base),
                buf.begin() + static_cast<ptrdiff_t>(z.end - base), std::byte{0});
    }
  } memory;
  memory.buf = buf;
  memory.base = offset;
  fetch_into(r, memory);
  return static_cast<size_t>(r.size());
}

}  // namespace sparseio
