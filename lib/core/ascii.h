// The bridge from std::string_view to abseil's ASCII helpers
// (absl::AsciiStrToLower, absl::EqualsIgnoreCase, absl::StartsWithIgnoreCase),
// which fold case for header names, URL schemes and hosts, and the AWS
// config's keys. Debian's abseil (20220623) is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0 in
// absl/base/options.h), to which a std::string_view does not convert; a
// std::string or a literal converts by itself and needs no bridge.
#pragma once

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>

#include <string_view>

namespace sparseio {

inline absl::string_view absl_view(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace sparseio
