#include "s3_flags.h"

namespace sparseio::cli {

void add_s3_options(CLI::App* cmd, S3Flags& f) {
  const char* group = "S3 options (for s3://BUCKET/KEY)";
  cmd->add_option("--profile", f.profile,
                  "AWS profile of ~/.aws/config and ~/.aws/credentials (else AWS_PROFILE)")
      ->type_name("NAME")
      ->group(group);
  cmd->add_option("--region", f.region,
                  "Region to sign for (else AWS_REGION, AWS_DEFAULT_REGION, the profile's)")
      ->type_name("REGION")
      ->group(group);
  cmd->add_option("--endpoint-url", f.endpoint_url,
                  "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (else AWS_ENDPOINT_URL_S3, "
                  "AWS_ENDPOINT_URL, the profile's endpoint_url, AWS)")
      ->type_name("URL")
      ->group(group);
  cmd->add_flag("--no-sign-request", f.no_sign_request, "Anonymous requests (public buckets)")->group(group);
  cmd->add_flag("--s3-path-style", f.path_style, "Path-style URLs (ENDPOINT/BUCKET/KEY) even on AWS")
      ->group(group);
}

S3Options make_s3_options(const S3Flags& f) {
  S3Options o;
  o.profile = f.profile;
  o.region = f.region;
  o.endpoint_url = f.endpoint_url;
  o.no_sign_request = f.no_sign_request;
  o.path_style = f.path_style;
  return o;
}

FetchCommand with_s3(FetchCommand cmd, const S3Flags& f) {
  cmd.s3 = make_s3_options(f);
  return cmd;
}

}  // namespace sparseio::cli
