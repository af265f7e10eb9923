#include "core/source_identity.h"

#include <fmt/format.h>

#include <vector>

namespace sparseio {

bool identity_matches(const SourceIdentity& recorded, const SourceIdentity& now) {
  if (recorded.url.empty() && !now.url.empty()) {
    SourceIdentity with_url = recorded;
    with_url.url = now.url;
    return with_url == now;
  }
  return recorded == now;
}

std::string describe_identity_change(const SourceIdentity& was, const SourceIdentity& now) {
  std::vector<std::string> parts;
  if (was.size != now.size) parts.push_back(fmt::format("size {} -> {}", was.size, now.size));
  if (was.mtime_ns != now.mtime_ns) parts.push_back("modification time changed");
  if (was.device != now.device || was.inode != now.inode) parts.push_back("it is a different file");
  if (was.etag != now.etag) parts.push_back(fmt::format("ETag {} -> {}", was.etag, now.etag));
  if (was.last_modified != now.last_modified)
    parts.push_back(fmt::format("Last-Modified {} -> {}", was.last_modified, now.last_modified));
  if (!was.url.empty() && was.url != now.url) parts.push_back(fmt::format("URL {} -> {}", was.url, now.url));
  if (was.version_id != now.version_id)
    parts.push_back(fmt::format("version {} -> {}", was.version_id.empty() ? "-" : was.version_id,
                                now.version_id.empty() ? "-" : now.version_id));
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace sparseio
