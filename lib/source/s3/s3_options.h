// Options of the S3 source (what --profile, --region, --endpoint-url,
// --no-sign-request and --s3-path-style turn into). Plain data, so that the
// CLI and library users can fill it in. No secret is ever an option: keys
// come from the environment, the AWS files or a credential_process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sparseio {

// What a listing (ListObjectsV2) said about one object: its identity, so
// that the S3 source sends no HEAD for it.
struct S3Listed {
  uint64_t size = 0;
  std::string etag;      // as S3 spells it, quotes included
  double latency_s = 0;  // how long the listing's request waited: the link's first measure
  std::string region;    // the region the bucket answered the listing from (signing region)
};

struct S3Options {
  std::string profile;           // --profile (else AWS_PROFILE, else "default")
  std::string region;            // --region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's)
  std::string endpoint_url;      // --endpoint-url (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's)
  bool no_sign_request = false;  // --no-sign-request: anonymous requests (public buckets)
  bool path_style = false;       // --s3-path-style: https://ENDPOINT/BUCKET/KEY
  // The x-amz-version-id DST was started from (the library fills it in from
  // the sidecar): that version is fetched while it exists.
  std::string pinned_version;
  // Set for an object of a listed prefix or glob: its size and ETag are
  // known, and no HEAD is sent (pinned_version is then not used).
  std::optional<S3Listed> listed;
};

}  // namespace sparseio
