#include "store/destination.h"

#include <fmt/format.h>

#include "core/content_hash.h"
#include "core/errors.h"

namespace sparseio {
namespace {
// The smallest copy that goes through the kernel and is read back in place
// when the bytes must be seen (hash, zero blocks); smaller ones go through a
// buffer. Measured with scripts/bench's pairs (issue 22, docs/BENCHMARKS.md):
// a whole 1 GiB file in 4 MiB chunks took 0.32 of the buffered copy's time
// (whose writes from a user buffer fall, on this VM, into a slow mode of up to
// 3.6 CPU s/GiB), but 256 random 1 MiB ranges took 1.47 of it (the mapping's
// faults and TLB shootdowns, and the inode lock taken per 64 KiB of
// copy_file_range, cost more than a second copy of 1 MiB that stays in the
// cache). 4 MiB is the local chunk size: every whole chunk takes one copy.
constexpr uint64_t kMappedCopyMin = 4u << 20;
}  // namespace

Destination::Destination(std::string path, UniqueFd fd, Sidecar sidecar, CoverageMap coverage,
                         DestinationOptions options)
    : options_(options),
      file_(std::move(path), std::move(fd), options.zero_runs_as_holes),
      claims_(std::move(sidecar), std::move(coverage), file_,
              ClaimLogOptions{options.sync, options.batch_bytes, options.batch_ms}) {}

Destination::~Destination() {
  try {
    claims_.commit();
  } catch (const std::exception&) {
    // Claims that could not be made durable are simply fetched again.
  }
}

void Destination::write_data(uint64_t offset, std::span<const std::byte> data) {
  if (offset + data.size() > logical_size())
    throw Error(
        fmt::format("write to {} at {}+{} is past its size {}", path(), offset, data.size(), logical_size()));
  file_.write(offset, data);
}

void Destination::copy_from_fd(int src_fd, const std::string& src_path, ByteRange r,
                               const std::function<void(std::span<const std::byte>)>& seen) {
  // Through a buffer into write_data(), where the kernel cannot copy between
  // these files.
  auto copy_buffered = [&](ByteRange part) {
    struct Adapter : ExtentWriter {
      Destination& d;
      const std::function<void(std::span<const std::byte>)>& seen;
      Adapter(Destination& dest, const std::function<void(std::span<const std::byte>)>& s)
          : d(dest), seen(s) {}
      void write(uint64_t off, std::span<const std::byte> b) override {
        d.write_data(off, b);
        if (seen) seen(b);
      }
      void write_zeros(ByteRange z) override { d.write_zeros(z); }
    } adapter(*this, seen);
    adapter.ExtentWriter::copy_from_fd(src_fd, src_path, part);
  };
  if (!copies_in_kernel() && r.size() < kMappedCopyMin) return copy_buffered(r);
  const uint64_t stopped = seen || !copies_in_kernel() ? file_.copy_in_kernel_seen(src_fd, src_path, r, seen)
                                                       : file_.copy_in_kernel(src_fd, src_path, r);
  if (stopped < r.end) copy_buffered({stopped, r.end});
}

void Destination::write_extent(uint64_t offset, std::span<const std::byte> data) {
  write_data(offset, data);
  mark_present({offset, offset + data.size()}, content_hash(data));
}

}  // namespace sparseio
