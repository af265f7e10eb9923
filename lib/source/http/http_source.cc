#include "source/http/http_source.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_attempt.h"
#include "source/http/http_body.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/url_identity.h"

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

}  // namespace

struct HttpSource::Found {
  bool head_ok = false;  // HEAD was answered with a 2xx
  std::optional<uint64_t> length;
  HttpResponse validators;           // the response whose ETag / Last-Modified identify the object
  std::optional<HttpResponse> head;  // HEAD's answer, when it was a 2xx (its Accept-Ranges)
  std::optional<long> probe_status;  // of the bytes=0-0 probe, when one was made
};

// Validates the answer to one ranged GET and delivers its body to `out`
// (block-aligned). Runs on the engine thread; flush() after the transfer.
class HttpSource::RangeSink : public ResponseSink {
 public:
  RangeSink(const HttpSource& src, ByteRange want, ExtentWriter& out, LinkObserver& link)
      : src_(src), want_(want), link_(link), body_(out, want.begin, want.size()) {}

  Action on_headers(const HttpResponse& r) override {
    link_.response_started();  // the scheduler's time to first byte
    status_ = r.status();
    if (status_ == 412)
      src_.changed(fmt::format("the server answered 412 Precondition Failed to {}",
                               src_.client_->options().if_match ? "If-Match" : "If-Range"));
    if (is_success(status_)) check_representation(r);
    if (status_ == 206) return accept_partial(r);
    if (status_ == 200) return accept_whole(r);
    if (status_ == 416) refuse_unsatisfiable(r);
    if (is_retryable_status(status_)) {
      retry_after_ = retry_after_of(r);
      return Action::kDiscard;
    }
    throw Error(fmt::format("{}: HTTP {} for bytes {}-{}", src_.name_, status_text(status_), want_.begin,
                            want_.end - 1),
                status_kind(status_));
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
  // The body must be the object's bytes as they are, in one piece.
  void check_representation(const HttpResponse& r) const {
    src_.check_validators(r);
    check_identity_encoding(src_.name_, r);
    if (auto type = r.header("content-type");
        type && header_name_equals(type->substr(0, 20), "multipart/byteranges"))
      throw Error(
          fmt::format("{}: the server answered bytes={}-{} with a multipart/byteranges body, which "
                      "sparseio does not accept",
                      src_.name_, want_.begin, want_.end - 1));
  }

  Action accept_partial(const HttpResponse& r) {
    const std::optional<ContentRange> cr = content_range_of(r);
    RangeCheck check = check_partial_response(cr, content_length_of(r), want_, src_.size_);
    if (check.verdict == RangeVerdict::kSizeChanged) src_.size_differs(*cr->total);
    if (check.verdict == RangeVerdict::kMismatch) throw Error(fmt::format("{}: {}", src_.name_, check.why));
    body_end_ = cr->last + 1;
    return Action::kBody;
  }

  Action accept_whole(const HttpResponse& r) {
    if (auto length = content_length_of(r); length && *length != src_.size_) src_.size_differs(*length);
    if (want_.begin != 0)
      throw Error(
          fmt::format("{}: the server does not support range requests (it answered 200 with the "
                      "whole object to bytes={}-{}): fetch from offset 0 (-r 0-{}), which reads the "
                      "object in one stream",
                      src_.name_, want_.begin, want_.end - 1, want_.end - 1));
    body_end_ = want_.end;  // the object's first bytes are what we want: keep them, stop after
    whole_ = true;
    return Action::kBody;
  }

  [[noreturn]] void refuse_unsatisfiable(const HttpResponse& r) const {
    if (auto cr = content_range_of(r); cr && cr->total && *cr->total != src_.size_)
      src_.size_differs(*cr->total);
    throw Error(
        fmt::format("{}: bytes {}-{} are out of range: the server answered 416 Range Not Satisfiable "
                    "(object size {})",
                    src_.name_, want_.begin, want_.end - 1, src_.size_));
  }

  const HttpSource& src_;
  ByteRange want_;
  LinkObserver& link_;
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
  identity_.url = url_identity(url);
  discover();
}

HttpSource::HttpSource(std::string name, std::unique_ptr<HttpClient> client, Discovered found)
    : name_(std::move(name)),
      client_(std::move(client)),
      policy_(RetryPolicy::from(client_->options())),
      target_(std::move(found.target)),
      size_(found.size),
      identity_(std::move(found.identity)),
      if_range_(std::move(found.validator)),
      latency_s_(found.latency_s) {}

HttpSource::~HttpSource() = default;

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

void HttpSource::retry_loop(const std::function<Attempt(bool fresh_connection)>& attempt) {
  run_retry_loop(name_, policy_, client_->options().control, attempt);
}

HttpResult HttpSource::request_with_retries(const HttpRequest& req, ResponseSink& sink,
                                            const std::string& what) {
  return perform_with_retries(*client_, req, sink, name_, what);
}

void HttpSource::discover() {
  Found found = ask_head();
  if (!found.head_ok || (!client_->options().size && (!found.length || *found.length == 0)))
    ask_first_byte(found);
  settle_size(found.length);
  ranges_ = find_range_support(found.head ? &*found.head : nullptr, found.probe_status);
  settle_identity(found.validators);
}

HttpSource::Found HttpSource::ask_head() {
  HeadersOnly drop(true);
  HttpRequest req;
  req.url = target_;
  req.head = true;
  HttpResult head = request_with_retries(req, drop, "HEAD");
  if (head.code != CURLE_OK) throw Error(fmt::format("{}: {}", name_, head.cause()), curl_kind(head.code));
  latency_s_ = head.wait_s;
  Found found;
  if (!is_success(head.response.status())) return found;  // HEAD refused: the probe decides
  target_ = head.url;
  target_headers_ = head.custom_headers;
  found.validators = head.response;
  found.head = head.response;
  found.head_ok = true;
  found.length = content_length_of(head.response);
  return found;
}

void HttpSource::ask_first_byte(Found& found) {
  // HEAD refused, or no usable Content-Length: ask for the first byte;
  // Content-Range tells the total.
  HeadersOnly drop(false);
  HttpRequest req;
  req.url = target_;
  req.range = ByteRange{0, 1};
  req.custom_headers = target_headers_;
  HttpResult got = request_with_retries(req, drop, "GET bytes=0-0");
  if (got.code != CURLE_OK && !got.sink_stopped)
    throw Error(fmt::format("{}: {}", name_, got.cause()), curl_kind(got.code));
  const long status = got.response.status();
  found.probe_status = status;
  const std::optional<ContentRange> cr = content_range_of(got.response);
  found.length.reset();
  if ((status == 206 || status == 416) && cr && cr->total)
    found.length = *cr->total;
  else if (status == 200)
    found.length = content_length_of(got.response);
  else if (status >= 300 && status != 416)
    throw Error(fmt::format("{}: HTTP {}", name_, status_text(status)), status_kind(status));
  if (is_success(status)) {
    target_ = got.url;
    target_headers_ = got.custom_headers;
    if (!found.validators.header("etag") && !found.validators.header("last-modified"))
      found.validators = got.response;
  }
}

void HttpSource::settle_size(std::optional<uint64_t> length) {
  const std::optional<uint64_t> given = client_->options().size;
  if (!length && !given)
    throw Error(
        fmt::format("{}: cannot find the size of the object (no Content-Length on HEAD, no total in "
                    "Content-Range of a bytes=0-0 request); give it with --size N",
                    name_));
  // value_or, not *length: g++ 12 -fPIC -O2 takes *length for maybe-uninitialized.
  size_ = given ? *given : length.value_or(0);
  const uint64_t server_size = length.value_or(0);
  if (given && server_size != 0 && server_size != *given)
    log::warn("{}: the server says the size is {}, --size says {}; using --size", name_, server_size, *given);
  identity_.size = size_;
}

void HttpSource::settle_identity(const HttpResponse& validators) {
  const std::string etag = validators.header("etag").value_or("");
  const std::string lm = validators.header("last-modified").value_or("");
  identity_.etag = etag;
  if (is_strong_etag(etag)) {
    if_range_ = etag;
  } else {
    identity_.last_modified = lm;
    if_range_ = lm;
  }
  if (etag.empty() && lm.empty())
    log::warn(
        "{}: the server sends neither an ETag nor Last-Modified: a change of the object that keeps its size "
        "cannot be detected",
        name_);
  else if (if_range_.empty())
    log::warn(
        "{}: the server sends only a weak ETag {} (no Last-Modified): it is checked on every response, but a "
        "weak ETag may stay the same when the bytes change",
        name_, etag);
  log::info("{}: {} bytes, ETag {}, Last-Modified {}{}", name_, size_, etag.empty() ? "-" : etag,
            lm.empty() ? "-" : lm,
            redact_url(target_) == name_ ? "" : fmt::format(", at {}", redact_url(target_)));
}

void HttpSource::fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link) {
  if (r.end > size_)
    throw Error(fmt::format("{}: bytes {}-{} are past the end ({} bytes)", name_, r.begin, r.end - 1, size_));
  if (!ranges_) return fetch_in_one_stream(r, out);
  uint64_t pos = r.begin;
  retry_loop([&](bool fresh) {
    const ByteRange want{pos, r.end};
    RangeSink sink(*this, want, out, link);
    HttpRequest req;
    req.url = target_;
    req.range = want;
    req.if_range = if_range_;
    req.custom_headers = target_headers_;
    req.fresh_connection = fresh;
    HttpResult res = client_->perform(req, sink);
    if (res.error) {
      // Found invalid (or unwritable) part-way: none of this response's bytes
      // may be recorded, even those already written. A writer that stopped
      // taking bytes (the reader went away) said nothing against them.
      if (!is_writer_stopped(res.error)) out.discard_from(want.begin);
      std::rethrow_exception(res.error);
    }
    pos = sink.flush();  // a cut-short body keeps its prefix
    Attempt a;
    a.what = fmt::format("bytes {}-{}", want.begin, want.end - 1);
    a.progressed = pos > want.begin;
    if (pos == r.end) {  // all of it (a 200 at offset 0 stops the transfer on purpose)
      a.done = true;
    } else if (stop_requested(client_->options().control)) {
      throw InterruptedError(fmt::format("{}: bytes {}-{}: interrupted", name_, pos, r.end - 1));
    } else if (res.code == CURLE_OK && (sink.status() == 206 || sink.status() == 200)) {
      a.cause = fmt::format("the body ended at offset {}, before {}", pos, sink.body_end());
    } else if (res.code == CURLE_OK && is_retryable_status(sink.status())) {
      a.cause = fmt::format("HTTP {}", status_text(sink.status()));
      a.retry_after = sink.retry_after();
      // The scheduler backs off when the server pushes back.
      if (sink.status() == 429 || sink.status() == 503) link.throttled();
    } else if (auto cause = transport_failure(res)) {
      link.throttled();  // and when a connection fails
      a.cause = *cause;
      if (a.progressed) a.cause += fmt::format(" (after {} bytes, kept)", pos - want.begin);
      a.fresh_connection = needs_fresh_connection(res.code, res.curl_error);
    } else {
      throw Error(fmt::format("{}: {}: {}", name_, a.what, res.cause()), curl_kind(res.code));
    }
    return a;
  });
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
