// Options of the S3 source (what --profile, --region, --endpoint-url,
// --no-sign-request and --s3-path-style turn into). Plain data, so that the
// CLI and library users can fill it in. No secret is ever an option: keys
// come from the environment, the AWS files or a credential_process.
#pragma once

#include <string>

namespace sparseio {

struct S3Options {
  std::string profile;           // --profile (else AWS_PROFILE, else "default")
  std::string region;            // --region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's)
  std::string endpoint_url;      // --endpoint-url (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's)
  bool no_sign_request = false;  // --no-sign-request: anonymous requests (public buckets)
  bool path_style = false;       // --s3-path-style: https://ENDPOINT/BUCKET/KEY
  // The x-amz-version-id DST was started from (the library fills it in from
  // the sidecar): that version is fetched while it exists.
  std::string pinned_version;
};

}  // namespace sparseio
