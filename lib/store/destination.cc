#include "store/destination.h"

#include <fmt/format.h>

#include "core/content_hash.h"
#include "core/errors.h"

namespace sparseio {

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
  uint64_t stopped = file_.copy_in_kernel(src_fd, src_path, r);
  if (stopped < r.end) copy_buffered({stopped, r.end});
}

void Destination::write_extent(uint64_t offset, std::span<const std::byte> data) {
  write_data(offset, data);
  mark_present({offset, offset + data.size()}, content_hash(data));
}

}  // namespace sparseio
