#include "store/sparse_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/block.h"
#include "core/errors.h"
#include "core/file_io.h"

namespace sparseio {
namespace {

bool is_zero(const std::byte* p, size_t n) {
  // Word-at-a-time OR; the compiler vectorizes it. Most data exits at once.
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
    if ((i & 511) == 0 && acc != 0) return false;
  }
  for (; i < n; ++i) acc |= static_cast<uint64_t>(p[i]);
  return acc == 0;
}

// Steps of copy_in_kernel_seen: each is copied, then read back through the
// mapping while the pages it wrote are still in the CPU's cache (1 MiB, like
// the buffer of the buffered copy it replaces; the mapping lives one step, so
// it adds at most this much to the process's RSS per thread).
constexpr uint64_t kSeenStep = 1u << 20;

// A read-only shared mapping of r of fd, page-aligned outwards, unmapped on
// destruction. DST only: a file cut shorter while mapped would raise SIGBUS,
// and DST is ours, under the DST lock, sized once when it was created.
class ReadOnlyMapping {
 public:
  ReadOnlyMapping(int fd, ByteRange r, const std::string& path) {
    static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t start = align_down(r.begin, page);
    len_ = static_cast<size_t>(r.end - start);
    void* p = ::mmap(nullptr, len_, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
    if (p == MAP_FAILED)
      throw_errno(fmt::format("cannot map {} at offset {} to read back what was copied", path, r.begin),
                  errno);
    base_ = p;
    bytes_ = {static_cast<const std::byte*>(p) + (r.begin - start), static_cast<size_t>(r.size())};
  }
  ~ReadOnlyMapping() { ::munmap(base_, len_); }
  ReadOnlyMapping(const ReadOnlyMapping&) = delete;
  ReadOnlyMapping& operator=(const ReadOnlyMapping&) = delete;
  std::span<const std::byte> bytes() const { return bytes_; }

 private:
  void* base_ = nullptr;
  size_t len_ = 0;
  std::span<const std::byte> bytes_;
};

}  // namespace

SparseFile::SparseFile(std::string path, UniqueFd fd, bool zero_runs_as_holes)
    : path_(std::move(path)), fd_(std::move(fd)), zero_runs_as_holes_(zero_runs_as_holes) {
  block_ = block_size_of(fd_.get(), path_);
}

void SparseFile::write(uint64_t offset, std::span<const std::byte> data) {
  if (!zero_runs_as_holes_ || data.size() < block_) {
    pwrite_full(fd_.get(), data, offset, path_);
    return;
  }
  zero_blocks_to_holes(offset, data, true);
}

void SparseFile::zero_blocks_to_holes(uint64_t offset, std::span<const std::byte> data, bool write_rest) {
  // Walk whole blocks; punch zero runs, write (or leave) the others. Partial
  // blocks at the edges are never punched.
  auto put = [&](uint64_t at_offset, std::span<const std::byte> bytes) {
    if (write_rest) pwrite_full(fd_.get(), bytes, at_offset, path_);
  };
  const uint64_t end = offset + data.size();
  const ByteRange whole = whole_blocks_inside({offset, end}, block_);
  auto at = [&](uint64_t off) { return data.data() + (off - offset); };
  if (whole.empty()) {
    put(offset, data);
    return;
  }
  if (whole.begin > offset) put(offset, {at(offset), whole.begin - offset});
  uint64_t run_start = whole.begin;
  bool run_zero = is_zero(at(run_start), block_);
  auto flush = [&](uint64_t run_end) {
    if (run_end <= run_start) return;
    if (run_zero && punch_hole(fd_.get(), {run_start, run_end}, block_, path_) != PunchResult::kUnsupported) {
      zero_hole_bytes_ += run_end - run_start;
    } else {
      put(run_start, {at(run_start), run_end - run_start});
    }
  };
  for (uint64_t b = whole.begin + block_; b < whole.end; b += block_) {
    bool z = is_zero(at(b), block_);
    if (z != run_zero) {
      flush(b);
      run_start = b;
      run_zero = z;
    }
  }
  flush(whole.end);
  if (end > whole.end) put(whole.end, {at(whole.end), end - whole.end});
}

void SparseFile::write_zeros(ByteRange r) {
  if (r.empty()) return;
  bool punched = punch_hole(fd_.get(), r, block_, path_) == PunchResult::kPunched;
  ByteRange whole = punched ? whole_blocks_inside(r, block_) : ByteRange{r.begin, r.begin};
  auto fill = [&](ByteRange z) {
    uint64_t pos = z.begin;
    for_each_zero_span(z.size(), [&](std::span<const std::byte> zeros) {
      pwrite_full(fd_.get(), zeros, pos, path_);
      pos += zeros.size();
    });
  };
  if (whole.empty()) {
    fill(r);
  } else {
    fill({r.begin, whole.begin});
    fill({whole.end, r.end});
  }
}

uint64_t SparseFile::copy_in_kernel(int src_fd, const std::string& src_path, ByteRange r) {
  uint64_t pos = r.begin;
  while (pos < r.end) {
    loff_t in = static_cast<loff_t>(pos), out = static_cast<loff_t>(pos);
    ssize_t n = ::copy_file_range(src_fd, &in, fd_.get(), &out, r.end - pos, 0);
    if (n > 0) {
      pos += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0)
      throw SourceChangedError(
          fmt::format("{} shrank during the run: it ends at offset {}, before {}", src_path, pos, r.end));
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) return pos;
    throw_errno(fmt::format("cannot copy {} to {} at offset {}", src_path, path_, pos), errno);
  }
  return pos;
}

uint64_t SparseFile::copy_in_kernel_seen(int src_fd, const std::string& src_path, ByteRange r,
                                         const std::function<void(std::span<const std::byte>)>& seen) {
  uint64_t pos = r.begin;
  while (pos < r.end) {
    // Steps end on kSeenStep boundaries, so that only r's own edges cut blocks.
    const uint64_t step_end = std::min(r.end, align_down(pos, kSeenStep) + kSeenStep);
    const uint64_t stopped = copy_in_kernel(src_fd, src_path, {pos, step_end});
    if (stopped > pos) {
      const ReadOnlyMapping map(fd_.get(), {pos, stopped}, path_);
      const std::span<const std::byte> bytes = map.bytes();
      if (seen) seen(bytes);  // before the punch: a punched block would read back as a fresh zero page
      if (zero_runs_as_holes_ && bytes.size() >= block_) zero_blocks_to_holes(pos, bytes, false);
    }
    if (stopped < step_end) return stopped;
    pos = step_end;
  }
  return pos;
}

void SparseFile::read(uint64_t offset, std::span<std::byte> out) const {
  size_t got = pread_full(fd_.get(), out, offset, path_);
  if (got < out.size())
    throw Error(fmt::format("{} is shorter than expected at offset {}", path_, offset + got));
}

void SparseFile::punch(ByteRange r) { punch_hole(fd_.get(), r, block_, path_); }

void SparseFile::sync_data() {
  if (::fdatasync(fd_.get()) != 0) throw_errno(fmt::format("cannot sync {}", path_), errno);
}

void SparseFile::reset(uint64_t size) {
  if (::ftruncate(fd_.get(), 0) != 0 || ::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0)
    throw_errno(fmt::format("cannot reset {}", path_), errno);
}

uint64_t SparseFile::size() const { return file_size(fd_.get(), path_); }

uint64_t SparseFile::allocated_bytes() const { return sparseio::allocated_bytes(fd_.get(), path_); }

size_t SparseFile::data_segments() const { return count_data_segments(fd_.get(), path_); }

}  // namespace sparseio
