// The sparse destination: DST (a file with the source's logical size, holes
// where nothing was fetched; store/sparse_file.h) plus the claims on it
// (store/claim_log.h, kept in the sidecar), guarded by an exclusive flock on
// DST while a writer has it open. This class opens the two consistently
// (creation, overwrite, restart, replay) and composes them behind one
// interface: callers write, claim, evict and query through Destination's own
// members, never through its parts, so the ordering rules live here and in
// ClaimLog only.
//
// Seed semantics: bytes written read back exactly, the last write to an
// offset wins, reading what is missing gives nothing, deleting what is
// missing is a no-op. A range becomes present only through mark_present(),
// which callers invoke after its bytes were written, so the sidecar never
// claims bytes that are not in DST.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/coverage_map.h"
#include "core/extent_writer.h"
#include "core/run_control.h"
#include "core/source_identity.h"
#include "core/unique_fd.h"
#include "store/claim_log.h"
#include "store/sidecar.h"
#include "store/sparse_file.h"

namespace sparseio {

struct DestinationOptions {
  SyncMode sync = SyncMode::kHash;
  uint64_t batch_bytes = 64u << 20;     // group commit after this many claimed bytes...
  unsigned batch_ms = 1000;             // ...or this long since the last commit
  bool overwrite = false;               // replace a DST that has no sidecar
  bool restart = false;                 // discard DST's contents and start over
  bool wait_for_lock = true;            // false: fail at once when another process holds DST
  bool zero_runs_as_holes = true;       // whole zero blocks in written data become holes
  const RunControl* control = nullptr;  // lock waits are reported here and can be stopped
  // Where DST's sidecar lives; empty: beside DST (Sidecar::path_for). A
  // directory DST of many objects keeps them in DIR/.sparseio/ instead.
  std::string sidecar_path;
};

// The sidecar of DST `path` under `options` (its sidecar_path, else DST.sparseio).
inline std::string sidecar_path_of(const std::string& path, const DestinationOptions& options) {
  return options.sidecar_path.empty() ? Sidecar::path_for(path) : options.sidecar_path;
}

class Destination {
 public:
  // Opens DST for fetching from a source with `identity`, creating it when it
  // does not exist. Throws DestinationConflictError (DST not ours, or locked
  // with wait_for_lock=false), SourceChangedError (without restart), or
  // UsageError when DST is the source itself (same device and inode). A DST
  // that holds nothing yet is simply started over for the new identity: a
  // run that claimed nothing (say, with a wrong --size) must not block the
  // next one.
  static std::unique_ptr<Destination> open_for_source(const std::string& path, const SourceIdentity& identity,
                                                      const DestinationOptions& options = {});

  // Opens an existing DST and its sidecar. With `writable`, takes the lock
  // (for punch); without, reads a consistent snapshot (for stat, verify).
  // `sidecar`: its sidecar's path when not beside DST (empty: DST.sparseio).
  static std::unique_ptr<Destination> open_existing(const std::string& path, bool writable,
                                                    bool wait_for_lock = true,
                                                    const std::string& sidecar = "");

  ~Destination();
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;

  const std::string& path() const { return file_.path(); }
  uint64_t logical_size() const { return claims_.logical_size(); }
  const SidecarHeader& header() const { return claims_.header(); }
  uint64_t block_size() const { return file_.block_size(); }

  // --- Seed API: each call writes/removes and records in one step. ---
  void write_extent(uint64_t offset, std::span<const std::byte> data);
  // Evicts `ranges`: retires their claims in one durable rewrite of the log,
  // then punches their whole blocks (ClaimLog::evict). Pass every range of
  // one operation at once: each call rewrites the whole sidecar.
  void evict(const std::vector<ByteRange>& ranges) { claims_.evict(ranges); }

  // --- Building blocks for the fetch coordinator (thread-safe). ---
  // Write bytes without recording them (bounds-checked against the object);
  // zero runs that cover whole blocks are punched (when enabled).
  void write_data(uint64_t offset, std::span<const std::byte> data);
  void write_zeros(ByteRange r) { file_.write_zeros(r); }
  // True when copy_from_fd need not see the bytes it copies: zero runs need
  // not become holes and no hash of the bytes is wanted.
  bool copies_in_kernel() const { return !options_.zero_runs_as_holes && options_.sync == SyncMode::kNone; }
  // Copy r from local file `fd` at the same offsets. With `seen`, it gets the
  // bytes of r in order once they are in DST (for the claim's hash), and
  // whole zero blocks become holes: the kernel copies (copy_file_range) and
  // the bytes are read back in place (SparseFile::copy_in_kernel_seen), or,
  // where the kernel cannot copy between these files, they go through a
  // buffer into write_data(). Without `seen`, only when copies_in_kernel().
  void copy_from_fd(int fd, const std::string& src_path, ByteRange r,
                    const std::function<void(std::span<const std::byte>)>& seen = {});
  void mark_present(ByteRange r, std::optional<uint64_t> hash = std::nullopt) {
    claims_.mark_present(r, hash);
  }
  void commit() { claims_.commit(); }
  void sync() { claims_.sync(); }

  // Coverage queries (thread-safe): see ClaimLog.
  std::vector<ByteRange> missing(ByteRange r) const { return claims_.missing(r); }
  bool contains(ByteRange r) const { return claims_.contains(r); }
  uint64_t first_missing_from(uint64_t offset) const { return claims_.first_missing_from(offset); }
  CoverageMap coverage() const { return claims_.coverage(); }
  uint64_t present_bytes() const { return claims_.present_bytes(); }
  uint64_t present_bytes_within(const std::vector<ByteRange>& ranges) const {
    return claims_.present_bytes_within(ranges);
  }
  size_t present_ranges() const { return claims_.present_ranges(); }

  // Reads bytes that are known present (no coverage check).
  void read_raw(uint64_t offset, std::span<std::byte> out) const { file_.read(offset, out); }

  // What the filesystem says about DST: see SparseFile.
  uint64_t allocated_bytes() const { return file_.allocated_bytes(); }
  size_t data_segments() const { return file_.data_segments(); }
  uint64_t zero_hole_bytes() const { return file_.zero_hole_bytes(); }

 private:
  Destination(std::string path, UniqueFd fd, Sidecar sidecar, CoverageMap coverage,
              DestinationOptions options);
  // Opens `sidecar`, the sidecar of DST (open as `fd`), re-checking an earlier boot's claims.
  static Sidecar replay(const std::string& path, const std::string& sidecar, int fd, CoverageMap& coverage,
                        bool writable);

  DestinationOptions options_;
  SparseFile file_;  // before claims_, which refers to it
  ClaimLog claims_;
};

}  // namespace sparseio
