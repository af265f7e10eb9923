// Names in `sparseio mount`: the file each SRC appears as in the mount
// point, and the cache file (an ordinary sparseio destination) that holds
// its bytes. Pure functions: the caller resolves paths and touches disk.
//
// Cache files are named NAME-HASH in the cache directory, HASH being 12 hex
// digits of a 64-bit FNV-1a of the canonical source (an absolute path, or
// the URL as given): a user finds the cache of big.zip by its name, two
// sources with the same name (two hosts, two buckets) do not share one, and
// nothing of a URL (a presigned query, a user:password) appears in a file
// name. NAME never holds a '/' and is never "." or "..", so no cache file can
// escape the cache directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sparseio::mount {

// The last path segment of `src` (a path, an http(s):// URL without its
// query and fragment, s3://BUCKET/KEY's last key segment). Throws
// UsageError naming `src` when it has none (a URL ending in '/', a bucket).
std::string entry_name(std::string_view src);

// 64-bit FNV-1a: stable across builds and machines, unlike std::hash.
uint64_t fnv1a64(std::string_view text);

// "NAME-HASH" for the cache of `canonical_src` appearing as `name`; a name
// too long for a file name (with the sidecar's ".sparseio") is cut.
std::string cache_file_name(std::string_view name, std::string_view canonical_src);

// A one-line usage error when two sources would appear under the same name
// ("SRC a and SRC b both appear as NAME"), else nullopt. names[i] is srcs[i]'s.
std::optional<std::string> duplicate_names(const std::vector<std::string>& srcs,
                                           const std::vector<std::string>& names);

// Whether a failing read of one object is logged: the first failure is, then
// at most one line every `interval_s` seconds, which says how many failures
// it stood for, so that a reader retrying in a loop does not flood stderr.
// Pure: the caller passes the time.
class ErrorThrottle {
 public:
  explicit ErrorThrottle(double interval_s = 10) : interval_s_(interval_s) {}
  // True when this failure is to be logged; `suppressed` then holds the
  // failures left unlogged since the last line.
  bool allow(double now_s, uint64_t& suppressed);

 private:
  double interval_s_;
  std::optional<double> last_s_;
  uint64_t suppressed_ = 0;
};

}  // namespace sparseio::mount
