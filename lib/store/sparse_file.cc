#include "store/sparse_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

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
  // Walk whole blocks; write non-zero runs, punch zero runs. Partial blocks
  // at the edges are always written.
  const uint64_t end = offset + data.size();
  const ByteRange whole = whole_blocks_inside({offset, end}, block_);
  auto at = [&](uint64_t off) { return data.data() + (off - offset); };
  if (whole.empty()) {
    pwrite_full(fd_.get(), data, offset, path_);
    return;
  }
  if (whole.begin > offset) pwrite_full(fd_.get(), {at(offset), whole.begin - offset}, offset, path_);
  uint64_t run_start = whole.begin;
  bool run_zero = is_zero(at(run_start), block_);
  auto flush = [&](uint64_t run_end) {
    if (run_end <= run_start) return;
    if (run_zero && punch_hole(fd_.get(), {run_start, run_end}, block_, path_) != PunchResult::kUnsupported) {
      zero_hole_bytes_ += run_end - run_start;
    } else {
      pwrite_full(fd_.get(), {at(run_start), run_end - run_start}, run_start, path_);
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
  if (end > whole.end) pwrite_full(fd_.get(), {at(whole.end), end - whole.end}, whole.end, path_);
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
