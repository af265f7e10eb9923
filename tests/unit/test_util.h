// Helpers shared by the unit tests: temporary directories on the real
// filesystem, deterministic data, and hole inspection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_range.h"
#include "core/unique_fd.h"

namespace sparseio {
class Destination;
}

namespace sparseio::test {

// A fresh directory under $TMPDIR (default /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  // Under `base` when it is a writable directory (e.g. /dev/shm), else as above.
  explicit TempDir(const std::string& base);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic pseudo-random bytes (splitmix64 of the offset and seed), so
// that any slice can be recomputed without keeping the whole buffer.
std::vector<std::byte> pattern_bytes(uint64_t offset, size_t n, uint64_t seed = 1);

// Opens `path` for reading and writing, creating it (0644) when missing; a
// new open file description each call, so two calls conflict under flock as
// two processes would. Throws naming the path and errno's reason.
UniqueFd open_rw(const std::string& path);

// Writes `data` to `path` (replacing it).
void write_file(const std::string& path, const std::vector<std::byte>& data);
// Reads the whole file.
std::vector<std::byte> read_file(const std::string& path);

// Makes the sidecar at `path` look written under another boot: each session
// ('S') record gets a boot id no machine has, and is sealed again (the format
// is store/sidecar_codec.h). Replay then treats its records as an OS crash
// would leave them (how tests simulate a reboot: production reads the boot
// id only from the kernel). Returns how many session records it rewrote.
size_t simulate_reboot(const std::string& sidecar_path);
// How many records the sidecar at `path` holds, counted from the file up to
// the first one that fails its checksum (a record past the logical size
// counts: replay's other checks are not repeated). Tests measure the log
// themselves; Sidecar keeps its count private.
size_t sidecar_records(const std::string& sidecar_path);
// The bytes of r in `dest` when all of r is present; nullopt otherwise
// (through the public contains() and read_raw(), as a reader would).
std::optional<std::vector<std::byte>> read_present(const Destination& dest, ByteRange r);
// The data runs of a file as SEEK_DATA/SEEK_HOLE report them.
std::vector<ByteRange> file_data_runs(const std::string& path);
// st_blocks * 512.
uint64_t file_allocated(const std::string& path);

}  // namespace sparseio::test
