// Where an s3://BUCKET/KEY object is and how to sign for it: the URI, the
// credential chain, the region and endpoint precedence, and the URL of the
// object (virtual-hosted or path-style), resolved the way the aws CLI and
// botocore resolve them so that users' existing setups just work.
#pragma once

#include <string>

#include "source/s3/aws_config.h"
#include "source/s3/s3_options.h"
#include "source/s3/sigv4.h"

namespace sparseio::s3 {

struct S3Location {
  std::string bucket;
  std::string key;  // raw (not encoded), may hold any bytes but NUL
};

// True for "s3://..." (any case of the scheme).
bool is_s3_uri(const std::string& spec);

// Splits s3://BUCKET/KEY; a missing bucket or key is a UsageError quoting `uri`.
S3Location parse_s3_uri(const std::string& uri);

struct ResolvedCredentials {
  Credentials creds;   // empty access key: anonymous
  std::string source;  // for messages: "the environment (AWS_ACCESS_KEY_ID)", "profile dev in FILE"...
  // Where the secret key came from, for a refused signature: the secret is
  // a variable of its own in the environment ("the environment
  // (AWS_SECRET_ACCESS_KEY)"); elsewhere the same place as `source`.
  std::string secret_source;
};

// The chain, in the order botocore uses: --no-sign-request; the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; skipped when
// --profile names a profile); the profile's keys in the credentials file;
// its credential_process; its keys in the config file. Nothing found is an
// Error naming every place looked at. `what` names the source in messages.
ResolvedCredentials resolve_credentials(const S3Options& o, const AwsProfile& profile,
                                        const AwsEnvironment& env, const std::string& what);

// Runs a profile's credential_process (through /bin/sh -c, as the AWS SDK
// for C++ does) and reads its JSON ({"Version": 1, "AccessKeyId": ...}).
// Its output is never quoted in an error.
Credentials run_credential_process(const std::string& command, const std::string& profile);

struct S3Endpoint {
  std::string url;      // "https://s3.us-east-1.amazonaws.com" or the custom one, no trailing '/'
  std::string source;   // "--endpoint-url", "AWS_ENDPOINT_URL_S3", ..., "AWS default"
  bool custom = false;  // not AWS's own
  bool path_style = false;
  std::string region;         // for signing ("us-east-1" when none is configured)
  std::string region_source;  // "" when none is configured (then a 301's x-amz-bucket-region is followed)
};

// Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
// Endpoint: --endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
// profile's services s3 endpoint_url, the profile's endpoint_url (all but
// the flag skipped with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else AWS.
// Path-style: --s3-path-style, the profile's s3 addressing_style, else
// path-style for custom endpoints, IP addresses and buckets that are not
// valid DNS labels without dots.
S3Endpoint resolve_endpoint(const S3Options& o, const AwsProfile& profile, const AwsEnvironment& env,
                            const std::string& bucket);

// AWS's endpoint for a region ("https://s3.eu-west-3.amazonaws.com").
std::string aws_endpoint(const std::string& region);

// The object's URL; `version_id` (raw) adds ?versionId=.
std::string object_url(const S3Endpoint& e, const S3Location& loc, const std::string& version_id = "");

}  // namespace sparseio::s3
