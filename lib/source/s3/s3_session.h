// What every signed request of the S3 wing needs, shared by the object
// source (s3_source: HEAD, then ranged GETs) and the lister (s3_list:
// ListObjectsV2): the credentials and where they came from (for messages),
// the signing region (followed once when the bucket answers from another),
// the x-amz-* headers the user added (signed too), the throttle that 503
// SlowDown lowers, and the HttpClient hooks that sign each attempt and turn
// S3's XML errors into one-line exceptions. One place, so that a LIST is
// signed, retried and explained exactly as the GETs are.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "source/http/http_client.h"
#include "source/http/http_options.h"
#include "source/s3/adaptive_limit.h"
#include "source/s3/aws_config.h"
#include "source/s3/s3_options.h"
#include "source/s3/s3_settings.h"

namespace sparseio::s3 {

struct Session {
  std::string name;  // the s3:// SRC, for messages
  Credentials creds;
  std::string credential_source, secret_source;
  std::string region;                   // signing region; changes only while following the bucket's
  std::vector<HttpHeader> amz_headers;  // -H x-amz-* headers: signed too
  AdaptiveLimit limit;
  // The object's size and ETag came from a listing, not a HEAD: a GET
  // answered NoSuchKey means it was deleted since the listing, a changed
  // source (exit 4), not a missing one.
  bool listed = false;
  // What the requests are, in S3's error messages ("GET", "LIST").
  std::string what = "GET";

  explicit Session(unsigned jobs) : limit(jobs) {}

  // Host, x-amz-content-sha256, x-amz-date, [x-amz-security-token,] Authorization.
  std::vector<HttpHeader> sign(std::string_view method, const std::string& url) const;
  // The client's on_response hook: throttling, and S3's error body thrown.
  void on_response(bool head, const HttpResponse& r, std::string_view error_body);
};

struct OpenedSession {
  std::shared_ptr<Session> session;
  S3Endpoint endpoint;
  std::unique_ptr<HttpClient> client;  // its hooks hold the session weakly: no cycle
};

// Resolves credentials, region and endpoint for `bucket` (from `o`, `env`
// and the AWS files), logs where each came from, and makes the client whose
// hooks sign every attempt and explain S3's errors. `name` names the SRC.
OpenedSession open_session(const std::string& name, const std::string& bucket, const S3Options& o,
                           HttpOptions http, const AwsEnvironment& env);

// After a non-2xx answer: when it says the bucket lives in another region
// (x-amz-bucket-region on a 301/307/400/403), switches the session and the
// endpoint there and returns true (ask again); a region the user configured,
// or a second move, is an Error saying which --region to use. `followed`
// records that the move happened.
bool follow_bucket_region(Session& s, S3Endpoint& endpoint, const HttpResponse& answer, bool& followed);

}  // namespace sparseio::s3
