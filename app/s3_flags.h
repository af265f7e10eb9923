// The S3 options of the CLI (--profile, --region, --endpoint-url,
// --no-sign-request, --s3-path-style), shared by the subcommands that read a
// source (fetch, cat, verify, plan). No option takes a secret: keys come from the
// environment, the AWS files or a credential_process, never from argv.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "api/commands.h"
#include "source/s3/s3_options.h"

namespace sparseio::cli {

struct S3Flags {
  std::string profile, region, endpoint_url;
  bool no_sign_request = false;
  bool path_style = false;
};

// Adds the S3 options to `cmd`.
void add_s3_options(CLI::App* cmd, S3Flags& f);

// Turns the flags into S3Options.
S3Options make_s3_options(const S3Flags& f);

// Puts the S3 options into `cmd`.
FetchCommand with_s3(FetchCommand cmd, const S3Flags& f);

}  // namespace sparseio::cli
