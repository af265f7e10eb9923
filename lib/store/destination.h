// The sparse destination: DST (a file with the source's logical size, holes
// where nothing was fetched) plus its sidecar, guarded by an exclusive flock
// on DST while a writer has it open.
//
// Seed semantics: bytes written read back exactly, the last write to an
// offset wins, reading what is missing gives nothing, deleting what is
// missing is a no-op. A range becomes present only through mark_present(),
// which callers invoke after its bytes were written, so the sidecar never
// claims bytes that are not in DST.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/coverage_map.h"
#include "core/extent_writer.h"
#include "core/source_identity.h"
#include "core/run_control.h"
#include "core/unique_fd.h"
#include "store/sidecar.h"

namespace sparseio {

// How claims reach the sidecar. Every mode appends a record only after the
// write of the bytes it claims has completed, so a killed process never
// leaves a false claim. They differ in what survives an OS crash or power
// loss, when written data may not have reached the disk:
//  - kHash (default): each record carries an XXH3 hash of its extent's bytes;
//    after a reboot, records of the earlier boot are re-checked against DST
//    and the ones whose bytes did not make it are dropped. No syncs at all.
//  - kBatch: group commit; fdatasync of DST before a batch's records.
//  - kNone: neither; after a reboot the earlier boot's claims are dropped.
enum class SyncMode { kNone, kHash, kBatch };

struct DestinationOptions {
  SyncMode sync = SyncMode::kHash;
  uint64_t batch_bytes = 64u << 20;     // group commit after this many claimed bytes...
  unsigned batch_ms = 1000;             // ...or this long since the last commit
  bool overwrite = false;               // replace a DST that has no sidecar
  bool restart = false;                 // discard DST's contents and start over
  bool wait_for_lock = true;            // false: fail at once when another process holds DST
  bool zero_runs_as_holes = true;       // whole zero blocks in written data become holes
  const RunControl* control = nullptr;  // lock waits are reported here and can be stopped
};

class Destination {
 public:
  // Opens DST for fetching from a source with `identity`, creating it when it
  // does not exist. Throws DestinationConflictError (DST not ours, or locked
  // with wait_for_lock=false) or SourceChangedError (without restart). A DST
  // that holds nothing yet is simply started over for the new identity: a
  // run that claimed nothing (say, with a wrong --size) must not block the
  // next one.
  static std::unique_ptr<Destination> open_for_source(const std::string& path, const SourceIdentity& identity,
                                                      const DestinationOptions& options = {});

  // Opens an existing DST and its sidecar. With `writable`, takes the lock
  // (for punch); without, reads a consistent snapshot (for stat, verify).
  static std::unique_ptr<Destination> open_existing(const std::string& path, bool writable,
                                                    bool wait_for_lock = true);

  ~Destination();
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;

  const std::string& path() const { return path_; }
  uint64_t logical_size() const { return sidecar_.header().logical_size; }
  const SidecarHeader& header() const { return sidecar_.header(); }
  uint64_t block_size() const { return block_; }

  // --- Seed API: each call writes/removes and records in one step. ---
  void write_extent(uint64_t offset, std::span<const std::byte> data);
  // The bytes of r when all of r is present; nullopt otherwise.
  std::optional<std::vector<std::byte>> read_extent(ByteRange r) const;
  // Evicts r: punches its whole blocks and records it as no longer present.
  void delete_extent(ByteRange r);

  // --- Building blocks for the fetch coordinator (thread-safe). ---
  // Write bytes without recording them; zero runs that cover whole blocks
  // are punched (when enabled).
  void write_data(uint64_t offset, std::span<const std::byte> data);
  // Make r read as zeros: punch whole blocks, write zeros on partial ones.
  void write_zeros(ByteRange r);
  // True when copy_from_fd copies in the kernel (copy_file_range): only when
  // zero runs need not become holes and no hash of the bytes is wanted.
  bool copies_in_kernel() const { return !options_.zero_runs_as_holes && options_.sync == SyncMode::kNone; }
  // Copy r from local file `fd` at the same offsets.
  void copy_from_fd(int fd, const std::string& src_path, ByteRange r);
  // Records r as present (after its bytes were written). `hash` is the XXH3
  // of r's bytes when known (needed by SyncMode::kHash to survive a reboot).
  // With SyncMode::kBatch the record is written at the next group commit.
  void mark_present(ByteRange r, std::optional<uint64_t> hash = std::nullopt);
  // Makes every claim so far durable: DST's data, then the records.
  void commit();

  // Coverage queries (thread-safe).
  std::vector<ByteRange> missing(ByteRange r) const;
  bool contains(ByteRange r) const;
  // The first offset at or after `offset` that is not present.
  uint64_t first_missing_from(uint64_t offset) const;
  CoverageMap coverage() const;
  uint64_t present_bytes() const;
  // Present bytes within each of `ranges` (sorted, disjoint), summed.
  uint64_t present_bytes_within(const std::vector<ByteRange>& ranges) const;
  size_t present_ranges() const;

  // Reads bytes that are known present (no coverage check).
  void read_raw(uint64_t offset, std::span<std::byte> out) const;

  // What the filesystem says about DST.
  uint64_t allocated_bytes() const;
  size_t data_segments() const;
  // Bytes written as holes because they were whole zero blocks (this process).
  uint64_t zero_hole_bytes() const { return zero_hole_bytes_.load(); }
  // Claims of an earlier boot whose bytes were found missing on open.
  uint64_t dropped_after_reboot() const { return sidecar_.dropped_bytes(); }
  SyncMode sync_mode() const { return options_.sync; }

  // commit(), then fdatasync of the sidecar itself.
  void sync();

 private:
  struct Claim {
    ByteRange range;
    uint32_t flags;
    uint64_t hash;
  };

  Destination(std::string path, UniqueFd fd, Sidecar sidecar, CoverageMap coverage,
              DestinationOptions options);
  // Opens the sidecar of DST (open as `fd`), re-checking an earlier boot's claims.
  static Sidecar replay(const std::string& path, int fd, CoverageMap& coverage, bool writable);
  // For writers: compacts away an earlier boot's records, starts a session.
  void begin_writing();
  void write_span(uint64_t offset, std::span<const std::byte> data);
  bool commit_due() const;  // requires mu_
  void maybe_compact();     // requires mu_

  std::string path_;
  UniqueFd fd_;
  Sidecar sidecar_;
  uint64_t block_ = 4096;
  DestinationOptions options_;
  mutable std::mutex mu_;       // guards coverage_, pending_ and sidecar_ appends
  std::mutex commit_mu_;        // one group commit at a time
  CoverageMap coverage_;        // what this process holds, including pending_
  std::vector<Claim> pending_;  // claimed but not yet in the sidecar
  uint64_t pending_bytes_ = 0;
  std::chrono::steady_clock::time_point last_commit_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> zero_hole_bytes_{0};
};

}  // namespace sparseio
