// Servers that ignore Range (python's http.server, nginx with max_ranges 0,
// many simple servers): finding out whether ranges work, and reading the
// object from offset 0 in one streaming GET when they do not.
//
// Kept apart from http_source.cc: the ranged path stays as it is, and a
// server with range support never comes here.
#include <fmt/format.h>

#include "core/errors.h"
#include "core/run_control.h"
#include "source/http/http_attempt.h"
#include "source/http/http_body.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/http_retry.h"
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
      check_identity_encoding(src_.name_, r);
      if (auto length = content_length_of(r); length && *length != src_.size_) src_.size_differs(*length);
      return Action::kBody;
    }
    if (is_retryable_status(status_)) {
      retry_after_ = retry_after_of(r);
      return Action::kDiscard;
    }
    throw Error(fmt::format("{}: HTTP {} for the whole object", src_.name_, status_text(status_)),
                status_kind(status_));
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
  if (got.code != CURLE_OK && !got.sink_stopped)
    throw Error(fmt::format("{}: {}", name_, got.cause()), curl_kind(got.code));
  return got.response.status() != 200;
}

void HttpSource::fetch_in_one_stream(ByteRange r, ExtentWriter& out) {
  if (r.begin != 0)
    throw Error(fmt::format(
        "{}: the server does not support range requests, so bytes {}-{} cannot be fetched alone: fetch from "
        "offset 0 (-r 0-{}), which reads the object in one stream",
        name_, r.begin, r.end - 1, r.end - 1));
  if (!said_one_stream_.exchange(true)) {
    RunEvent e;
    e.kind = RunEvent::Kind::kWarning;
    e.message = fmt::format("{}: the server does not support ranges: fetching in one stream", name_);
    report_event(client_->options().control, e);
  }
  uint64_t pos = 0;
  retry_loop([&](bool fresh) {
    StreamSink sink(*this, pos, r.end, out);
    HttpRequest req;
    req.url = target_;
    req.custom_headers = target_headers_;
    req.fresh_connection = fresh;
    const uint64_t before = pos;
    HttpResult res = client_->perform(req, sink);
    if (res.error) {
      // Found invalid part-way: record none of this answer (unless the writer
      // only stopped taking bytes: those it took are good).
      if (!is_writer_stopped(res.error)) out.discard_from(before);
      std::rethrow_exception(res.error);
    }
    pos = sink.flush();  // a cut-short body keeps its valid prefix
    Attempt a;
    a.what = fmt::format("bytes 0-{} in one stream", r.end - 1);
    a.progressed = pos > before;
    if (pos == r.end) {
      a.done = true;
    } else if (stop_requested(client_->options().control)) {
      throw InterruptedError(fmt::format("{}: {}: interrupted", name_, a.what));
    } else if (res.code == CURLE_OK && sink.status() == 200) {
      a.cause =
          fmt::format("the body ended at offset {}, before {}; reading again from offset 0", pos, r.end);
    } else if (res.code == CURLE_OK && is_retryable_status(sink.status())) {
      a.cause = fmt::format("HTTP {}", status_text(sink.status()));
      a.retry_after = sink.retry_after();
    } else if (auto cause = transport_failure(res)) {
      a.cause = *cause;
      a.fresh_connection = needs_fresh_connection(res.code, res.curl_error);
    } else {
      throw Error(fmt::format("{}: {}: {}", name_, a.what, res.cause()), curl_kind(res.code));
    }
    return a;
  });
}

}  // namespace sparseio
