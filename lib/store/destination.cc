#include "store/destination.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/block.h"
#include "core/content_hash.h"
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

Destination::Destination(std::string path, UniqueFd fd, Sidecar sidecar, CoverageMap coverage,
                         DestinationOptions options)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      sidecar_(std::move(sidecar)),
      options_(options),
      coverage_(std::move(coverage)) {
  block_ = block_size_of(fd_.get(), path_);
}
void Destination::write_span(uint64_t offset, std::span<const std::byte> data) {
  if (!options_.zero_runs_as_holes || data.size() < block_) {
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

void Destination::write_data(uint64_t offset, std::span<const std::byte> data) {
  if (offset + data.size() > logical_size())
    throw Error(
        fmt::format("write to {} at {}+{} is past its size {}", path_, offset, data.size(), logical_size()));
  write_span(offset, data);
}

void Destination::write_zeros(ByteRange r) {
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

void Destination::copy_from_fd(int src_fd, const std::string& src_path, ByteRange r) {
  // Through a buffer into write_data(): where zero detection and hashing need
  // the bytes in memory, and where the kernel cannot copy between these files.
  auto copy_buffered = [&](ByteRange part) {
    struct Adapter : ExtentWriter {
      Destination& d;
      explicit Adapter(Destination& dest) : d(dest) {}
      void write(uint64_t off, std::span<const std::byte> b) override { d.write_data(off, b); }
      void write_zeros(ByteRange z) override { d.write_zeros(z); }
    } adapter(*this);
    adapter.ExtentWriter::copy_from_fd(src_fd, src_path, part);
  };
  if (!copies_in_kernel()) return copy_buffered(r);
  uint64_t pos = r.begin;
  while (pos < r.end) {
    loff_t in = static_cast<loff_t>(pos), out = static_cast<loff_t>(pos);
    ssize_t n = ::copy_file_range(src_fd, &in, fd_.get(), &out, r.end - pos, 0);
    if (n > 0) {
      pos += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) throw Error(fmt::format("{} ended early at offset {}: was it truncated?", src_path, pos));
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
      return copy_buffered({pos, r.end});
    throw_errno(fmt::format("cannot copy {} to {} at offset {}", src_path, path_, pos), errno);
  }
}

void Destination::mark_present(ByteRange r, std::optional<uint64_t> hash) {
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

bool Destination::commit_due() const {
  return pending_bytes_ >= options_.batch_bytes ||
         std::chrono::steady_clock::now() - last_commit_ >= std::chrono::milliseconds(options_.batch_ms);
}

void Destination::commit() {
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
  if (::fdatasync(fd_.get()) != 0) {
    int err = errno;
    std::lock_guard lock(mu_);
    for (const Claim& c : batch) coverage_.remove(c.range);  // not durable: not ours
    throw_errno(fmt::format("cannot sync {}", path_), err);
  }
  std::lock_guard lock(mu_);
  for (const Claim& c : batch) sidecar_.append_present(c.range, c.flags | Sidecar::kSynced, c.hash);
  maybe_compact();
}

void Destination::maybe_compact() {
  if (!sidecar_.wants_compaction(coverage_)) return;
  // Compacted records are marked synced: make that true first. Rare: the log
  // must have grown to four records per range.
  if (::fdatasync(fd_.get()) != 0) throw_errno(fmt::format("cannot sync {}", path_), errno);
  if (pending_.empty()) {
    sidecar_.compact(coverage_);
    return;
  }
  CoverageMap committed = coverage_;  // compaction must not claim pending bytes
  for (const Claim& c : pending_) committed.remove(c.range);
  sidecar_.compact(committed);
}

void Destination::write_extent(uint64_t offset, std::span<const std::byte> data) {
  write_data(offset, data);
  mark_present({offset, offset + data.size()}, content_hash(data));
}

std::optional<std::vector<std::byte>> Destination::read_extent(ByteRange r) const {
  if (!contains(r)) return std::nullopt;
  std::vector<std::byte> out(r.size());
  read_raw(r.begin, out);
  return out;
}

void Destination::delete_extent(ByteRange r) {
  r = r.intersect({0, logical_size()});
  if (r.empty()) return;
  commit();  // pending claims must not land after the eviction record
  std::lock_guard commit_lock(commit_mu_);
  std::lock_guard lock(mu_);
  if (coverage_.present_bytes_within(r) == 0) return;  // deleting what is missing: no-op
  // Record first: a claim must never outlive its bytes.
  sidecar_.append_evicted(r);
  coverage_.remove(r);
  punch_hole(fd_.get(), r, block_, path_);
  maybe_compact();
}

std::vector<ByteRange> Destination::missing(ByteRange r) const {
  std::lock_guard lock(mu_);
  return coverage_.missing(r);
}

uint64_t Destination::first_missing_from(uint64_t offset) const {
  std::lock_guard lock(mu_);
  ByteRange run = coverage_.find(offset);
  return run.empty() ? offset : run.end;
}

bool Destination::contains(ByteRange r) const {
  std::lock_guard lock(mu_);
  return coverage_.contains(r);
}

CoverageMap Destination::coverage() const {
  std::lock_guard lock(mu_);
  return coverage_;
}

uint64_t Destination::present_bytes() const {
  std::lock_guard lock(mu_);
  return coverage_.total_bytes();
}

uint64_t Destination::present_bytes_within(const std::vector<ByteRange>& ranges) const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const ByteRange& r : ranges) n += coverage_.present_bytes_within(r);
  return n;
}

size_t Destination::present_ranges() const {
  std::lock_guard lock(mu_);
  return coverage_.range_count();
}

void Destination::read_raw(uint64_t offset, std::span<std::byte> out) const {
  size_t got = pread_full(fd_.get(), out, offset, path_);
  if (got < out.size())
    throw Error(fmt::format("{} is shorter than expected at offset {}", path_, offset + got));
}

uint64_t Destination::allocated_bytes() const { return sparseio::allocated_bytes(fd_.get(), path_); }

size_t Destination::data_segments() const { return count_data_segments(fd_.get(), path_); }

void Destination::sync() {
  commit();
  std::lock_guard lock(mu_);
  sidecar_.sync();
}

}  // namespace sparseio
