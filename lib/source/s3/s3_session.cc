// The S3 wing's signing and error hooks, and the bucket's region followed.
#include "source/s3/s3_session.h"

#include <fmt/format.h>

#include <ctime>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_headers.h"
#include "source/http/http_response.h"
#include "source/s3/s3_error.h"
#include "source/s3/sigv4.h"

namespace sparseio::s3 {

std::vector<HttpHeader> Session::sign(std::string_view method, const std::string& url) const {
  size_t scheme = url.find("://");
  size_t path_begin = url.find('/', scheme + 3);
  std::string host = url.substr(scheme + 3, path_begin - scheme - 3);
  std::string path = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  SigningRequest req;
  req.method = std::string(method);
  if (size_t q = path.find('?'); q != std::string::npos) {
    std::string_view query = std::string_view(path).substr(q + 1);
    while (!query.empty()) {
      std::string_view item = query.substr(0, query.find('&'));
      size_t eq = item.find('=');
      req.query.emplace_back(std::string(item.substr(0, eq)),
                             eq == std::string_view::npos ? std::string() : std::string(item.substr(eq + 1)));
      query.remove_prefix(std::min(query.size(), item.size() + 1));
    }
    path.resize(q);
  }
  req.path = path;
  const std::string date = amz_date(static_cast<int64_t>(std::time(nullptr)));
  std::vector<HttpHeader> out = {{"Host", host, false},
                                 {"x-amz-content-sha256", kEmptyPayloadSha256, false},
                                 {"x-amz-date", date, false}};
  if (!creds.session_token.empty()) out.push_back({"x-amz-security-token", creds.session_token, true});
  for (const HttpHeader& h : out) req.headers.emplace_back(h.name, h.value);
  for (const HttpHeader& h : amz_headers) req.headers.emplace_back(h.name, h.value);
  Signature sig = sign_v4(req, creds, {date, region, "s3"});
  out.push_back({"Authorization", sig.authorization, true});
  return out;
}

void Session::on_response(bool head, const HttpResponse& r, std::string_view error_body) {
  const long status = r.status();
  if (status == 503) limit.throttled();
  if (status >= 200 && status < 300) limit.succeeded();
  if (head || error_body.empty()) return;
  std::optional<S3ErrorBody> body = parse_s3_error(error_body);
  if (!body) return;
  if (body->code == "SlowDown") limit.throttled();
  if (listed && body->code == "NoSuchKey")
    throw SourceChangedError(fmt::format(
        "{} was listed but is gone now (deleted since the listing; S3 NoSuchKey, HTTP {}); nothing was "
        "recorded from it after that",
        name, status));
  std::rethrow_exception(s3_error(name, what, status, body, credential_source, secret_source));
}

OpenedSession open_session(const std::string& name, const std::string& bucket, const S3Options& o,
                           HttpOptions http, const AwsEnvironment& env) {
  const AwsProfile profile = load_profile(o.profile, env);
  ResolvedCredentials rc = resolve_credentials(o, profile, env, name);
  OpenedSession out;
  out.endpoint = resolve_endpoint(o, profile, env, bucket);
  out.session = std::make_shared<Session>(http.jobs);
  Session& st = *out.session;
  st.name = name;
  st.creds = rc.creds;
  st.credential_source = rc.source;
  st.secret_source = rc.secret_source;
  st.region = out.endpoint.region;
  for (const HttpHeader& h : http.headers)
    if (h.name.size() > 6 && header_name_equals(h.name.substr(0, 6), "x-amz-")) st.amz_headers.push_back(h);
  const S3Endpoint& e = out.endpoint;
  log::info("{}: credentials from {}; region {} ({}); endpoint {} ({}, {}-style)", name, rc.source, e.region,
            e.region_source.empty() ? "default" : e.region_source, e.url, e.source,
            e.path_style ? "path" : "virtual-hosted");

  std::weak_ptr<Session> weak = out.session;  // the client lives beside the session: no cycle
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
  out.client = std::make_unique<HttpClient>(http);
  return out;
}

bool follow_bucket_region(Session& st, S3Endpoint& endpoint, const HttpResponse& answer, bool& followed) {
  const long status = answer.status();
  auto bucket_region = answer.header("x-amz-bucket-region");
  if (!bucket_region || bucket_region->empty() || *bucket_region == st.region ||
      !(status == 301 || status == 307 || status == 400 || status == 403))
    return false;
  // A region the user configured is not overridden behind their back.
  if (!endpoint.region_source.empty() || followed)
    throw Error(fmt::format("{}: the bucket is in region {}, not {} (from {}): use --region {}", st.name,
                            *bucket_region, st.region,
                            followed ? "the previous answer" : endpoint.region_source, *bucket_region));
  log::info("{}: the bucket is in region {}, not {}: asking there", st.name, *bucket_region, st.region);
  st.region = *bucket_region;
  if (!endpoint.custom) endpoint.url = aws_endpoint(st.region);
  followed = true;
  return true;
}

}  // namespace sparseio::s3
