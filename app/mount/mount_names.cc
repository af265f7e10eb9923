#include "mount/mount_names.h"

#include <fmt/format.h>

#include <map>

#include "core/errors.h"

namespace sparseio::mount {

std::string entry_name(std::string_view src) {
  std::string_view path = src;
  if (const size_t scheme = src.find("://"); scheme != std::string_view::npos) {
    path = src.substr(scheme + 3);
    const size_t slash = path.find('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
    // s3://BUCKET/KEY has no query; an http URL's query and fragment are not the name.
    if (!src.starts_with("s3://")) path = path.substr(0, path.find_first_of("?#"));
  }
  const size_t slash = path.rfind('/');
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos)
    throw UsageError(
        fmt::format("{}: no file name to show it under (its last path segment is empty, '.' or '..')", src));
  return name;
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string cache_file_name(std::string_view name, std::string_view canonical_src) {
  // NAME_MAX is 255: "-" + 12 hex digits + ".sparseio" (the sidecar) leave 233.
  constexpr size_t kMaxName = 255 - 13 - 9;
  const std::string hash = fmt::format("{:012x}", fnv1a64(canonical_src) & 0xffffffffffffull);
  return fmt::format("{}-{}", name.substr(0, kMaxName), hash);
}

std::optional<std::string> duplicate_names(const std::vector<std::string>& srcs,
                                           const std::vector<std::string>& names) {
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    auto [it, fresh] = seen.emplace(names[i], i);
    if (!fresh)
      return fmt::format("SRC {} and SRC {} would both appear as {}", srcs[it->second], srcs[i], names[i]);
  }
  return std::nullopt;
}

bool ErrorThrottle::allow(double now_s, uint64_t& suppressed) {
  if (last_s_ && now_s - *last_s_ < interval_s_) {
    ++suppressed_;
    return false;
  }
  last_s_ = now_s;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace sparseio::mount
