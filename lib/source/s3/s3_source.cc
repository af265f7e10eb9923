// The S3 source: settings, signing hook, discovery, then the HTTP source.
#include "source/s3/s3_source.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_attempt.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/http_response.h"
#include "source/http/http_source.h"
#include "source/s3/s3_error.h"
#include "source/s3/s3_session.h"
#include "source/s3/s3_settings.h"

namespace sparseio {

namespace {

// Drops whatever comes: discovery needs the headers only (and an error's
// body goes to the on_response hook).
class Discard : public ResponseSink {
 public:
  Action on_headers(const HttpResponse&) override { return Action::kDiscard; }
  bool on_body(std::span<const std::byte>) override { return true; }
};

}  // namespace

S3Source::S3Source(const std::string& uri, const S3Options& o, HttpOptions http,
                   const s3::AwsEnvironment& env)
    : name_(uri) {
  const s3::S3Location loc = s3::parse_s3_uri(uri);
  S3Options opts = o;  // a listed object is signed for the region its bucket answered the listing from
  if (o.listed && !o.listed->region.empty()) opts.region = o.listed->region;
  s3::OpenedSession opened = s3::open_session(name_, loc.bucket, opts, std::move(http), env);
  state_ = std::move(opened.session);
  s3::S3Endpoint& endpoint = opened.endpoint;
  std::unique_ptr<HttpClient> client = std::move(opened.client);
  s3::Session& st = *state_;
  if (o.listed) {
    from_listing(loc, endpoint, *o.listed, std::move(client));
    return;
  }

  std::string version = o.pinned_version;
  bool region_followed = false;
  HttpResult head;
  std::string url;
  for (;;) {
    url = s3::object_url(endpoint, loc, version);
    HttpRequest req;
    req.url = url;
    req.head = true;
    Discard sink;
    head = perform_with_retries(*client, req, sink, name_, "HEAD");
    if (head.code != CURLE_OK)
      throw Error(fmt::format("{}: {}: {}", name_, redact_url(url), head.cause()), curl_kind(head.code));
    const long status = head.response.status();
    if (status >= 200 && status < 300) break;
    if (s3::follow_bucket_region(st, endpoint, head.response, region_followed)) continue;
    if (!version.empty() && (status == 404 || status == 400)) {
      log::warn("{}: version {} recorded for the destination is gone; looking at the current version", name_,
                version);
      version.clear();
      continue;
    }
    // HEAD answers carry no body: ask with a GET for S3's explanation (the
    // on_response hook throws it), else go by the status.
    HttpRequest probe;
    probe.url = url;
    probe.range = ByteRange{0, 1};
    perform_with_retries(*client, probe, sink, name_, "GET bytes=0-0");
    std::rethrow_exception(
        s3::s3_error(name_, "HEAD", status, std::nullopt, st.credential_source, st.secret_source));
  }

  HttpSource::Discovered found;
  auto length = head.response.header("content-length");
  auto size = length ? parse_decimal(*length) : std::nullopt;
  if (!size) throw Error(fmt::format("{}: the answer to HEAD has no valid Content-Length", name_));
  found.size = *size;
  found.latency_s = head.wait_s;
  found.identity.size = *size;
  found.identity.etag = head.response.header("etag").value_or("");
  // The object's name is part of its identity, as a URL is for HTTP: a DST
  // is never completed from another key (or bucket) whose bytes happen to
  // have the same size and ETag. Not the endpoint: it may be spelled several
  // ways (and the region followed changes it), the object stays the same.
  found.identity.url = fmt::format("s3://{}/{}", loc.bucket, loc.key);
  std::string answered_version = head.response.header("x-amz-version-id").value_or("");
  if (answered_version == "null") answered_version.clear();  // unversioned object in a suspended bucket
  if (!answered_version.empty()) {
    found.identity.version_id = answered_version;
    found.target = s3::object_url(endpoint, loc, answered_version);  // pinned: no If-Match needed
  } else {
    found.target = url;
    found.validator = found.identity.etag;
    if (found.validator.empty())
      log::warn("{}: the server sent no ETag: a change of the object cannot be detected", name_);
  }
  target_ = found.target;
  log::info("{}: {} bytes, ETag {}, version {}{}", name_, found.size,
            found.identity.etag.empty() ? "-" : found.identity.etag,
            found.identity.version_id.empty() ? "- (If-Match on every GET)" : found.identity.version_id,
            !version.empty() ? " (the version the destination was started from)" : "");
  http_ = std::make_unique<HttpSource>(name_, std::move(client), std::move(found));
}

void S3Source::from_listing(const s3::S3Location& loc, const s3::S3Endpoint& endpoint, const S3Listed& listed,
                            std::unique_ptr<HttpClient> client) {
  state_->listed = true;
  HttpSource::Discovered found;
  found.size = listed.size;
  found.latency_s = listed.latency_s;
  found.identity.size = listed.size;
  found.identity.etag = listed.etag;
  found.identity.url = fmt::format("s3://{}/{}", loc.bucket, loc.key);  // as after a HEAD
  // A listing names no version: every GET sends If-Match with the listed
  // ETag, so an overwrite since the listing is a 412, never mixed bytes.
  found.target = target_ = s3::object_url(endpoint, loc);
  found.validator = listed.etag;
  if (found.validator.empty())
    log::warn("{}: the listing gave no ETag: a change of the object cannot be detected", name_);
  log::debug("{}: {} bytes, ETag {} (from the listing: no HEAD)", name_, found.size,
             listed.etag.empty() ? "-" : listed.etag);
  http_ = std::make_unique<HttpSource>(name_, std::move(client), std::move(found));
}

S3Source::~S3Source() = default;

uint64_t S3Source::size() const { return http_->size(); }

SourceIdentity S3Source::identity() const { return http_->identity(); }

double S3Source::latency_hint_s() const { return http_->latency_hint_s(); }

size_t S3Source::read_at(uint64_t offset, std::span<std::byte> buf) {
  s3::AdaptiveLimit::Slot slot(state_->limit);
  return http_->read_at(offset, buf);
}

void S3Source::fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link) {
  s3::AdaptiveLimit::Slot slot(state_->limit);
  http_->fetch_into(r, out, link);
}

}  // namespace sparseio
