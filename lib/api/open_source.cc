#include "api/open_source.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "source/file_source.h"
#include "source/http/http_source.h"

namespace sparseio {

bool is_url(const std::string& spec) { return spec.starts_with("http://") || spec.starts_with("https://"); }

std::unique_ptr<Source> open_source(const std::string& spec, const HttpOptions& http) {
  if (is_url(spec)) return std::make_unique<HttpSource>(spec, http);
  if (size_t colon = spec.find("://"); colon != std::string::npos)
    throw UsageError(fmt::format("source {}: unsupported scheme \"{}\" (use a path, http:// or https://)",
                                 spec, spec.substr(0, colon)));
  return std::make_unique<FileSource>(spec);
}

}  // namespace sparseio
