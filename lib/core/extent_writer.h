// ExtentWriter: where a Source delivers the bytes of a transfer. It is the
// seam between the two wings (sources write into it, the store implements
// it), so it lives in core and neither wing includes the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/byte_range.h"
#include "core/errors.h"

namespace sparseio {

// Thrown by a writer that wants no more bytes (the reader of a stream went
// away): unlike any other exception out of write(), it says nothing against
// the bytes: what the writer took before is the object's, so a source keeps
// (and lets its caller record) what it delivered, and passes this on.
class WriterStopped : public Error {
 public:
  explicit WriterStopped(const std::string& why) : Error(why) {}
};

// True when `e` is a WriterStopped.
bool is_writer_stopped(const std::exception_ptr& e);

// Implementations must tolerate concurrent calls for disjoint ranges from
// several threads.
class ExtentWriter {
 public:
  virtual ~ExtentWriter() = default;
  // Bytes of the object at `offset`.
  virtual void write(uint64_t offset, std::span<const std::byte> data) = 0;
  // `r` is all zeros in the object (a hole in a sparse source).
  virtual void write_zeros(ByteRange r) = 0;
  // The bytes written from `offset` on are not the object's (the response that
  // carried them turned out invalid): none of them may be recorded as present.
  // The transfer then throws. The default does nothing, for writers that
  // record nothing of a failed transfer.
  virtual void discard_from(uint64_t /*offset*/) {}
  // `r` of the object equals the same offsets of local file `fd` (named `path`).
  // The default reads through a buffer and calls write().
  virtual void copy_from_fd(int fd, const std::string& path, ByteRange r);
};

// Reads positioned bytes into a buffer; returns fewer than asked only at the
// end of the object.
using PositionedRead = std::function<size_t(uint64_t offset, std::span<std::byte> buf)>;

// Copies r from `read` to out.write() through a per-thread 1 MiB buffer. An
// early end is an Error naming `name` and the offset.
void copy_through_buffer(ByteRange r, const PositionedRead& read, const std::string& name, ExtentWriter& out);

}  // namespace sparseio
