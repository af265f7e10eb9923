// Picks the Source implementation for what the user wrote as SRC.
#pragma once

#include <memory>
#include <string>

#include "sparseio/source.h"

namespace sparseio {

// True for http:// and https:// URLs.
bool is_url(const std::string& spec);

// A FileSource for a path. URLs: see the HTTP source (a later issue); other
// schemes are a UsageError naming the scheme.
std::unique_ptr<Source> open_source(const std::string& spec);

}  // namespace sparseio
