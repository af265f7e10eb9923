// The sidecar DST.sparseio: an append-only log that says which bytes of DST
// are present and which source version they came from.
//
// The encoding is in store/sidecar_codec.h. Record types:
//   'P' present [begin, end); 'S' a writer's session starts (begin/end hold
//   the boot id); 'E' evicted [begin, end) (written only when a full disk
//   leaves no room for the rewrite, see "every prefix" below).
// Flags: kHashed: data_hash is XXH3-64 of the extent's bytes; kSynced: DST's
// data was fdatasynced before the record was written.
//
// Replay stops at the first record that is short or fails its checksum: a
// torn tail is never trusted, and a writer truncates it away. What makes
// that safe is that every prefix of the log claims only true bytes: a 'P'
// follows the write of its bytes, and bytes are never removed while a
// record claims them: eviction first rewrites the log without the claim
// (compact, durable), and only then punches. (An 'E' record appended before
// the punch would not do: losing it to damage or a truncated tail would
// resurrect the claims before it.)
//
// Why the boot id: a record follows the completed write of its bytes, so as
// long as the machine has not restarted (page cache intact) every record is
// true. After an OS crash or power loss the data may not have reached the
// disk, so records of sessions from an earlier boot are trusted only when
// kSynced, re-checked against DST when kHashed, and dropped otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/byte_range.h"
#include "core/coverage_map.h"
#include "core/source_identity.h"
#include "core/unique_fd.h"
#include "store/sidecar_codec.h"

namespace sparseio {

// The current boot's id (/proc/sys/kernel/random/boot_id). Nothing else
// can set it: what `--sync none` trusts after a reboot must not change with
// a variable in a user's shell.
std::string current_boot_id();

struct ReplayPolicy {
  // Unit tests set another boot's id here; end-to-end tests rewrite the
  // sidecar's session records (tests/e2e/e2e_util.py simulate_reboot).
  std::string boot_id = current_boot_id();
  // Checks a kHashed claim of an earlier boot against DST; null: drop such claims.
  std::function<bool(ByteRange, uint64_t hash)> check_extent;
};

class Sidecar {
 public:
  static constexpr uint32_t kVersion = sidecar_codec::kVersion;
  static constexpr size_t kRecordSize = sidecar_codec::kRecordSize;
  static constexpr uint32_t kHashed = sidecar_codec::kHashed, kSynced = sidecar_codec::kSynced;

  // The sidecar path for destination `dst`.
  static std::string path_for(const std::string& dst) { return dst + ".sparseio"; }

  // Atomically replaces (or creates) the sidecar at `path` with `header` and
  // one kSynced record per range of `coverage` (temporary file, fsync,
  // rename, fsync of the directory: durable on return). The caller must have
  // synced DST's data first. The temporary file PATH.tmp is created with
  // O_EXCL|O_NOFOLLOW; a stale one (a killed compaction, or a planted
  // symlink) is unlinked first, never followed.
  static Sidecar create(const std::string& path, const SidecarHeader& header,
                        const CoverageMap& coverage = {});

  // Opens and replays an existing sidecar into `coverage`. With `writable`,
  // a torn tail is truncated away and records can be appended. A missing
  // file, a symlink or a garbled header throws Error naming the file.
  static Sidecar open(const std::string& path, CoverageMap& coverage, bool writable,
                      const ReplayPolicy& policy = {});

  // The source identity recorded in the sidecar at `path`, read without
  // replaying or locking; nullopt when there is none or it is unreadable.
  static std::optional<SourceIdentity> recorded_identity(const std::string& path);

  // True when replay met records of an earlier boot that were not synced
  // (checked or dropped): compact, so that the next open need not check again.
  bool replayed_other_boot() const { return other_boot_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }

  const SidecarHeader& header() const { return header_; }
  const std::string& path() const { return path_; }

  // Append records. Not thread-safe: the caller serializes appends.
  void append_present(ByteRange r, uint32_t flags = 0, uint64_t hash = 0) { append('P', r, flags, hash); }
  // An 'E' record: eviction goes through compact (see the top of the file)
  // and appends one only when the disk has no room for the rewrite.
  void append_evicted(ByteRange r) { append('E', r, 0, 0); }
  // Starts a writer's session: later records belong to this boot. Its 'S'
  // record is written just before the session's first record, so that a run
  // with nothing to record leaves the log as it was.
  void begin_session(const std::string& boot_id);

  // Flushes appended records to stable storage (fdatasync); nothing to do
  // when no record was appended since the last sync. (A needless fdatasync
  // is not free: on ext4 it commits the journal, which first writes back
  // DST's dirty data, e.g. 190 ms right after a 64 MiB fetch.)
  void sync();

  // Rewrites the log as one kSynced record per range of `coverage` (atomic
  // rename), then begins the session again. DST must be synced first.
  void compact(const CoverageMap& coverage);

  // True when the log has grown well past what compaction would leave.
  bool wants_compaction(const CoverageMap& coverage) const {
    return records_ > 4096 && records_ > 4 * coverage.range_count();
  }

 private:
  Sidecar(std::string path, UniqueFd fd, SidecarHeader header, uint64_t checksum, uint64_t end,
          uint64_t records);
  void append(uint32_t type, ByteRange r, uint32_t flags, uint64_t hash);

  std::string path_;
  UniqueFd fd_;
  SidecarHeader header_;
  uint64_t header_checksum_ = 0;
  uint64_t end_ = 0;  // offset where the next record goes
  uint64_t records_ = 0;
  std::string session_boot_;      // set by begin_session
  bool session_pending_ = false;  // its 'S' record is not written yet
  bool unsynced_ = false;         // records appended since the last sync
  bool other_boot_ = false;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace sparseio
