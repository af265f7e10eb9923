#include "api/open_source.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "source/file_source.h"
#include "source/http/http_source.h"
#include "source/s3/s3_settings.h"
#include "source/s3/s3_source.h"

namespace sparseio {

namespace {

// The spec with its scheme in lower case (schemes are case-insensitive,
// RFC 3986 section 3.1; people paste HTTP:// from old documents).
std::string lower_scheme(std::string spec) {
  const size_t colon = spec.find("://");
  for (size_t i = 0; colon != std::string::npos && i < colon; ++i)
    if (spec[i] >= 'A' && spec[i] <= 'Z') spec[i] = static_cast<char>(spec[i] - 'A' + 'a');
  return spec;
}

}  // namespace

bool is_url(const std::string& spec) {
  const std::string s = lower_scheme(spec.substr(0, std::min<size_t>(spec.size(), 8)));
  return s.starts_with("http://") || s.starts_with("https://");
}

bool is_remote(const std::string& spec) { return is_url(spec) || s3::is_s3_uri(spec); }

std::unique_ptr<Source> open_source(const std::string& spec, const HttpOptions& http, const S3Options& s3) {
  if (is_url(spec)) return std::make_unique<HttpSource>(lower_scheme(spec), http);
  if (s3::is_s3_uri(spec)) return std::make_unique<S3Source>(spec, s3, http);
  if (size_t colon = spec.find("://"); colon != std::string::npos)
    throw UsageError(
        fmt::format("source {}: unsupported scheme \"{}\" (use a path, http://, https:// or s3://)", spec,
                    spec.substr(0, colon)));
  return std::make_unique<FileSource>(spec);
}

}  // namespace sparseio
