#include "store/claim_log.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace sparseio {

ClaimLog::ClaimLog(Sidecar sidecar, CoverageMap coverage, SparseFile& data, ClaimLogOptions options)
    : sidecar_(std::move(sidecar)), data_(data), options_(options), coverage_(std::move(coverage)) {}

void ClaimLog::begin_writing() {
  if (sidecar_.replayed_other_boot()) {
    if (sidecar_.dropped_bytes() > 0)
      log::warn("{}: {} claimed bytes did not survive the last reboot and will be fetched again",
                data_.path(), sidecar_.dropped_bytes());
    // What replay kept is on disk now; record it as synced once and for all.
    std::lock_guard lock(mu_);
    compact_locked();
  }
  sidecar_.begin_session(current_boot_id());
}

void ClaimLog::mark_present(ByteRange r, std::optional<uint64_t> hash) {
  if (r.empty()) return;
  Claim claim{r, 0, 0};
  if (hash && options_.sync != SyncMode::kNone) claim = {r, Sidecar::kHashed, *hash};
  bool due;
  {
    std::lock_guard lock(mu_);
    coverage_.insert(r);
    if (options_.sync != SyncMode::kBatch) {
      sidecar_.append_present(r, claim.flags, claim.hash);
      maybe_compact();
      return;
    }
    pending_.push_back(claim);
    pending_bytes_ += r.size();
    due = commit_due();
  }
  if (due) commit();
}

bool ClaimLog::commit_due() const {
  return pending_bytes_ >= options_.batch_bytes ||
         std::chrono::steady_clock::now() - last_commit_ >= std::chrono::milliseconds(options_.batch_ms);
}

void ClaimLog::commit() {
  std::lock_guard commit_lock(commit_mu_);
  std::vector<Claim> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
    pending_bytes_ = 0;
    last_commit_ = std::chrono::steady_clock::now();
  }
  if (batch.empty()) return;
  // The data first: a record may only ever describe bytes already on disk.
  try {
    data_.sync_data();
  } catch (const Error&) {
    std::lock_guard lock(mu_);
    for (const Claim& c : batch) coverage_.remove(c.range);  // not durable: not ours
    throw;
  }
  std::lock_guard lock(mu_);
  for (const Claim& c : batch) sidecar_.append_present(c.range, c.flags | Sidecar::kSynced, c.hash);
  maybe_compact();
}

void ClaimLog::sync() {
  commit();
  std::lock_guard lock(mu_);
  sidecar_.sync();
}

CoverageMap ClaimLog::committed_coverage() const {
  CoverageMap committed = coverage_;  // compaction must not claim pending bytes
  for (const Claim& c : pending_) committed.remove(c.range);
  return committed;
}

void ClaimLog::compact_locked() {
  // Compacted records are marked synced: make that true first.
  data_.sync_data();
  sidecar_.compact(pending_.empty() ? coverage_ : committed_coverage());
}

void ClaimLog::maybe_compact() {
  // Rare: the log must have grown to four records per range.
  if (sidecar_.wants_compaction(coverage_)) compact_locked();
}

void ClaimLog::evict(const std::vector<ByteRange>& ranges) {
  commit();  // pending claims become records that the rewrite below can drop
  std::lock_guard commit_lock(commit_mu_);
  std::lock_guard lock(mu_);
  std::vector<ByteRange> gone;
  for (ByteRange r : ranges) {
    r = r.intersect({0, logical_size()});
    if (r.empty() || coverage_.present_bytes_within(r) == 0) continue;  // deleting what is missing: no-op
    coverage_.remove(r);
    gone.push_back(r);
  }
  if (gone.empty()) return;
  // The claims go first and durably: a log without them replaces the old one
  // (fsync, rename, fsync of the directory) before a single byte is punched.
  // No record is left for a crash or damage to lose: an appended 'E' record
  // would be, and with it the eviction (issue 9, defect 4).
  try {
    compact_locked();
  } catch (const Error&) {
    // No room for a new log (a full disk is when people punch; the rewrite
    // needs a fresh block, an appended record usually not): record the
    // evictions in place and sync them before punching, so that no crash
    // can lose them; then rewrite once the punches have made room, which
    // leaves the log independent of those records again.
    for (const ByteRange& r : gone) sidecar_.append_evicted(r);
    sidecar_.sync();
    for (const ByteRange& r : gone) data_.punch(r);
    try {
      compact_locked();
    } catch (const Error&) {
      // The synced 'E' records stand; only damage to them could matter now.
    }
    return;
  }
  for (const ByteRange& r : gone) data_.punch(r);
}

std::vector<ByteRange> ClaimLog::missing(ByteRange r) const {
  std::lock_guard lock(mu_);
  return coverage_.missing(r);
}

uint64_t ClaimLog::first_missing_from(uint64_t offset) const {
  std::lock_guard lock(mu_);
  ByteRange run = coverage_.find(offset);
  return run.empty() ? offset : run.end;
}

bool ClaimLog::contains(ByteRange r) const {
  std::lock_guard lock(mu_);
  return coverage_.contains(r);
}

CoverageMap ClaimLog::coverage() const {
  std::lock_guard lock(mu_);
  return coverage_;
}

uint64_t ClaimLog::present_bytes() const {
  std::lock_guard lock(mu_);
  return coverage_.total_bytes();
}

uint64_t ClaimLog::present_bytes_within(const std::vector<ByteRange>& ranges) const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const ByteRange& r : ranges) n += coverage_.present_bytes_within(r);
  return n;
}

size_t ClaimLog::present_ranges() const {
  std::lock_guard lock(mu_);
  return coverage_.range_count();
}

}  // namespace sparseio
