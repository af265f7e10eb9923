// A Source is a read-only object sparseio fetches from: a local file or a URL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_range.h"

namespace sparseio {

// What identifies one version of a source, for change detection. Fields that
// do not apply to a kind of source stay empty/zero.
struct SourceIdentity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;       // local files
  uint64_t device = 0;        // local files
  uint64_t inode = 0;         // local files
  std::string etag;           // HTTP
  std::string last_modified;  // HTTP

  friend bool operator==(const SourceIdentity&, const SourceIdentity&) = default;
};

// Explains how `now` differs from `recorded` ("size 10 -> 12", "ETag ..."),
// for the "source changed" message. Empty when equal.
std::string describe_identity_change(const SourceIdentity& recorded, const SourceIdentity& now);

// Where a Source delivers the bytes of a transfer. Implementations must
// tolerate concurrent calls for disjoint ranges from several threads.
class ExtentWriter {
 public:
  virtual ~ExtentWriter() = default;
  // Bytes of the object at `offset`.
  virtual void write(uint64_t offset, std::span<const std::byte> data) = 0;
  // `r` is all zeros in the object (a hole in a sparse source).
  virtual void write_zeros(ByteRange r) = 0;
  // `r` of the object equals the same offsets of local file `fd` (named `path`).
  // The default reads through a buffer and calls write().
  virtual void copy_from_fd(int fd, const std::string& path, ByteRange r);
};

class Source {
 public:
  virtual ~Source() = default;
  // The path or URL, as the user gave it, for messages.
  virtual const std::string& name() const = 0;
  virtual uint64_t size() const = 0;
  virtual SourceIdentity identity() const = 0;
  // Reads into buf at offset; returns fewer bytes than buf.size() only at the
  // end of the object. Safe to call from several threads at once.
  virtual size_t read_at(uint64_t offset, std::span<std::byte> buf) = 0;
  // Transfers `r` to `out`, which receives every byte of r exactly once (as
  // data or zeros) in ascending order, or an exception is thrown. Safe to call
  // from several threads at once for different ranges. The default reads
  // through read_at in 1 MiB steps.
  virtual void fetch_into(ByteRange r, ExtentWriter& out);
  // Suggested --chunk-size for this kind of source.
  virtual uint64_t default_chunk_size() const { return 4u << 20; }
};

}  // namespace sparseio
