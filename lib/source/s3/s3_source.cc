// The S3 source: settings, signing hook, discovery, then the HTTP source.
#include "source/s3/s3_source.h"

#include <fmt/format.h>

#include <ctime>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_attempt.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/http_response.h"
#include "source/http/http_source.h"
#include "source/s3/adaptive_limit.h"
#include "source/s3/s3_error.h"
#include "source/s3/s3_settings.h"
#include "source/s3/sigv4.h"

namespace sparseio {

struct S3Source::State {
  std::string name;
  s3::Credentials creds;
  std::string credential_source, secret_source;
  std::string region;                   // signing region; changes only during discovery
  std::vector<HttpHeader> amz_headers;  // -H x-amz-* headers: signed too
  s3::AdaptiveLimit limit;

  explicit State(unsigned jobs) : limit(jobs) {}

  // Host, x-amz-content-sha256, x-amz-date, [x-amz-security-token,] Authorization.
  std::vector<HttpHeader> sign(std::string_view method, const std::string& url) const {
    size_t scheme = url.find("://");
    size_t path_begin = url.find('/', scheme + 3);
    std::string host = url.substr(scheme + 3, path_begin - scheme - 3);
    std::string path = path_begin == std::string::npos ? "/" : url.substr(path_begin);
    s3::SigningRequest req;
    req.method = std::string(method);
    if (size_t q = path.find('?'); q != std::string::npos) {
      std::string_view query = std::string_view(path).substr(q + 1);
      while (!query.empty()) {
        std::string_view item = query.substr(0, query.find('&'));
        size_t eq = item.find('=');
        req.query.emplace_back(std::string(item.substr(0, eq)), eq == std::string_view::npos
                                                                    ? std::string()
                                                                    : std::string(item.substr(eq + 1)));
        query.remove_prefix(std::min(query.size(), item.size() + 1));
      }
      path.resize(q);
    }
    req.path = path;
    const std::string date = s3::amz_date(static_cast<int64_t>(std::time(nullptr)));
    std::vector<HttpHeader> out = {{"Host", host, false},
                                   {"x-amz-content-sha256", s3::kEmptyPayloadSha256, false},
                                   {"x-amz-date", date, false}};
    if (!creds.session_token.empty()) out.push_back({"x-amz-security-token", creds.session_token, true});
    for (const HttpHeader& h : out) req.headers.emplace_back(h.name, h.value);
    for (const HttpHeader& h : amz_headers) req.headers.emplace_back(h.name, h.value);
    s3::Signature sig = s3::sign_v4(req, creds, {date, region, "s3"});
    out.push_back({"Authorization", sig.authorization, true});
    return out;
  }

  void on_response(bool head, const HttpResponse& r, std::string_view error_body) {
    const long status = r.status();
    if (status == 503) limit.throttled();
    if (status >= 200 && status < 300) limit.succeeded();
    if (head || error_body.empty()) return;
    std::optional<s3::S3ErrorBody> body = s3::parse_s3_error(error_body);
    if (!body) return;
    if (body->code == "SlowDown") limit.throttled();
    std::rethrow_exception(s3::s3_error(name, "GET", status, body, credential_source, secret_source));
  }
};

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
    : name_(uri), state_(std::make_shared<State>(http.jobs)) {
  const s3::S3Location loc = s3::parse_s3_uri(uri);
  const s3::AwsProfile profile = s3::load_profile(o.profile, env);
  s3::ResolvedCredentials rc = s3::resolve_credentials(o, profile, env, name_);
  s3::S3Endpoint endpoint = s3::resolve_endpoint(o, profile, env, loc.bucket);
  State& st = *state_;
  st.name = name_;
  st.creds = rc.creds;
  st.credential_source = rc.source;
  st.secret_source = rc.secret_source;
  st.region = endpoint.region;
  for (const HttpHeader& h : http.headers)
    if (h.name.size() > 6 && header_name_equals(h.name.substr(0, 6), "x-amz-")) st.amz_headers.push_back(h);
  log::info("{}: credentials from {}; region {} ({}); endpoint {} ({}, {}-style)", name_, rc.source,
            endpoint.region, endpoint.region_source.empty() ? "default" : endpoint.region_source,
            endpoint.url, endpoint.source, endpoint.path_style ? "path" : "virtual-hosted");

  std::weak_ptr<State> weak = state_;  // the client lives inside this source: no cycle
  if (!st.creds.anonymous())
    http.decorate = [weak](std::string_view method, const std::string& url) {
      auto s = weak.lock();
      return s ? s->sign(method, url) : std::vector<HttpHeader>{};
    };
  http.on_response = [weak](bool head, const HttpResponse& r, std::string_view body) {
    if (auto s = weak.lock()) s->on_response(head, r, body);
  };
  http.if_match = true;
  http.path_as_is = true;
  auto client = std::make_unique<HttpClient>(http);

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
    auto bucket_region = head.response.header("x-amz-bucket-region");
    if (bucket_region && !bucket_region->empty() && *bucket_region != st.region &&
        (status == 301 || status == 307 || status == 400 || status == 403)) {
      // A region the user configured is not overridden behind their back.
      if (!endpoint.region_source.empty() || region_followed)
        throw Error(fmt::format(
            "{}: the bucket is in region {}, not {} (from {}): use --region {}", name_, *bucket_region,
            st.region, region_followed ? "the previous answer" : endpoint.region_source, *bucket_region));
      log::info("{}: the bucket is in region {}, not {}: asking there", name_, *bucket_region, st.region);
      st.region = *bucket_region;
      if (!endpoint.custom) endpoint.url = s3::aws_endpoint(st.region);
      region_followed = true;
      continue;
    }
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
    std::rethrow_exception(s3::s3_error(name_, "HEAD", status, std::nullopt, rc.source, rc.secret_source));
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

S3Source::~S3Source() = default;

uint64_t S3Source::size() const { return http_->size(); }

SourceIdentity S3Source::identity() const { return http_->identity(); }

double S3Source::latency_hint_s() const { return http_->latency_hint_s(); }

size_t S3Source::read_at(uint64_t offset, std::span<std::byte> buf) {
  s3::AdaptiveLimit::Slot slot(state_->limit);
  return http_->read_at(offset, buf);
}

void S3Source::fetch_into(ByteRange r, ExtentWriter& out) {
  s3::AdaptiveLimit::Slot slot(state_->limit);
  http_->fetch_into(r, out);
}

}  // namespace sparseio
