// Picks the Source implementation for what the user wrote as SRC.
#pragma once

#include <memory>
#include <string>

#include "source/http/http_options.h"
#include "source/s3/s3_options.h"
#include "source/source.h"

namespace sparseio {

// True for http:// and https:// URLs, the scheme in any case (HTTP://).
bool is_url(const std::string& spec);

// True for URLs and s3:// URIs: sources reached over the network.
bool is_remote(const std::string& spec);

// A FileSource for a path, an HttpSource (with `http`) for http:// and
// https:// URLs, an S3Source (with `s3` and `http`) for s3://BUCKET/KEY;
// other schemes are a UsageError naming the scheme.
std::unique_ptr<Source> open_source(const std::string& spec, const HttpOptions& http = {},
                                    const S3Options& s3 = {});

}  // namespace sparseio
