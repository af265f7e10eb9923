// Names of objects below a directory DST (sparseio fetch SRC1 SRC2 DIR/):
// the pure check that a relative name stays inside DIR. A name comes from a
// source's path below the directory given, a URL's last segment or, later, a
// list line or an S3 key, so it is hostile until checked: "..", an absolute
// path, a NUL or an empty segment could name a file outside DIR or a
// different file than meant. Refused names are refused, never repaired
// ("a/../b" is not read as "b"). What a symlink inside DIR could do is the
// business of store/under_dir.h, which walks DIR without following any.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sparseio {

// The folder below DIR that holds the sidecars of a directory DST.
inline constexpr std::string_view kSidecarDir = ".sparseio";

// Why `name` cannot be a file below DIR, or nullopt when it can: it must be
// non-empty, relative, without NUL, and every '/'-separated segment must be
// non-empty and neither "." nor ".."; its first segment must not be
// ".sparseio" (the sidecars' folder).
std::optional<std::string> relative_name_problem(std::string_view name);

// The segments of a name relative_name_problem accepts.
std::vector<std::string> name_segments(std::string_view name);

}  // namespace sparseio
