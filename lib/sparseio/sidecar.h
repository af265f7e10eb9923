// The sidecar DST.sparseio: an append-only log that says which bytes of DST
// are present and which source version they came from.
//
// Layout (all integers little-endian):
//   header:  "SPARSEIO" | u32 version | u32 header_len | u64 logical_size |
//            u64 src_size | i64 mtime_ns | u64 device | u64 inode |
//            u32 etag_len | u32 last_modified_len | etag | last_modified |
//            u64 xxh64(all of the above)
//   records: u32 type ('P' present, 'E' evicted) | u32 flags | u64 begin |
//            u64 end | u64 data_hash (reserved) | u64 xxh64(first 32 bytes,
//            seed = header checksum)
// Replay stops at the first record that is short or fails its checksum: a
// torn tail is never trusted, and a writer truncates it away.
#pragma once

#include <cstdint>
#include <string>

#include "sparseio/byte_range.h"
#include "sparseio/coverage_map.h"
#include "sparseio/source.h"
#include "sparseio/unique_fd.h"

namespace sparseio {

struct SidecarHeader {
  uint64_t logical_size = 0;
  SourceIdentity identity;
};

class Sidecar {
 public:
  static constexpr uint32_t kVersion = 1;
  static constexpr size_t kRecordSize = 40;

  // The sidecar path for destination `dst`.
  static std::string path_for(const std::string& dst) { return dst + ".sparseio"; }

  // Atomically replaces (or creates) the sidecar at `path` with `header` and
  // one record per range of `coverage` (temporary file, fsync, rename).
  static Sidecar create(const std::string& path, const SidecarHeader& header,
                        const CoverageMap& coverage = {});

  // Opens and replays an existing sidecar into `coverage`. With `writable`,
  // a torn tail is truncated away and records can be appended. A missing
  // file or a garbled header throws Error naming the file.
  static Sidecar open(const std::string& path, CoverageMap& coverage, bool writable);

  const SidecarHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  uint64_t record_count() const { return records_; }

  // Append records. Not thread-safe: the caller serializes appends.
  void append_present(ByteRange r) { append('P', r); }
  void append_evicted(ByteRange r) { append('E', r); }

  // Flushes appended records to stable storage (fdatasync).
  void sync();

  // Rewrites the log as one record per range of `coverage` (atomic rename).
  void compact(const CoverageMap& coverage);

  // True when the log has grown well past what compaction would leave.
  bool wants_compaction(const CoverageMap& coverage) const {
    return records_ > 4096 && records_ > 4 * coverage.range_count();
  }

 private:
  Sidecar(std::string path, UniqueFd fd, SidecarHeader header, uint64_t checksum, uint64_t end,
          uint64_t records);
  void append(char type, ByteRange r);

  std::string path_;
  UniqueFd fd_;
  SidecarHeader header_;
  uint64_t header_checksum_ = 0;
  uint64_t end_ = 0;  // offset where the next record goes
  uint64_t records_ = 0;
};

}  // namespace sparseio
