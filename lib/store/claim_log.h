// The claim face of a destination: which bytes of DST are present, held in
// memory as a coverage map and made durable in the sidecar (store/sidecar.h).
// It owns the ordering rules that keep every claim true:
//  - a claim is recorded only after the write of its bytes (mark_present);
//  - with group commit, DST's data is synced before a batch's records;
//  - a claim is retired durably (the log rewritten without it) before its
//    bytes are punched (evict), so no prefix of the log, however damaged or
//    truncated, claims bytes that are gone. (On a disk too full for the
//    rewrite, synced 'E' records stand in until the punches made room.)
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "core/coverage_map.h"
#include "store/sidecar.h"
#include "store/sparse_file.h"

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

struct ClaimLogOptions {
  SyncMode sync = SyncMode::kHash;
  uint64_t batch_bytes = 64u << 20;  // group commit after this many claimed bytes...
  unsigned batch_ms = 1000;          // ...or this long since the last commit
};

class ClaimLog {
 public:
  // `coverage` is what replaying `sidecar` found; `data` is the DST the
  // claims are about (synced before records that say so, punched on evict).
  ClaimLog(Sidecar sidecar, CoverageMap coverage, SparseFile& data, ClaimLogOptions options);

  const SidecarHeader& header() const { return sidecar_.header(); }
  uint64_t logical_size() const { return sidecar_.header().logical_size; }

  // For writers: compacts away an earlier boot's records, starts a session.
  void begin_writing();

  // Records r as present (after its bytes were written). `hash` is the XXH3
  // of r's bytes when known (needed by SyncMode::kHash to survive a reboot).
  // With SyncMode::kBatch the record is written at the next group commit.
  // Thread-safe.
  void mark_present(ByteRange r, std::optional<uint64_t> hash = std::nullopt);
  // Makes every claim so far durable: DST's data, then the records.
  void commit();
  // commit(), then fdatasync of the sidecar itself.
  void sync();
  // Retires the claims on `ranges` (clipped to the object), then punches
  // their whole blocks. Ranges with nothing present are skipped. Not to be
  // called concurrently with mark_present on the same bytes.
  void evict(const std::vector<ByteRange>& ranges);

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

 private:
  struct Claim {
    ByteRange range;
    uint32_t flags;
    uint64_t hash;
  };

  bool commit_due() const;  // requires mu_
  void maybe_compact();     // requires mu_: compact_locked() when the log grew
  // Rewrites the log as one synced record per present range (after syncing
  // DST's data): when the log grew (maybe_compact), on evict, and for the
  // first writer after a reboot.
  void compact_locked();                   // requires mu_
  CoverageMap committed_coverage() const;  // requires mu_: coverage_ without pending_

  Sidecar sidecar_;
  SparseFile& data_;
  ClaimLogOptions options_;
  mutable std::mutex mu_;       // guards coverage_, pending_ and sidecar_ appends
  std::mutex commit_mu_;        // one group commit at a time
  CoverageMap coverage_;        // what this process holds, including pending_
  std::vector<Claim> pending_;  // claimed but not yet in the sidecar
  uint64_t pending_bytes_ = 0;
  std::chrono::steady_clock::time_point last_commit_ = std::chrono::steady_clock::now();
};

}  // namespace sparseio
