// The data face of a destination: DST itself, a file of the source's logical
// size with holes where nothing was fetched. It writes, reads and punches
// extents, turns whole zero blocks into holes, and reports allocation. It
// knows nothing of claims: which bytes count as present is the claim log's
// business (store/claim_log.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/byte_range.h"
#include "core/unique_fd.h"

namespace sparseio {

class SparseFile {
 public:
  // Takes over `fd`, the open DST at `path`.
  SparseFile(std::string path, UniqueFd fd, bool zero_runs_as_holes);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  uint64_t block_size() const { return block_; }
  bool zero_runs_as_holes() const { return zero_runs_as_holes_; }

  // Writes data at offset; whole blocks of zeros become holes (when enabled).
  void write(uint64_t offset, std::span<const std::byte> data);
  // Makes r read as zeros: punch whole blocks, write zeros on partial ones.
  void write_zeros(ByteRange r);
  // Copies r from local file `src_fd` at the same offsets with
  // copy_file_range. Returns where it stopped: r.end when done, earlier when
  // the kernel cannot copy between these files (the caller copies the rest
  // through a buffer). A source that ends early throws SourceChangedError.
  uint64_t copy_in_kernel(int src_fd, const std::string& src_path, ByteRange r);
  // As copy_in_kernel, and each step's bytes are then read where they were
  // written, through a read-only mapping of DST (one copy of each byte, the
  // kernel's, instead of a read into user space and a write out of it):
  // whole zero blocks become holes (when enabled), and `seen` gets the bytes,
  // in order, once they are in DST (for the claim's hash). Returns where it
  // stopped, as copy_in_kernel; every byte before it has been seen.
  uint64_t copy_in_kernel_seen(int src_fd, const std::string& src_path, ByteRange r,
                               const std::function<void(std::span<const std::byte>)>& seen);
  // Reads exactly out.size() bytes at offset; a short file is an Error.
  void read(uint64_t offset, std::span<std::byte> out) const;
  // Deallocates the whole blocks of r (partial blocks keep their bytes).
  void punch(ByteRange r);
  // fdatasync: the written bytes reach the disk.
  void sync_data();
  // Empties the file and gives it `size` bytes of holes.
  void reset(uint64_t size);

  uint64_t size() const;
  uint64_t allocated_bytes() const;
  size_t data_segments() const;
  // Bytes written as holes because they were whole zero blocks (this process).
  uint64_t zero_hole_bytes() const { return zero_hole_bytes_.load(); }

 private:
  // Punches the runs of whole zero blocks of `data` (DST's bytes at offset,
  // already written there); with `write_rest`, writes the other bytes.
  void zero_blocks_to_holes(uint64_t offset, std::span<const std::byte> data, bool write_rest);

  std::string path_;
  UniqueFd fd_;
  bool zero_runs_as_holes_;
  uint64_t block_ = 4096;
  std::atomic<uint64_t> zero_hole_bytes_{0};
};

}  // namespace sparseio
