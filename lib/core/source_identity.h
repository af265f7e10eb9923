// What identifies one version of a source, for change detection. It lives in
// core because both wings need it: sources report it, and the store records
// it in the sidecar and compares it on every later run.
#pragma once

#include <cstdint>
#include <string>

namespace sparseio {

// Fields that do not apply to a kind of source stay empty/zero.
struct SourceIdentity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;       // local files
  uint64_t device = 0;        // local files
  uint64_t inode = 0;         // local files
  std::string etag;           // HTTP
  std::string last_modified;  // HTTP
  // HTTP: the URL without credentials, fragment, default port or signature
  // and expiry parameters (source/http/url_identity.h). Empty in sidecars
  // written before it was recorded: unknown, and then any URL matches.
  std::string url;
  std::string version_id;  // S3 x-amz-version-id of a versioned bucket

  friend bool operator==(const SourceIdentity&, const SourceIdentity&) = default;
};

// True when a source with identity `now` is the one `recorded` describes:
// equal, except that an unknown (empty) recorded URL matches any URL.
bool identity_matches(const SourceIdentity& recorded, const SourceIdentity& now);

// Explains how `now` differs from `recorded` ("size 10 -> 12", "ETag ..."),
// for the "source changed" message. Empty when equal.
std::string describe_identity_change(const SourceIdentity& recorded, const SourceIdentity& now);

}  // namespace sparseio
